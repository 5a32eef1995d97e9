// The FP64 sums of the SAC ops: one block of kReduceThreads threads; thread t
// adds samples t, t + kReduceThreads, ... in order, then a fixed halving tree
// adds the threads' partial sums. No atomics, so every run gives the same bits.
#include "kernels.hpp"

namespace usbpo::cuda::kernels {
namespace {

constexpr int kReduceThreads = 256;

// The sum of every thread's `value` (FP64), by a fixed tree; valid in thread 0.
__device__ double block_sum(double value, double* shared) {
  const int t = threadIdx.x;
  shared[t] = value;
  __syncthreads();
  for (int half = kReduceThreads / 2; half > 0; half /= 2) {
    if (t < half) shared[t] += shared[t + half];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();  // the buffer may be reused by the next sum
  return total;
}

__global__ void critic_loss_kernel(const float* q1, const float* q2, const float* y, int n, float* dq1, float* dq2,
                                   double* loss) {
  __shared__ double shared[kReduceThreads];
  double first = 0, second = 0;
  for (int i = threadIdx.x; i < n; i += kReduceThreads) {
    first += element::critic_error(q1[i], y[i], n, &dq1[i]);
    second += element::critic_error(q2[i], y[i], n, &dq2[i]);
  }
  // Critic 1's loss, then critic 2's, then their sum.
  const double loss1 = block_sum(first, shared);
  const double loss2 = block_sum(second, shared);
  if (threadIdx.x == 0) *loss = loss1 + loss2;
}

__global__ void actor_min_q_kernel(const float* q1, const float* q2, const float* log_pi, const float* log_alpha,
                                   int n, int* argmin, float* dq1, float* dq2, double* loss, double* sum_log_pi) {
  __shared__ double shared[kReduceThreads];
  const float alpha = expf(*log_alpha);
  double loss_part = 0, log_pi_part = 0;
  for (int i = threadIdx.x; i < n; i += kReduceThreads) {
    const int which = element::critic_argmin(q1[i], q2[i]);
    argmin[i] = which;
    dq1[i] = which == 0 ? 1.0f : 0.0f;
    dq2[i] = which == 1 ? 1.0f : 0.0f;
    loss_part += element::actor_loss_term(q1[i], q2[i], log_pi[i], alpha, n);
    log_pi_part += log_pi[i];
  }
  const double total_loss = block_sum(loss_part, shared);
  const double total_log_pi = block_sum(log_pi_part, shared);
  if (threadIdx.x == 0) {
    *loss = total_loss;
    *sum_log_pi = total_log_pi;
  }
}

__global__ void alpha_grad_kernel(const double* sum_log_pi, int n, float target_entropy, const float* log_alpha,
                                  float* grad, double* loss) {
  const double w = *sum_log_pi / n + target_entropy;
  *grad = static_cast<float>(-w);
  *loss = -static_cast<double>(*log_alpha) * w;
}

__global__ void sum_kernel(const float* q, int n, double* out) {
  __shared__ double shared[kReduceThreads];
  double part = 0;
  for (int i = threadIdx.x; i < n; i += kReduceThreads) part += q[i];
  const double total = block_sum(part, shared);
  if (threadIdx.x == 0) *out = total;
}

}  // namespace

void sac_critic_loss(cudaStream_t stream, const float* q1, const float* q2, const float* y, int n, float* dq1,
                     float* dq2, double* loss) {
  critic_loss_kernel<<<1, kReduceThreads, 0, stream>>>(q1, q2, y, n, dq1, dq2, loss);
}

void sac_actor_min_q(cudaStream_t stream, const float* q1, const float* q2, const float* log_pi,
                     const float* log_alpha, int n, int* argmin, float* dq1, float* dq2, double* loss,
                     double* sum_log_pi) {
  actor_min_q_kernel<<<1, kReduceThreads, 0, stream>>>(q1, q2, log_pi, log_alpha, n, argmin, dq1, dq2, loss,
                                                       sum_log_pi);
}

void sac_alpha_grad(cudaStream_t stream, const double* sum_log_pi, int n, float target_entropy,
                    const float* log_alpha, float* grad, double* loss) {
  alpha_grad_kernel<<<1, 1, 0, stream>>>(sum_log_pi, n, target_entropy, log_alpha, grad, loss);
}

void sum(cudaStream_t stream, const float* q, int n, double* out) {
  sum_kernel<<<1, kReduceThreads, 0, stream>>>(q, n, out);
}

}  // namespace usbpo::cuda::kernels
