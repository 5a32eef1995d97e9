#include "usbpo/model/rollouts.hpp"

#include <algorithm>

namespace usbpo {

int rollout_length(const RolloutSchedule& s, int epoch) {
  if (epoch <= s.epoch_a) return s.k_min;
  double dx = static_cast<double>(epoch - s.epoch_a) / std::max(1, s.epoch_b - s.epoch_a);
  dx = std::min(dx, 1.0);
  return static_cast<int>(dx * (s.k_max - s.k_min) + s.k_min);
}

Status Rollouts::place(int batch, int obs_dim, int act_dim, Arena& arena) {
  if (batch < 1 || obs_dim < 1 || act_dim < 1) {
    return Status::error(StatusCode::kInvalidArgument, "rollouts need batch, obs_dim and act_dim >= 1");
  }
  batch_ = batch;
  obs_dim_ = obs_dim;
  act_dim_ = act_dim;
  const std::size_t n = static_cast<std::size_t>(batch);
  obs_ = arena.allocate<Scalar>(size_product(n, obs_dim));
  act_ = arena.allocate<Scalar>(size_product(n, act_dim));
  next_ = arena.allocate<Scalar>(size_product(n, obs_dim));
  reward_ = arena.allocate<Scalar>(n);
  done_ = arena.allocate<std::uint8_t>(n);
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for %d rollouts", batch);
  return Status::ok();
}

std::size_t Rollouts::bytes_needed(int batch, int obs_dim, int act_dim) {
  Rollouts probe;
  Arena measure;
  if (!probe.place(batch, obs_dim, act_dim, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

Status Rollouts::run(int count, int length, Sac& sac, GaussianEnsemble& model, const Env& env, ReplayStore& store,
                     std::int32_t epoch, Rng& rng, RolloutStats* stats) {
  if (count < 0 || count > batch_) {
    return Status::error(StatusCode::kInvalidArgument, "rollouts: %d starts for a batch of %d", count, batch_);
  }
  RolloutStats s;
  double reward_sum = 0;
  int alive = count;
  for (int t = 0; t < length && alive > 0; ++t) {
    USBPO_RETURN_IF_ERROR(sac.act_batch(obs_, alive, act_, false, &rng));
    USBPO_RETURN_IF_ERROR(model.sample(obs_, act_, alive, rng, next_, reward_));
    for (int i = 0; i < alive; ++i) {
      done_[i] = env.is_terminal(next_ + static_cast<std::size_t>(i) * obs_dim_) ? 1 : 0;
    }
    // A diverging model can produce Inf/NaN; such samples end here and are not stored.
    int kept = 0;
    for (int i = 0; i < alive; ++i) {
      const Scalar* o2 = next_ + static_cast<std::size_t>(i) * obs_dim_;
      if (!all_finite(o2, static_cast<std::size_t>(obs_dim_)) || !all_finite(reward_ + i, 1)) {
        done_[i] = 2;
        continue;
      }
      reward_sum += reward_[i];
      if (kept != i) {
        std::copy(obs_ + static_cast<std::size_t>(i) * obs_dim_, obs_ + static_cast<std::size_t>(i + 1) * obs_dim_,
                  obs_ + static_cast<std::size_t>(kept) * obs_dim_);
        std::copy(act_ + static_cast<std::size_t>(i) * act_dim_, act_ + static_cast<std::size_t>(i + 1) * act_dim_,
                  act_ + static_cast<std::size_t>(kept) * act_dim_);
        std::copy(o2, o2 + obs_dim_, next_ + static_cast<std::size_t>(kept) * obs_dim_);
        reward_[kept] = reward_[i];
        done_[kept] = done_[i];
      }
      ++kept;
    }
    USBPO_RETURN_IF_ERROR(store.store_batch(kept, obs_, act_, reward_, next_, done_, epoch));
    s.transitions += kept;
    // Continue the samples that did not terminate (MBPO removes terminated ones).
    int next_alive = 0;
    for (int i = 0; i < kept; ++i) {
      if (done_[i]) {
        ++s.terminated;
        continue;
      }
      std::copy(next_ + static_cast<std::size_t>(i) * obs_dim_, next_ + static_cast<std::size_t>(i + 1) * obs_dim_,
                obs_ + static_cast<std::size_t>(next_alive) * obs_dim_);
      ++next_alive;
    }
    s.terminated += alive - kept;
    alive = next_alive;
    s.length = t + 1;
  }
  s.mean_reward = s.transitions > 0 ? static_cast<Scalar>(reward_sum / s.transitions) : 0.0f;
  if (stats) {
    // Field by field: a copy of the whole struct would carry s's padding (stack
    // bytes) into the trainer's progress, which checkpoints save as bytes.
    stats->length = s.length;
    stats->transitions = s.transitions;
    stats->terminated = s.terminated;
    stats->mean_reward = s.mean_reward;
  }
  return Status::ok();
}

}  // namespace usbpo
