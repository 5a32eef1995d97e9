// USB-PO's phase 2 ops (nn/backend.hpp): normalised columns, M1's and M2's
// Gaussians, the per-sample W2 loop (one thread per sample, each writing only
// its own columns' gradients), the backward pass through the soft clamp (the
// bound gradients summed by one thread per dimension in member, sample order)
// and the finite check. Per-element math from nn/element_math.hpp; no atomics.
#include "kernels.hpp"
#include "launch.cuh"

namespace usbpo::cuda::kernels {
namespace {

__global__ void normalise_columns_kernel(const float* raw, int dim, std::size_t count, const float* mean,
                                         const float* std, float* out) {
  USBPO_GRID_LOOP(j, count) {
    const int d = static_cast<int>(j % dim);
    out[j] = element::normalise(raw[j], mean[d], std[d]);
  }
}

__global__ void m1_moments_kernel(const float* outputs, std::size_t output_stride, const int* k1,
                                  const float* max_lv, const float* min_lv, int out, std::size_t count, float* p_mu,
                                  float* p_sd) {
  USBPO_GRID_LOOP(j, count) {
    const std::size_t i = j / out;
    const int d = static_cast<int>(j % out);
    const float* col = outputs + output_stride * k1[i] + i * 2 * out;
    const float lv = element::soft_clamp_logvar(col[out + d], max_lv[d], min_lv[d], nullptr, nullptr);
    p_mu[j] = col[d];
    p_sd[j] = expf(0.5f * lv);
  }
}

__global__ void m2_moments_kernel(const float* outputs, std::size_t output_stride, const float* max_lv,
                                  const float* min_lv, int out, int n, std::size_t count, bool with_gradients,
                                  float* lv, float* sd, float* d_mu, float* d_sd) {
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  USBPO_GRID_LOOP(k, count) {
    const std::size_t b = k / per_member, j = k % per_member;
    const std::size_t i = j / out;
    const int d = static_cast<int>(j % out);
    const float value =
        element::soft_clamp_logvar(outputs[output_stride * b + i * 2 * out + out + d], max_lv[d], min_lv[d], nullptr,
                                   nullptr);
    lv[k] = value;
    sd[k] = expf(0.5f * value);
    if (with_gradients) d_mu[k] = d_sd[k] = 0.0f;
  }
}

__global__ void terms_kernel(const float* outputs, std::size_t output_stride, const float* p_mu, const float* p_sd,
                             const float* sd, const int* k2, int members, int out, int n, float eps, bool use_shift,
                             bool use_bias, bool with_gradients, float* d_mu, float* d_sd, double* sample_shift,
                             double* sample_bias) {
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  const float w_shift = with_gradients ? 1.0f / n : 0.0f;
  const float w_bias = with_gradients ? 1.0f / (static_cast<float>(n) * (members - 1)) : 0.0f;
  USBPO_GRID_LOOP(i, static_cast<std::size_t>(n)) {
    const int k = k2[i];
    const float* mu_k = outputs + output_stride * k + i * 2 * out;
    const float* sd_k = sd + k * per_member + i * out;
    float* dmu_k = with_gradients ? d_mu + k * per_member + i * out : nullptr;
    float* dsd_k = with_gradients ? d_sd + k * per_member + i * out : nullptr;
    double shift = 0, bias = 0;
    if (use_shift) {
      shift = element::w2_diag_gaussian(p_mu + i * out, p_sd + i * out, mu_k, sd_k, out, eps, w_shift, nullptr,
                                        nullptr, dmu_k, dsd_k);
    }
    if (use_bias) {
      double sum = 0;
      for (int b = 0; b < members; ++b) {
        if (b == k) continue;
        sum += element::w2_diag_gaussian(mu_k, sd_k, outputs + output_stride * b + i * 2 * out,
                                         sd + b * per_member + i * out, out, eps, w_bias, dmu_k, dsd_k,
                                         with_gradients ? d_mu + b * per_member + i * out : nullptr,
                                         with_gradients ? d_sd + b * per_member + i * out : nullptr);
      }
      bias = sum / (members - 1);
    }
    sample_shift[i] = shift;
    sample_bias[i] = bias;
  }
}

// One thread: the means of the per-sample terms, in sample order.
__global__ void terms_mean_kernel(const double* sample_shift, const double* sample_bias, int n, bool use_shift,
                                  bool use_bias, double* terms) {
  double shift = 0, bias = 0;
  for (int i = 0; i < n; ++i) {
    if (use_shift) shift += sample_shift[i];
    if (use_bias) bias += sample_bias[i];
  }
  terms[0] = shift / n;
  terms[1] = bias / n;
}

__global__ void w2_backward_kernel(const float* outputs, std::size_t output_stride, float* d_outputs,
                                   std::size_t d_output_stride, const float* max_lv, const float* min_lv,
                                   const float* sd, int out, int n, std::size_t count, float* d_mu, float* d_sd) {
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  USBPO_GRID_LOOP(k, count) {
    const std::size_t b = k / per_member, j = k % per_member;
    const std::size_t i = j / out;
    const int d = static_cast<int>(j % out);
    float* dy = d_outputs + d_output_stride * b + i * 2 * out;
    dy[d] = d_mu[k];
    float d_raw, d_max, d_min;
    element::w2_clamp_backward(outputs[output_stride * b + i * 2 * out + out + d], max_lv[d], min_lv[d], d_sd[k],
                               sd[k], &d_raw, &d_max, &d_min);
    dy[out + d] = d_raw;
    d_mu[k] = d_max;
    d_sd[k] = d_min;
  }
}

__global__ void w2_bounds_kernel(const float* d_mu, const float* d_sd, int members, int out, int n, float* d_max,
                                 float* d_min) {
  const int d = blockIdx.x * blockDim.x + threadIdx.x;
  if (d >= out) return;
  float total_max = 0, total_min = 0;
  const std::size_t rows = static_cast<std::size_t>(members) * n;
  for (std::size_t r = 0; r < rows; ++r) {
    total_max += d_mu[r * out + d];
    total_min += d_sd[r * out + d];
  }
  d_max[d] = total_max;
  d_min[d] = total_min;
}

constexpr int kFlagThreads = 256;

__global__ void all_finite_kernel(const float* x, std::size_t n, double* flag) {
  __shared__ int shared[kFlagThreads];
  int finite = 1;
  for (std::size_t i = threadIdx.x; i < n; i += kFlagThreads) finite &= isfinite(x[i]) ? 1 : 0;
  shared[threadIdx.x] = finite;
  __syncthreads();
  for (int half = kFlagThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] &= shared[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *flag = shared[0] ? 1.0 : 0.0;
}

}  // namespace

void normalise_columns(cudaStream_t stream, const float* raw, int dim, int n, const float* mean, const float* std,
                       float* out) {
  const std::size_t count = static_cast<std::size_t>(dim) * n;
  if (count == 0) return;
  normalise_columns_kernel<<<blocks_for(count), kThreads, 0, stream>>>(raw, dim, count, mean, std, out);
}

void w2_m1_moments(cudaStream_t stream, const float* outputs, std::size_t output_stride, const int* k1,
                   const float* max_lv, const float* min_lv, int out, int n, float* p_mu, float* p_sd) {
  const std::size_t count = static_cast<std::size_t>(out) * n;
  if (count == 0) return;
  m1_moments_kernel<<<blocks_for(count), kThreads, 0, stream>>>(outputs, output_stride, k1, max_lv, min_lv, out,
                                                                count, p_mu, p_sd);
}

void w2_m2_moments(cudaStream_t stream, const float* outputs, std::size_t output_stride, int members,
                   const float* max_lv, const float* min_lv, int out, int n, bool with_gradients, float* lv,
                   float* sd, float* d_mu, float* d_sd) {
  const std::size_t count = static_cast<std::size_t>(members) * out * n;
  if (count == 0) return;
  m2_moments_kernel<<<blocks_for(count), kThreads, 0, stream>>>(outputs, output_stride, max_lv, min_lv, out, n,
                                                                count, with_gradients, lv, sd, d_mu, d_sd);
}

void w2_terms(cudaStream_t stream, const float* outputs, std::size_t output_stride, const float* p_mu,
              const float* p_sd, const float* sd, const int* k2, int members, int out, int n, float eps,
              bool use_shift, bool use_bias, bool with_gradients, float* d_mu, float* d_sd, double* sample_shift,
              double* sample_bias, double* terms) {
  if (n <= 0) return;
  terms_kernel<<<blocks_for(static_cast<std::size_t>(n)), kThreads, 0, stream>>>(
      outputs, output_stride, p_mu, p_sd, sd, k2, members, out, n, eps, use_shift, use_bias, with_gradients, d_mu,
      d_sd, sample_shift, sample_bias);
  terms_mean_kernel<<<1, 1, 0, stream>>>(sample_shift, sample_bias, n, use_shift, use_bias, terms);
}

void w2_backward(cudaStream_t stream, const float* outputs, std::size_t output_stride, float* d_outputs,
                 std::size_t d_output_stride, int members, const float* max_lv, const float* min_lv, const float* sd,
                 int out, int n, float* d_mu, float* d_sd, float* d_max, float* d_min) {
  const std::size_t count = static_cast<std::size_t>(members) * out * n;
  if (count == 0) return;
  w2_backward_kernel<<<blocks_for(count), kThreads, 0, stream>>>(outputs, output_stride, d_outputs, d_output_stride,
                                                                 max_lv, min_lv, sd, out, n, count, d_mu, d_sd);
  w2_bounds_kernel<<<(out + kThreads - 1) / kThreads, kThreads, 0, stream>>>(d_mu, d_sd, members, out, n, d_max,
                                                                             d_min);
}

void all_finite(cudaStream_t stream, const float* x, std::size_t n, double* flag) {
  all_finite_kernel<<<1, kFlagThreads, 0, stream>>>(x, n, flag);
}

}  // namespace usbpo::cuda::kernels
