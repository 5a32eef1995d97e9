// The trainer's checkpoint state: one list of fields for saving and loading.
#include <type_traits>

#include "usbpo/train/trainer.hpp"

namespace usbpo {

static_assert(std::is_trivially_copyable_v<TrainerProgress>, "progress is saved as plain bytes");

void Trainer::visit_state(StateVisitor& v) {
  v.value("trainer", "progress", &progress_);
  v.value("trainer", "policy_epoch", &policy_epoch_);
  v.value("trainer", "obs", obs_, static_cast<std::size_t>(env_->obs_dim()));
  rng_.visit_state(v, "trainer/rng");
  eval_rng_.visit_state(v, "trainer/eval_rng");
  if (env_state_size_ > 0) v.value("env", "state", env_state_, static_cast<std::size_t>(env_state_size_));
  real_.visit_state(v, "real_store");
  if (!v.check(progress_.env_steps + progress_.dataset_transitions == real_.total_stored(), "trainer",
               "env steps plus dataset transitions equal the real transitions")) {
    return;
  }
  sac_.visit_state(v);
  if (!uses_model(config_.algorithm)) return;
  model_.visit_state(v);
  w2_.visit_state(v);
  // USB-PO's phase-2 Adam carries its moments from round to round.
  if (uses_phase_two(config_.algorithm)) w2_.optimizer().visit_state(v, "w2/adam");
  model_store_.visit_state(v, "model_store");
  if (uses_policy_mixture(config_.algorithm)) mixture_.visit_state(v);
}

Status Trainer::save_state(StateVisitor& visitor) {
  if (!usable_) return Status::error(StatusCode::kFailedPrecondition, "trainer is not initialised");
  if (env_state_size_ > 0) USBPO_RETURN_IF_ERROR(env_->save_state(env_state_));
  sac_.pull_state();  // SAC's state is saved from its host mirror
  if (uses_model(config_.algorithm)) {  // likewise the ensemble's and phase 2's
    model_.pull_state();
    w2_.pull_state();
  }
  visit_state(visitor);
  if (!visitor.ok()) return Status::error(StatusCode::kIoError, "saving the trainer state failed");
  return Status::ok();
}

Status Trainer::load_state(StateVisitor& visitor) {
  if (!env_) return Status::error(StatusCode::kFailedPrecondition, "load_state before init");
  // A failed load leaves the state partly copied in and inconsistent (found by
  // fuzzing: the stores' layout step then indexed out of range); only init
  // makes it whole again.
  if (!usable_) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "load_state after a failed load_state: init the trainer again first");
  }
  usable_ = false;  // until everything below succeeded
  val_count_ = 0;
  visit_state(visitor);
  if (!visitor.ok() || !visitor.complete()) {
    return Status::error(StatusCode::kCorruptData, "the saved trainer state does not fit this trainer");
  }
  sac_.push_state();  // the restored host mirror to the device
  if (uses_model(config_.algorithm)) {
    model_.push_state();
    w2_.push_state();
  }
  // A run resumed with more planned steps has more real slots than it saved.
  USBPO_RETURN_IF_ERROR(real_.set_capacity(real_.allocated_capacity()));
  if (env_state_size_ > 0) {
    USBPO_RETURN_IF_ERROR(env_->restore_state(env_state_));
  } else {
    USBPO_RETURN_IF_ERROR(start_episode());  // the env cannot continue the saved episode
  }
  usable_ = true;
  return Status::ok();
}

}  // namespace usbpo
