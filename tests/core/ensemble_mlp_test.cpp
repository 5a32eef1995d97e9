#include "usbpo/nn/ensemble_mlp.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "test_support.hpp"

namespace usbpo {
namespace {

struct Fixture {
  EnsembleMlp net;
  std::vector<unsigned char> memory;
  Arena arena;
  MlpWorkspace ws;
  std::vector<Scalar> params, grads, input;
  int batch = 5;

  explicit Fixture(const MlpShape& shape, bool shared_input) {
    EXPECT_TRUE(net.configure(shape).is_ok());
    memory.resize(MlpWorkspace::bytes_needed(net, batch, true));
    arena = Arena(memory.data(), memory.size());
    EXPECT_TRUE(ws.place(net, batch, true, arena).is_ok());
    params.resize(net.total_params());
    grads.resize(net.total_params());
    Rng rng(3);
    net.init_params(params.data(), MlpInit::kUniformFanIn, rng);
    const std::size_t stride = shared_input ? 0 : static_cast<std::size_t>(shape.input_dim) * batch;
    input.resize(static_cast<std::size_t>(shape.input_dim) * batch * (shared_input ? 1 : shape.members));
    for (auto& x : input) x = rng.uniform(-2, 2);
    input_stride = stride;
  }
  std::size_t input_stride = 0;

  // Loss: sum over members and entries of c_ij * y_ij with fixed pseudo-random c.
  double loss() {
    MlpOps::forward(net, params.data(), input.data(), input_stride, batch, ws, 0, net.members());
    double total = 0;
    for (int b = 0; b < net.members(); ++b) {
      const Scalar* y = ws.output(b);
      for (int i = 0; i < net.shape().output_dim * batch; ++i) total += coefficient(b, i) * y[i];
    }
    return total;
  }
  static double coefficient(int b, int i) { return 0.3 + 0.1 * ((b * 7 + i * 3) % 11) - 0.5; }

  void analytic(bool accumulate = false) {
    loss();
    for (int b = 0; b < net.members(); ++b) {
      Scalar* dy = ws.output_grad(b);
      for (int i = 0; i < net.shape().output_dim * batch; ++i) dy[i] = static_cast<Scalar>(coefficient(b, i));
    }
    MlpOps::backward(net, params.data(), ws, 0, net.members(), grads.data(), accumulate, true);
  }
};

void check_gradients(Activation act, int members, bool shared) {
  MlpShape shape;
  shape.members = members;
  shape.input_dim = 3;
  shape.output_dim = 2;
  shape.hidden_layers = 2;
  shape.hidden_width = 6;
  shape.activation = act;
  Fixture f(shape, shared);
  f.analytic();
  // Parameters: central differences in double on the float network.
  std::vector<double> numeric(f.params.size());
  for (std::size_t i = 0; i < f.params.size(); ++i) {
    numeric[i] = testing_support::central_difference(
        [&](Scalar v) {
          Scalar saved = f.params[i];
          f.params[i] = v;
          double l = f.loss();
          f.params[i] = saved;
          return l;
        },
        f.params[i]);
  }
  testing_support::expect_gradient_matches(std::vector<double>(f.grads.begin(), f.grads.end()), numeric, 1e-2,
                                           "parameters");
  // Inputs (per member when not shared).
  if (!shared) {
    f.analytic();
    for (int b = 0; b < members; ++b) {
      std::vector<double> dx(f.ws.input_grad(b), f.ws.input_grad(b) + 3 * f.batch), numeric_dx(dx.size());
      for (int i = 0; i < 3 * f.batch; ++i) {
        Scalar& x = f.input[f.input_stride * b + i];
        numeric_dx[i] = testing_support::central_difference(
            [&](Scalar v) {
              Scalar saved = x;
              x = v;
              double l = f.loss();
              x = saved;
              return l;
            },
            x);
      }
      testing_support::expect_gradient_matches(dx, numeric_dx, 1e-2, "inputs of one member");
    }
  }
}

TEST(EnsembleMlp, ReluGradientsMatchFiniteDifferences) { check_gradients(Activation::kRelu, 1, false); }
TEST(EnsembleMlp, SwishGradientsMatchFiniteDifferences) { check_gradients(Activation::kSwish, 1, false); }
TEST(EnsembleMlp, EnsembleOfThreeGradientsMatch) { check_gradients(Activation::kSwish, 3, false); }
TEST(EnsembleMlp, SharedInputTwinGradientsMatch) { check_gradients(Activation::kRelu, 2, true); }
TEST(EnsembleMlp, IdentityLinearGradientsMatch) { check_gradients(Activation::kIdentity, 2, false); }

TEST(EnsembleMlp, MembersAreIndependent) {
  MlpShape shape;
  shape.members = 3;
  shape.input_dim = 4;
  shape.output_dim = 2;
  shape.hidden_width = 8;
  Fixture f(shape, true);
  f.loss();
  std::vector<Scalar> y1(f.ws.output(1), f.ws.output(1) + 2 * f.batch);
  // Changing member 0 and 2 must not change member 1's output.
  for (std::size_t i = 0; i < f.net.member_params(); ++i) {
    f.params[i] += 0.5f;
    f.params[f.net.member_offset(2) + i] -= 0.5f;
  }
  f.loss();
  for (int i = 0; i < 2 * f.batch; ++i) EXPECT_EQ(y1[i], f.ws.output(1)[i]);
}

TEST(EnsembleMlp, RejectsBadShapes) {
  EnsembleMlp net;
  MlpShape shape;
  shape.input_dim = 0;
  shape.output_dim = 1;
  Status s = net.configure(shape);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("input"), std::string::npos);
  shape.input_dim = 2;
  shape.members = 0;
  EXPECT_FALSE(net.configure(shape).is_ok());
}

TEST(EnsembleMlp, WorkspaceReportsArenaTooSmall) {
  EnsembleMlp net;
  MlpShape shape;
  shape.input_dim = 3;
  shape.output_dim = 1;
  ASSERT_TRUE(net.configure(shape).is_ok());
  std::vector<unsigned char> memory(MlpWorkspace::bytes_needed(net, 64, false) / 2);
  Arena arena(memory.data(), memory.size());
  MlpWorkspace ws;
  Status s = ws.place(net, 64, false, arena);
  EXPECT_EQ(s.code(), StatusCode::kOutOfMemory);
}

}  // namespace
}  // namespace usbpo
