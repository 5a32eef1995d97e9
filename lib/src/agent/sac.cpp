#include "usbpo/agent/sac.hpp"

#include <algorithm>
#include <cmath>

#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

// dst (rows_a + rows_b x n) = [a; b], both column-major.
void stack_rows(const Scalar* a, int rows_a, const Scalar* b, int rows_b, int n, Scalar* dst) {
  const int rows = rows_a + rows_b;
  for (int i = 0; i < n; ++i) {
    Scalar* col = dst + static_cast<std::size_t>(i) * rows;
    std::copy(a + static_cast<std::size_t>(i) * rows_a, a + static_cast<std::size_t>(i + 1) * rows_a, col);
    std::copy(b + static_cast<std::size_t>(i) * rows_b, b + static_cast<std::size_t>(i + 1) * rows_b, col + rows_a);
  }
}

}  // namespace

Status Sac::place(const SacConfig& c, Arena& arena) {
  config_ = c;
  if (c.obs_dim < 1 || c.act_dim < 1 || c.obs_dim > EnsembleMlp::kMaxWidth || c.act_dim > EnsembleMlp::kMaxWidth) {
    return Status::error(StatusCode::kInvalidArgument, "SAC obs_dim (%d) and act_dim (%d) must be in [1, %d]",
                         c.obs_dim, c.act_dim, EnsembleMlp::kMaxWidth);
  }
  if (c.batch < 1) return Status::error(StatusCode::kInvalidArgument, "SAC batch must be >= 1, got %d", c.batch);
  if (!(c.gamma >= 0 && c.gamma <= 1) || !(c.tau >= 0 && c.tau <= 1) || !(c.initial_alpha > 0)) {
    return Status::error(StatusCode::kInvalidArgument, "SAC needs gamma and tau in [0, 1] and initial_alpha > 0");
  }
  target_entropy_ = c.target_entropy != 0 ? c.target_entropy : -static_cast<Scalar>(c.act_dim);
  MlpShape actor;
  actor.members = 1;
  actor.input_dim = c.obs_dim;
  actor.output_dim = 2 * c.act_dim;
  actor.hidden_layers = c.hidden_layers;
  actor.hidden_width = c.hidden_width;
  actor.activation = c.activation;
  USBPO_RETURN_IF_ERROR(actor_net_.configure(actor));
  MlpShape critic = actor;
  critic.members = 2;
  critic.input_dim = c.obs_dim + c.act_dim;
  critic.output_dim = 1;
  USBPO_RETURN_IF_ERROR(critic_net_.configure(critic));

  const std::size_t n_actor = actor_net_.total_params();
  const std::size_t n_critic = critic_net_.total_params();
  actor_params_ = arena.allocate<Scalar>(n_actor);
  actor_grads_ = arena.allocate<Scalar>(n_actor);
  critic_params_ = arena.allocate<Scalar>(n_critic);
  critic_grads_ = arena.allocate<Scalar>(n_critic);
  target_params_ = arena.allocate<Scalar>(n_critic);
  log_alpha_ = arena.allocate<Scalar>(1);
  alpha_grad_ = arena.allocate<Scalar>(1);
  AdamConfig adam;
  adam.learning_rate = c.actor_lr;
  USBPO_RETURN_IF_ERROR(actor_adam_.place(n_actor, adam, arena));
  adam.learning_rate = c.critic_lr;
  USBPO_RETURN_IF_ERROR(critic_adam_.place(n_critic, adam, arena));
  adam.learning_rate = c.alpha_lr;
  USBPO_RETURN_IF_ERROR(alpha_adam_.place(1, adam, arena));
  USBPO_RETURN_IF_ERROR(actor_ws_.place(actor_net_, c.batch, false, arena));
  USBPO_RETURN_IF_ERROR(critic_ws_.place(critic_net_, c.batch, true, arena));
  USBPO_RETURN_IF_ERROR(target_ws_.place(critic_net_, c.batch, false, arena));
  const std::size_t n = static_cast<std::size_t>(c.batch);
  batch_.obs = arena.allocate<Scalar>(size_product(n, c.obs_dim));
  batch_.act = arena.allocate<Scalar>(size_product(n, c.act_dim));
  batch_.reward = arena.allocate<Scalar>(n);
  batch_.next_obs = arena.allocate<Scalar>(size_product(n, c.obs_dim));
  batch_.not_done = arena.allocate<Scalar>(n);
  critic_in_ = arena.allocate<Scalar>(size_product(n, c.obs_dim + c.act_dim));
  eps_ = arena.allocate<Scalar>(size_product(n, c.act_dim));
  pi_act_ = arena.allocate<Scalar>(size_product(n, c.act_dim));
  log_pi_ = arena.allocate<Scalar>(n);
  target_y_ = arena.allocate<Scalar>(n);
  argmin_ = arena.allocate<int>(n);
  if (arena.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for SAC: needs %zu bytes, has %zu",
                         bytes_needed(c), arena.capacity());
  }
  return Status::ok();
}

std::size_t Sac::bytes_needed(const SacConfig& config) {
  Sac probe;
  Arena measure;
  if (!probe.place(config, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

Status Sac::check_config(const SacConfig& config) {
  Sac probe;
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, measure));
  if (measure.overflowed()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "SAC with %d hidden layers of %d and batch %d needs more than %zu bytes (size overflow)",
                         config.hidden_layers, config.hidden_width, config.batch, static_cast<std::size_t>(SIZE_MAX));
  }
  return Status::ok();
}

Status Sac::init(const SacConfig& config, Arena& arena, Rng& rng) {
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "Sac::init needs an arena with memory");
  USBPO_RETURN_IF_ERROR(place(config, arena));
  // softlearning's networks (MBPO's SAC) are Keras Dense layers: Glorot-uniform weights, zero biases.
  actor_net_.init_params(actor_params_, MlpInit::kGlorotUniform, rng);
  critic_net_.init_params(critic_params_, MlpInit::kGlorotUniform, rng);
  std::copy(critic_params_, critic_params_ + critic_net_.total_params(), target_params_);
  log_alpha_[0] = std::log(config.initial_alpha);
  return Status::ok();
}

Scalar Sac::alpha() const { return std::exp(log_alpha_[0]); }

void Sac::squash(int n, const Scalar* eps, Scalar* action, Scalar* log_pi) const {
  ops::tanh_gaussian_sample(actor_ws_.output(0), eps, config_.act_dim, n, config_.log_std_min, config_.log_std_max,
                            action, log_pi);
}

Status Sac::act(const Scalar* obs, Scalar* action, bool deterministic, Rng* rng) {
  if (!obs || !action) return Status::error(StatusCode::kInvalidArgument, "SAC act: null observation or action");
  if (!all_finite(obs, static_cast<std::size_t>(config_.obs_dim))) {
    return Status::error(StatusCode::kNonFinite, "SAC act: observation (%d values) contains NaN or Inf",
                         config_.obs_dim);
  }
  if (!deterministic && !rng) return Status::error(StatusCode::kInvalidArgument, "SAC act: stochastic needs an rng");
  MlpOps::forward(actor_net_, actor_params_, obs, 0, 1, actor_ws_, 0, 1);
  const Scalar* out = actor_ws_.output(0);
  if (deterministic) {
    for (int d = 0; d < config_.act_dim; ++d) action[d] = std::tanh(out[d]);
  } else {
    Scalar eps[64];
    for (int d = 0; d < config_.act_dim && d < 64; ++d) eps[d] = rng->normal();
    squash(1, eps, action, nullptr);
  }
  return Status::ok();
}

Status Sac::act_batch(const Scalar* obs, int count, Scalar* actions, bool deterministic, Rng* rng) {
  if (count < 0 || (count > 0 && (!obs || !actions))) {
    return Status::error(StatusCode::kInvalidArgument, "SAC act_batch: bad count %d or null buffer", count);
  }
  if (!deterministic && !rng) return Status::error(StatusCode::kInvalidArgument, "SAC act_batch: stochastic needs an rng");
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  for (int start = 0; start < count; start += config_.batch) {
    const int n = std::min(config_.batch, count - start);
    const Scalar* x = obs + static_cast<std::size_t>(start) * obs_dim;
    Scalar* a = actions + static_cast<std::size_t>(start) * act_dim;
    MlpOps::forward(runner_, actor_net_, actor_params_, x, 0, n, actor_ws_, 0, 1);
    if (deterministic) {
      const Scalar* out = actor_ws_.output(0);
      for (int i = 0; i < n; ++i) {
        for (int d = 0; d < act_dim; ++d) a[i * act_dim + d] = std::tanh(out[static_cast<std::size_t>(i) * 2 * act_dim + d]);
      }
    } else {
      for (int i = 0; i < n * act_dim; ++i) eps_[i] = rng->normal();
      squash(n, eps_, a, nullptr);
    }
  }
  return Status::ok();
}

Scalar Sac::critic_loss(const Scalar* next_eps, bool with_gradients) {
  const int n = config_.batch;
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const Scalar alpha_now = alpha();
  // Target: y = r + gamma (1 - d) (min_j Qtarget_j(s', a') - alpha log pi(a'|s')), a' ~ pi(s').
  MlpOps::forward(runner_, actor_net_, actor_params_, batch_.next_obs, 0, n, actor_ws_, 0, 1);
  squash(n, next_eps, pi_act_, log_pi_);
  stack_rows(batch_.next_obs, obs_dim, pi_act_, act_dim, n, critic_in_);
  MlpOps::forward(runner_, critic_net_, target_params_, critic_in_, 0, n, target_ws_, 0, 2);
  const Scalar* q1t = target_ws_.output(0);
  const Scalar* q2t = target_ws_.output(1);
  for (int i = 0; i < n; ++i) {
    const Scalar soft_value = std::min(q1t[i], q2t[i]) - alpha_now * log_pi_[i];
    target_y_[i] = batch_.reward[i] + config_.gamma * batch_.not_done[i] * soft_value;
  }
  // Loss: sum_j 0.5 mean (Q_j(s, a) - y)^2.
  stack_rows(batch_.obs, obs_dim, batch_.act, act_dim, n, critic_in_);
  MlpOps::forward(runner_, critic_net_, critic_params_, critic_in_, 0, n, critic_ws_, 0, 2);
  double loss = 0;
  for (int j = 0; j < 2; ++j) {
    const Scalar* q = critic_ws_.output(j);
    Scalar* dq = critic_ws_.output_grad(j);
    for (int i = 0; i < n; ++i) {
      const Scalar err = q[i] - target_y_[i];
      loss += 0.5 * static_cast<double>(err) * err / n;
      dq[i] = err / static_cast<Scalar>(n);
    }
  }
  if (with_gradients) {
    MlpOps::backward(runner_, critic_net_, critic_params_, critic_ws_, 0, 2, critic_grads_, false, false);
  }
  return static_cast<Scalar>(loss);
}

Scalar Sac::actor_loss(const Scalar* eps, bool with_gradients, Scalar* mean_log_pi) {
  const int n = config_.batch;
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const Scalar alpha_now = alpha();
  MlpOps::forward(runner_, actor_net_, actor_params_, batch_.obs, 0, n, actor_ws_, 0, 1);
  squash(n, eps, pi_act_, log_pi_);
  stack_rows(batch_.obs, obs_dim, pi_act_, act_dim, n, critic_in_);
  MlpOps::forward(runner_, critic_net_, critic_params_, critic_in_, 0, n, critic_ws_, 0, 2);
  const Scalar* q1 = critic_ws_.output(0);
  const Scalar* q2 = critic_ws_.output(1);
  double loss = 0, sum_log_pi = 0;
  for (int i = 0; i < n; ++i) {
    argmin_[i] = q2[i] < q1[i] ? 1 : 0;
    const Scalar q_min = std::min(q1[i], q2[i]);
    loss += (static_cast<double>(alpha_now) * log_pi_[i] - q_min) / n;
    sum_log_pi += log_pi_[i];
  }
  if (mean_log_pi) *mean_log_pi = static_cast<Scalar>(sum_log_pi / n);
  if (!with_gradients) return static_cast<Scalar>(loss);

  // dQ_min/da through the critic holding the minimum, per sample.
  for (int j = 0; j < 2; ++j) {
    Scalar* dq = critic_ws_.output_grad(j);
    for (int i = 0; i < n; ++i) dq[i] = argmin_[i] == j ? 1.0f : 0.0f;
  }
  MlpOps::backward(runner_, critic_net_, critic_params_, critic_ws_, 0, 2, nullptr, false, true);
  // dQ_min/da of each sample, from the critic holding its minimum, then the
  // chain rule through the tanh-Gaussian into the actor's outputs.
  const int in_dim = obs_dim + act_dim;
  for (int i = 0; i < n; ++i) {
    const Scalar* dq_da = critic_ws_.input_grad(argmin_[i]) + static_cast<std::size_t>(i) * in_dim + obs_dim;
    std::copy(dq_da, dq_da + act_dim, pi_act_ + static_cast<std::size_t>(i) * act_dim);
  }
  ops::tanh_gaussian_backward(actor_ws_.output(0), eps, pi_act_, act_dim, n, config_.log_std_min,
                              config_.log_std_max, alpha_now, actor_ws_.output_grad(0));
  MlpOps::backward(runner_, actor_net_, actor_params_, actor_ws_, 0, 1, actor_grads_, false, false);
  return static_cast<Scalar>(loss);
}

Scalar Sac::alpha_loss(Scalar mean_log_pi, Scalar* gradient) const {
  // J(alpha) = -mean(log alpha (log pi + target entropy)), log pi held fixed.
  const Scalar weight = mean_log_pi + target_entropy_;
  if (gradient) *gradient = -weight;
  return -log_alpha_[0] * weight;
}

void Sac::compute_gradients(Rng& rng, SacStats* stats) {
  const int count = config_.batch * config_.act_dim;
  // Critic target from the target critics, the current actor's next-state
  // sample and the current temperature.
  for (int i = 0; i < count; ++i) eps_[i] = rng.normal();
  const Scalar c_loss = critic_loss(eps_, true);
  double q = 0;
  for (int i = 0; i < config_.batch; ++i) q += critic_ws_.output(0)[i];
  // Actor against the critics before their step, with the same temperature;
  // the temperature loss from this sample's log pi.
  for (int i = 0; i < count; ++i) eps_[i] = rng.normal();
  Scalar mean_log_pi = 0;
  const Scalar a_loss = actor_loss(eps_, true, &mean_log_pi);
  const Scalar t_loss = alpha_loss(mean_log_pi, alpha_grad_);
  if (stats) {
    stats->critic_loss = c_loss;
    stats->q_mean = static_cast<Scalar>(q / config_.batch);
    stats->actor_loss = a_loss;
    stats->alpha_loss = t_loss;
    stats->entropy = -mean_log_pi;
  }
}

void Sac::apply_gradients(SacStats* stats) {
  critic_adam_.step(critic_params_, critic_grads_);
  actor_adam_.step(actor_params_, actor_grads_);
  if (config_.learn_alpha) alpha_adam_.step(log_alpha_, alpha_grad_);
  if (stats) stats->alpha = alpha();
}

void Sac::update_targets() {
  const Chunks chunks{critic_net_.total_params(), 16384};
  run_tasks(runner_, chunks.count(), 2.0 * static_cast<double>(chunks.total), [&](int i) {
    const std::size_t b = chunks.begin(i);
    ops::polyak(target_params_ + b, critic_params_ + b, chunks.end(i) - b, config_.tau);
  });
}

Status Sac::update(Rng& rng, SacStats* stats) {
  // MBPO's SAC runs its critic, actor and temperature updates as one graph
  // step: every gradient comes from the parameters before the step.
  compute_gradients(rng, stats);
  apply_gradients(stats);
  update_targets();
  if (!std::isfinite(log_alpha_[0])) {
    return Status::error(StatusCode::kNonFinite, "SAC temperature became non-finite");
  }
  return Status::ok();
}

}  // namespace usbpo
