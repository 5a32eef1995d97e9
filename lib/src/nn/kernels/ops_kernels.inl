// CPU kernels of the op set (Eigen; OpenBLAS sgemm when enabled).
//
// This file is included once per instruction set (see lib/CMakeLists.txt):
// USBPO_KERNEL_NAMESPACE names the variant, and in the non-baseline variants
// Eigen itself is renamed by the build (-DEigen=...), so each variant's Eigen
// templates are distinct symbols and the linker never mixes instruction sets.
// ops_dispatch.cpp picks the best variant the CPU supports at run time.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "nn/kernels/ops_kernels.hpp"
#include "usbpo/nn/element_math.hpp"

#if defined(USBPO_WITH_OPENBLAS)
#include <cblas.h>
#endif

namespace usbpo {
namespace USBPO_KERNEL_NAMESPACE {
namespace {

// Eigen's blocked GEMM packs panels on the stack up to EIGEN_STACK_ALLOCATION_LIMIT
// and on the heap beyond it. Splitting products into slices of at most this many
// columns (and rows for the m side) keeps every panel under the limit set for
// usbpo (see lib/CMakeLists.txt), so GEMMs never allocate.
constexpr int kMaxSlice = 512;

// Local aliases (not usbpo::Matrix): this TU may see a renamed Eigen.
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;
using VectorMap = Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>;
using ConstVectorMap = Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>;

using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const Matrix, 0, Stride>;
using Map = Eigen::Map<Matrix, 0, Stride>;

// c += op(a) op(b) with plain operands (no scalar factor inside the product).
void accumulate_product(Map& c, const ConstMap& a, const ConstMap& b, bool transpose_a, bool transpose_b) {
  if (!transpose_a && !transpose_b) {
    c.noalias() += a * b;
  } else if (transpose_a && !transpose_b) {
    c.noalias() += a.transpose() * b;
  } else if (!transpose_a && transpose_b) {
    c.noalias() += a * b.transpose();
  } else {
    c.noalias() += a.transpose() * b.transpose();
  }
}

// gemm with explicit leading dimensions (column-major).
void gemm_strided(bool transpose_a, bool transpose_b, int m, int n, int k, Scalar alpha, const Scalar* a, int lda,
                  const Scalar* b, int ldb, Scalar beta, Scalar* c, int ldc) {
  if (m <= 0 || n <= 0) return;
#if defined(USBPO_WITH_OPENBLAS)
  cblas_sgemm(CblasColMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
  for (int j0 = 0; j0 < n; j0 += kMaxSlice) {
    const int nj = std::min(kMaxSlice, n - j0);
    for (int i0 = 0; i0 < m; i0 += kMaxSlice) {
      const int mi = std::min(kMaxSlice, m - i0);
      Map c_block(c + static_cast<std::ptrdiff_t>(j0) * ldc + i0, mi, nj, Stride(ldc));
      if (beta == 0) {
        c_block.setZero();
      } else if (beta != 1) {
        c_block *= beta;
      }
      if (k <= 0 || alpha == 0) continue;
      const Scalar* a_block = transpose_a ? a + static_cast<std::ptrdiff_t>(i0) * lda : a + i0;
      const Scalar* b_block = transpose_b ? b + j0 : b + static_cast<std::ptrdiff_t>(j0) * ldb;
      // alpha == 1 keeps the operands plain Maps: Eigen's GEMV path copies a
      // scaled operand into a heap temporary. alpha != 1 may allocate (no caller uses it).
      if (alpha == 1) {
        accumulate_product(c_block, ConstMap(a_block, transpose_a ? k : mi, transpose_a ? mi : k, Stride(lda)),
                           ConstMap(b_block, transpose_b ? nj : k, transpose_b ? k : nj, Stride(ldb)),
                           transpose_a, transpose_b);
      } else {
        Map scaled = c_block;
        scaled /= alpha;
        accumulate_product(scaled, ConstMap(a_block, transpose_a ? k : mi, transpose_a ? mi : k, Stride(lda)),
                           ConstMap(b_block, transpose_b ? nj : k, transpose_b ? k : nj, Stride(ldb)),
                           transpose_a, transpose_b);
        scaled *= alpha;
      }
    }
  }
#endif
}

}  // namespace

void gemm(bool transpose_a, bool transpose_b, int m, int n, int k, Scalar alpha, const Scalar* a,
          const Scalar* b, Scalar beta, Scalar* c) {
  gemm_strided(transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? k : m, b, transpose_b ? n : k, beta, c, m);
}

void linear_forward(const Scalar* w, const Scalar* bias, const Scalar* x, int m, int k, int n,
                    Scalar* z) {
  if (n == 1) {
    // One column (acting on a single observation): a plain GEMV, no slicing.
    VectorMap z_vec(z, m);
    z_vec = ConstVectorMap(bias, m);
    z_vec.noalias() += ConstMatrixMap(w, m, k) * ConstVectorMap(x, k);
    return;
  }
  MatrixMap z_map(z, m, n);
  z_map.colwise() = ConstVectorMap(bias, m);
  gemm(false, false, m, n, k, 1, w, x, 1, z);
}

void activation_forward(Activation act, const Scalar* z, Scalar* a, std::size_t count) {
  const auto n = static_cast<Eigen::Index>(count);
  Eigen::Map<const Eigen::ArrayXf> z_arr(z, n);
  Eigen::Map<Eigen::ArrayXf> a_arr(a, n);
  switch (act) {
    case Activation::kIdentity:
      if (a != z) a_arr = z_arr;
      break;
    case Activation::kRelu:
      a_arr = z_arr.max(0.0f);
      break;
    case Activation::kSwish:
      // swish(z) = z * sigmoid(z)
      a_arr = z_arr / (1.0f + (-z_arr).exp());
      break;
  }
}

void activation_backward(Activation act, const Scalar* z, const Scalar* d_a, Scalar* d_z,
                         std::size_t count) {
  const auto n = static_cast<Eigen::Index>(count);
  Eigen::Map<const Eigen::ArrayXf> z_arr(z, n);
  Eigen::Map<const Eigen::ArrayXf> da_arr(d_a, n);
  Eigen::Map<Eigen::ArrayXf> dz_arr(d_z, n);
  switch (act) {
    case Activation::kIdentity:
      if (d_z != d_a) dz_arr = da_arr;
      break;
    case Activation::kRelu:
      dz_arr = (z_arr > 0.0f).select(da_arr, 0.0f);
      break;
    case Activation::kSwish:
      // d/dz [z s(z)] = s (1 + z (1 - s)), s = sigmoid(z); vectorised in blocks
      // so the sigmoid is computed once per element without a buffer.
      for (Eigen::Index start = 0; start < n; start += 256) {
        const Eigen::Index len = std::min<Eigen::Index>(256, n - start);
        Eigen::Array<float, 256, 1> s;
        s.head(len) = 1.0f / (1.0f + (-z_arr.segment(start, len)).exp());
        dz_arr.segment(start, len) =
            da_arr.segment(start, len) * s.head(len) * (1.0f + z_arr.segment(start, len) * (1.0f - s.head(len)));
      }
      break;
  }
}

void linear_backward_params(const Scalar* d_z, const Scalar* x, int m, int k, int n,
                            bool accumulate, Scalar* d_w, Scalar* d_bias) {
  gemm(false, true, m, k, n, 1, d_z, x, accumulate ? 1.0f : 0.0f, d_w);
  VectorMap db(d_bias, m);
  if (accumulate) {
    db.noalias() += ConstMatrixMap(d_z, m, n).rowwise().sum();
  } else {
    db.noalias() = ConstMatrixMap(d_z, m, n).rowwise().sum();
  }
}

void linear_backward_weights(const Scalar* d_z, const Scalar* x, int m, int k, int n, int k_begin, int k_end,
                             bool accumulate, Scalar* d_w) {
  gemm_strided(false, true, m, k_end - k_begin, n, 1, d_z, m, x + k_begin, k, accumulate ? 1.0f : 0.0f,
               d_w + static_cast<std::ptrdiff_t>(k_begin) * m, m);
}

void linear_backward_bias(const Scalar* d_z, int m, int n, bool accumulate, Scalar* d_bias) {
  VectorMap db(d_bias, m);
  if (accumulate) {
    db.noalias() += ConstMatrixMap(d_z, m, n).rowwise().sum();
  } else {
    db.noalias() = ConstMatrixMap(d_z, m, n).rowwise().sum();
  }
}

void linear_backward_input(const Scalar* w, const Scalar* d_z, int m, int k, int n, Scalar* d_x) {
  gemm(true, false, k, n, m, 1, w, d_z, 0, d_x);
}

void adam_step(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n, Scalar lr,
               Scalar beta1, Scalar beta2, Scalar eps, Scalar decay, std::int64_t step) {
  const element::AdamFactors f = element::adam_factors(lr, beta1, beta2, eps, step);
  // One fused pass (vectorised by the compiler): Adam is memory-bound.
  for (std::size_t i = 0; i < n; ++i) element::adam(theta[i], grad[i], m[i], v[i], beta1, beta2, decay, f);
}

void polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) {
  const auto count = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf> t(target, count);
  Eigen::Map<const Eigen::ArrayXf> s(source, count);
  t = (1 - tau) * t + tau * s;
}

double gaussian_nll(const Scalar* output, const Scalar* target, const Scalar* max_lv, const Scalar* min_lv, int out,
                    int n, Scalar scale, Scalar* d_output, Scalar* d_max, Scalar* d_min, Scalar* scratch) {
  using Block = Eigen::Map<Eigen::ArrayXXf>;
  using ConstStrided = Eigen::Map<const Eigen::ArrayXXf, 0, Eigen::OuterStride<>>;
  using Strided = Eigen::Map<Eigen::ArrayXXf, 0, Eigen::OuterStride<>>;
  const std::size_t block = static_cast<std::size_t>(out) * n;
  Block u(scratch, out, n), v(scratch + block, out, n), lv(scratch + 2 * block, out, n),
      err(scratch + 3 * block, out, n), inv_var(scratch + 4 * block, out, n);
  const Eigen::Map<const Eigen::ArrayXf> max_col(max_lv, out), min_col(min_lv, out);
  const ConstStrided mu(output, out, n, Eigen::OuterStride<>(2 * out));
  const ConstStrided raw(output + out, out, n, Eigen::OuterStride<>(2 * out));
  const Eigen::Map<const Eigen::ArrayXXf> y(target, out, n);
  // Soft clamp: u = max - raw, upper = max - softplus(u), v = upper - min, lv = min + softplus(v).
  u = (-raw).colwise() + max_col;
  lv = u.max(0.0f) + (-u.abs()).exp().log1p();
  v = ((-lv).colwise() + max_col).colwise() - min_col;
  lv = (v.max(0.0f) + (-v.abs()).exp().log1p()).colwise() + min_col;
  inv_var = (-lv).exp();
  err = mu - y;
  const double loss = static_cast<double>((err.square() * inv_var + lv).sum()) * scale;
  if (!d_output) return loss;
  Strided d_mu(d_output, out, n, Eigen::OuterStride<>(2 * out));
  Strided d_raw(d_output + out, out, n, Eigen::OuterStride<>(2 * out));
  d_mu = (2.0f * scale) * err * inv_var;
  // dlv/draw = s2 s1, dlv/dmax = s2 (1 - s1), dlv/dmin = 1 - s2 with s1 = sigmoid(u), s2 = sigmoid(v).
  u = 1.0f / (1.0f + (-u).exp());
  v = 1.0f / (1.0f + (-v).exp());
  err = scale * (1.0f - err.square() * inv_var);  // now dL/dlv
  d_raw = err * v * u;
  if (d_max) gaussian_nll_bound_grads(out, n, scratch, d_max, d_min);
  return loss;
}

void gaussian_nll_bound_grads(int out, int n, const Scalar* scratch, Scalar* d_max, Scalar* d_min) {
  using Block = Eigen::Map<const Eigen::ArrayXXf>;
  const std::size_t block = static_cast<std::size_t>(out) * n;
  const Block u(scratch, out, n), v(scratch + block, out, n), err(scratch + 3 * block, out, n);
  Eigen::Map<Eigen::ArrayXf>(d_max, out) += (err * v * (1.0f - u)).rowwise().sum();
  Eigen::Map<Eigen::ArrayXf>(d_min, out) += (err * (1.0f - v)).rowwise().sum();
}

double w2_diag_gaussian(const Scalar* mu_p, const Scalar* sd_p, const Scalar* mu_q, const Scalar* sd_q, int d,
                        Scalar eps, Scalar weight, Scalar* d_mu_p, Scalar* d_sd_p, Scalar* d_mu_q, Scalar* d_sd_q) {
  double squared = eps;
  for (int k = 0; k < d; ++k) {
    const double dm = static_cast<double>(mu_p[k]) - mu_q[k];
    const double ds = static_cast<double>(sd_p[k]) - sd_q[k];
    squared += dm * dm + ds * ds;
  }
  const double w2 = std::sqrt(squared);
  if (weight != 0) {
    // dW2/dmu_p = (mu_p - mu_q) / W2, dW2/dmu_q = -(mu_p - mu_q) / W2; likewise for sd.
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

double l2_decay(const Scalar* w, Scalar* grad, std::size_t n, Scalar decay) {
  const Eigen::Map<const Eigen::ArrayXf> weights(w, static_cast<Eigen::Index>(n));
  if (grad) Eigen::Map<Eigen::ArrayXf>(grad, static_cast<Eigen::Index>(n)) += decay * weights;
  return 0.5 * decay * static_cast<double>(weights.square().sum());
}

void tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                          Scalar log_std_max, Scalar* action, Scalar* log_pi) {
  using ConstStrided = Eigen::Map<const Eigen::ArrayXXf, 0, Eigen::OuterStride<>>;
  const ConstStrided mean(output, act, n, Eigen::OuterStride<>(2 * act));
  const ConstStrided raw_log_std(output + act, act, n, Eigen::OuterStride<>(2 * act));
  const Eigen::Map<const Eigen::ArrayXXf> e(eps, act, n);
  Eigen::Map<Eigen::ArrayXXf> a(action, act, n);
  // a holds u first, then tanh(u).
  a = mean + raw_log_std.max(log_std_min).min(log_std_max).exp() * e;
  if (log_pi) {
    // log N(u; mean, std) = -eps^2/2 - log_std - log(2 pi)/2; log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)).
    constexpr float kHalfLog2Pi = 0.918938533f, kLog2 = 0.693147181f;
    Eigen::Map<Eigen::ArrayXf> lp(log_pi, n);
    const auto softplus_m2u = (-2.0f * a).max(0.0f) + (-(2.0f * a).abs()).exp().log1p();
    lp = (-0.5f * e.square() - raw_log_std.max(log_std_min).min(log_std_max) - kHalfLog2Pi -
          2.0f * (kLog2 - a - softplus_m2u))
             .colwise()
             .sum()
             .transpose();
  }
  a = a.tanh();
}

void tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                            Scalar log_std_min, Scalar log_std_max, Scalar alpha, Scalar* d_output) {
  const float inv_n = 1.0f / static_cast<float>(n);
  for (int i = 0; i < n; ++i) {
    const Scalar* col = output + static_cast<std::size_t>(i) * 2 * act;
    const Scalar* e = eps + static_cast<std::size_t>(i) * act;
    const Scalar* g = dq_da + static_cast<std::size_t>(i) * act;
    Scalar* d_col = d_output + static_cast<std::size_t>(i) * 2 * act;
    for (int d = 0; d < act; ++d) {
      element::tanh_gaussian_backward_dim(col[d], col[act + d], e[d], g[d], log_std_min, log_std_max, alpha, inv_n,
                                          &d_col[d], &d_col[act + d]);
    }
  }
}

void soft_clamp_logvar(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, int out, int n,
                       Scalar* logvar) {
  const Eigen::Map<const Eigen::ArrayXf> max_col(max_lv, out), min_col(min_lv, out);
  const Eigen::Map<const Eigen::ArrayXXf, 0, Eigen::OuterStride<>> raw(output + out, out, n,
                                                                         Eigen::OuterStride<>(2 * out));
  Eigen::Map<Eigen::ArrayXXf> lv(logvar, out, n);
  lv = (-raw).colwise() + max_col;                                        // u
  lv = ((-(lv.max(0.0f) + (-lv.abs()).exp().log1p())).colwise() + max_col).colwise() - min_col;  // v
  lv = (lv.max(0.0f) + (-lv.abs()).exp().log1p()).colwise() + min_col;
}

void set_eigen_malloc_allowed(bool allowed) {
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(allowed);
#else
  (void)allowed;
#endif
}

}  // namespace USBPO_KERNEL_NAMESPACE
}  // namespace usbpo
