// The dynamics ensemble's MLE ops (nn/backend.hpp): the transition batch, the
// Gaussian NLL with its bound gradients, weight decay and the bound penalty,
// and the holdout squared errors. Per-element math from nn/element_math.hpp;
// every sum runs in a fixed order (per-thread strides, then a fixed halving
// tree; the bound gradients member by member), no atomics.
#include "kernels.hpp"
#include "launch.cuh"

namespace usbpo::cuda::kernels {
namespace {

constexpr int kSumThreads = 256;

// The sum of every thread's `value` (FP64) by a fixed tree; valid in every thread.
__device__ double block_total(double value, double* shared) {
  const int t = threadIdx.x;
  shared[t] = value;
  __syncthreads();
  for (int half = kSumThreads / 2; half > 0; half /= 2) {
    if (t < half) shared[t] += shared[t + half];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();
  return total;
}

__global__ void transition_batch_kernel(const float* raw, int obs_dim, int act_dim, std::size_t n, const float* mean,
                                        const float* std, float* inputs, float* targets) {
  const int in = obs_dim + act_dim, out = obs_dim + 1, width = in + out;
  USBPO_GRID_LOOP(i, n) {
    const float* col = raw + i * width;
    float* x = inputs + i * in;
    for (int d = 0; d < in; ++d) x[d] = element::normalise(col[d], mean[d], std[d]);
    float* y = targets + i * out;
    y[0] = col[in];
    for (int d = 0; d < obs_dim; ++d) y[1 + d] = col[in + 1 + d] - col[d];
  }
}

// One block per member: its loss, its output gradients and its per-element
// bound shares (into its scratch: d_max shares, then d_min shares, out x n each).
__global__ void nll_kernel(const float* outputs, std::size_t output_stride, const float* targets, const float* max_lv,
                           const float* min_lv, int out, int n, bool with_gradients, float* d_outputs,
                           std::size_t d_output_stride, float* scratch, std::size_t scratch_stride,
                           double* member_loss) {
  __shared__ double shared[kSumThreads];
  const int b = blockIdx.x;
  const float* output = outputs + output_stride * b;
  const float* target = targets + static_cast<std::size_t>(out) * n * b;
  float* d_output = d_outputs + d_output_stride * b;
  float* shares = scratch + scratch_stride * b;
  const std::size_t block = static_cast<std::size_t>(out) * n;
  const float scale = 1.0f / (static_cast<float>(n) * out);
  double part = 0;
  for (std::size_t j = threadIdx.x; j < block; j += kSumThreads) {
    const std::size_t i = j / out;
    const int d = static_cast<int>(j % out);
    const float* col = output + i * 2 * out;
    float d_mu, d_raw, d_max, d_min;
    part += element::gaussian_nll_term(col[d], col[out + d], target[j], max_lv[d], min_lv[d], scale, &d_mu, &d_raw,
                                       &d_max, &d_min);
    if (with_gradients) {
      d_output[i * 2 * out + d] = d_mu;
      d_output[i * 2 * out + out + d] = d_raw;
      shares[j] = d_max;
      shares[block + j] = d_min;
    }
  }
  const double total = block_total(part, shared);
  if (threadIdx.x == 0) member_loss[b] = total;
}

// One thread per dimension: d_max[d], d_min[d] = the members' shares, each
// member's summed over samples, added in member order.
__global__ void nll_bound_kernel(const float* scratch, std::size_t scratch_stride, int members, int out, int n,
                                 float* d_max, float* d_min) {
  const int d = blockIdx.x * blockDim.x + threadIdx.x;
  if (d >= out) return;
  const std::size_t block = static_cast<std::size_t>(out) * n;
  float total_max = 0, total_min = 0;
  for (int b = 0; b < members; ++b) {
    const float* shares = scratch + scratch_stride * b;
    float member_max = 0, member_min = 0;
    for (int i = 0; i < n; ++i) {
      member_max += shares[static_cast<std::size_t>(i) * out + d];
      member_min += shares[block + static_cast<std::size_t>(i) * out + d];
    }
    total_max += member_max;
    total_min += member_min;
  }
  d_max[d] = total_max;
  d_min[d] = total_min;
}

// One block per (member, layer): decay / 2 ||W||^2 into its term, decay W added to the gradient.
__global__ void decay_kernel(const float* params, float* grads, EnsembleLayers layers, std::size_t member_params,
                             double* decay_terms) {
  __shared__ double shared[kSumThreads];
  const int b = blockIdx.x / layers.count, l = blockIdx.x % layers.count;
  const std::size_t offset = member_params * b + layers.weight_offset[l];
  const float decay = layers.decay[l];
  double part = 0;
  for (std::size_t j = threadIdx.x; j < layers.weights[l]; j += kSumThreads) {
    const float w = params[offset + j];
    part += static_cast<double>(w) * w;
    if (grads) grads[offset + j] += decay * w;
  }
  const double total = block_total(part, shared);
  if (threadIdx.x == 0) decay_terms[blockIdx.x] = 0.5 * decay * total;
}

// One thread: the loss total in the documented order and the bound penalty's gradient.
__global__ void regularise_total_kernel(const float* max_lv, const float* min_lv, float* d_max, float* d_min, int out,
                                        float coef, int members, const double* member_loss, int terms,
                                        const double* decay_terms, double* loss) {
  double total = 0;
  for (int b = 0; b < members; ++b) total += member_loss[b];
  for (int d = 0; d < out; ++d) {
    total += coef * (static_cast<double>(max_lv[d]) - min_lv[d]);
    if (d_max) {
      d_max[d] += coef;
      d_min[d] -= coef;
    }
  }
  for (int i = 0; i < terms; ++i) total += decay_terms[i];
  *loss = total;
}

// One block per member: the squared errors of its mean rows.
__global__ void squared_error_kernel(const float* outputs, std::size_t output_stride, const float* targets, int out,
                                     int n, bool accumulate, double* sums) {
  __shared__ double shared[kSumThreads];
  const int b = blockIdx.x;
  const float* output = outputs + output_stride * b;
  const std::size_t block = static_cast<std::size_t>(out) * n;
  double part = 0;
  for (std::size_t j = threadIdx.x; j < block; j += kSumThreads) {
    part += element::squared_error(output[(j / out) * 2 * out + j % out], targets[j]);
  }
  const double total = block_total(part, shared);
  if (threadIdx.x == 0) sums[b] = (accumulate ? sums[b] : 0.0) + total;
}

}  // namespace

void transition_batch(cudaStream_t stream, const float* raw, int obs_dim, int act_dim, int n, const float* mean,
                      const float* std, float* inputs, float* targets) {
  if (n <= 0) return;
  const std::size_t count = static_cast<std::size_t>(n);
  transition_batch_kernel<<<blocks_for(count), kThreads, 0, stream>>>(raw, obs_dim, act_dim, count, mean, std, inputs,
                                                                      targets);
}

void ensemble_nll(cudaStream_t stream, const float* outputs, std::size_t output_stride, const float* targets,
                  const float* max_lv, const float* min_lv, int members, int out, int n, bool with_gradients,
                  float* d_outputs, std::size_t d_output_stride, float* scratch, std::size_t scratch_stride,
                  float* d_max, float* d_min, double* member_loss) {
  nll_kernel<<<members, kSumThreads, 0, stream>>>(outputs, output_stride, targets, max_lv, min_lv, out, n,
                                                  with_gradients, d_outputs, d_output_stride, scratch,
                                                  scratch_stride, member_loss);
  if (!with_gradients) return;
  nll_bound_kernel<<<(out + kThreads - 1) / kThreads, kThreads, 0, stream>>>(scratch, scratch_stride, members, out,
                                                                               n, d_max, d_min);
}

void ensemble_regularise(cudaStream_t stream, const float* params, float* grads, const EnsembleLayers& layers,
                         std::size_t member_params, std::size_t mlp_params, int members, int out, float coef,
                         const double* member_loss, double* decay_terms, double* loss) {
  decay_kernel<<<members * layers.count, kSumThreads, 0, stream>>>(params, grads, layers, member_params, decay_terms);
  const float* max_lv = params + mlp_params;
  float* d_max = grads ? grads + mlp_params : nullptr;
  regularise_total_kernel<<<1, 1, 0, stream>>>(max_lv, max_lv + out, d_max, d_max ? d_max + out : nullptr, out, coef,
                                               members, member_loss, members * layers.count, decay_terms, loss);
}

void ensemble_squared_error(cudaStream_t stream, const float* outputs, std::size_t output_stride,
                            const float* targets, int members, int out, int n, bool accumulate, double* sums) {
  squared_error_kernel<<<members, kSumThreads, 0, stream>>>(outputs, output_stride, targets, out, n, accumulate,
                                                            sums);
}

}  // namespace usbpo::cuda::kernels
