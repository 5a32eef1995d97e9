#include "usbpo/train/trainer.hpp"

#include <algorithm>
#include <cstring>

#include "usbpo/nn/action_scaling.hpp"
#include "usbpo/nn/backend.hpp"
#include "usbpo/train/dataset.hpp"

namespace usbpo {

const char* algorithm_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSac: return "sac";
    case Algorithm::kMbpo: return "mbpo";
    case Algorithm::kUsbpo: return "usbpo";
    case Algorithm::kPmac: return "pmac";
    case Algorithm::kUsbpoPmac: return "usbpo+pmac";
  }
  return "unknown";
}

bool parse_algorithm(const char* name, Algorithm* algorithm) {
  for (Algorithm a : {Algorithm::kSac, Algorithm::kMbpo, Algorithm::kUsbpo, Algorithm::kPmac, Algorithm::kUsbpoPmac}) {
    if (std::strcmp(name, algorithm_name(a)) == 0) {
      *algorithm = a;
      return true;
    }
  }
  return false;
}

bool uses_model(Algorithm a) { return a != Algorithm::kSac; }
bool uses_phase_two(Algorithm a) { return a == Algorithm::kUsbpo || a == Algorithm::kUsbpoPmac; }
bool uses_policy_mixture(Algorithm a) { return a == Algorithm::kPmac || a == Algorithm::kUsbpoPmac; }

RolloutShape Trainer::rollout_shape() const {
  RolloutShape shape;
  shape.batch = config_.rollout_batch;
  shape.obs_dim = config_.model.obs_dim;
  shape.act_dim = config_.model.act_dim;
  shape.elites = config_.model.elites;
  shape.predict_chunk = config_.model.predict_chunk;
  return shape;
}

int Trainer::model_store_capacity_at(const TrainerConfig& c, int rollout_length) {
  // MBPO: retain_epochs x k x rollout_batch x (epoch_length / model_train_freq).
  const double rounds_per_epoch = static_cast<double>(c.epoch_length) / std::max(1, c.model_train_freq);
  const double capacity = static_cast<double>(c.model_retain_epochs) * std::max(1, rollout_length) * c.rollout_batch *
                          std::max(1.0, rounds_per_epoch);
  return static_cast<int>(std::min(capacity, 2.0e9));
}

int Trainer::model_store_capacity(const TrainerConfig& c) {
  int k = c.rollout_schedule.k_max;
  if (c.planned_steps > 0) {
    // The schedule is linear in the epoch, so its largest value up to the last
    // epoch of the run is at one of the two ends.
    const std::int64_t last_epoch = std::max<std::int64_t>(0, (c.planned_steps - c.start_steps) / std::max(1, c.epoch_length));
    k = std::max(rollout_length(c.rollout_schedule, 0),
                 rollout_length(c.rollout_schedule, static_cast<int>(std::min<std::int64_t>(last_epoch, 1 << 30))));
  }
  return model_store_capacity_at(c, k);
}

int Trainer::real_store_capacity(const TrainerConfig& c) {
  if (c.planned_steps > 0 && c.planned_steps < c.replay_capacity) return static_cast<int>(c.planned_steps);
  return c.replay_capacity;
}

Status Trainer::place(const TrainerConfig& c, int obs_dim, int act_dim, int env_state_size, Arena& arena) {
  config_ = c;
  config_.sac.obs_dim = obs_dim;
  config_.sac.act_dim = act_dim;
  if (c.start_steps < 0 || c.update_after < 1 || c.updates_per_step < 0 || c.epoch_length < 1 ||
      c.eval_episodes < 0) {
    return Status::error(StatusCode::kInvalidArgument,
                         "trainer needs start_steps >= 0, update_after >= 1, updates_per_step >= 0, "
                         "epoch_length >= 1, eval_episodes >= 0");
  }
  if (c.update_after < config_.sac.batch) {
    return Status::error(StatusCode::kInvalidArgument, "update_after (%d) must be >= the SAC batch (%d)",
                         c.update_after, config_.sac.batch);
  }
  ReplayConfig replay;
  replay.obs_dim = obs_dim;
  replay.act_dim = act_dim;
  replay.capacity = real_store_capacity(c);
  USBPO_RETURN_IF_ERROR(real_.place(replay, arena));
  env_state_size_ = env_state_size;
  env_state_ = arena.allocate<double>(static_cast<std::size_t>(std::max(1, env_state_size)));
  obs_ = arena.allocate<Scalar>(obs_dim);
  next_obs_ = arena.allocate<Scalar>(obs_dim);
  action_ = arena.allocate<Scalar>(act_dim);
  env_action_ = arena.allocate<Scalar>(act_dim);
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for the trainer");
  USBPO_RETURN_IF_ERROR(update_block_.place_host(config_.sac, c.updates_per_step, arena));
  if (!uses_model(c.algorithm)) return Status::ok();
  if (c.model_train_freq < 1 || c.rollout_batch < 1 || c.model_retain_epochs < 1 || !(c.real_ratio >= 0) ||
      !(c.real_ratio <= 1) || c.policy_epoch_length < 1) {
    return Status::error(StatusCode::kInvalidArgument,
                         "model-based training needs model_train_freq, rollout_batch, model_retain_epochs, "
                         "policy_epoch_length >= 1 and real_ratio in [0, 1]");
  }
  config_.model.obs_dim = obs_dim;
  config_.model.act_dim = act_dim;
  config_.model.max_samples = replay.capacity;
  ReplayConfig model_replay;
  model_replay.obs_dim = obs_dim;
  model_replay.act_dim = act_dim;
  model_replay.capacity = model_store_capacity(c);
  USBPO_RETURN_IF_ERROR(model_store_.place(model_replay, arena));
  USBPO_RETURN_IF_ERROR(rollouts_.place(rollout_shape(), !c.backend || c.backend->device_is_host(), arena));
  PolicyMixtureConfig mixture;
  mixture.alpha = c.pmac_alpha;
  USBPO_RETURN_IF_ERROR(mixture_.place(mixture, arena));
  const std::size_t w2_batch = static_cast<std::size_t>(c.w2.batch);
  model_slots_ = arena.allocate<int>(static_cast<std::size_t>(replay.capacity));
  // Rollout starts and phase-2 batches share this scratch.
  start_slots_ = arena.allocate<int>(static_cast<std::size_t>(std::max(c.rollout_batch, c.w2.batch)));
  val_slots_ = arena.allocate<int>(w2_batch);
  val_k1_ = arena.allocate<int>(w2_batch);
  val_k2_ = arena.allocate<int>(w2_batch);
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for the model-based trainer");
  return Status::ok();
}

Status Trainer::measure(const TrainerConfig& config, const Env& env, std::size_t* bytes) {
  *bytes = 0;
  Trainer probe;
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, env.obs_dim(), env.act_dim(), env.state_size(), measure));
  // Each part is checked before its size is used, so a size of 0 can only be an overflow.
  USBPO_RETURN_IF_ERROR(Sac::check_config(probe.config_.sac));
  // SAC in the host arena on the CPU backend; on a backend of its own only its
  // host side (staging and the state mirror), the rest is reserved on the device.
  const std::size_t sac_bytes = config.backend
                                    ? Sac::host_bytes_needed(probe.config_.sac, config.backend->device_is_host())
                                    : Sac::bytes_needed(probe.config_.sac);
  std::size_t total = measure.overflowed() ? SIZE_MAX : size_sum(measure.used(), sac_bytes);
  if (uses_model(config.algorithm)) {
    USBPO_RETURN_IF_ERROR(GaussianEnsemble::check_config(probe.config_.model));
    // Every model-based trainer holds the phase-2 state (the backup M1), so check it for all.
    USBPO_RETURN_IF_ERROR(W2FineTune::check_config(probe.config_.w2, probe.config_.model));
    // Likewise the ensemble: all of it on the CPU backend, its host side on a backend of its own.
    total = size_sum(total, config.backend ? GaussianEnsemble::host_bytes_needed(probe.config_.model,
                                                                                 config.backend->device_is_host())
                                           : GaussianEnsemble::bytes_needed(probe.config_.model));
    total = size_sum(total, config.backend ? W2FineTune::host_bytes_needed(probe.config_.w2, probe.config_.model,
                                                                           config.backend->device_is_host())
                                           : W2FineTune::bytes_needed(probe.config_.w2, probe.config_.model));
  }
  if (total == SIZE_MAX) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the trainer's stores and buffers (replay capacity %d, model store %d) need more than %zu "
                         "bytes (size overflow)", real_store_capacity(config),
                         uses_model(config.algorithm) ? model_store_capacity(config) : 0,
                         static_cast<std::size_t>(SIZE_MAX));
  }
  *bytes = total;
  return Status::ok();
}

Status Trainer::check_config(const TrainerConfig& config, const Env& env) {
  std::size_t bytes = 0;
  return measure(config, env, &bytes);
}

std::size_t Trainer::bytes_needed(const TrainerConfig& config, const Env& env) {
  std::size_t bytes = 0;
  return measure(config, env, &bytes).is_ok() ? bytes : 0;
}

Status Trainer::init(const TrainerConfig& config, Env& env, Env& eval_env, Arena& arena) {
  if (&env == &eval_env) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the evaluation env must be a separate instance (evaluating in the training env "
                         "cuts its episodes short)");
  }
  if (env.obs_dim() != eval_env.obs_dim() || env.act_dim() != eval_env.act_dim()) {
    return Status::error(StatusCode::kDimensionMismatch, "training env (%d obs, %d act) and evaluation env "
                         "(%d obs, %d act) differ", env.obs_dim(), env.act_dim(), eval_env.obs_dim(),
                         eval_env.act_dim());
  }
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "Trainer::init needs an arena with memory");
  usable_ = false;
  USBPO_RETURN_IF_ERROR(place(config, env.obs_dim(), env.act_dim(), env.state_size(), arena));
  env_ = &env;
  eval_env_ = &eval_env;
  rng_.seed_with(config.seed);
  Rng init_rng = rng_.split();
  eval_rng_ = rng_.split();
  if (config.backend) {
    // One device block for SAC and the ensemble's phase 1.
    // (Phase 2's device state sits in the host arena where device memory is host memory.)
    const std::size_t w2_device =
        config.backend->device_is_host() ? 0 : W2FineTune::device_bytes_needed(config_.w2, config_.model);
    const std::size_t model_device =
        uses_model(config_.algorithm) ? size_sum(GaussianEnsemble::device_bytes_needed(config_.model), w2_device) : 0;
    // And the SAC update block's device twin and the stores' mirrors (issue 15).
    const bool on_host = config.backend->device_is_host();
    std::size_t stores_device = size_sum(
        SacUpdateBlock::device_bytes_needed(config_.sac, config_.updates_per_step, on_host),
        DeviceStoreMirror::device_bytes_needed(real_.config(), on_host));
    if (uses_model(config_.algorithm)) {
      stores_device = size_sum(stores_device, DeviceStoreMirror::device_bytes_needed(model_store_.config(), on_host));
      stores_device = size_sum(stores_device, Rollouts::device_bytes_needed(rollout_shape(), on_host));
    }
    USBPO_RETURN_IF_ERROR(config.backend->reserve_device(
        size_sum(size_sum(Sac::device_bytes_needed(config_.sac), model_device), stores_device)));
    USBPO_RETURN_IF_ERROR(sac_.init(config_.sac, *config.backend, arena, init_rng));
  } else {
    USBPO_RETURN_IF_ERROR(sac_.init(config_.sac, arena, init_rng));
    sac_.set_runner(config.runner);
  }
  if (uses_model(config_.algorithm)) {
    if (config.backend) {
      USBPO_RETURN_IF_ERROR(model_.init(config_.model, *config.backend, arena, init_rng));
    } else {
      USBPO_RETURN_IF_ERROR(model_.init(config_.model, arena, init_rng));
    }
    USBPO_RETURN_IF_ERROR(w2_.init(config_.w2, model_, arena));
    model_.set_runner(config.runner);
    w2_.set_runner(config.runner);
  }
  // After SAC and the ensemble, so that their device placements stay where they were.
  USBPO_RETURN_IF_ERROR(update_block_.place_device(sac_.backend()));
  USBPO_RETURN_IF_ERROR(real_mirror_.place(real_, sac_.backend()));
  if (uses_model(config_.algorithm)) {
    USBPO_RETURN_IF_ERROR(model_mirror_.place(model_store_, sac_.backend()));
    // Phase 1 reads the real store's mirror: minibatches, holdout and the normaliser fit on the device.
    model_.set_device_data(real_mirror_.columns());
    USBPO_RETURN_IF_ERROR(rollouts_.place_device(sac_.backend()));
  }
  policy_epoch_ = -1;
  val_count_ = 0;
  progress_ = TrainerProgress();
  USBPO_RETURN_IF_ERROR(start_episode());
  usable_ = true;
  return Status::ok();
}

Status Trainer::sample_real(int count, int* slots) {
  if (uses_policy_mixture(config_.algorithm)) {
    return real_.sample_by_epoch_weights(rng_, mixture_.weights(), mixture_.first_epoch(), mixture_.count(), count,
                                         slots);
  }
  return real_.sample_uniform(rng_, count, slots);
}

Status Trainer::model_round() {
  ModelRoundReport& report = progress_.model;
  const bool phase_two = uses_phase_two(config_.algorithm) && report.round > 0;
  const TransitionView real{real_.obs_data(), real_.act_data(), real_.reward_data(), real_.next_obs_data()};
  // Training set: all real data (MBPO), or a resample by the policy mixture (PMAC).
  const int n = real_.size();
  if (uses_policy_mixture(config_.algorithm)) {
    USBPO_RETURN_IF_ERROR(sample_real(n, model_slots_));
  } else {
    real_.live_slots(model_slots_);
  }
  if (phase_two) w2_.backup(model_);  // M1: the whole ensemble before the MLE update
  real_mirror_.sync();  // phase 1 and phase 2 read the real store through its device mirror
  double t0 = now();
  USBPO_RETURN_IF_ERROR(model_.train(real, model_slots_, n, rng_, &report.mle));
  double t1 = now();
  progress_.time.model += t1 - t0;
  report.phase_two = false;
  report.phase_two_holdout_mse = 0;
  if (phase_two && model_store_.size() > 0) {
    // Phase 2 trains on (s, a) from the model store (samples of d_M1^pi1) and
    // validates on real pairs fixed for this round, drawn (with replacement,
    // as USB-PO's code) from phase 1's holdout split: data the MLE fit did not
    // train on.
    const int batch = config_.w2.batch;
    const int* holdout = model_.holdout_slots();
    const int holdout_size = model_.holdout_size();
    for (int i = 0; i < batch; ++i) {
      val_slots_[i] = holdout[rng_.uniform_int(static_cast<std::uint32_t>(holdout_size))];
    }
    w2_.draw_members(batch, rng_, val_k1_, val_k2_);
    val_count_ = batch;
    // The pairs are gathered on the device from the stores' mirrors (brought up to date first).
    model_mirror_.sync();
    const StoreColumns real_columns = real_mirror_.columns(), model_columns = model_mirror_.columns();
    const W2Batch validation{nullptr, nullptr, val_k1_, val_k2_, batch, &real_columns, val_slots_};
    auto sample_batch = [&](W2Batch* out) {
      USBPO_RETURN_IF_ERROR(model_store_.sample_uniform(rng_, batch, start_slots_));
      *out = W2Batch{nullptr, nullptr, nullptr, nullptr, batch, &model_columns, start_slots_};
      return Status::ok();
    };
    // Phase 2 fine-tunes the ensemble's device parameters (and pulls them into its host mirror).
    USBPO_RETURN_IF_ERROR(w2_.run(model_, sample_batch, validation, rng_, &report.w2));
    // Re-rank the fine-tuned members on the same holdout split (USB-PO's code).
    report.phase_two_holdout_mse = model_.rank_elites_on_holdout();
    report.phase_two = true;
    t0 = t1;
    t1 = now();
    progress_.time.phase_two += t1 - t0;
  }
  // Branched rollouts from real start states with the current rollout length.
  const int epoch = static_cast<int>((progress_.env_steps - config_.start_steps) / config_.epoch_length);
  const int length = rollout_length(config_.rollout_schedule, epoch);
  // MBPO re-sizes its model pool to the current length (contents kept), so
  // SAC's model data is about model_retain_epochs old; the slots were placed
  // for the longest length of the planned run.
  USBPO_RETURN_IF_ERROR(model_store_.set_capacity(
      std::min(model_store_capacity_at(config_, length), model_store_.allocated_capacity())));
  const int starts = config_.rollout_batch;
  USBPO_RETURN_IF_ERROR(sample_real(starts, start_slots_));
  real_.gather(start_slots_, starts, rollouts_.start_states(), nullptr, nullptr, nullptr, nullptr);
  USBPO_RETURN_IF_ERROR(rollouts_.run(starts, length, sac_, model_, *env_, model_store_,
                                      static_cast<std::int32_t>(report.round), rng_, &report.rollouts));
  progress_.time.rollouts += now() - t1;
  report.model_store_size = model_store_.size();
  ++report.round;
  return Status::ok();
}

Status Trainer::load_dataset(const void* bytes, std::size_t size, const char* expected_env, int* loaded) {
  if (loaded) *loaded = 0;
  if (!usable_) return Status::error(StatusCode::kFailedPrecondition, "trainer is not initialised");
  if (progress_.env_steps != 0) {
    return Status::error(StatusCode::kFailedPrecondition, "a dataset loads before the first step, not at step %lld",
                         static_cast<long long>(progress_.env_steps));
  }
  int count = 0;
  USBPO_RETURN_IF_ERROR(::usbpo::load_dataset(bytes, size, expected_env, real_, 0, &count));
  if (loaded) *loaded = count;
  progress_.dataset_transitions += count;
  if (count == 0 || !uses_model(config_.algorithm)) return Status::ok();
  if (uses_policy_mixture(config_.algorithm) && policy_epoch_ != 0) {
    USBPO_RETURN_IF_ERROR(mixture_.begin_epoch(0));
    policy_epoch_ = 0;
  }
  USBPO_RETURN_IF_ERROR(model_round());
  progress_.model_round = true;
  return Status::ok();
}

Status Trainer::start_episode() {
  progress_.episode_return = 0;
  return env_->reset(rng_.next_u64(), obs_);
}

Status Trainer::train_agent() {
  const int updates = config_.updates_per_step;
  if (updates == 0) return Status::ok();
  const double t0 = now();
  const bool model_based = uses_model(config_.algorithm);
  // The device mirrors catch up with the stores; the step's real transition
  // (usually all that is new) travels in the update block's upload.
  const bool fused = real_mirror_.behind_by_one();
  if (fused) {
    update_block_.stage_newest(real_);
  } else {
    real_mirror_.sync();
  }
  if (model_based) model_mirror_.sync();
  // All G updates' slots and noise, in the order the updates always drew them
  // (real and model data by real_ratio: all real before the first rollouts, and for SAC).
  USBPO_RETURN_IF_ERROR(update_block_.draw(real_, model_based ? &model_store_ : nullptr,
                                           model_based ? config_.real_ratio : 1.0f, updates, rng_));
  update_block_.upload();
  if (fused) real_mirror_.sync_newest_from_device(update_block_.staged_transition());
  USBPO_RETURN_IF_ERROR(update_block_.run(sac_, real_mirror_.columns(),
                                          model_based ? model_mirror_.columns() : StoreColumns()));
  // Statistics (a download) only for the step's last update: the progress shows
  // that one. As with one update at a time, the last update counts only once
  // its statistics pass (read_stats refuses a non-finite temperature).
  progress_.gradient_updates += updates - 1;
  USBPO_RETURN_IF_ERROR(sac_.read_stats(&progress_.sac));
  ++progress_.gradient_updates;
  progress_.time.sac += now() - t0;
  return Status::ok();
}

Status Trainer::step(TrainerProgress* progress) {
  if (!usable_) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "trainer is not initialised (or a failed load_state left it partly restored)");
  }
  const double t0 = now();
  const int act_dim = env_->act_dim();
  if (progress_.env_steps < config_.start_steps) {
    for (int d = 0; d < act_dim; ++d) action_[d] = rng_.uniform(-1.0f, 1.0f);
  } else {
    USBPO_RETURN_IF_ERROR(sac_.act(obs_, action_, false, &rng_));
  }
  scale_action(action_, env_->action_low(), env_->action_high(), act_dim, env_action_);
  StepResult result;
  USBPO_RETURN_IF_ERROR(env_->step(env_action_, next_obs_, &result));
  // Real transitions are tagged with their policy epoch (PMAC weighs them by it).
  const std::int32_t epoch = static_cast<std::int32_t>(progress_.env_steps / config_.policy_epoch_length);
  if (uses_policy_mixture(config_.algorithm) && epoch != policy_epoch_) {
    USBPO_RETURN_IF_ERROR(mixture_.begin_epoch(epoch));
    policy_epoch_ = epoch;
  }
  // Time-limit truncation is not a terminal: the critic keeps bootstrapping.
  USBPO_RETURN_IF_ERROR(real_.store(obs_, action_, result.reward, next_obs_, result.terminated, epoch));
  ++progress_.env_steps;
  progress_.episode_return += result.reward;
  progress_.episode_finished = result.terminated || result.truncated;
  progress_.epoch_finished = progress_.env_steps % config_.epoch_length == 0;
  if (progress_.episode_finished) {
    progress_.last_episode_return = progress_.episode_return;
    ++progress_.episodes;
    USBPO_RETURN_IF_ERROR(start_episode());
  } else {
    for (int d = 0; d < env_->obs_dim(); ++d) obs_[d] = next_obs_[d];
  }
  progress_.model_round = false;
  progress_.time.env += now() - t0;
  if (uses_model(config_.algorithm) && progress_.env_steps >= config_.start_steps &&
      (progress_.env_steps - config_.start_steps) % config_.model_train_freq == 0) {
    USBPO_RETURN_IF_ERROR(model_round());
    progress_.model_round = true;
  }
  // Model-based SAC trains on model data, so (as MBPO) not before the first
  // model round: never on the random exploration alone.
  if (real_.size() >= config_.update_after && (!uses_model(config_.algorithm) || model_store_.size() > 0)) {
    USBPO_RETURN_IF_ERROR(train_agent());
  }
  if (progress) *progress = progress_;
  return Status::ok();
}

Status Trainer::evaluate(int episodes, Scalar* mean_return) {
  if (!usable_) return Status::error(StatusCode::kFailedPrecondition, "trainer is not initialised");
  double total = 0;
  for (int e = 0; e < episodes; ++e) {
    USBPO_RETURN_IF_ERROR(eval_env_->reset(eval_rng_.next_u64(), next_obs_));
    double episode = 0;
    for (int t = 0; t < eval_env_->max_episode_steps(); ++t) {
      USBPO_RETURN_IF_ERROR(sac_.act(next_obs_, action_, true, nullptr));
      scale_action(action_, eval_env_->action_low(), eval_env_->action_high(), eval_env_->act_dim(), env_action_);
      StepResult result;
      USBPO_RETURN_IF_ERROR(eval_env_->step(env_action_, next_obs_, &result));
      episode += result.reward;
      if (result.terminated || result.truncated) break;
    }
    total += episode;
  }
  if (mean_return) *mean_return = episodes > 0 ? static_cast<Scalar>(total / episodes) : 0.0f;
  return Status::ok();
}

}  // namespace usbpo
