// Declarations of one instruction-set variant of the CPU kernels (private).
// USBPO_DECLARE_KERNELS(ns) declares usbpo::ns::{gemm, linear_forward, ...}
// with the signatures of usbpo::ops (see usbpo/ops.hpp for their meaning).
#include <cstddef>
#include <cstdint>

#include "usbpo/base/scalar.hpp"
#include "usbpo/nn/activation.hpp"

#define USBPO_DECLARE_KERNELS(ns)                                                                          \
  namespace usbpo {                                                                                        \
  namespace ns {                                                                                           \
  void gemm(bool transpose_a, bool transpose_b, int m, int n, int k, Scalar alpha, const Scalar* a,        \
            const Scalar* b, Scalar beta, Scalar* c);                                                      \
  void linear_forward(const Scalar* w, const Scalar* bias, const Scalar* x, int m, int k, int n,           \
                      Scalar* z);                                                                          \
  void activation_forward(Activation act, const Scalar* z, Scalar* a, std::size_t count);                 \
  void activation_backward(Activation act, const Scalar* z, const Scalar* d_a, Scalar* d_z,               \
                           std::size_t count);                                                             \
  void linear_backward_params(const Scalar* d_z, const Scalar* x, int m, int k, int n, bool accumulate,    \
                              Scalar* d_w, Scalar* d_bias);                                                \
  void linear_backward_input(const Scalar* w, const Scalar* d_z, int m, int k, int n, Scalar* d_x);        \
  void linear_backward_weights(const Scalar* d_z, const Scalar* x, int m, int k, int n, int k_begin,       \
                               int k_end, bool accumulate, Scalar* d_w);                                   \
  void linear_backward_bias(const Scalar* d_z, int m, int n, bool accumulate, Scalar* d_bias);             \
  void adam_step(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n, Scalar lr,        \
                 Scalar beta1, Scalar beta2, Scalar eps, Scalar decay, std::int64_t step);                 \
  void polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau);                            \
  void set_eigen_malloc_allowed(bool allowed);                                                             \
  double gaussian_nll(const Scalar* output, const Scalar* target, const Scalar* max_lv, const Scalar* min_lv,    \
                      int out, int n, Scalar scale, Scalar* d_output, Scalar* d_max, Scalar* d_min,            \
                      Scalar* scratch);                                                                    \
  void gaussian_nll_bound_grads(int out, int n, const Scalar* scratch, Scalar* d_max, Scalar* d_min);          \
  double l2_decay(const Scalar* w, Scalar* grad, std::size_t n, Scalar decay);                            \
  double w2_diag_gaussian(const Scalar* mu_p, const Scalar* sd_p, const Scalar* mu_q, const Scalar* sd_q, int d, \
                          Scalar eps, Scalar weight, Scalar* d_mu_p, Scalar* d_sd_p, Scalar* d_mu_q,        \
                          Scalar* d_sd_q);                                                                 \
  void tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,       \
                            Scalar log_std_max, Scalar* action, Scalar* log_pi);                           \
  void tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,    \
                              Scalar log_std_min, Scalar log_std_max, Scalar alpha, Scalar* d_output);     \
  void soft_clamp_logvar(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, int out, int n,     \
                         Scalar* logvar);                                                                  \
  }                                                                                                        \
  }

#if defined(USBPO_KERNEL_NAMESPACE)
USBPO_DECLARE_KERNELS(USBPO_KERNEL_NAMESPACE)
#endif
