// Run-time choice of the CPU kernel variant: the best instruction set the
// processor supports, so a portable build still runs AVX2/AVX-512 code.
#include <cstdlib>
#include <cstring>

#include "nn/kernels/ops_kernels.hpp"
#include "usbpo/nn/ops.hpp"

USBPO_DECLARE_KERNELS(kernels_generic)
#if defined(USBPO_KERNELS_X86)
USBPO_DECLARE_KERNELS(kernels_avx2)
USBPO_DECLARE_KERNELS(kernels_avx512)
#endif

namespace usbpo {
namespace ops {
namespace {

struct KernelTable {
  const char* name;
  decltype(&kernels_generic::gemm) gemm;
  decltype(&kernels_generic::linear_forward) linear_forward;
  decltype(&kernels_generic::activation_forward) activation_forward;
  decltype(&kernels_generic::activation_backward) activation_backward;
  decltype(&kernels_generic::linear_backward_params) linear_backward_params;
  decltype(&kernels_generic::linear_backward_input) linear_backward_input;
  decltype(&kernels_generic::linear_backward_weights) linear_backward_weights;
  decltype(&kernels_generic::linear_backward_bias) linear_backward_bias;
  decltype(&kernels_generic::adam_step) adam_step;
  decltype(&kernels_generic::polyak) polyak;
  decltype(&kernels_generic::gaussian_nll) gaussian_nll;
  decltype(&kernels_generic::gaussian_nll_bound_grads) gaussian_nll_bound_grads;
  decltype(&kernels_generic::soft_clamp_logvar) soft_clamp_logvar;
  decltype(&kernels_generic::l2_decay) l2_decay;
  decltype(&kernels_generic::w2_diag_gaussian) w2_diag_gaussian;
  decltype(&kernels_generic::tanh_gaussian_sample) tanh_gaussian_sample;
  decltype(&kernels_generic::tanh_gaussian_backward) tanh_gaussian_backward;
};

#define USBPO_KERNEL_TABLE(ns, label)                                                                        \
  KernelTable {                                                                                              \
    label, &ns::gemm, &ns::linear_forward, &ns::activation_forward, &ns::activation_backward,                \
        &ns::linear_backward_params, &ns::linear_backward_input, &ns::linear_backward_weights,               \
        &ns::linear_backward_bias, &ns::adam_step, &ns::polyak,                                              \
        &ns::gaussian_nll, &ns::gaussian_nll_bound_grads, &ns::soft_clamp_logvar, &ns::l2_decay,             \
        &ns::w2_diag_gaussian, &ns::tanh_gaussian_sample, &ns::tanh_gaussian_backward                        \
  }

KernelTable choose() {
  const char* forced = std::getenv("USBPO_KERNELS");
#if defined(USBPO_KERNELS_X86)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool want_generic = forced && !std::strcmp(forced, "generic");
  const bool want_avx2 = forced && !std::strcmp(forced, "avx2");
  if (avx512 && !want_generic && !want_avx2) return USBPO_KERNEL_TABLE(kernels_avx512, "avx512");
  if (avx2 && !want_generic) return USBPO_KERNEL_TABLE(kernels_avx2, "avx2");
#else
  (void)forced;
#endif
  return USBPO_KERNEL_TABLE(kernels_generic, "generic");
}

// Chosen once, on first use (thread-safe static init; no heap).
const KernelTable& kernels() {
  static const KernelTable table = choose();
  return table;
}

}  // namespace

void gemm(bool ta, bool tb, int m, int n, int k, Scalar alpha, const Scalar* a, const Scalar* b, Scalar beta,
          Scalar* c) {
  kernels().gemm(ta, tb, m, n, k, alpha, a, b, beta, c);
}
void linear_forward(const Scalar* w, const Scalar* bias, const Scalar* x, int m, int k, int n, Scalar* z) {
  kernels().linear_forward(w, bias, x, m, k, n, z);
}
void activation_forward(Activation act, const Scalar* z, Scalar* a, std::size_t count) {
  kernels().activation_forward(act, z, a, count);
}
void activation_backward(Activation act, const Scalar* z, const Scalar* d_a, Scalar* d_z, std::size_t count) {
  kernels().activation_backward(act, z, d_a, d_z, count);
}
void linear_backward_params(const Scalar* d_z, const Scalar* x, int m, int k, int n, bool accumulate, Scalar* d_w,
                            Scalar* d_bias) {
  kernels().linear_backward_params(d_z, x, m, k, n, accumulate, d_w, d_bias);
}
void linear_backward_input(const Scalar* w, const Scalar* d_z, int m, int k, int n, Scalar* d_x) {
  kernels().linear_backward_input(w, d_z, m, k, n, d_x);
}
void linear_backward_weights(const Scalar* d_z, const Scalar* x, int m, int k, int n, int k_begin, int k_end,
                             bool accumulate, Scalar* d_w) {
  kernels().linear_backward_weights(d_z, x, m, k, n, k_begin, k_end, accumulate, d_w);
}
void linear_backward_bias(const Scalar* d_z, int m, int n, bool accumulate, Scalar* d_bias) {
  kernels().linear_backward_bias(d_z, m, n, accumulate, d_bias);
}
void adam_step(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n, Scalar lr, Scalar beta1,
               Scalar beta2, Scalar eps, Scalar decay, std::int64_t step) {
  kernels().adam_step(theta, grad, m, v, n, lr, beta1, beta2, eps, decay, step);
}
void polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) {
  kernels().polyak(target, source, n, tau);
}
double gaussian_nll(const Scalar* output, const Scalar* target, const Scalar* max_lv, const Scalar* min_lv, int out,
                    int n, Scalar scale, Scalar* d_output, Scalar* d_max, Scalar* d_min, Scalar* scratch) {
  return kernels().gaussian_nll(output, target, max_lv, min_lv, out, n, scale, d_output, d_max, d_min, scratch);
}
void gaussian_nll_bound_grads(int out, int n, const Scalar* scratch, Scalar* d_max, Scalar* d_min) {
  kernels().gaussian_nll_bound_grads(out, n, scratch, d_max, d_min);
}
void soft_clamp_logvar(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, int out, int n,
                       Scalar* logvar) {
  kernels().soft_clamp_logvar(output, max_lv, min_lv, out, n, logvar);
}
double l2_decay(const Scalar* w, Scalar* grad, std::size_t n, Scalar decay) {
  return kernels().l2_decay(w, grad, n, decay);
}
double w2_diag_gaussian(const Scalar* mu_p, const Scalar* sd_p, const Scalar* mu_q, const Scalar* sd_q, int d,
                        Scalar eps, Scalar weight, Scalar* d_mu_p, Scalar* d_sd_p, Scalar* d_mu_q, Scalar* d_sd_q) {
  return kernels().w2_diag_gaussian(mu_p, sd_p, mu_q, sd_q, d, eps, weight, d_mu_p, d_sd_p, d_mu_q, d_sd_q);
}
void tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                          Scalar log_std_max, Scalar* action, Scalar* log_pi) {
  kernels().tanh_gaussian_sample(output, eps, act, n, log_std_min, log_std_max, action, log_pi);
}
void tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                            Scalar log_std_min, Scalar log_std_max, Scalar alpha, Scalar* d_output) {
  kernels().tanh_gaussian_backward(output, eps, dq_da, act, n, log_std_min, log_std_max, alpha, d_output);
}
const char* kernel_variant() { return kernels().name; }

const char* gemm_backend() {
#if defined(USBPO_WITH_OPENBLAS)
  return "OpenBLAS";
#else
  return "Eigen";
#endif
}

void set_eigen_malloc_allowed(bool allowed) {
  kernels_generic::set_eigen_malloc_allowed(allowed);
#if defined(USBPO_KERNELS_X86)
  kernels_avx2::set_eigen_malloc_allowed(allowed);
  kernels_avx512::set_eigen_malloc_allowed(allowed);
#endif
}

}  // namespace ops
}  // namespace usbpo
