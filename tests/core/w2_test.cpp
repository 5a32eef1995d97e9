// The closed-form diagonal-Gaussian W2 (USB-PO Eq. 11) against a numeric W2
// and finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "test_support.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

// Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (p < lo) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Numeric W2 of a product measure: per dimension the 1-D W2^2 = int_0^1 (F_p^-1(u) - F_q^-1(u))^2 du
// by the midpoint rule on quantiles; dimensions add (independent coordinates, diagonal covariances).
double numeric_w2(const std::vector<float>& mp, const std::vector<float>& sp, const std::vector<float>& mq,
                  const std::vector<float>& sq) {
  const int n = 200000;
  double total = 0;
  for (std::size_t k = 0; k < mp.size(); ++k) {
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const double z = normal_quantile((i + 0.5) / n);
      const double diff = (mp[k] + sp[k] * z) - (mq[k] + sq[k] * z);
      sum += diff * diff;
    }
    total += sum / n;
  }
  return std::sqrt(total);
}

TEST(W2, ClosedFormMatchesTheQuantileIntegral) {
  Rng rng(3);
  for (int trial = 0; trial < 5; ++trial) {
    const int d = 1 + trial;
    std::vector<float> mp(d), sp(d), mq(d), sq(d);
    for (int k = 0; k < d; ++k) {
      mp[k] = rng.uniform(-2, 2), mq[k] = rng.uniform(-2, 2);
      sp[k] = rng.uniform(0.05f, 2), sq[k] = rng.uniform(0.05f, 2);
    }
    const double closed = ops::w2_diag_gaussian(mp.data(), sp.data(), mq.data(), sq.data(), d, 0, 0, nullptr,
                                                nullptr, nullptr, nullptr);
    // The midpoint rule truncates the tails slightly: agreement to 1e-3 relative.
    EXPECT_NEAR(closed, numeric_w2(mp, sp, mq, sq), 1e-3 * (1 + closed)) << "d = " << d;
  }
}

TEST(W2, IdenticalGaussiansAreSqrtEpsApart) {
  const float m[2] = {0.3f, -1}, s[2] = {0.5f, 2};
  EXPECT_NEAR(ops::w2_diag_gaussian(m, s, m, s, 2, 1e-6f, 0, nullptr, nullptr, nullptr, nullptr), 1e-3, 1e-9);
}

TEST(W2, GradientsMatchFiniteDifferences) {
  Rng rng(5);
  const int d = 4;
  std::vector<float> v(4 * d);  // mu_p, sd_p, mu_q, sd_q
  for (auto& x : v) x = rng.uniform(0.1f, 1.5f);
  std::vector<float> g(4 * d, 0.0f);
  const float weight = 0.7f;
  ops::w2_diag_gaussian(v.data(), v.data() + d, v.data() + 2 * d, v.data() + 3 * d, d, 1e-6f, weight, g.data(),
                        g.data() + d, g.data() + 2 * d, g.data() + 3 * d);
  std::vector<double> numeric(4 * d);
  for (int i = 0; i < 4 * d; ++i) {
    numeric[i] = testing_support::central_difference(
        [&](Scalar x) {
          const Scalar saved = v[i];
          v[i] = x;
          const double w = ops::w2_diag_gaussian(v.data(), v.data() + d, v.data() + 2 * d, v.data() + 3 * d, d,
                                                 1e-6f, 0, nullptr, nullptr, nullptr, nullptr);
          v[i] = saved;
          return weight * w;
        },
        v[i]);
  }
  testing_support::expect_gradient_matches(std::vector<double>(g.begin(), g.end()), numeric, 1e-3,
                                           "W2 of two diagonal Gaussians");
}

}  // namespace
}  // namespace usbpo
