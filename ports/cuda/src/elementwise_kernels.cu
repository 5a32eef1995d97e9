// Elementwise kernels: fill, Polyak, Adam and the per-sample SAC steps, each
// thread running the shared per-element body of nn/element_math.hpp.
#include "kernels.hpp"
#include "launch.cuh"

namespace usbpo::cuda::kernels {
namespace {

__global__ void fill_kernel(float* dst, float value, std::size_t n) {
  USBPO_GRID_LOOP(i, n) dst[i] = value;
}

__global__ void polyak_kernel(float* target, const float* source, std::size_t n, float tau) {
  USBPO_GRID_LOOP(i, n) target[i] = element::polyak(target[i], source[i], tau);
}

__global__ void adam_prepare_kernel(std::int64_t* step, float lr, float beta1, float beta2, float eps,
                                    element::AdamFactors* factors) {
  const std::int64_t next = *step + 1;
  *step = next;
  *factors = element::adam_factors(lr, beta1, beta2, eps, next);
}

// The L2 decay of parameter i: that of the span holding it, else 0.
__device__ float decay_of(std::size_t i, const AdamSegments& segments) {
  for (int s = 0; s < segments.count; ++s) {
    const AdamSpan& span = segments.items[s];
    if (i < span.begin) continue;
    const std::size_t offset = i - span.begin;
    const std::size_t member = span.member_stride > 0 ? offset / span.member_stride : 0;
    const std::size_t within = offset - member * span.member_stride;
    if (member < static_cast<std::size_t>(span.members) && within < span.count) return span.decay;
  }
  return 0.0f;
}

__global__ void adam_kernel(float* theta, const float* grad, float* m, float* v, std::size_t n, float beta1,
                            float beta2, AdamSegments segments, const element::AdamFactors* factors) {
  const element::AdamFactors f = *factors;
  USBPO_GRID_LOOP(i, n) {
    float t = theta[i], mi = m[i], vi = v[i];
    element::adam(t, grad[i], mi, vi, beta1, beta2, decay_of(i, segments), f);
    theta[i] = t;
    m[i] = mi;
    v[i] = vi;
  }
}

__global__ void stack_rows_kernel(const float* a, int rows_a, const float* b, int rows_b, int n, float* dst) {
  const int rows = rows_a + rows_b;
  USBPO_GRID_LOOP(k, static_cast<std::size_t>(rows) * n) {
    const std::size_t col = k / rows;
    const int row = static_cast<int>(k - col * rows);
    dst[k] = row < rows_a ? a[col * rows_a + row] : b[col * rows_b + (row - rows_a)];
  }
}

// One thread per sample: its act dimensions in order, log pi summed in that order.
__global__ void tanh_gaussian_sample_kernel(const float* output, const float* eps, int act, int n,
                                            float log_std_min, float log_std_max, float* action, float* log_pi) {
  USBPO_GRID_LOOP(i, static_cast<std::size_t>(n)) {
    const float* col = output + i * 2 * act;
    float lp = 0.0f;
    for (int d = 0; d < act; ++d) {
      action[i * act + d] = element::tanh_gaussian_dim(col[d], col[act + d], eps[i * act + d], log_std_min,
                                                       log_std_max, log_pi ? &lp : nullptr);
    }
    if (log_pi) log_pi[i] = lp;
  }
}

__global__ void tanh_mean_kernel(const float* output, int act, int n, float* action) {
  USBPO_GRID_LOOP(k, static_cast<std::size_t>(act) * n) {
    const std::size_t col = k / act;
    action[k] = tanhf(output[col * 2 * act + (k - col * act)]);
  }
}

__global__ void sac_td_target_kernel(const float* q1_target, const float* q2_target, const float* log_pi,
                                     const float* reward, const float* not_done, const float* log_alpha,
                                     float gamma, int n, float* y) {
  const float alpha = expf(*log_alpha);
  USBPO_GRID_LOOP(i, static_cast<std::size_t>(n)) {
    y[i] = element::sac_td_target(q1_target[i], q2_target[i], log_pi[i], reward[i], not_done[i], alpha, gamma);
  }
}

__global__ void select_action_grad_kernel(const float* input_grad0, const float* input_grad1, const int* argmin,
                                          int in_dim, int obs_dim, int act, int n, float* dq_da) {
  USBPO_GRID_LOOP(k, static_cast<std::size_t>(act) * n) {
    const std::size_t col = k / act;
    const float* source = argmin[col] == 1 ? input_grad1 : input_grad0;
    dq_da[k] = source[col * in_dim + obs_dim + (k - col * act)];
  }
}

__global__ void tanh_gaussian_backward_kernel(const float* output, const float* eps, const float* dq_da, int act,
                                              int n, float log_std_min, float log_std_max, const float* log_alpha,
                                              float* d_output) {
  const float alpha = expf(*log_alpha);
  const float inv_n = 1.0f / static_cast<float>(n);
  USBPO_GRID_LOOP(k, static_cast<std::size_t>(act) * n) {
    const std::size_t col = k / act;
    const std::size_t d = k - col * act;
    const float* out = output + col * 2 * act;
    float* d_out = d_output + col * 2 * act;
    element::tanh_gaussian_backward_dim(out[d], out[act + d], eps[k], dq_da[k], log_std_min, log_std_max, alpha,
                                        inv_n, &d_out[d], &d_out[act + d]);
  }
}

}  // namespace

void fill(cudaStream_t stream, float* dst, float value, std::size_t n) {
  if (n > 0) fill_kernel<<<blocks_for(n), kThreads, 0, stream>>>(dst, value, n);
}

void polyak(cudaStream_t stream, float* target, const float* source, std::size_t n, float tau) {
  if (n > 0) polyak_kernel<<<blocks_for(n), kThreads, 0, stream>>>(target, source, n, tau);
}

void adam_prepare(cudaStream_t stream, std::int64_t* step, float lr, float beta1, float beta2, float eps,
                  element::AdamFactors* factors) {
  adam_prepare_kernel<<<1, 1, 0, stream>>>(step, lr, beta1, beta2, eps, factors);
}

void adam(cudaStream_t stream, float* theta, const float* grad, float* m, float* v, std::size_t n, float beta1,
          float beta2, const AdamSegments& segments, const element::AdamFactors* factors) {
  if (n > 0) {
    adam_kernel<<<blocks_for(n), kThreads, 0, stream>>>(theta, grad, m, v, n, beta1, beta2, segments, factors);
  }
}

void stack_rows(cudaStream_t stream, const float* a, int rows_a, const float* b, int rows_b, int n, float* dst) {
  const std::size_t count = static_cast<std::size_t>(rows_a + rows_b) * n;
  if (count > 0) stack_rows_kernel<<<blocks_for(count), kThreads, 0, stream>>>(a, rows_a, b, rows_b, n, dst);
}

void tanh_gaussian_sample(cudaStream_t stream, const float* output, const float* eps, int act, int n,
                          float log_std_min, float log_std_max, float* action, float* log_pi) {
  if (n > 0) {
    tanh_gaussian_sample_kernel<<<blocks_for(n), kThreads, 0, stream>>>(output, eps, act, n, log_std_min,
                                                                        log_std_max, action, log_pi);
  }
}

void tanh_mean(cudaStream_t stream, const float* output, int act, int n, float* action) {
  const std::size_t count = static_cast<std::size_t>(act) * n;
  if (count > 0) tanh_mean_kernel<<<blocks_for(count), kThreads, 0, stream>>>(output, act, n, action);
}

void sac_td_target(cudaStream_t stream, const float* q1_target, const float* q2_target, const float* log_pi,
                   const float* reward, const float* not_done, const float* log_alpha, float gamma, int n,
                   float* y) {
  if (n > 0) {
    sac_td_target_kernel<<<blocks_for(n), kThreads, 0, stream>>>(q1_target, q2_target, log_pi, reward, not_done,
                                                                 log_alpha, gamma, n, y);
  }
}

void select_action_grad(cudaStream_t stream, const float* input_grad0, const float* input_grad1, const int* argmin,
                        int in_dim, int obs_dim, int act, int n, float* dq_da) {
  const std::size_t count = static_cast<std::size_t>(act) * n;
  if (count > 0) {
    select_action_grad_kernel<<<blocks_for(count), kThreads, 0, stream>>>(input_grad0, input_grad1, argmin, in_dim,
                                                                          obs_dim, act, n, dq_da);
  }
}

void tanh_gaussian_backward(cudaStream_t stream, const float* output, const float* eps, const float* dq_da, int act,
                            int n, float log_std_min, float log_std_max, const float* log_alpha, float* d_output) {
  const std::size_t count = static_cast<std::size_t>(act) * n;
  if (count > 0) {
    tanh_gaussian_backward_kernel<<<blocks_for(count), kThreads, 0, stream>>>(
        output, eps, dq_da, act, n, log_std_min, log_std_max, log_alpha, d_output);
  }
}

}  // namespace usbpo::cuda::kernels
