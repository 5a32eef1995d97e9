#include "usbpo/model/w2_fine_tune.hpp"

#include <algorithm>
#include <cmath>


namespace usbpo {

Status W2FineTune::place(const W2FineTuneConfig& c, const EnsembleConfig& m, Arena& host, Arena& device,
                         bool device_is_host) {
  if (c.batch < 1 || c.max_steps < 0 || c.patience < 1 || !(c.learning_rate > 0) || !(c.eps >= 0)) {
    return Status::error(StatusCode::kInvalidArgument,
                         "USB-PO phase 2 needs batch >= 1, max_steps >= 0, patience >= 1, lr > 0, eps >= 0");
  }
  if (!c.use_shift && !c.use_bias) {
    return Status::error(StatusCode::kInvalidArgument, "USB-PO phase 2 with neither the shift nor the bias term");
  }
  if (m.members < 2) return Status::error(StatusCode::kInvalidArgument, "USB-PO phase 2 needs >= 2 members");
  if (m.obs_dim < 1 || m.act_dim < 1 || m.obs_dim > EnsembleMlp::kMaxWidth || m.act_dim > EnsembleMlp::kMaxWidth) {
    return Status::error(StatusCode::kInvalidArgument, "USB-PO phase 2: obs_dim (%d) and act_dim (%d) must be in "
                         "[1, %d]", m.obs_dim, m.act_dim, EnsembleMlp::kMaxWidth);
  }
  MlpShape shape;  // the Gaussian ensemble's network (see GaussianEnsemble::place)
  shape.members = m.members;
  shape.input_dim = m.obs_dim + m.act_dim;
  shape.output_dim = 2 * (m.obs_dim + 1);
  shape.hidden_layers = m.hidden_layers;
  shape.hidden_width = m.hidden_width;
  shape.activation = m.activation;
  USBPO_RETURN_IF_ERROR(net_.configure(shape));
  const EnsembleMlp& net = net_;
  config_ = c;
  members_ = m.members;
  out_ = m.obs_dim + 1;
  in_ = m.obs_dim + m.act_dim;
  obs_dim_ = m.obs_dim;
  act_dim_ = m.act_dim;
  param_count_ = size_sum(net.total_params(), 2 * static_cast<std::size_t>(out_));
  AdamConfig adam;
  adam.learning_rate = c.learning_rate;
  device_is_host_ = device_is_host;
  // On a host-memory backend everything goes to the host arena given to init.
  Arena& dev = device_is_host ? host : device;
  const std::size_t n = static_cast<std::size_t>(c.batch);
  const std::size_t block = size_product(members_, out_, n);
  USBPO_RETURN_IF_ERROR(adam_.place(param_count_, adam, host));
  USBPO_RETURN_IF_ERROR(ws_.place(net, c.batch, false, dev));
  m1_params_ = dev.allocate<Scalar>(param_count_);
  m1_mean_ = dev.allocate<Scalar>(in_);
  m1_std_ = dev.allocate<Scalar>(in_);
  best_ = dev.allocate<Scalar>(param_count_);
  grads_ = dev.allocate<Scalar>(param_count_);
  raw_ = dev.allocate<Scalar>(size_product(in_, n));
  draws_ = dev.allocate<int>(size_product(3, n));  // k1, k2, store slots
  inputs_ = dev.allocate<Scalar>(size_product(in_, n));
  p_mu_ = dev.allocate<Scalar>(size_product(out_, n));
  p_sd_ = dev.allocate<Scalar>(size_product(out_, n));
  lv_ = dev.allocate<Scalar>(block);
  sd_ = dev.allocate<Scalar>(block);
  d_mu_ = dev.allocate<Scalar>(block);
  d_sd_ = dev.allocate<Scalar>(block);
  sample_shift_ = dev.allocate<double>(n);
  sample_bias_ = dev.allocate<double>(n);
  results_ = dev.allocate<double>(3);
  if (device_is_host) {
    adam_m_ = adam_.first_moment();
    adam_v_ = adam_.second_moment();
    adam_step_ = adam_.step_counter();
    m1_mirror_ = m1_params_;
    m1_mean_mirror_ = m1_mean_;
    m1_std_mirror_ = m1_std_;
    raw_staging_ = raw_;
    draw_staging_ = draws_;
  } else {
    adam_m_ = dev.allocate<Scalar>(param_count_);
    adam_v_ = dev.allocate<Scalar>(param_count_);
    adam_step_ = dev.allocate<std::int64_t>(1);
    m1_mirror_ = host.allocate<Scalar>(param_count_);
    m1_mean_mirror_ = host.allocate<Scalar>(in_);
    m1_std_mirror_ = host.allocate<Scalar>(in_);
    raw_staging_ = host.allocate<Scalar>(size_product(in_, n));
    draw_staging_ = host.allocate<int>(size_product(3, n));
  }
  k1_ = host.allocate<int>(n);
  k2_ = host.allocate<int>(n);
  if (host.exhausted() || dev.exhausted()) {
    return Status::error(StatusCode::kOutOfMemory, "arena too small for USB-PO phase 2");
  }
  return Status::ok();
}

Status W2FineTune::check_config(const W2FineTuneConfig& config, const EnsembleConfig& model) {
  W2FineTune probe;
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, model, measure, measure, false));
  if (measure.overflowed()) {
    return Status::error(StatusCode::kInvalidArgument,
                         "USB-PO phase 2 with batch %d needs more than %zu bytes (size overflow)", config.batch,
                         static_cast<std::size_t>(SIZE_MAX));
  }
  return Status::ok();
}

std::size_t W2FineTune::bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model) {
  W2FineTune probe;
  Arena measure;
  if (!probe.place(config, model, measure, measure, true).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

std::size_t W2FineTune::device_bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model) {
  W2FineTune probe;
  Arena host, device;
  if (!probe.place(config, model, host, device, false).is_ok() || device.overflowed()) return 0;
  return device.used();
}

std::size_t W2FineTune::host_bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model,
                                          bool device_is_host) {
  W2FineTune probe;
  Arena host, device;
  if (!probe.place(config, model, host, device, device_is_host).is_ok() || host.overflowed()) return 0;
  return host.used();
}

Status W2FineTune::init(const W2FineTuneConfig& config, GaussianEnsemble& model, Arena& arena) {
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "W2FineTune::init needs memory");
  Backend& backend = model.backend();
  const bool device_is_host = backend.device_is_host();
  if (!device_is_host && backend.device_arena().measuring()) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "W2FineTune::init: the %s backend has no device memory reserved (%zu bytes needed)",
                         backend.name(), device_bytes_needed(config, model.config()));
  }
  backend_ = &backend;
  USBPO_RETURN_IF_ERROR(place(config, model.config(), arena, backend.device_arena(), device_is_host));
  if (model.param_count() != param_count_) {
    return Status::error(StatusCode::kDimensionMismatch, "USB-PO phase 2 sized for another ensemble");
  }
  has_backup_ = false;
  // No backup yet: M1 saved as zeros until the first one.
  std::fill(m1_mirror_, m1_mirror_ + param_count_, 0.0f);
  std::fill(m1_mean_mirror_, m1_mean_mirror_ + in_, 0.0f);
  std::fill(m1_std_mirror_, m1_std_mirror_ + in_, 0.0f);
  push_state();
  return Status::ok();
}

void W2FineTune::pull_state() {
  if (device_is_host_) return;
  backend_->download(m1_mirror_, m1_params_, param_count_ * sizeof(Scalar));
  backend_->download(m1_mean_mirror_, m1_mean_, static_cast<std::size_t>(in_) * sizeof(Scalar));
  backend_->download(m1_std_mirror_, m1_std_, static_cast<std::size_t>(in_) * sizeof(Scalar));
  backend_->download(adam_.first_moment(), adam_m_, param_count_ * sizeof(Scalar));
  backend_->download(adam_.second_moment(), adam_v_, param_count_ * sizeof(Scalar));
  backend_->download(adam_.step_counter(), adam_step_, sizeof(std::int64_t));
}

void W2FineTune::push_state() {
  if (device_is_host_) return;
  backend_->upload(m1_params_, m1_mirror_, param_count_ * sizeof(Scalar));
  backend_->upload(m1_mean_, m1_mean_mirror_, static_cast<std::size_t>(in_) * sizeof(Scalar));
  backend_->upload(m1_std_, m1_std_mirror_, static_cast<std::size_t>(in_) * sizeof(Scalar));
  backend_->upload(adam_m_, adam_.first_moment(), param_count_ * sizeof(Scalar));
  backend_->upload(adam_v_, adam_.second_moment(), param_count_ * sizeof(Scalar));
  backend_->upload(adam_step_, adam_.step_counter(), sizeof(std::int64_t));
}

void W2FineTune::backup(GaussianEnsemble& model) {
  backend_->copy(m1_params_, model.device_params(), param_count_ * sizeof(Scalar));
  backend_->copy(m1_mean_, model.device_normalizer_mean(), static_cast<std::size_t>(in_) * sizeof(Scalar));
  backend_->copy(m1_std_, model.device_normalizer_std(), static_cast<std::size_t>(in_) * sizeof(Scalar));
  has_backup_ = true;
}

void W2FineTune::snapshot(GaussianEnsemble& model, bool restore) {
  const std::size_t bytes = param_count_ * sizeof(Scalar);
  if (restore) {
    backend_->copy(model.device_params(), best_, bytes);
  } else {
    backend_->copy(best_, model.device_params(), bytes);
  }
}

void W2FineTune::draw_members(int n, Rng& rng, int* k1, int* k2) const {
  for (int i = 0; i < n; ++i) {
    k1[i] = static_cast<int>(rng.uniform_int(static_cast<std::uint32_t>(members_)));
    k2[i] = static_cast<int>(rng.uniform_int(static_cast<std::uint32_t>(members_)));
  }
}

void W2FineTune::enqueue_objective(GaussianEnsemble& model, const W2Batch& batch, bool with_gradients) {
  const EnsembleMlp& net = model.network();
  const int n = std::min(batch.n, config_.batch);
  const int out = out_, members = members_;
  const std::size_t mlp = net.total_params();
  const std::size_t size = static_cast<std::size_t>(config_.batch);
  std::copy(batch.k1, batch.k1 + n, draw_staging_);
  std::copy(batch.k2, batch.k2 + n, draw_staging_ + size);
  if (batch.store) {
    // From the store's device mirror: the draws and slots in one upload, the
    // pairs gathered into inputs_ (free until normalised below) and stacked.
    std::copy(batch.slots, batch.slots + n, draw_staging_ + 2 * size);
    backend_->upload(draws_, draw_staging_, (2 * size + static_cast<std::size_t>(n)) * sizeof(int));
    const int* slots = draws_ + 2 * size;
    Scalar* act_columns = inputs_ + static_cast<std::size_t>(obs_dim_) * n;
    backend_->gather_columns(batch.store->obs, obs_dim_, slots, n, inputs_);
    backend_->gather_columns(batch.store->act, act_dim_, slots, n, act_columns);
    backend_->stack_rows(inputs_, obs_dim_, act_columns, act_dim_, n, raw_);
  } else {
    // The batch's [obs; act] columns, staged and uploaded with the draws.
    for (int i = 0; i < n; ++i) {
      const std::size_t column = static_cast<std::size_t>(i);
      Scalar* col = raw_staging_ + column * in_;
      std::copy(batch.obs + column * obs_dim_, batch.obs + (column + 1) * obs_dim_, col);
      std::copy(batch.act + column * act_dim_, batch.act + (column + 1) * act_dim_, col + obs_dim_);
    }
    backend_->upload(raw_, raw_staging_, static_cast<std::size_t>(in_) * n * sizeof(Scalar));
    backend_->upload(draws_, draw_staging_, 2 * size * sizeof(int));
  }
  const int* k1 = draws_;
  const int* k2 = draws_ + size;
  // M1^k1: mean and std per sample, from the backup with its own normaliser and bounds.
  if (config_.use_shift) {
    backend_->normalise_columns(raw_, in_, n, m1_mean_, m1_std_, inputs_);
    backend_->mlp_forward(net, m1_params_, inputs_, 0, n, ws_, 0, members);
    backend_->w2_m1_moments(ws_, k1, m1_params_ + mlp, m1_params_ + mlp + out, out, n, p_mu_, p_sd_);
  }
  // M2: every member on every sample (the bias term compares k2 with all others).
  Scalar* params = model.device_params();
  backend_->normalise_columns(raw_, in_, n, model.device_normalizer_mean(), model.device_normalizer_std(), inputs_);
  backend_->mlp_forward(net, params, inputs_, 0, n, ws_, 0, members);
  const Scalar* max_lv = params + mlp;
  const Scalar* min_lv = max_lv + out;
  backend_->w2_m2_moments(ws_, members, max_lv, min_lv, out, n, with_gradients, lv_, sd_, d_mu_, d_sd_);
  backend_->w2_terms(ws_, p_mu_, p_sd_, sd_, k2, members, out, n, config_.eps, config_.use_shift, config_.use_bias,
                     with_gradients, d_mu_, d_sd_, sample_shift_, sample_bias_, results_);
  if (with_gradients) {
    backend_->w2_backward(ws_, members, max_lv, min_lv, sd_, out, n, d_mu_, d_sd_, grads_ + mlp, grads_ + mlp + out);
    backend_->mlp_backward(net, params, ws_, 0, members, grads_, false, false);
  }
}

Scalar W2FineTune::download_results(Scalar* shift, Scalar* bias, bool* finite) {
  double values[3];
  backend_->download(values, results_, sizeof(values));
  if (shift) *shift = static_cast<Scalar>(values[0]);
  if (bias) *bias = static_cast<Scalar>(values[1]);
  if (finite) *finite = values[2] != 0.0;
  return static_cast<Scalar>(values[0] + values[1]);
}

Scalar W2FineTune::objective(GaussianEnsemble& model, const W2Batch& batch, bool with_gradients, Scalar* shift_out,
                             Scalar* bias_out) {
  enqueue_objective(model, batch, with_gradients);
  return download_results(shift_out, bias_out, nullptr);
}

Status W2FineTune::step_once(GaussianEnsemble& model, const W2Batch& batch) {
  enqueue_objective(model, batch, true);
  backend_->adam(model.device_params(), grads_, adam_m_, adam_v_, param_count_, adam_.config(), nullptr, 0,
                 adam_step_);
  // Checked with the next validation's download.
  backend_->all_finite(model.device_params(), param_count_, results_ + 2);
  return Status::ok();
}

Scalar W2FineTune::validate(GaussianEnsemble& model, const W2Batch& validation, Scalar* shift, Scalar* bias) {
  return objective(model, validation, false, shift, bias);
}

}  // namespace usbpo
