#include "usbpo/agent/sac.hpp"

#include <algorithm>
#include <cmath>

namespace usbpo {
namespace {

// Floats rounded up to a whole number of 64-byte lines, so that every part of
// a block starts aligned as its own arena allocation would.
std::size_t lines(std::size_t floats) {
  constexpr std::size_t kLine = Arena::kAlignment / sizeof(Scalar);
  return size_product((floats + kLine - 1) / kLine, kLine);
}

}  // namespace

std::size_t Sac::act_eps_offset(int n) const { return lines(size_product(static_cast<std::size_t>(n), config_.obs_dim)); }

void Sac::place_batch_block(Arena& arena, BatchBlock* block) const {
  const std::size_t n = static_cast<std::size_t>(config_.batch);
  const std::size_t obs = lines(size_product(n, config_.obs_dim)), act = lines(size_product(n, config_.act_dim));
  block->base = arena.allocate<Scalar>(batch_floats_);
  Scalar* p = block->base;
  auto take = [&](std::size_t floats) {
    Scalar* part = p;
    if (p) p += floats;
    return part;
  };
  block->batch.obs = take(obs);
  block->batch.act = take(act);
  block->batch.reward = take(lines(n));
  block->batch.next_obs = take(obs);
  block->batch.not_done = take(lines(n));
  block->eps_next = take(act);
  block->eps_actor = take(act);
}

Status Sac::place(const SacConfig& c, Arena& host, Arena& device, bool device_is_host) {
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
  actor_adam_ = critic_adam_ = alpha_adam_ = AdamConfig();
  actor_adam_.learning_rate = c.actor_lr;
  critic_adam_.learning_rate = c.critic_lr;
  alpha_adam_.learning_rate = c.alpha_lr;

  const std::size_t n_actor = actor_net_.total_params();
  const std::size_t n_critic = critic_net_.total_params();
  const std::size_t n = static_cast<std::size_t>(c.batch);
  batch_floats_ = size_sum(size_sum(size_product(2, lines(size_product(n, c.obs_dim))),
                                    size_product(3, lines(size_product(n, c.act_dim)))),
                           size_product(2, lines(n)));
  act_floats_ = size_sum(lines(size_product(n, c.obs_dim)), size_product(n, c.act_dim));
  // Device: the state, gradients, the scalars, workspaces, the batch block and buffers.
  auto place_state = [&](Arena& arena, State* s) {
    s->actor = arena.allocate<Scalar>(n_actor);
    s->critics = arena.allocate<Scalar>(n_critic);
    s->targets = arena.allocate<Scalar>(n_critic);
    s->actor_m = arena.allocate<Scalar>(n_actor);
    s->actor_v = arena.allocate<Scalar>(n_actor);
    s->critic_m = arena.allocate<Scalar>(n_critic);
    s->critic_v = arena.allocate<Scalar>(n_critic);
    s->alpha_m = arena.allocate<Scalar>(1);
    s->alpha_v = arena.allocate<Scalar>(1);
  };
  place_state(device, &device_);
  actor_grads_ = device.allocate<Scalar>(n_actor);
  critic_grads_ = device.allocate<Scalar>(n_critic);
  scalars_ = device.allocate<Scalars>(1);
  USBPO_RETURN_IF_ERROR(actor_ws_.place(actor_net_, c.batch, false, device));
  USBPO_RETURN_IF_ERROR(critic_ws_.place(critic_net_, c.batch, true, device));
  USBPO_RETURN_IF_ERROR(target_ws_.place(critic_net_, c.batch, false, device));
  place_batch_block(device, &device_batch_);
  critic_in_ = device.allocate<Scalar>(size_product(n, c.obs_dim + c.act_dim));
  pi_act_ = device.allocate<Scalar>(size_product(n, c.act_dim));
  log_pi_ = device.allocate<Scalar>(n);
  target_y_ = device.allocate<Scalar>(n);
  argmin_ = device.allocate<int>(n);
  act_in_ = device.allocate<Scalar>(act_floats_);
  act_out_ = device.allocate<Scalar>(size_product(n, c.act_dim));
  // Host: staging and the state mirror, unless the device memory is host memory.
  if (device_is_host) {
    staging_ = device_batch_;
    act_staging_ = act_in_;
    mirror_ = device_;
    mirror_scalars_ = scalars_;
  } else {
    place_batch_block(host, &staging_);
    act_staging_ = host.allocate<Scalar>(act_floats_);
    place_state(host, &mirror_);
    mirror_scalars_ = &host_mirror_scalars_;
  }
  batch_ = staging_.batch;
  if (device.exhausted() || host.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory,
                         "arena too small for SAC: needs %zu device bytes and %zu host bytes besides, has %zu and %zu",
                         device_bytes_needed(c), host_bytes_needed(c, device_is_host), device.capacity(),
                         host.capacity());
  }
  return Status::ok();
}

std::size_t Sac::bytes_needed(const SacConfig& config) {
  Sac probe;
  Arena measure;
  if (!probe.place(config, measure, measure, true).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

std::size_t Sac::device_bytes_needed(const SacConfig& config) {
  Sac probe;
  Arena host, device;
  if (!probe.place(config, host, device, false).is_ok() || device.overflowed()) return 0;
  return device.used();
}

std::size_t Sac::host_bytes_needed(const SacConfig& config, bool device_is_host) {
  Sac probe;
  Arena host, device;
  if (!probe.place(config, host, device, device_is_host).is_ok() || host.overflowed()) return 0;
  return host.used();
}

Status Sac::check_config(const SacConfig& config) {
  Sac probe;
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, measure, measure, false));
  if (measure.overflowed()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "SAC with %d hidden layers of %d and batch %d needs more than %zu bytes (size overflow)",
                         config.hidden_layers, config.hidden_width, config.batch, static_cast<std::size_t>(SIZE_MAX));
  }
  return Status::ok();
}

Status Sac::init(const SacConfig& config, Arena& arena, Rng& rng) {
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "Sac::init needs an arena with memory");
  own_backend_.set_host_arena(&arena);
  return init(config, own_backend_, arena, rng);
}

Status Sac::init(const SacConfig& config, Backend& backend, Arena& host_arena, Rng& rng) {
  if (host_arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "Sac::init needs an arena with memory");
  if (backend.device_arena().measuring()) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "Sac::init: the %s backend has no device memory reserved (%zu bytes needed)", backend.name(),
                         device_bytes_needed(config));
  }
  backend_ = &backend;
  graph_ = Graph::kUntried;
  USBPO_RETURN_IF_ERROR(place(config, host_arena, backend.device_arena(), backend.device_is_host()));
  // The initial state is made in the host mirror and pushed to the device.
  // softlearning's networks (MBPO's SAC) are Keras Dense layers: Glorot-uniform weights, zero biases.
  const std::size_t n_actor = actor_net_.total_params(), n_critic = critic_net_.total_params();
  actor_net_.init_params(mirror_.actor, MlpInit::kGlorotUniform, rng);
  critic_net_.init_params(mirror_.critics, MlpInit::kGlorotUniform, rng);
  std::copy(mirror_.critics, mirror_.critics + n_critic, mirror_.targets);
  for (Scalar* moment : {mirror_.actor_m, mirror_.actor_v}) std::fill(moment, moment + n_actor, 0.0f);
  for (Scalar* moment : {mirror_.critic_m, mirror_.critic_v}) std::fill(moment, moment + n_critic, 0.0f);
  mirror_.alpha_m[0] = mirror_.alpha_v[0] = 0.0f;
  *mirror_scalars_ = Scalars();
  mirror_scalars_->log_alpha = std::log(config.initial_alpha);
  push_state();
  return Status::ok();
}

// Calls copy(device, mirror, bytes) for every part of the state, in one fixed order.
template <typename Copy>
void Sac::for_each_state_part(Copy&& copy) {
  const std::size_t actor = actor_net_.total_params() * sizeof(Scalar);
  const std::size_t critic = critic_net_.total_params() * sizeof(Scalar);
  copy(device_.actor, mirror_.actor, actor);
  copy(device_.critics, mirror_.critics, critic);
  copy(device_.targets, mirror_.targets, critic);
  copy(device_.actor_m, mirror_.actor_m, actor);
  copy(device_.actor_v, mirror_.actor_v, actor);
  copy(device_.critic_m, mirror_.critic_m, critic);
  copy(device_.critic_v, mirror_.critic_v, critic);
  copy(device_.alpha_m, mirror_.alpha_m, sizeof(Scalar));
  copy(device_.alpha_v, mirror_.alpha_v, sizeof(Scalar));
  copy(scalars_, mirror_scalars_, sizeof(Scalars));
}

void Sac::pull_state() {
  for_each_state_part([&](void* device, void* mirror, std::size_t bytes) { backend_->download(mirror, device, bytes); });
}

void Sac::push_state() {
  for_each_state_part([&](void* device, void* mirror, std::size_t bytes) { backend_->upload(device, mirror, bytes); });
}

void Sac::visit_state(StateVisitor& v) {
  const std::size_t n_actor = actor_net_.total_params(), n_critic = critic_net_.total_params();
  v.value("sac", "actor", mirror_.actor, n_actor);
  v.value("sac", "critics", mirror_.critics, n_critic);
  v.value("sac", "target_critics", mirror_.targets, n_critic);
  v.value("sac", "log_alpha", &mirror_scalars_->log_alpha);
  // (The names and order of Adam::visit_state: checkpoints did not change.)
  v.value("sac/actor_adam", "step", &mirror_scalars_->actor_step);
  v.value("sac/actor_adam", "m", mirror_.actor_m, n_actor);
  v.value("sac/actor_adam", "v", mirror_.actor_v, n_actor);
  v.value("sac/critic_adam", "step", &mirror_scalars_->critic_step);
  v.value("sac/critic_adam", "m", mirror_.critic_m, n_critic);
  v.value("sac/critic_adam", "v", mirror_.critic_v, n_critic);
  v.value("sac/alpha_adam", "step", &mirror_scalars_->alpha_step);
  v.value("sac/alpha_adam", "m", mirror_.alpha_m, 1);
  v.value("sac/alpha_adam", "v", mirror_.alpha_v, 1);
}

void Sac::download_scalars() { backend_->download(&host_scalars_, scalars_, sizeof(Scalars)); }

Scalar Sac::alpha() {
  download_scalars();
  return std::exp(host_scalars_.log_alpha);
}

Status Sac::act(const Scalar* obs, Scalar* action, bool deterministic, Rng* rng) {
  if (!obs || !action) return Status::error(StatusCode::kInvalidArgument, "SAC act: null observation or action");
  if (!all_finite(obs, static_cast<std::size_t>(config_.obs_dim))) {
    return Status::error(StatusCode::kNonFinite, "SAC act: observation (%d values) contains NaN or Inf",
                         config_.obs_dim);
  }
  if (!deterministic && !rng) return Status::error(StatusCode::kInvalidArgument, "SAC act: stochastic needs an rng");
  return act_batch(obs, 1, action, deterministic, rng);
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
    const std::size_t obs_floats = static_cast<std::size_t>(n) * obs_dim;
    const std::size_t act_floats = static_cast<std::size_t>(n) * act_dim;
    const std::size_t eps_offset = act_eps_offset(n);
    // Observations and noise staged together: one upload, one download.
    const Scalar* x = obs + static_cast<std::size_t>(start) * obs_dim;
    std::copy(x, x + obs_floats, act_staging_);
    std::size_t upload_floats = obs_floats;
    if (!deterministic) {
      draw_act_noise(*rng, act_dim, n, act_staging_ + eps_offset);
      upload_floats = eps_offset + act_floats;
    }
    backend_->upload(act_in_, act_staging_, upload_floats * sizeof(Scalar));
    backend_->mlp_forward(actor_net_, device_.actor, act_in_, 0, n, actor_ws_, 0, 1);
    if (deterministic) {
      backend_->tanh_mean(actor_ws_.output(0), act_dim, n, act_out_);
    } else {
      backend_->tanh_gaussian_sample(actor_ws_.output(0), act_in_ + eps_offset, act_dim, n, config_.log_std_min,
                                     config_.log_std_max, act_out_, nullptr);
    }
    backend_->download(actions + static_cast<std::size_t>(start) * act_dim, act_out_, act_floats * sizeof(Scalar));
  }
  return Status::ok();
}

void Sac::draw_act_noise(Rng& rng, int act_dim, int count, Scalar* eps) {
  const std::size_t n = size_product(static_cast<std::size_t>(count), act_dim);
  for (std::size_t i = 0; i < n; ++i) eps[i] = rng.normal();
}

void Sac::enqueue_act(const Scalar* obs, int count, const Scalar* eps, Scalar* actions) {
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  for (int start = 0; start < count; start += config_.batch) {
    const int n = std::min(config_.batch, count - start);
    const std::size_t s = static_cast<std::size_t>(start);
    backend_->mlp_forward(actor_net_, device_.actor, obs + s * obs_dim, 0, n, actor_ws_, 0, 1);
    backend_->tanh_gaussian_sample(actor_ws_.output(0), eps + s * act_dim, act_dim, n, config_.log_std_min,
                                   config_.log_std_max, actions + s * act_dim, nullptr);
  }
}

void Sac::enqueue_critic_ops(bool with_gradients) {
  Backend& b = *backend_;
  const int n = config_.batch;
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const SacBatch& batch = device_batch_.batch;
  // Target: y = r + gamma (1 - d) (min_j Qtarget_j(s', a') - alpha log pi(a'|s')), a' ~ pi(s').
  b.mlp_forward(actor_net_, device_.actor, batch.next_obs, 0, n, actor_ws_, 0, 1);
  b.tanh_gaussian_sample(actor_ws_.output(0), device_batch_.eps_next, act_dim, n, config_.log_std_min,
                         config_.log_std_max, pi_act_, log_pi_);
  b.stack_rows(batch.next_obs, obs_dim, pi_act_, act_dim, n, critic_in_);
  b.mlp_forward(critic_net_, device_.targets, critic_in_, 0, n, target_ws_, 0, 2);
  b.sac_td_target(target_ws_.output(0), target_ws_.output(1), log_pi_, batch.reward, batch.not_done,
                  &scalars_->log_alpha, config_.gamma, n, target_y_);
  // Loss: sum_j 0.5 mean (Q_j(s, a) - y)^2.
  b.stack_rows(batch.obs, obs_dim, batch.act, act_dim, n, critic_in_);
  b.mlp_forward(critic_net_, device_.critics, critic_in_, 0, n, critic_ws_, 0, 2);
  b.sac_critic_loss(critic_ws_.output(0), critic_ws_.output(1), target_y_, n, critic_ws_.output_grad(0),
                    critic_ws_.output_grad(1), &scalars_->critic_loss);
  b.sum(critic_ws_.output(0), n, &scalars_->q_sum);
  if (with_gradients) b.mlp_backward(critic_net_, device_.critics, critic_ws_, 0, 2, critic_grads_, false, false);
}

void Sac::enqueue_actor_ops(bool with_gradients) {
  Backend& b = *backend_;
  const int n = config_.batch;
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const SacBatch& batch = device_batch_.batch;
  // Actor loss mean(alpha log pi - min_j Q_j(s, a)), a ~ pi(s), against the current critics.
  b.mlp_forward(actor_net_, device_.actor, batch.obs, 0, n, actor_ws_, 0, 1);
  b.tanh_gaussian_sample(actor_ws_.output(0), device_batch_.eps_actor, act_dim, n, config_.log_std_min,
                         config_.log_std_max, pi_act_, log_pi_);
  b.stack_rows(batch.obs, obs_dim, pi_act_, act_dim, n, critic_in_);
  b.mlp_forward(critic_net_, device_.critics, critic_in_, 0, n, critic_ws_, 0, 2);
  b.sac_actor_min_q(critic_ws_.output(0), critic_ws_.output(1), log_pi_, &scalars_->log_alpha, n, argmin_,
                    critic_ws_.output_grad(0), critic_ws_.output_grad(1), &scalars_->actor_loss,
                    &scalars_->sum_log_pi);
  if (!with_gradients) return;
  // dQ_min/da of each sample through the critic holding its minimum, then the
  // chain rule through the tanh-Gaussian into the actor's outputs.
  b.mlp_backward(critic_net_, device_.critics, critic_ws_, 0, 2, nullptr, false, true);
  b.select_action_grad(critic_ws_.input_grad(0), critic_ws_.input_grad(1), argmin_, obs_dim + act_dim, obs_dim,
                       act_dim, n, pi_act_);
  b.tanh_gaussian_backward(actor_ws_.output(0), device_batch_.eps_actor, pi_act_, act_dim, n, config_.log_std_min,
                           config_.log_std_max, &scalars_->log_alpha, actor_ws_.output_grad(0));
  b.mlp_backward(actor_net_, device_.actor, actor_ws_, 0, 1, actor_grads_, false, false);
  // The temperature loss from this sample's log pi.
  b.sac_alpha_grad(&scalars_->sum_log_pi, n, target_entropy_, &scalars_->log_alpha, &scalars_->alpha_grad,
                   &scalars_->alpha_loss);
}

Scalar Sac::critic_loss(const Scalar* next_eps, bool with_gradients) {
  std::copy(next_eps, next_eps + static_cast<std::size_t>(config_.batch) * config_.act_dim, staging_.eps_next);
  backend_->upload(device_batch_.base, staging_.base, batch_floats_ * sizeof(Scalar));
  enqueue_critic_ops(with_gradients);
  download_scalars();
  return static_cast<Scalar>(host_scalars_.critic_loss);
}

Scalar Sac::actor_loss(const Scalar* eps, bool with_gradients, Scalar* mean_log_pi) {
  std::copy(eps, eps + static_cast<std::size_t>(config_.batch) * config_.act_dim, staging_.eps_actor);
  backend_->upload(device_batch_.base, staging_.base, batch_floats_ * sizeof(Scalar));
  enqueue_actor_ops(with_gradients);
  download_scalars();
  if (mean_log_pi) *mean_log_pi = static_cast<Scalar>(host_scalars_.sum_log_pi / config_.batch);
  return static_cast<Scalar>(host_scalars_.actor_loss);
}

Scalar Sac::alpha_loss(Scalar mean_log_pi, Scalar* gradient) const {
  // J(alpha) = -mean(log alpha (log pi + target entropy)), log pi held fixed.
  const Scalar weight = mean_log_pi + target_entropy_;
  if (gradient) *gradient = -weight;
  return -mirror_scalars_->log_alpha * weight;
}

void Sac::step_critics() {
  backend_->adam(device_.critics, critic_grads_, device_.critic_m, device_.critic_v, critic_net_.total_params(),
                 critic_adam_, nullptr, 0, &scalars_->critic_step);
}

void Sac::step_actor() {
  backend_->adam(device_.actor, actor_grads_, device_.actor_m, device_.actor_v, actor_net_.total_params(),
                 actor_adam_, nullptr, 0, &scalars_->actor_step);
}

void Sac::step_temperature() {
  backend_->adam(&scalars_->log_alpha, &scalars_->alpha_grad, device_.alpha_m, device_.alpha_v, 1, alpha_adam_,
                 nullptr, 0, &scalars_->alpha_step);
}

void Sac::update_targets() {
  backend_->polyak(device_.targets, device_.critics, critic_net_.total_params(), config_.tau);
}

void Sac::enqueue_update_ops() {
  // MBPO's SAC runs its critic, actor and temperature updates as one graph
  // step: every gradient comes from the parameters before the step.
  enqueue_critic_ops(true);
  enqueue_actor_ops(true);
  step_critics();
  step_actor();
  if (config_.learn_alpha) step_temperature();
  update_targets();
}

void Sac::draw_update_noise(Rng& rng, std::size_t count, Scalar* eps_next, Scalar* eps_actor) {
  for (std::size_t i = 0; i < count; ++i) eps_next[i] = rng.normal();
  for (std::size_t i = 0; i < count; ++i) eps_actor[i] = rng.normal();
}

void Sac::upload_batch(Rng& rng) {
  draw_update_noise(rng, static_cast<std::size_t>(config_.batch) * config_.act_dim, staging_.eps_next,
                    staging_.eps_actor);
  backend_->upload(device_batch_.base, staging_.base, batch_floats_ * sizeof(Scalar));
}

Status Sac::run_update() {
  if (graph_ == Graph::kUntried) {
    // Capture once where the backend has graphs; replay from then on.
    graph_ = Graph::kNone;
    if (backend_->begin_capture(kGraphSlot).is_ok()) {
      enqueue_update_ops();
      if (backend_->end_capture(kGraphSlot).is_ok()) graph_ = Graph::kCaptured;
    }
  }
  if (graph_ == Graph::kCaptured) return backend_->replay(kGraphSlot, 1);
  enqueue_update_ops();
  return Status::ok();
}

Status Sac::read_stats(SacStats* stats) {
  download_scalars();
  const Scalars& s = host_scalars_;
  if (stats) {
    const Scalar mean_log_pi = static_cast<Scalar>(s.sum_log_pi / config_.batch);
    stats->critic_loss = static_cast<Scalar>(s.critic_loss);
    stats->q_mean = static_cast<Scalar>(s.q_sum / config_.batch);
    stats->actor_loss = static_cast<Scalar>(s.actor_loss);
    stats->alpha_loss = static_cast<Scalar>(s.alpha_loss);
    stats->entropy = -mean_log_pi;
    stats->alpha = std::exp(s.log_alpha);
  }
  if (!std::isfinite(s.log_alpha)) return Status::error(StatusCode::kNonFinite, "SAC temperature became non-finite");
  return Status::ok();
}

SacBatchColumns Sac::device_batch_columns() const {
  const SacBatch& b = device_batch_.batch;
  return SacBatchColumns{b.obs, b.act, b.reward, b.next_obs, b.not_done, device_batch_.eps_next,
                         device_batch_.eps_actor};
}

Status Sac::update(Rng& rng, SacStats* stats) {
  upload_batch(rng);
  USBPO_RETURN_IF_ERROR(run_update());
  return stats ? read_stats(stats) : Status::ok();
}

}  // namespace usbpo
