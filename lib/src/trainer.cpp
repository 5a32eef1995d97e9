#include "usbpo/trainer.hpp"

#include "usbpo/action_scaling.hpp"
#include "usbpo/mixed_batch.hpp"

namespace usbpo {

const char* algorithm_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSac: return "sac";
  }
  return "unknown";
}

Status Trainer::place(const TrainerConfig& c, int obs_dim, int act_dim, Arena& arena) {
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
  replay.capacity = c.replay_capacity;
  USBPO_RETURN_IF_ERROR(real_.place(replay, arena));
  obs_ = arena.allocate<Scalar>(obs_dim);
  next_obs_ = arena.allocate<Scalar>(obs_dim);
  action_ = arena.allocate<Scalar>(act_dim);
  env_action_ = arena.allocate<Scalar>(act_dim);
  slots_ = arena.allocate<int>(static_cast<std::size_t>(config_.sac.batch));
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for the trainer");
  return Status::ok();
}

std::size_t Trainer::bytes_needed(const TrainerConfig& config, int obs_dim, int act_dim) {
  Trainer probe;
  Arena measure;
  if (!probe.place(config, obs_dim, act_dim, measure).is_ok()) return 0;
  return measure.used() + Sac::bytes_needed(probe.config_.sac);
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
  USBPO_RETURN_IF_ERROR(place(config, env.obs_dim(), env.act_dim(), arena));
  env_ = &env;
  eval_env_ = &eval_env;
  rng_.seed_with(config.seed);
  Rng init_rng = rng_.split();
  eval_rng_ = rng_.split();
  USBPO_RETURN_IF_ERROR(sac_.init(config_.sac, arena, init_rng));
  progress_ = TrainerProgress();
  return start_episode();
}

Status Trainer::start_episode() {
  progress_.episode_return = 0;
  return env_->reset(rng_.next_u64(), obs_);
}

Status Trainer::train_agent() {
  for (int g = 0; g < config_.updates_per_step; ++g) {
    // Model-free SAC: no model store, so every batch is real data.
    USBPO_RETURN_IF_ERROR(fill_mixed_batch(real_, nullptr, 1.0f, rng_, slots_, sac_));
    USBPO_RETURN_IF_ERROR(sac_.update(rng_, &progress_.sac));
    ++progress_.gradient_updates;
  }
  return Status::ok();
}

Status Trainer::step(TrainerProgress* progress) {
  const int act_dim = env_->act_dim();
  if (progress_.env_steps < config_.start_steps) {
    for (int d = 0; d < act_dim; ++d) action_[d] = rng_.uniform(-1.0f, 1.0f);
  } else {
    USBPO_RETURN_IF_ERROR(sac_.act(obs_, action_, false, &rng_));
  }
  scale_action(action_, env_->action_low(), env_->action_high(), act_dim, env_action_);
  StepResult result;
  USBPO_RETURN_IF_ERROR(env_->step(env_action_, next_obs_, &result));
  const std::int32_t epoch = static_cast<std::int32_t>(progress_.env_steps / config_.epoch_length);
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
  if (real_.size() >= config_.update_after) USBPO_RETURN_IF_ERROR(train_agent());
  if (progress) *progress = progress_;
  return Status::ok();
}

Status Trainer::evaluate(int episodes, Scalar* mean_return) {
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
