// The CUDA backend's own mechanics on a GPU: transfers (staged, chunked,
// counted), a captured graph replayed G times equals G direct calls bit for
// bit (values that change between replays are read from device memory), and
// the device block is one reservation. Skipped, visibly, without a device.
#include <cstring>
#include <memory>
#include <vector>

#include "gpu_test_support.hpp"

namespace usbpo::cuda::testing {
namespace {

class CudaBackendMechanics : public GpuTest {};

TEST_F(CudaBackendMechanics, TransfersRoundTripThroughStagingAndAreCounted) {
  Rng rng(1);
  // Larger than the 8 MiB staging buffer: the copies go in chunks.
  const std::size_t n = (std::size_t(9) << 20) / sizeof(float) + 17;
  const std::vector<float> values = random_values(rng, n);
  gpu_->reset_counters();
  float* device = to_device(values);
  std::vector<float> small = random_values(rng, 5);
  float* device_small = to_device(small);
  small.assign(5, 0.0f);  // the source may be reused at once: the upload is staged
  EXPECT_EQ(to_host(device, n), values);
  const std::vector<float> small_back = to_host(device_small, 5);
  EXPECT_NE(small_back, small);
  const BackendCounters& c = gpu_->counters();
  EXPECT_EQ(c.uploads, 2);
  EXPECT_EQ(c.downloads, 2);
  EXPECT_EQ(c.upload_bytes, static_cast<std::int64_t>((n + 5) * sizeof(float)));
  EXPECT_EQ(c.download_bytes, static_cast<std::int64_t>((n + 5) * sizeof(float)));
}

TEST_F(CudaBackendMechanics, DeviceBlockIsReservedOnce) {
  EXPECT_FALSE(gpu_->reserve_device(1024).is_ok());
  EXPECT_EQ(gpu_->device_bytes(), std::size_t(256) << 20);
}

// One "update": Adam (its step read and advanced on the device) then Polyak.
void update(Backend& b, float* theta, const float* grad, float* m, float* v, std::size_t n, std::int64_t* step,
            float* target) {
  AdamConfig config;
  const AdamSegment decay{10, 100, 0, 1, 1e-3f};
  b.adam(theta, grad, m, v, n, config, &decay, 1, step);
  b.polyak(target, theta, n, 0.01f);
}

TEST_F(CudaBackendMechanics, GraphReplayedGTimesEqualsGDirectUpdates) {
  Rng rng(2);
  const std::size_t n = 5000;
  const std::vector<float> theta = random_values(rng, n), grad = random_values(rng, n, 0.1f);
  const std::vector<float> zeros(n, 0.0f);
  struct State {
    float *theta, *m, *v, *target;
    std::int64_t* step;
  };
  auto make = [&]() {
    return State{to_device(theta), to_device(zeros), to_device(zeros), to_device(theta),
                 to_device(std::vector<std::int64_t>{0})};
  };
  const float* d_grad = to_device(grad);
  State direct = make(), graphed = make();
  const int g = 20;
  for (int i = 0; i < g; ++i) update(*gpu_, direct.theta, d_grad, direct.m, direct.v, n, direct.step, direct.target);
  // Captured once (recorded, not run), replayed g times.
  ASSERT_TRUE(gpu_->begin_capture(1).is_ok());
  update(*gpu_, graphed.theta, d_grad, graphed.m, graphed.v, n, graphed.step, graphed.target);
  ASSERT_TRUE(gpu_->end_capture(1).is_ok());
  EXPECT_EQ(to_host(graphed.step, 1)[0], 0);
  gpu_->reset_counters();
  ASSERT_TRUE(gpu_->replay(1, g).is_ok());
  EXPECT_EQ(gpu_->counters().graph_replays, g);
  EXPECT_EQ(to_host(graphed.step, 1)[0], g);
  EXPECT_EQ(to_host(graphed.theta, n), to_host(direct.theta, n));
  EXPECT_EQ(to_host(graphed.target, n), to_host(direct.target, n));
  EXPECT_EQ(to_host(graphed.v, n), to_host(direct.v, n));
  EXPECT_FALSE(gpu_->replay(2, 1).is_ok());  // nothing captured there
}

// Its own backend: a refused transfer inside a capture leaves a sticky error.
TEST(CudaBackendErrors, TransfersAreRefusedWhileCapturing) {
  std::string reason;
  if (!shared_backend(&reason)) {
    std::printf("SKIPPED: %s\n", reason.c_str());
    GTEST_SKIP() << reason;
  }
  CudaBackendOptions options;
  options.min_free_bytes = 0;
  std::unique_ptr<CudaBackend> b;
  ASSERT_TRUE(CudaBackend::create(options, &b).is_ok());
  ASSERT_TRUE(b->reserve_device(1 << 20).is_ok());
  float* device = b->device_arena().allocate<float>(16);
  ASSERT_TRUE(b->begin_capture(0).is_ok());
  float host[16] = {};
  b->upload(device, host, sizeof(host));
  EXPECT_FALSE(b->error().is_ok());
  EXPECT_NE(std::strstr(b->error().message(), "capturing"), nullptr) << b->error().message();
  EXPECT_FALSE(b->end_capture(0).is_ok());
}

}  // namespace
}  // namespace usbpo::cuda::testing
