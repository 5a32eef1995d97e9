#include "usbpo/model/gaussian_ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "usbpo/nn/element_math.hpp"

namespace usbpo {
namespace {


void shuffle(int* values, int n, Rng& rng) {
  for (int i = n - 1; i > 0; --i) {
    const int j = static_cast<int>(rng.uniform_int(static_cast<std::uint32_t>(i + 1)));
    std::swap(values[i], values[j]);
  }
}

}  // namespace

Status GaussianEnsemble::validate(const EnsembleConfig& c) const {
  if (c.obs_dim < 1 || c.act_dim < 1 || c.obs_dim > EnsembleMlp::kMaxWidth || c.act_dim > EnsembleMlp::kMaxWidth) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble obs_dim (%d) and act_dim (%d) must be in [1, %d]",
                         c.obs_dim, c.act_dim, EnsembleMlp::kMaxWidth);
  }
  if (c.elites < 1 || c.elites > c.members) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble elites (%d) must be in [1, members = %d]",
                         c.elites, c.members);
  }
  if (c.batch < 1 || c.predict_chunk < 1) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble batch (%d) and predict_chunk (%d) must be >= 1",
                         c.batch, c.predict_chunk);
  }
  if (c.max_samples < 5) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble max_samples must be >= 5, got %d", c.max_samples);
  }
  if (!(c.holdout_ratio > 0 && c.holdout_ratio < 1) || c.max_holdout < 1 || c.patience < 1) {
    return Status::error(StatusCode::kInvalidArgument,
                         "ensemble holdout_ratio must be in (0, 1), max_holdout and patience >= 1");
  }
  if (!(c.max_logvar_init > c.min_logvar_init)) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble max_logvar_init must exceed min_logvar_init");
  }
  return Status::ok();
}

Status GaussianEnsemble::place(const EnsembleConfig& c, Arena& host, Arena& device, bool device_is_host) {
  config_ = c;
  device_is_host_ = device_is_host;
  MlpShape shape;
  shape.members = c.members;
  shape.input_dim = c.obs_dim + c.act_dim;
  shape.output_dim = 2 * (c.obs_dim + 1);
  shape.hidden_layers = c.hidden_layers;
  shape.hidden_width = c.hidden_width;
  shape.activation = c.activation;
  USBPO_RETURN_IF_ERROR(net_.configure(shape));
  const int in = input_dim();
  const int out = output_dim();
  const std::size_t host_start = host.used(), device_start = device.used();
  const std::size_t members = static_cast<std::size_t>(c.members);
  const std::size_t raw_floats = size_product(in + out, c.batch, members);
  param_count_ = size_sum(net_.total_params(), 2 * static_cast<std::size_t>(out));
  AdamConfig adam;
  adam.learning_rate = c.learning_rate;
  // Device: parameters, gradients, snapshots, Adam, normaliser, workspace, batches, losses.
  device_params_ = device.allocate<Scalar>(param_count_);
  grads_ = device.allocate<Scalar>(param_count_);
  best_params_ = device.allocate<Scalar>(net_.total_params());
  const std::size_t before_ws = device.used();
  USBPO_RETURN_IF_ERROR(train_ws_.place(net_, c.batch, false, device));
  raw_batch_ = device.allocate<Scalar>(raw_floats);
  batch_inputs_ = device.allocate<Scalar>(size_product(in, c.batch, members));
  batch_targets_ = device.allocate<Scalar>(size_product(out, c.batch, members));
  // Each member's loss terms start 64-byte aligned, as member 0's (same arithmetic).
  const std::size_t align = Arena::kAlignment / sizeof(Scalar);
  const std::size_t loss_terms = size_product(5, out, c.batch);
  loss_scratch_stride_ = size_product(size_sum(loss_terms, align - 1) / align, align);
  loss_scratch_ = device.allocate<Scalar>(size_product(loss_scratch_stride_, members));
  member_loss_ = device.allocate<double>(members);
  decay_terms_ = device.allocate<double>(size_product(members, net_.num_layers()));
  loss_ = device.allocate<double>(1);
  error_sums_ = device.allocate<double>(members);
  std::size_t workspace = device.used() - before_ws;
  // Host mirror and staging, unless device memory is host memory.
  if (device_is_host) {
    params_ = device_params_;
    USBPO_RETURN_IF_ERROR(adam_.place(param_count_, adam, device));
    USBPO_RETURN_IF_ERROR(normalizer_.place(in, device));
    adam_step_ = adam_.step_counter();
    raw_staging_ = raw_batch_;
    host_error_sums_ = error_sums_;
  } else {
    params_ = host.allocate<Scalar>(param_count_);
    USBPO_RETURN_IF_ERROR(adam_.place(param_count_, adam, host));
    USBPO_RETURN_IF_ERROR(normalizer_.place(in, host));
    adam_step_ = device.allocate<std::int64_t>(1);
    raw_staging_ = host.allocate<Scalar>(raw_floats);
    host_error_sums_ = host.allocate<double>(members);
  }
  adam_m_ = device_is_host ? adam_.first_moment() : device.allocate<Scalar>(param_count_);
  adam_v_ = device_is_host ? adam_.second_moment() : device.allocate<Scalar>(param_count_);
  norm_mean_ = device_is_host ? normalizer_.mean() : device.allocate<Scalar>(static_cast<std::size_t>(in));
  norm_std_ = device_is_host ? normalizer_.std() : device.allocate<Scalar>(static_cast<std::size_t>(in));
  norm_inv_std_ = device_is_host ? normalizer_.inv_std() : device.allocate<Scalar>(static_cast<std::size_t>(in));
  // Host: rollout prediction (sample, predict_member), the round's slots, ranking.
  const std::size_t before_host_ws = host.used();
  USBPO_RETURN_IF_ERROR(predict_ws_.place(net_, c.predict_chunk, false, host, true));
  chunk_inputs_ = host.allocate<Scalar>(size_product(in, c.predict_chunk));
  chunk_logvar_ = host.allocate<Scalar>(size_product(out, c.predict_chunk));
  chunk_noise_ = host.allocate<Scalar>(size_product(out, c.predict_chunk));
  chunk_index_ = host.allocate<int>(static_cast<std::size_t>(c.predict_chunk));
  chosen_ = host.allocate<int>(static_cast<std::size_t>(c.predict_chunk));
  chunk_groups_ = host.allocate<int>(static_cast<std::size_t>(c.elites));
  order_ = host.allocate<int>(static_cast<std::size_t>(c.max_samples));
  bootstrap_ = host.allocate<int>(size_product(c.max_samples, members));
  holdout_mse_ = host.allocate<Scalar>(members);
  best_mse_ = host.allocate<Scalar>(members);
  elites_ = host.allocate<int>(static_cast<std::size_t>(c.elites));
  workspace += host.used() - before_host_ws;
  // Device twins of host buffers (the host buffers themselves where device
  // memory is host memory): the round's slot order and bootstrap order (phase
  // 1 from a store mirror), rollout prediction by elite (enqueue_rollout).
  if (device_is_host) {
    device_order_ = order_;
    device_bootstrap_ = bootstrap_;
    rollout_ws_ = predict_ws_;
    rollout_inputs_ = chunk_inputs_;
    rollout_logvar_ = chunk_logvar_;
  } else {
    device_order_ = device.allocate<int>(static_cast<std::size_t>(c.max_samples));
    device_bootstrap_ = device.allocate<int>(size_product(c.max_samples, members));
    const std::size_t before_rollout_ws = device.used();
    USBPO_RETURN_IF_ERROR(rollout_ws_.place(net_, c.predict_chunk, false, device, true));
    rollout_inputs_ = device.allocate<Scalar>(size_product(in, c.predict_chunk));
    rollout_logvar_ = device.allocate<Scalar>(size_product(out, c.predict_chunk));
    workspace += device.used() - before_rollout_ws;
  }
  workspace_bytes_ = workspace;
  if (host.exhausted() || device.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory,
                         "arena too small for the Gaussian ensemble: needs %zu device bytes and %zu host bytes "
                         "besides, has %zu and %zu from offsets %zu and %zu",
                         device_bytes_needed(c), host_bytes_needed(c, device_is_host),
                         device.capacity() - device_start, host.capacity() - host_start, device_start, host_start);
  }
  return Status::ok();
}

std::size_t GaussianEnsemble::bytes_needed(const EnsembleConfig& config) {
  GaussianEnsemble probe;
  if (!probe.validate(config).is_ok()) return 0;
  Arena measure;
  if (!probe.place(config, measure, measure, true).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

std::size_t GaussianEnsemble::device_bytes_needed(const EnsembleConfig& config, bool device_is_host) {
  GaussianEnsemble probe;
  if (!probe.validate(config).is_ok()) return 0;
  Arena host, device;
  if (!probe.place(config, host, device, device_is_host).is_ok() || device.overflowed()) return 0;
  return device.used();
}

std::size_t GaussianEnsemble::host_bytes_needed(const EnsembleConfig& config, bool device_is_host) {
  GaussianEnsemble probe;
  if (!probe.validate(config).is_ok()) return 0;
  Arena host, device;
  if (!probe.place(config, host, device, device_is_host).is_ok() || host.overflowed()) return 0;
  return host.used();
}

Status GaussianEnsemble::check_config(const EnsembleConfig& config) {
  GaussianEnsemble probe;
  USBPO_RETURN_IF_ERROR(probe.validate(config));
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, measure, measure, false));
  if (measure.overflowed()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the ensemble (%d members, %d hidden layers of %d, batch %d, %d samples) needs more than "
                         "%zu bytes (size overflow)", config.members, config.hidden_layers, config.hidden_width,
                         config.batch, config.max_samples, static_cast<std::size_t>(SIZE_MAX));
  }
  return Status::ok();
}

Status GaussianEnsemble::init(const EnsembleConfig& config, Arena& arena, Rng& rng) {
  if (arena.measuring()) {
    return Status::error(StatusCode::kInvalidArgument, "GaussianEnsemble::init needs an arena with memory");
  }
  own_backend_.set_host_arena(&arena);
  return init(config, own_backend_, arena, rng);
}

Status GaussianEnsemble::init(const EnsembleConfig& config, Backend& backend, Arena& host_arena, Rng& rng) {
  USBPO_RETURN_IF_ERROR(validate(config));
  if (host_arena.measuring()) {
    return Status::error(StatusCode::kInvalidArgument, "GaussianEnsemble::init needs an arena with memory");
  }
  if (backend.device_arena().measuring()) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "GaussianEnsemble::init: the %s backend has no device memory reserved (%zu bytes needed)",
                         backend.name(), device_bytes_needed(config));
  }
  backend_ = &backend;
  USBPO_RETURN_IF_ERROR(place(config, host_arena, backend.device_arena(), backend.device_is_host()));
  // The initial state is made in the host mirror (Adam and the normaliser
  // start zeroed and as the identity) and pushed to the device.
  net_.init_params(params_, MlpInit::kTruncatedNormal, rng);
  std::fill(max_logvar(), max_logvar() + output_dim(), config.max_logvar_init);
  std::fill(min_logvar(), min_logvar() + output_dim(), config.min_logvar_init);
  push_state();
  backend_->fill(grads_, 0.0f, param_count_);
  backend_->copy(best_params_, device_params_, net_.total_params() * sizeof(Scalar));
  for (int b = 0; b < config.members; ++b) holdout_mse_[b] = best_mse_[b] = 0;
  for (int e = 0; e < config.elites; ++e) elites_[e] = e;
  holdout_size_ = 0;
  return Status::ok();
}

void GaussianEnsemble::pull_params() {
  if (!device_is_host_) backend_->download(params_, device_params_, param_count_ * sizeof(Scalar));
}

void GaussianEnsemble::pull_state() {
  if (device_is_host_) return;
  pull_params();
  refresh_normalizer_mirror();
  backend_->download(adam_.first_moment(), adam_m_, param_count_ * sizeof(Scalar));
  backend_->download(adam_.second_moment(), adam_v_, param_count_ * sizeof(Scalar));
  backend_->download(adam_.step_counter(), adam_step_, sizeof(std::int64_t));
}

void GaussianEnsemble::push_params() {
  if (!device_is_host_) backend_->upload(device_params_, params_, param_count_ * sizeof(Scalar));
}

void GaussianEnsemble::push_state() {
  if (device_is_host_) return;
  normalizer_stale_ = false;  // the host's normaliser goes up below
  push_params();
  backend_->upload(adam_m_, adam_.first_moment(), param_count_ * sizeof(Scalar));
  backend_->upload(adam_v_, adam_.second_moment(), param_count_ * sizeof(Scalar));
  backend_->upload(adam_step_, adam_.step_counter(), sizeof(std::int64_t));
  const std::size_t bytes = static_cast<std::size_t>(input_dim()) * sizeof(Scalar);
  backend_->upload(norm_mean_, normalizer_.mean(), bytes);
  backend_->upload(norm_std_, normalizer_.std(), bytes);
}

void GaussianEnsemble::gather_raw(const TransitionView& data, const int* slots, int batch, Scalar* raw) const {
  const std::size_t width = 2 * static_cast<std::size_t>(config_.obs_dim) + config_.act_dim + 1;
  for (int i = 0; i < batch; ++i) {
    const std::size_t slot = static_cast<std::size_t>(slots[i]);
    Scalar* col = raw + static_cast<std::size_t>(i) * width;
    for (std::size_t r = 0; r < width; ++r) {
      col[r] = element::raw_transition_value(data.obs, data.act, data.reward, data.next_obs, slot, config_.obs_dim,
                                             config_.act_dim, r);
    }
  }
}

void GaussianEnsemble::stage_batch(const TransitionView& data, const int* host_slots, const int* device_slots,
                                   std::size_t stride, int members, int n) {
  const std::size_t width = static_cast<std::size_t>(input_dim() + output_dim());
  if (device_slots) {
    backend_->gather_transitions(device_data_, device_slots, stride, members, n, config_.obs_dim, config_.act_dim,
                                 raw_batch_);
  } else {
    // All members' raw columns gathered here, one upload.
    run_tasks(runner_, members, 2.0 * n * width * members, [&](int b) {
      gather_raw(data, host_slots + static_cast<std::size_t>(b) * stride, n,
                 raw_staging_ + static_cast<std::size_t>(b) * width * n);
    });
    backend_->upload(raw_batch_, raw_staging_, width * static_cast<std::size_t>(members) * n * sizeof(Scalar));
  }
  backend_->transition_batch(raw_batch_, config_.obs_dim, config_.act_dim, members * n, norm_mean_, norm_std_,
                             batch_inputs_, batch_targets_);
}

void GaussianEnsemble::set_device_data(const StoreColumns& columns) {
  device_data_ = columns;
  has_device_data_ = true;
}

void GaussianEnsemble::refresh_normalizer_mirror() {
  if (!normalizer_stale_) return;
  const std::size_t bytes = static_cast<std::size_t>(input_dim()) * sizeof(Scalar);
  backend_->download(normalizer_.mean(), norm_mean_, bytes);
  backend_->download(normalizer_.std(), norm_std_, bytes);
  backend_->download(normalizer_.inv_std(), norm_inv_std_, bytes);
  normalizer_stale_ = false;
}

void GaussianEnsemble::clamp_logvar(const Scalar* raw_output, int n, Scalar* logvar) const {
  const Scalar* max_lv = params_ + net_.total_params();
  ops::soft_clamp_logvar(raw_output, max_lv, max_lv + output_dim(), output_dim(), n, logvar);
}

void GaussianEnsemble::enqueue_batch_loss(const Scalar* inputs, const Scalar* targets, int batch,
                                          bool with_gradients) {
  const int in = input_dim();
  const int out = output_dim();
  const int members = config_.members;
  const std::size_t mlp_params = net_.total_params();
  backend_->mlp_forward(net_, device_params_, inputs, static_cast<std::size_t>(in) * batch, batch, train_ws_, 0,
                        members);
  // L_b = mean((mu - y)^2 e^-lv) + mean(lv) (MBPO's Gaussian NLL without
  // constants), members side by side; the bounds' gradients in member order.
  backend_->ensemble_nll(net_, train_ws_, members, targets, device_params_ + mlp_params,
                         device_params_ + mlp_params + out, batch, with_gradients, loss_scratch_,
                         loss_scratch_stride_, grads_ + mlp_params, grads_ + mlp_params + out, member_loss_);
  if (with_gradients) backend_->mlp_backward(net_, device_params_, train_ws_, 0, members, grads_, false, false);
  // Bound penalty coef (sum max_lv - sum min_lv) and per-layer weight decay
  // decay_l / 2 ||W_l||^2 (no decay on biases).
  backend_->ensemble_regularise(net_, device_params_, with_gradients ? grads_ : nullptr, config_.weight_decays,
                                config_.logvar_bound_coef, member_loss_, decay_terms_, loss_);
}

Scalar GaussianEnsemble::batch_loss(const Scalar* inputs, const Scalar* targets, int batch, bool with_gradients) {
  enqueue_batch_loss(inputs, targets, batch, with_gradients);
  double loss = 0;
  backend_->download(&loss, loss_, sizeof(double));
  return static_cast<Scalar>(loss);
}

void GaussianEnsemble::mle_step(const Scalar* inputs, const Scalar* targets, int batch) {
  enqueue_batch_loss(inputs, targets, batch, true);
  backend_->adam(device_params_, grads_, adam_m_, adam_v_, param_count_, adam_.config(), nullptr, 0, adam_step_);
}

void GaussianEnsemble::holdout_mse(const TransitionView& data, const int* slots, int count, Scalar* mse) {
  holdout_errors(data, slots, nullptr, count, mse);
}

void GaussianEnsemble::holdout_errors(const TransitionView& data, const int* host_slots, const int* device_slots,
                                      int count, Scalar* mse) {
  const int members = config_.members;
  const int out = output_dim();
  for (int start = 0; start < count; start += config_.batch) {
    const int n = std::min(config_.batch, count - start);
    stage_batch(data, host_slots + start, device_slots ? device_slots + start : nullptr, 0, 1, n);
    backend_->mlp_forward(net_, device_params_, batch_inputs_, 0, n, train_ws_, 0, members);
    backend_->ensemble_squared_error(train_ws_, members, batch_targets_, out, n, start > 0, error_sums_);
  }
  if (count > 0) backend_->download(host_error_sums_, error_sums_, sizeof(double) * static_cast<std::size_t>(members));
  for (int b = 0; b < members; ++b) {
    mse[b] = count > 0 ? static_cast<Scalar>(host_error_sums_[b] / (static_cast<double>(count) * out)) : 0.0f;
  }
}

void GaussianEnsemble::select_elites(const Scalar* mse) {
  int ranked[64];
  for (int b = 0; b < config_.members; ++b) ranked[b] = b;
  // Stable insertion sort: std::stable_sort may allocate a buffer.
  for (int i = 1; i < config_.members; ++i) {
    const int member = ranked[i];
    int j = i;
    for (; j > 0 && mse[member] < mse[ranked[j - 1]]; --j) ranked[j] = ranked[j - 1];
    ranked[j] = member;
  }
  for (int e = 0; e < config_.elites; ++e) elites_[e] = ranked[e];
}

Scalar GaussianEnsemble::rank_elites_on_holdout() {
  return rank_by_holdout(last_data_, order_, has_device_data_ ? device_order_ : nullptr, holdout_size_);
}

Scalar GaussianEnsemble::rank_elites(const TransitionView& data, const int* slots, int count) {
  return rank_by_holdout(data, slots, nullptr, count);
}

Scalar GaussianEnsemble::rank_by_holdout(const TransitionView& data, const int* host_slots, const int* device_slots,
                                         int count) {
  holdout_errors(data, host_slots, device_slots, count, holdout_mse_);
  select_elites(holdout_mse_);
  double elite_mse = 0;
  for (int e = 0; e < config_.elites; ++e) elite_mse += holdout_mse_[elites_[e]];
  return static_cast<Scalar>(elite_mse / config_.elites);
}

Status GaussianEnsemble::train(const TransitionView& data, const int* slots, int count, Rng& rng,
                               EnsembleTrainReport* report) {
  if (count < 5) {
    return Status::error(StatusCode::kFailedPrecondition, "ensemble training needs at least 5 transitions, got %d",
                         count);
  }
  if (count > config_.max_samples) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble given %d transitions, configured for at most %d",
                         count, config_.max_samples);
  }
  const int members = config_.members;
  const int in = input_dim();
  const int obs_dim = config_.obs_dim;
  // Split: holdout = min(ratio n, max_holdout) of a random permutation.
  std::copy(slots, slots + count, order_);
  shuffle(order_, count, rng);
  const int holdout = std::max(1, std::min(static_cast<int>(count * config_.holdout_ratio), config_.max_holdout));
  holdout_size_ = holdout;
  const int* holdout_slots = order_;
  const int* train_slots = order_ + holdout;
  const int n_train = count - holdout;

  last_data_ = data;
  // Refit the input normaliser on the training split (two passes in double).
  if (in > 512) return Status::error(StatusCode::kInvalidArgument, "ensemble input dim %d exceeds 512", in);
  if (has_device_data_) {
    // The round's order travels once; the fit, minibatches and holdout batches read the store on the device.
    backend_->upload(device_order_, order_, static_cast<std::size_t>(count) * sizeof(int));
    backend_->normalizer_fit(device_data_, device_order_ + holdout, n_train, obs_dim, config_.act_dim, norm_mean_,
                             norm_std_, norm_inv_std_);
    normalizer_stale_ = !device_is_host_;
  } else {
    for (int d = 0; d < in; ++d) {
      auto value = [&](int i) {
        const std::size_t slot = static_cast<std::size_t>(train_slots[i]);
        return d < obs_dim ? data.obs[slot * obs_dim + d] : data.act[slot * config_.act_dim + (d - obs_dim)];
      };
      fit_feature(value, n_train, normalizer_.mean() + d, normalizer_.std() + d, normalizer_.inv_std() + d);
    }
    normalizer_stale_ = false;
    if (!device_is_host_) {
      backend_->upload(norm_mean_, normalizer_.mean(), static_cast<std::size_t>(in) * sizeof(Scalar));
      backend_->upload(norm_std_, normalizer_.std(), static_cast<std::size_t>(in) * sizeof(Scalar));
    }
  }

  // Bootstrap resample per member, drawn once per round.
  for (int b = 0; b < members; ++b) {
    int* row = bootstrap_ + static_cast<std::size_t>(b) * n_train;
    for (int i = 0; i < n_train; ++i) row[i] = train_slots[rng.uniform_int(static_cast<std::uint32_t>(n_train))];
  }
  // The first epoch always improves on "no snapshot yet".
  for (int b = 0; b < members; ++b) best_mse_[b] = std::numeric_limits<Scalar>::infinity();
  const std::size_t mlp_bytes = net_.total_params() * sizeof(Scalar);
  backend_->copy(best_params_, device_params_, mlp_bytes);

  EnsembleTrainReport r;
  r.train_size = n_train;
  r.holdout_size = holdout;
  int epochs_since_update = 0;
  for (int epoch = 0; config_.max_epochs == 0 || epoch < config_.max_epochs; ++epoch) {
    for (int b = 0; b < members; ++b) shuffle(bootstrap_ + static_cast<std::size_t>(b) * n_train, n_train, rng);
    if (has_device_data_) {
      backend_->upload(device_bootstrap_, bootstrap_, size_product(members, n_train, sizeof(int)));
    }
    for (int start = 0; start < n_train; start += config_.batch) {
      const int n = std::min(config_.batch, n_train - start);
      stage_batch(data, bootstrap_ + start, has_device_data_ ? device_bootstrap_ + start : nullptr,
                  static_cast<std::size_t>(n_train), members, n);
      mle_step(batch_inputs_, batch_targets_, n);
      ++r.gradient_steps;
    }
    ++r.epochs;
    holdout_errors(data, holdout_slots, has_device_data_ ? device_order_ : nullptr, holdout, holdout_mse_);
    bool updated = false;
    for (int b = 0; b < members; ++b) {
      const Scalar best = best_mse_[b];
      const bool first = std::isinf(best);
      if (first || (best - holdout_mse_[b]) / best > config_.improvement_threshold) {
        best_mse_[b] = holdout_mse_[b];
        const std::size_t offset = net_.member_offset(b);
        backend_->copy(best_params_ + offset, device_params_ + offset, net_.member_params() * sizeof(Scalar));
        updated = true;
      }
    }
    // MBPO's _save_best: stop once more than `patience` epochs passed without an update.
    epochs_since_update = updated ? 0 : epochs_since_update + 1;
    if (epochs_since_update > config_.patience) break;
  }
  // Restore each member's best snapshot, then rank by holdout MSE.
  backend_->copy(device_params_, best_params_, mlp_bytes);
  r.mean_holdout_mse = rank_elites_on_holdout();
  if (r.gradient_steps > 0) {
    double last_loss = 0;
    backend_->download(&last_loss, loss_, sizeof(double));
    r.last_train_loss = static_cast<Scalar>(last_loss);
  }
  pull_params();  // the mirror rollouts and phase 2 use
  if (report) *report = r;
  if (!all_finite(params_, param_count_)) {
    return Status::error(StatusCode::kNonFinite, "ensemble parameters became non-finite during training");
  }
  return Status::ok();
}

Status GaussianEnsemble::sample(const Scalar* obs, const Scalar* act, int count, Rng& rng, Scalar* next_obs,
                                Scalar* reward) {
  if (count < 0 || (count > 0 && (!obs || !act || !next_obs || !reward))) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble sample: bad count %d or null buffer", count);
  }
  refresh_normalizer_mirror();  // (the host path: a fit on the device is downloaded once)
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const int in = input_dim();
  for (int start = 0; start < count; start += config_.predict_chunk) {
    const int n = std::min(config_.predict_chunk, count - start);
    // The chunk's draws as enqueue_rollout gets them (one draw order), then
    // each elite once on the samples that chose it, here on the host mirror.
    draw_rollout(n, rng, chunk_index_, chunk_groups_, chunk_noise_);
    const std::size_t offset = static_cast<std::size_t>(start);
    int placed = 0;
    for (int e = 0; e < config_.elites; ++e) {
      const int k = chunk_groups_[e];
      if (k == 0) continue;
      const int member = elites_[e];
      const int* index = chunk_index_ + placed;
      const Chunks ranges{static_cast<std::size_t>(k), 256};
      const Scalar* mean = normalizer_.mean();
      const Scalar* std = normalizer_.std();
      run_tasks(runner_, ranges.count(), 4.0 * k * in, [&](int r) {
        for (std::size_t j = ranges.begin(r); j < ranges.end(r); ++j) {
          const std::size_t s = offset + static_cast<std::size_t>(index[j]);
          Scalar* x = chunk_inputs_ + j * in;
          const Scalar* o = obs + s * obs_dim;
          const Scalar* a = act + s * act_dim;
          for (int d = 0; d < obs_dim; ++d) x[d] = element::normalise(o[d], mean[d], std[d]);
          for (int d = 0; d < act_dim; ++d) {
            x[obs_dim + d] = element::normalise(a[d], mean[obs_dim + d], std[obs_dim + d]);
          }
        }
      });
      MlpOps::forward(runner_, net_, params_, chunk_inputs_, 0, k, predict_ws_, member, 1);
      own_backend_.ensemble_draw(predict_ws_.output(member), max_logvar(), min_logvar(), index, k, chunk_noise_,
                                 obs + offset * obs_dim, obs_dim, chunk_logvar_, next_obs + offset * obs_dim,
                                 reward + offset);
      placed += k;
    }
  }
  return Status::ok();
}

int GaussianEnsemble::rollout_groups(int count) const {
  return ((count + config_.predict_chunk - 1) / config_.predict_chunk) * config_.elites;
}

void GaussianEnsemble::draw_rollout(int count, Rng& rng, int* index, int* group_sizes, Scalar* noise) {
  const int out = output_dim();
  const int elites = config_.elites;
  int placed = 0;
  for (int start = 0; start < count; start += config_.predict_chunk) {
    const int n = std::min(config_.predict_chunk, count - start);
    // sample()'s order: each sample's elite, then each elite's samples' normals.
    for (int i = 0; i < n; ++i) chosen_[i] = elites_[rng.uniform_int(static_cast<std::uint32_t>(elites))];
    for (int e = 0; e < elites; ++e) {
      int k = 0;
      for (int i = 0; i < n; ++i) {
        if (chosen_[i] != elites_[e]) continue;
        const int s = start + i;
        index[placed + k++] = s;
        Scalar* z = noise + static_cast<std::size_t>(s) * out;
        for (int d = 0; d < out; ++d) z[d] = rng.normal();
      }
      *group_sizes++ = k;
      placed += k;
    }
  }
}

void GaussianEnsemble::enqueue_rollout(const Scalar* obs, const Scalar* act, int count, const int* index,
                                       const int* group_sizes, const Scalar* noise, Scalar* inputs, Scalar* next_obs,
                                       Scalar* reward) {
  Backend& b = *backend_;
  const int obs_dim = config_.obs_dim;
  const int in = input_dim();
  const std::size_t mlp_params = net_.total_params();
  const Scalar* max_lv = device_params_ + mlp_params;
  const Scalar* min_lv = max_lv + output_dim();
  // ([obs; act] - mean) / std for every sample, then each elite on its samples.
  b.stack_rows(obs, obs_dim, act, config_.act_dim, count, inputs);
  b.normalise_columns(inputs, in, count, norm_mean_, norm_std_, inputs);
  int placed = 0;
  for (int start = 0; start < count; start += config_.predict_chunk) {
    for (int e = 0; e < config_.elites; ++e) {
      const int k = *group_sizes++;
      if (k == 0) continue;
      const int member = elites_[e];
      b.gather_columns(inputs, in, index + placed, k, rollout_inputs_);
      b.mlp_forward(net_, device_params_, rollout_inputs_, 0, k, rollout_ws_, member, 1);
      b.ensemble_draw(rollout_ws_.output(member), max_lv, min_lv, index + placed, k, noise, obs, obs_dim,
                      rollout_logvar_, next_obs, reward);
      placed += k;
    }
  }
}

Status GaussianEnsemble::predict_member(int member, const Scalar* obs, const Scalar* act, int count, Scalar* mean,
                                        Scalar* logvar) {
  if (member < 0 || member >= config_.members) {
    return Status::error(StatusCode::kInvalidArgument, "ensemble member %d out of [0, %d)", member, config_.members);
  }
  refresh_normalizer_mirror();
  const int obs_dim = config_.obs_dim;
  const int act_dim = config_.act_dim;
  const int in = input_dim();
  const int out = output_dim();
  for (int start = 0; start < count; start += config_.predict_chunk) {
    const int n = std::min(config_.predict_chunk, count - start);
    for (int j = 0; j < n; ++j) {
      const std::size_t s = static_cast<std::size_t>(start + j);
      Scalar* x = chunk_inputs_ + static_cast<std::size_t>(j) * in;
      std::copy(obs + s * obs_dim, obs + (s + 1) * obs_dim, x);
      std::copy(act + s * act_dim, act + (s + 1) * act_dim, x + obs_dim);
    }
    normalizer_.apply(chunk_inputs_, n, chunk_inputs_);
    MlpOps::forward(runner_, net_, params_, chunk_inputs_, 0, n, predict_ws_, member, 1);
    const Scalar* y_hat = predict_ws_.output(member);
    clamp_logvar(y_hat, n, logvar + static_cast<std::size_t>(start) * out);
    for (int j = 0; j < n; ++j) {
      const Scalar* col = y_hat + static_cast<std::size_t>(j) * 2 * out;
      std::copy(col, col + out, mean + static_cast<std::size_t>(start + j) * out);
    }
  }
  return Status::ok();
}

}  // namespace usbpo
