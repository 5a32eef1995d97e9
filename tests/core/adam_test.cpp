#include "usbpo/nn/adam.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

TEST(Adam, StepsMatchTheBiasCorrectedFormula) {
  std::vector<unsigned char> memory(Adam::bytes_needed(3));
  Arena arena(memory.data(), memory.size());
  Adam adam;
  AdamConfig c;
  c.learning_rate = 0.1f;
  ASSERT_TRUE(adam.place(3, c, arena).is_ok());
  std::vector<Scalar> theta = {1, -2, 3}, grad = {0.5f, -1, 0};
  double m[3] = {}, v[3] = {}, ref[3] = {1, -2, 3};
  for (int t = 1; t <= 5; ++t) {
    adam.step(theta.data(), grad.data());
    for (int i = 0; i < 3; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * grad[i];
      v[i] = 0.999 * v[i] + 0.001 * grad[i] * grad[i];
      const double m_hat = m[i] / (1 - std::pow(0.9, t)), v_hat = v[i] / (1 - std::pow(0.999, t));
      ref[i] -= 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8);
    }
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(theta[i], ref[i], 1e-5);
  EXPECT_EQ(adam.steps(), 5);
}

TEST(Adam, LayerDecaysApplyToWeightsOnly) {
  EnsembleMlp net;
  MlpShape shape;
  shape.members = 2;
  shape.input_dim = 2;
  shape.output_dim = 1;
  shape.hidden_layers = 1;
  shape.hidden_width = 3;
  ASSERT_TRUE(net.configure(shape).is_ok());
  std::vector<unsigned char> memory(Adam::bytes_needed(net.total_params()));
  Arena arena(memory.data(), memory.size());
  Adam adam;
  ASSERT_TRUE(adam.place(net.total_params(), AdamConfig(), arena).is_ok());
  const Scalar decays[2] = {0.5f, 0.25f};
  ASSERT_TRUE(adam.set_layer_decays(net, decays, 2).is_ok());
  // Zero gradient: only decayed parameters (all weights, no biases) move.
  std::vector<Scalar> theta(net.total_params(), 1.0f), grad(net.total_params(), 0.0f);
  adam.step(theta.data(), grad.data());
  for (int b = 0; b < 2; ++b) {
    for (int l = 0; l < 2; ++l) {
      const std::size_t w = net.member_offset(b) + net.weight_offset(l);
      const std::size_t bias = net.member_offset(b) + net.bias_offset(l);
      EXPECT_LT(theta[w], 1.0f) << "member " << b << " layer " << l << " weight";
      EXPECT_EQ(theta[bias], 1.0f) << "member " << b << " layer " << l << " bias";
    }
  }
  const Scalar wrong[1] = {0.1f};
  EXPECT_EQ(adam.set_layer_decays(net, wrong, 1).code(), StatusCode::kDimensionMismatch);
}

TEST(Ops, PolyakAveragesTowardTheSource) {
  std::vector<Scalar> target = {0, 10}, source = {1, 0};
  ops::polyak(target.data(), source.data(), 2, 0.25f);
  EXPECT_FLOAT_EQ(target[0], 0.25f);
  EXPECT_FLOAT_EQ(target[1], 7.5f);
}

TEST(Ops, GemmMatchesReferenceForAllTransposesAndSlices) {
  // Sizes above the 512 slice exercise the sliced path.
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      const int m = 530, n = 600, k = 7;
      std::vector<Scalar> a(m * k), b(k * n), c(m * n, 1.0f);
      for (int i = 0; i < m * k; ++i) a[i] = static_cast<Scalar>((i * 7) % 13) - 6;
      for (int i = 0; i < k * n; ++i) b[i] = static_cast<Scalar>((i * 5) % 11) - 5;
      ops::gemm(ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.5f, c.data());
      for (int i = 0; i < m; i += 37) {
        for (int j = 0; j < n; j += 41) {
          double ref = 0.5;
          for (int p = 0; p < k; ++p) {
            const double av = ta ? a[p + i * k] : a[i + p * m];
            const double bv = tb ? b[j + p * n] : b[p + j * k];
            ref += av * bv;
          }
          ASSERT_NEAR(c[i + j * m], ref, 1e-3) << "ta " << ta << " tb " << tb;
        }
      }
    }
  }
  EXPECT_NE(std::string(ops::kernel_variant()), "");
}

}  // namespace
}  // namespace usbpo
