// MlpOps's task-cut passes (mlp_tasks.cpp) against the serial ones: outputs,
// parameter gradients and input gradients bit for bit, for ensembles of 1, 2
// and 7 members, ReLU and swish, batches that are and are not cut into
// panels, with no runner and with pools of 1, 2 and 3 workers.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/thread_pool.hpp"

namespace usbpo {
namespace {

struct Case {
  int members, input, output, layers, width, batch;
  Activation activation;
};

// A workspace in an arena of its own.
struct Placed {
  std::vector<unsigned char> memory;
  Arena arena;
  MlpWorkspace ws;
  Placed(const EnsembleMlp& net, int batch) : memory(MlpWorkspace::bytes_needed(net, batch, true) + 64) {
    arena = Arena(memory.data(), memory.size());
    EXPECT_TRUE(ws.place(net, batch, true, arena).is_ok());
  }
};

bool same(const Scalar* a, const Scalar* b, std::size_t n) { return std::memcmp(a, b, n * sizeof(Scalar)) == 0; }

// Gradients 64-byte aligned as in an arena: the bias sums' vector/scalar split
// follows the destination's alignment, so both passes must write alike.
struct Gradients {
  std::vector<Scalar> storage;
  Scalar* data;
  explicit Gradients(std::size_t n) : storage(n + 16, 0.5f) {
    data = storage.data();
    while (reinterpret_cast<std::uintptr_t>(data) % 64 != 0) ++data;
  }
};

TEST(MlpTasks, EqualTheSerialPassesBitForBit) {
  const Case cases[] = {
      {1, 11, 6, 2, 256, 256, Activation::kRelu},    // SAC actor
      {2, 14, 1, 2, 256, 256, Activation::kRelu},    // twin critics
      {7, 14, 24, 4, 200, 256, Activation::kSwish},  // MBPO's ensemble
      {7, 14, 24, 2, 200, 1024, Activation::kSwish}, // phase-2 batch
      {5, 4, 8, 2, 40, 97, Activation::kSwish},      // odd widths, batch not cut
      {3, 5, 7, 3, 50, 300, Activation::kSwish},     // 50 x 300: members' buffers not aligned
      {1, 3, 2, 1, 64, 1, Activation::kRelu},        // one column
  };
  ThreadPool pools[3];
  for (int w = 0; w < 3; ++w) ASSERT_TRUE(pools[w].start(w + 1).is_ok());
  for (const Case& c : cases) {
    MlpShape shape;
    shape.members = c.members;
    shape.input_dim = c.input;
    shape.output_dim = c.output;
    shape.hidden_layers = c.layers;
    shape.hidden_width = c.width;
    shape.activation = c.activation;
    EnsembleMlp net;
    ASSERT_TRUE(net.configure(shape).is_ok());
    Rng rng(7);
    std::vector<Scalar> params(net.total_params());
    net.init_params(params.data(), MlpInit::kTruncatedNormal, rng);
    const std::size_t in_size = static_cast<std::size_t>(c.input) * c.batch;
    std::vector<Scalar> input(in_size * c.members), d_out(static_cast<std::size_t>(c.output) * c.batch * c.members);
    for (auto& x : input) x = rng.normal();
    for (auto& x : d_out) x = rng.normal();
    const std::size_t out_size = static_cast<std::size_t>(c.output) * c.batch;

    Placed serial(net, c.batch);
    Gradients serial_grads(net.total_params());
    MlpOps::forward(net, params.data(), input.data(), in_size, c.batch, serial.ws, 0, c.members);
    for (int b = 0; b < c.members; ++b) {
      std::memcpy(serial.ws.output_grad(b), d_out.data() + b * out_size, out_size * sizeof(Scalar));
    }
    MlpOps::backward(net, params.data(), serial.ws, 0, c.members, serial_grads.data, true, true);

    for (int r = 0; r < 4; ++r) {
      TaskRunner* runner = r == 0 ? nullptr : &pools[r - 1];
      SCOPED_TRACE(testing::Message() << c.members << " members, width " << c.width << ", batch " << c.batch
                                      << ", " << (runner ? runner->workers() : 0) << " workers");
      Placed cut(net, c.batch);
      Gradients grads(net.total_params());
      MlpOps::forward(runner, net, params.data(), input.data(), in_size, c.batch, cut.ws, 0, c.members);
      for (int b = 0; b < c.members; ++b) {
        EXPECT_TRUE(same(cut.ws.output(b), serial.ws.output(b), out_size)) << "output of member " << b;
        std::memcpy(cut.ws.output_grad(b), d_out.data() + b * out_size, out_size * sizeof(Scalar));
      }
      MlpOps::backward(runner, net, params.data(), cut.ws, 0, c.members, grads.data, true, true);
      EXPECT_TRUE(same(grads.data, serial_grads.data, net.total_params())) << "parameter gradients";
      for (int b = 0; b < c.members; ++b) {
        EXPECT_TRUE(same(cut.ws.input_grad(b), serial.ws.input_grad(b), in_size)) << "input gradient of " << b;
      }
      // Input gradients alone (the SAC actor loss through the critics) take one region.
      Placed only_input(net, c.batch);
      MlpOps::forward(runner, net, params.data(), input.data(), in_size, c.batch, only_input.ws, 0, c.members);
      for (int b = 0; b < c.members; ++b) {
        std::memcpy(only_input.ws.output_grad(b), d_out.data() + b * out_size, out_size * sizeof(Scalar));
      }
      MlpOps::backward(runner, net, params.data(), only_input.ws, 0, c.members, nullptr, false, true);
      for (int b = 0; b < c.members; ++b) {
        EXPECT_TRUE(same(only_input.ws.input_grad(b), serial.ws.input_grad(b), in_size)) << "input-only, member " << b;
      }
    }
  }
}

}  // namespace
}  // namespace usbpo
