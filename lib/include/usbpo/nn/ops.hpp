// The op set: every network in usbpo (dynamics ensemble, twin critics, actor)
// is built from these few functions. The CPU backend implements them with
// Eigen (and OpenBLAS sgemm when USBPO_WITH_OPENBLAS); the CUDA port mirrors the
// same names with a stream as first argument. Matrices are column-major with
// an explicit leading dimension equal to their row count; batches are
// (features x batch).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/scalar.hpp"
#include "usbpo/nn/activation.hpp"

namespace usbpo {

namespace ops {

// C (m x n) = alpha * op(A) op(B) + beta * C, op = transpose when the flag is set.
// A is (m x k) or (k x m) when transposed; B is (k x n) or (n x k).
void gemm(bool transpose_a, bool transpose_b, int m, int n, int k, Scalar alpha, const Scalar* a,
          const Scalar* b, Scalar beta, Scalar* c);

// Z (m x n) = W (m x k) X (k x n) + bias (m), broadcast over columns.
void linear_forward(const Scalar* w, const Scalar* bias, const Scalar* x, int m, int k, int n,
                    Scalar* z);

// A = act(Z), elementwise over count values (A may alias Z for kIdentity/kRelu).
void activation_forward(Activation act, const Scalar* z, Scalar* a, std::size_t count);

// dZ = dA * act'(Z), elementwise; dZ may alias dA.
void activation_backward(Activation act, const Scalar* z, const Scalar* d_a, Scalar* d_z,
                         std::size_t count);

// Gradients of Z = W X + b given dZ (m x n):
//   dW (m x k) (+)= dZ X^T, dbias (m) (+)= sum over columns of dZ; accumulate selects +=.
void linear_backward_params(const Scalar* d_z, const Scalar* x, int m, int k, int n,
                            bool accumulate, Scalar* d_w, Scalar* d_bias);
// dX (k x n) = W^T dZ.
void linear_backward_input(const Scalar* w, const Scalar* d_z, int m, int k, int n, Scalar* d_x);
// The two halves of linear_backward_params, each with the same results: columns
// [k_begin, k_end) of dW (m x k) (+)= dZ X^T (column cuts at multiples of 16
// give the bits of one call), and dbias (m) (+)= sum over columns of dZ.
void linear_backward_weights(const Scalar* d_z, const Scalar* x, int m, int k, int n, int k_begin, int k_end,
                             bool accumulate, Scalar* d_w);
void linear_backward_bias(const Scalar* d_z, int m, int n, bool accumulate, Scalar* d_bias);

// One Adam step over n parameters (Kingma and Ba, bias-corrected):
//   g' = g + decay * theta (L2 decay as a loss term 0.5 * decay * ||theta||^2);
//   m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
//   theta -= lr * m_hat / (sqrt(v_hat) + eps), with step >= 1 counting updates.
void adam_step(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n, Scalar lr,
               Scalar beta1, Scalar beta2, Scalar eps, Scalar decay, std::int64_t step);

// Gaussian negative log-likelihood of MBPO's ensemble for one member, with the
// soft-clamped log-variance lv = min + softplus(max - softplus(max - raw) - min):
//   returns scale * sum((mu - y)^2 e^-lv + lv) over the (out x n) block.
// output (2 out x n): mean rows then raw log-variance rows; target (out x n);
// max_lv, min_lv (out). With d_output non-null, writes dL/d output (2 out x n)
// and adds dL/d max_lv and dL/d min_lv into d_max, d_min (out) unless d_max is
// null. scratch: 5 out n values.
double gaussian_nll(const Scalar* output, const Scalar* target, const Scalar* max_lv, const Scalar* min_lv, int out,
                    int n, Scalar scale, Scalar* d_output, Scalar* d_max, Scalar* d_min, Scalar* scratch);
// The bound gradients of a gaussian_nll call with d_output and a null d_max,
// from the scratch it left: adds dL/d max_lv and dL/d min_lv into d_max, d_min
// (out) exactly as that call would have (members can then run concurrently and
// add into the shared bounds in member order).
void gaussian_nll_bound_grads(int out, int n, const Scalar* scratch, Scalar* d_max, Scalar* d_min);

// 2-Wasserstein distance between diagonal Gaussians p = N(mu_p, diag sd_p^2)
// and q (USB-PO Eq. 11): W2 = sqrt(||mu_p - mu_q||^2 + ||sd_p - sd_q||^2 + eps),
// each vector (d). With weight != 0, adds weight * dW2/d(.) into the non-null
// gradient buffers (d each).
double w2_diag_gaussian(const Scalar* mu_p, const Scalar* sd_p, const Scalar* mu_q, const Scalar* sd_q, int d,
                        Scalar eps, Scalar weight, Scalar* d_mu_p, Scalar* d_sd_p, Scalar* d_mu_q, Scalar* d_sd_q);

// L2 weight decay term: returns decay / 2 sum(w^2) over n weights and, when
// grad is non-null, adds decay w to it.
double l2_decay(const Scalar* w, Scalar* grad, std::size_t n, Scalar decay);

// The soft clamp alone: logvar (out x n) from the raw rows of output (2 out x n).
void soft_clamp_logvar(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, int out, int n,
                       Scalar* logvar);

// Tanh-Gaussian policy sample (SAC appendix C): from the actor output (2 act x n)
// = [mean; log_std] with log_std clipped to [log_std_min, log_std_max], and
// noise eps (act x n): u = mean + exp(log_std) eps, action = tanh(u) (act x n),
// log_pi (n, may be null) = sum_d log N(u; mean, std) - log(1 - tanh(u)^2).
void tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                          Scalar log_std_max, Scalar* action, Scalar* log_pi);

// Gradient of the SAC actor loss mean(alpha log pi - Q(s, a)) w.r.t. the actor
// output (2 act x n), given dQ/da (act x n) at the sampled actions; clipped
// log-stds get zero gradient. Writes d_output (2 act x n).
void tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                            Scalar log_std_min, Scalar log_std_max, Scalar alpha, Scalar* d_output);

// Polyak averaging: target = (1 - tau) target + tau source over n values.
void polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau);

// Name of the kernel variant in use: "avx512", "avx2" or "generic" (picked at
// first use from what the CPU supports; USBPO_KERNELS=generic|avx2 forces one).
const char* kernel_variant();

// "OpenBLAS" when built with USBPO_WITH_OPENBLAS (sgemm goes there), else "Eigen".
const char* gemm_backend();

// Test hook: Eigen's runtime no-malloc flag in every kernel variant (each sees
// its own Eigen); a no-op unless built with EIGEN_RUNTIME_NO_MALLOC.
void set_eigen_malloc_allowed(bool allowed);

}  // namespace ops
}  // namespace usbpo
