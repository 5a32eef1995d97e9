#include "usbpo/model/w2_fine_tune.hpp"

#include <algorithm>
#include <cmath>

#include "usbpo/base/parallel.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Normalised [obs; act] columns: (in x n).
void normalise(const Scalar* obs, const Scalar* act, int obs_dim, int act_dim, int n, const Scalar* mean,
               const Scalar* std, Scalar* out) {
  const int in = obs_dim + act_dim;
  for (int i = 0; i < n; ++i) {
    const Scalar* o = obs + static_cast<std::size_t>(i) * obs_dim;
    const Scalar* a = act + static_cast<std::size_t>(i) * act_dim;
    Scalar* x = out + static_cast<std::size_t>(i) * in;
    for (int d = 0; d < obs_dim; ++d) x[d] = (o[d] - mean[d]) / std[d];
    for (int d = 0; d < act_dim; ++d) x[obs_dim + d] = (a[d] - mean[obs_dim + d]) / std[obs_dim + d];
  }
}

}  // namespace

Status W2FineTune::place(const W2FineTuneConfig& c, const EnsembleConfig& m, Arena& arena) {
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
  USBPO_RETURN_IF_ERROR(adam_.place(param_count_, adam, arena));
  USBPO_RETURN_IF_ERROR(ws_.place(net, c.batch, false, arena));
  const std::size_t n = static_cast<std::size_t>(c.batch);
  const std::size_t block = size_product(members_, out_, n);
  m1_params_ = arena.allocate<Scalar>(param_count_);
  m1_mean_ = arena.allocate<Scalar>(in_);
  m1_std_ = arena.allocate<Scalar>(in_);
  best_ = arena.allocate<Scalar>(param_count_);
  grads_ = arena.allocate<Scalar>(param_count_);
  inputs_ = arena.allocate<Scalar>(size_product(in_, n));
  p_mu_ = arena.allocate<Scalar>(size_product(out_, n));
  p_sd_ = arena.allocate<Scalar>(size_product(out_, n));
  lv_ = arena.allocate<Scalar>(block);
  sd_ = arena.allocate<Scalar>(block);
  d_mu_ = arena.allocate<Scalar>(block);
  d_sd_ = arena.allocate<Scalar>(block);
  k1_ = arena.allocate<int>(n);
  k2_ = arena.allocate<int>(n);
  sample_shift_ = arena.allocate<double>(n);
  sample_bias_ = arena.allocate<double>(n);
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for USB-PO phase 2");
  return Status::ok();
}

Status W2FineTune::check_config(const W2FineTuneConfig& config, const EnsembleConfig& model) {
  W2FineTune probe;
  Arena measure;
  USBPO_RETURN_IF_ERROR(probe.place(config, model, measure));
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
  if (!probe.place(config, model, measure).is_ok() || measure.overflowed()) return 0;
  return measure.used();
}

Status W2FineTune::init(const W2FineTuneConfig& config, const GaussianEnsemble& model, Arena& arena) {
  if (arena.measuring()) return Status::error(StatusCode::kInvalidArgument, "W2FineTune::init needs memory");
  USBPO_RETURN_IF_ERROR(place(config, model.config(), arena));
  if (model.param_count() != param_count_) {
    return Status::error(StatusCode::kDimensionMismatch, "USB-PO phase 2 sized for another ensemble");
  }
  has_backup_ = false;
  return Status::ok();
}

void W2FineTune::backup(const GaussianEnsemble& model) {
  std::copy(model.params(), model.params() + param_count_, m1_params_);
  std::copy(model.normalizer().mean(), model.normalizer().mean() + in_, m1_mean_);
  std::copy(model.normalizer().std(), model.normalizer().std() + in_, m1_std_);
  has_backup_ = true;
}

void W2FineTune::draw_members(int n, Rng& rng, int* k1, int* k2) const {
  for (int i = 0; i < n; ++i) {
    k1[i] = static_cast<int>(rng.uniform_int(static_cast<std::uint32_t>(members_)));
    k2[i] = static_cast<int>(rng.uniform_int(static_cast<std::uint32_t>(members_)));
  }
}

Scalar W2FineTune::objective(GaussianEnsemble& model, const W2Batch& batch, bool with_gradients, Scalar* shift_out,
                             Scalar* bias_out) {
  const EnsembleMlp& net = model.network();
  const int n = std::min(batch.n, config_.batch);
  const int out = out_, members = members_;
  const std::size_t mlp = net.total_params();
  // Per-sample work runs by fixed sample ranges; sums over samples are taken
  // afterwards in sample order.
  const Chunks ranges{static_cast<std::size_t>(n), 128};
  auto normalise_ranges = [&](const Scalar* mean, const Scalar* std) {
    run_tasks(runner_, ranges.count(), 4.0 * n * in_, [&](int r) {
      const std::size_t i = ranges.begin(r);
      normalise(batch.obs + i * obs_dim_, batch.act + i * act_dim_, obs_dim_, act_dim_,
                static_cast<int>(ranges.end(r) - i), mean, std, inputs_ + i * in_);
    });
  };
  // M1^k1: mean and std per sample, from the backup with its own normaliser and bounds.
  if (config_.use_shift) {
    normalise_ranges(m1_mean_, m1_std_);
    MlpOps::forward(runner_, net, m1_params_, inputs_, 0, n, ws_, 0, members);
    run_tasks(runner_, ranges.count(), 40.0 * n * out, [&](int r) {
      for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
        const Scalar* col = ws_.output(batch.k1[i]) + i * 2 * out;
        ops::soft_clamp_logvar(col, m1_params_ + mlp, m1_params_ + mlp + out, out, 1, p_sd_ + i * out);
        for (int d = 0; d < out; ++d) {
          p_mu_[i * out + d] = col[d];
          p_sd_[i * out + d] = std::exp(0.5f * p_sd_[i * out + d]);
        }
      }
    });
  }
  // M2: every member on every sample (the bias term compares k2 with all others).
  normalise_ranges(model.normalizer().mean(), model.normalizer().std());
  MlpOps::forward(runner_, net, model.params(), inputs_, 0, n, ws_, 0, members);
  const Scalar* max_lv = model.params() + mlp;
  const Scalar* min_lv = max_lv + out;
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  run_tasks(runner_, members, 40.0 * per_member * members, [&](int b) {
    ops::soft_clamp_logvar(ws_.output(b), max_lv, min_lv, out, n, lv_ + b * per_member);
    for (std::size_t k = 0; k < per_member; ++k) sd_[b * per_member + k] = std::exp(0.5f * lv_[b * per_member + k]);
    if (with_gradients) {
      std::fill(d_mu_ + b * per_member, d_mu_ + (b + 1) * per_member, 0.0f);
      std::fill(d_sd_ + b * per_member, d_sd_ + (b + 1) * per_member, 0.0f);
    }
  });
  auto mu = [&](int b, std::size_t i) { return ws_.output(b) + i * 2 * out; };
  auto sd = [&](int b, std::size_t i) { return sd_ + b * per_member + i * out; };
  auto dmu = [&](int b, std::size_t i) { return with_gradients ? d_mu_ + b * per_member + i * out : nullptr; };
  auto dsd = [&](int b, std::size_t i) { return with_gradients ? d_sd_ + b * per_member + i * out : nullptr; };
  const Scalar w_shift = with_gradients ? 1.0f / n : 0.0f;
  const Scalar w_bias = with_gradients ? 1.0f / (static_cast<Scalar>(n) * (members - 1)) : 0.0f;
  // Each sample writes the gradients of its own columns only.
  run_tasks(runner_, ranges.count(), 10.0 * n * out * members, [&](int r) {
    for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
      const int k2 = batch.k2[i];
      sample_shift_[i] = 0;
      sample_bias_[i] = 0;
      if (config_.use_shift) {
        // Model shift: W2(M1^k1, M2^k2), gradients into M2^k2 only (M1 is fixed).
        sample_shift_[i] = ops::w2_diag_gaussian(p_mu_ + i * out, p_sd_ + i * out, mu(k2, i), sd(k2, i), out,
                                                 config_.eps, w_shift, nullptr, nullptr, dmu(k2, i), dsd(k2, i));
      }
      if (config_.use_bias) {
        // Model bias: mean over b != k2 of W2(M2^k2, M2^b).
        double sum = 0;
        for (int b = 0; b < members; ++b) {
          if (b == k2) continue;
          sum += ops::w2_diag_gaussian(mu(k2, i), sd(k2, i), mu(b, i), sd(b, i), out, config_.eps, w_bias,
                                       dmu(k2, i), dsd(k2, i), dmu(b, i), dsd(b, i));
        }
        sample_bias_[i] = sum / (members - 1);
      }
    }
  });
  double shift = 0, bias = 0;
  for (int i = 0; i < n; ++i) {
    if (config_.use_shift) shift += sample_shift_[i];
    if (config_.use_bias) bias += sample_bias_[i];
  }
  shift /= n;
  bias /= n;
  if (shift_out) *shift_out = static_cast<Scalar>(shift);
  if (bias_out) *bias_out = static_cast<Scalar>(bias);
  if (with_gradients) {
    // Through sd = exp(lv / 2) and the soft clamp into the raw outputs and the
    // bounds: each (member, sample range) writes its outputs' gradients and
    // leaves its shares of the bounds' gradients in d_mu_ / d_sd_ (read there
    // first), which are then added in member, sample and dimension order.
    Scalar* d_max = grads_ + mlp;
    Scalar* d_min = d_max + out;
    std::fill(d_max, d_max + 2 * out, 0.0f);
    const int range_count = ranges.count();
    run_tasks(runner_, members * range_count, 60.0 * per_member * members, [&](int task) {
      const int b = task / range_count;
      const int r = task % range_count;
      const Scalar* y = ws_.output(b);
      Scalar* dy = ws_.output_grad(b);
      for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
        for (int d = 0; d < out; ++d) {
          const std::size_t k = b * per_member + i * out + d;
          const double raw = y[i * 2 * out + out + d];
          const double u = static_cast<double>(max_lv[d]) - raw;
          const double v = max_lv[d] - softplus(u) - min_lv[d];
          const double s1 = sigmoid(u), s2 = sigmoid(v);
          const double d_lv = d_sd_[k] * 0.5 * sd_[k];
          dy[i * 2 * out + d] = d_mu_[k];
          dy[i * 2 * out + out + d] = static_cast<Scalar>(d_lv * s1 * s2);
          d_mu_[k] = static_cast<Scalar>(d_lv * s2 * (1.0 - s1));
          d_sd_[k] = static_cast<Scalar>(d_lv * (1.0 - s2));
        }
      }
    });
    for (std::size_t k = 0; k < members * per_member; k += out) {
      for (int d = 0; d < out; ++d) {
        d_max[d] += d_mu_[k + d];
        d_min[d] += d_sd_[k + d];
      }
    }
    MlpOps::backward(runner_, net, model.params(), ws_, 0, members, grads_, false, false);
  }
  return static_cast<Scalar>(shift + bias);
}

Status W2FineTune::step_once(GaussianEnsemble& model, const W2Batch& batch) {
  objective(model, batch, true, nullptr, nullptr);
  adam_.step(model.params(), grads_);
  if (!all_finite(model.params(), param_count_)) {
    return Status::error(StatusCode::kNonFinite, "USB-PO phase 2 made the model parameters non-finite");
  }
  return Status::ok();
}

Scalar W2FineTune::validate(GaussianEnsemble& model, const W2Batch& validation, Scalar* shift, Scalar* bias) {
  return objective(model, validation, false, shift, bias);
}

}  // namespace usbpo
