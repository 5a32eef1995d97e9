// Per-element bodies of the ops, written once for the host and the device:
// the CPU kernels call them in their loops and the CUDA kernels (ports/cuda)
// call them per thread, so the CPU tests cover the math both run.
// Plain arithmetic on floats only: no Eigen, no state, no allocation.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define USBPO_HD __host__ __device__ __forceinline__
#else
// static: every CPU kernel variant (each compiled with its own -m flags, see
// lib/CMakeLists.txt) keeps its own copy; with plain inline the linker could
// keep one out-of-line copy built for a wider instruction set than the CPU has.
#define USBPO_HD static inline
#endif

namespace usbpo {
namespace element {

// Adam's bias-corrected step folded into lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
// and eps_t = eps sqrt(1 - b2^t) (computed in FP64 once per call).
struct AdamFactors {
  float lr_t;
  float eps_t;
};
USBPO_HD AdamFactors adam_factors(float lr, float beta1, float beta2, float eps, std::int64_t step) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(step));
  return AdamFactors{static_cast<float>(lr * std::sqrt(bc2) / bc1), static_cast<float>(eps * std::sqrt(bc2))};
}

// One Adam update of one parameter: g' = g + decay theta; m, v moments; theta -= lr_t m / (sqrt(v) + eps_t).
USBPO_HD void adam(float& theta, float grad, float& m, float& v, float beta1, float beta2, float decay,
                   AdamFactors f) {
  const float g = grad + decay * theta;
  const float mi = beta1 * m + (1 - beta1) * g;
  const float vi = beta2 * v + (1 - beta2) * g * g;
  m = mi;
  v = vi;
  theta -= f.lr_t * mi / (std::sqrt(vi) + f.eps_t);
}

// Polyak averaging of one value: target = (1 - tau) target + tau source.
USBPO_HD float polyak(float target, float source, float tau) { return (1 - tau) * target + tau * source; }

// The clipped log-std of a tanh-Gaussian policy.
USBPO_HD float clip_log_std(float raw, float log_std_min, float log_std_max) {
  return std::fmin(std::fmax(raw, log_std_min), log_std_max);
}

// softplus(x) = log(1 + e^x), stable for large |x|.
USBPO_HD float softplus(float x) { return std::fmax(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }

// One dimension of a tanh-Gaussian sample: u = mean + exp(log_std) eps; returns
// tanh(u) and adds to *log_pi the dimension's log N(u; mean, std) - log(1 - tanh(u)^2)
// (SAC appendix C, with log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))).
USBPO_HD float tanh_gaussian_dim(float mean, float raw_log_std, float eps, float log_std_min, float log_std_max,
                                 float* log_pi) {
  constexpr float kHalfLog2Pi = 0.918938533f, kLog2 = 0.693147181f;
  const float log_std = clip_log_std(raw_log_std, log_std_min, log_std_max);
  const float u = mean + std::exp(log_std) * eps;
  if (log_pi) *log_pi += -0.5f * eps * eps - log_std - kHalfLog2Pi - 2.0f * (kLog2 - u - softplus(-2.0f * u));
  return std::tanh(u);
}

// Gradient of one dimension of SAC's actor loss mean(alpha log pi - Q) through
// the tanh-Gaussian: with a = tanh(u), dL/du = (alpha 2 a - dQ/da (1 - a^2)) / n
// into *d_mean and dL/dlog_std = -alpha / n + dL/du std eps (0 when clipped) into *d_log_std.
USBPO_HD void tanh_gaussian_backward_dim(float mean, float raw_log_std, float eps, float dq_da, float log_std_min,
                                         float log_std_max, float alpha, float inv_n, float* d_mean,
                                         float* d_log_std) {
  const bool clipped = raw_log_std < log_std_min || raw_log_std > log_std_max;
  const float std = std::exp(clip_log_std(raw_log_std, log_std_min, log_std_max));
  const float a = std::tanh(mean + std * eps);
  const float d_u = (alpha * 2.0f * a - dq_da * (1.0f - a * a)) * inv_n;
  *d_mean = d_u;
  *d_log_std = clipped ? 0.0f : (-alpha * inv_n + d_u * std * eps);
}

// SAC's soft TD target of one sample: y = r + gamma not_done (min(q1', q2') - alpha log pi').
USBPO_HD float sac_td_target(float q1_target, float q2_target, float log_pi, float reward, float not_done,
                             float alpha, float gamma) {
  const float soft_value = std::fmin(q1_target, q2_target) - alpha * log_pi;
  return reward + gamma * not_done * soft_value;
}

// One critic's squared error of one sample: returns 0.5 (q - y)^2 / n in FP64
// (the loss term) and sets *dq = (q - y) / n.
USBPO_HD double critic_error(float q, float y, int n, float* dq) {
  const float err = q - y;
  *dq = err / static_cast<float>(n);
  return 0.5 * static_cast<double>(err) * err / n;
}

// The actor's view of one sample's twin critics: which holds the minimum
// (1 when q2 < q1), and the loss term (alpha log pi - min q) / n in FP64.
USBPO_HD int critic_argmin(float q1, float q2) { return q2 < q1 ? 1 : 0; }
USBPO_HD double actor_loss_term(float q1, float q2, float log_pi, float alpha, int n) {
  return (static_cast<double>(alpha) * log_pi - std::fmin(q1, q2)) / n;
}

// One column of a SAC minibatch from slot `slot` of a store's arrays into
// column `i` of the batch: obs, act, reward, next_obs and not_done = 1 - terminal.
USBPO_HD void gather_transition(const float* obs, const float* act, const float* reward, const float* next_obs,
                                const std::uint8_t* terminal, std::size_t slot, int obs_dim, int act_dim,
                                std::size_t i, float* out_obs, float* out_act, float* out_reward,
                                float* out_next_obs, float* out_not_done) {
  const std::size_t od = static_cast<std::size_t>(obs_dim), ad = static_cast<std::size_t>(act_dim);
  for (std::size_t d = 0; d < od; ++d) out_obs[i * od + d] = obs[slot * od + d];
  for (std::size_t d = 0; d < ad; ++d) out_act[i * ad + d] = act[slot * ad + d];
  out_reward[i] = reward[slot];
  for (std::size_t d = 0; d < od; ++d) out_next_obs[i * od + d] = next_obs[slot * od + d];
  out_not_done[i] = terminal[slot] ? 0.0f : 1.0f;
}

// Row r of the raw column of the transition in `slot` (obs, act, reward,
// next_obs: 2 obs_dim + act_dim + 1 rows), as the ensemble's batches read it.
USBPO_HD float raw_transition_value(const float* obs, const float* act, const float* reward, const float* next_obs,
                                    std::size_t slot, int obs_dim, int act_dim, std::size_t r) {
  const std::size_t od = static_cast<std::size_t>(obs_dim), ad = static_cast<std::size_t>(act_dim);
  if (r < od) return obs[slot * od + r];
  if (r < od + ad) return act[slot * ad + (r - od)];
  if (r == od + ad) return reward[slot];
  return next_obs[slot * od + (r - od - ad - 1)];
}

// One normalised feature: (x - mean) / std.
USBPO_HD float normalise(float x, float mean, float std) { return (x - mean) / std; }

// One squared error in FP64: (a - b)^2.
USBPO_HD double squared_error(float a, float b) {
  const double err = static_cast<double>(a) - b;
  return err * err;
}

// The soft clamp of one raw log-variance between learned bounds (MBPO):
// u = max - raw, upper = max - softplus(u), v = upper - min, lv = min + softplus(v).
// Returns lv; *u_out and *v_out (when non-null) get u and v for the gradients.
USBPO_HD float soft_clamp_logvar(float raw, float max_lv, float min_lv, float* u_out, float* v_out) {
  const float u = max_lv - raw;
  const float v = max_lv - softplus(u) - min_lv;
  if (u_out) *u_out = u;
  if (v_out) *v_out = v;
  return min_lv + softplus(v);
}

// One value of MBPO's Gaussian NLL (scaled by `scale` = 1 / (out n)): returns
// ((mu - y)^2 e^-lv + lv) scale with lv soft-clamped from raw; sets *d_mu,
// *d_raw and the bound shares *d_max_share, *d_min_share of dL/d(max_lv),
// dL/d(min_lv) (s1 = sigmoid(u), s2 = sigmoid(v): dlv/draw = s2 s1,
// dlv/dmax = s2 (1 - s1), dlv/dmin = 1 - s2).
USBPO_HD float gaussian_nll_term(float mu, float raw, float y, float max_lv, float min_lv, float scale, float* d_mu,
                                 float* d_raw, float* d_max_share, float* d_min_share) {
  float u = 0, v = 0;
  const float lv = soft_clamp_logvar(raw, max_lv, min_lv, &u, &v);
  const float inv_var = std::exp(-lv);
  const float err = mu - y;
  const float s1 = 1.0f / (1.0f + std::exp(-u));
  const float s2 = 1.0f / (1.0f + std::exp(-v));
  const float d_lv = scale * (1.0f - err * err * inv_var);
  *d_mu = 2.0f * scale * err * inv_var;
  *d_raw = d_lv * s2 * s1;
  *d_max_share = d_lv * s2 * (1.0f - s1);
  *d_min_share = d_lv * (1.0f - s2);
  return (err * err * inv_var + lv) * scale;
}

// The normaliser's moments from an FP64 mean and mean square deviation:
// sigma = sqrt(variance), 1 where below 1e-12; FP32 mean, sigma and 1 / sigma.
USBPO_HD void normalizer_moments(double mu, double variance, float* mean, float* std, float* inv_std) {
  double sigma = std::sqrt(variance);
  if (sigma < 1e-12) sigma = 1.0;
  *mean = static_cast<float>(mu);
  *std = static_cast<float>(sigma);
  *inv_std = static_cast<float>(1.0 / sigma);
}

// A model step's draws (MBPO): reward = mu + exp(lv / 2) noise and one
// next-state value obs + mu + exp(lv / 2) noise (obs + mu first, as the host
// rollout always summed).
USBPO_HD float gaussian_reward_draw(float mu, float lv, float noise) { return mu + std::exp(0.5f * lv) * noise; }
USBPO_HD float gaussian_state_draw(float obs, float mu, float lv, float noise) {
  return obs + mu + std::exp(0.5f * lv) * noise;
}

// FP64 softplus and sigmoid (USB-PO's phase 2 backward pass).
USBPO_HD double softplus_d(double x) { return std::fmax(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
USBPO_HD double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// One value of phase 2's backward pass through sd = exp(lv / 2) and the soft
// clamp (FP64): from dJ/dsd, sets *d_raw and the bound shares *d_max_share,
// *d_min_share (s1 = sigmoid(max - raw), s2 = sigmoid(v) as in soft_clamp_logvar).
USBPO_HD void w2_clamp_backward(float raw, float max_lv, float min_lv, float d_sd, float sd, float* d_raw,
                                float* d_max_share, float* d_min_share) {
  const double u = static_cast<double>(max_lv) - raw;
  const double v = max_lv - softplus_d(u) - min_lv;
  const double s1 = sigmoid_d(u), s2 = sigmoid_d(v);
  const double d_lv = d_sd * 0.5 * sd;
  *d_raw = static_cast<float>(d_lv * s1 * s2);
  *d_max_share = static_cast<float>(d_lv * s2 * (1.0 - s1));
  *d_min_share = static_cast<float>(d_lv * (1.0 - s2));
}

// 2-Wasserstein distance between diagonal Gaussians (d each), FP64:
// sqrt(||mu_p - mu_q||^2 + ||sd_p - sd_q||^2 + eps); with weight != 0 adds
// weight dW2/d(.) into the non-null gradients (ops::w2_diag_gaussian).
USBPO_HD double w2_diag_gaussian(const float* mu_p, const float* sd_p, const float* mu_q, const float* sd_q, int d,
                                 float eps, float weight, float* d_mu_p, float* d_sd_p, float* d_mu_q,
                                 float* d_sd_q) {
  double squared = eps;
  for (int k = 0; k < d; ++k) {
    const double dm = static_cast<double>(mu_p[k]) - mu_q[k];
    const double ds = static_cast<double>(sd_p[k]) - sd_q[k];
    squared += dm * dm + ds * ds;
  }
  const double w2 = std::sqrt(squared);
  if (weight != 0) {
    const double scale = weight / w2;
    for (int k = 0; k < d; ++k) {
      const float gm = static_cast<float>(scale * (static_cast<double>(mu_p[k]) - mu_q[k]));
      const float gs = static_cast<float>(scale * (static_cast<double>(sd_p[k]) - sd_q[k]));
      if (d_mu_p) d_mu_p[k] += gm;
      if (d_mu_q) d_mu_q[k] -= gm;
      if (d_sd_p) d_sd_p[k] += gs;
      if (d_sd_q) d_sd_q[k] -= gs;
    }
  }
  return w2;
}

}  // namespace element
}  // namespace usbpo
