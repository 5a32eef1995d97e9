// What the GPU tests share: one CudaBackend for the whole test binary (created
// on first use), skipping with a visible "SKIPPED: no CUDA device: ..." where
// there is none, host <-> device helpers and the tolerances of issue 15.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "usbpo/base/rng.hpp"
#include "usbpo/cuda/cuda_backend.hpp"

namespace usbpo::cuda::testing {

// The binary's backend with a 256 MiB device block, or null and *reason.
CudaBackend* shared_backend(std::string* reason);

// A fresh backend of its own (for a trainer, which reserves its device block once).
std::unique_ptr<CudaBackend> fresh_backend();

// In a TEST/TEST_P body: skip (visibly, "SKIPPED: ..." on stdout) without a device.
#define USBPO_REQUIRE_GPU()                                           \
  do {                                                                \
    std::string reason_;                                              \
    if (!::usbpo::cuda::testing::shared_backend(&reason_)) {          \
      std::printf("SKIPPED: %s\n", reason_.c_str());                  \
      GTEST_SKIP() << reason_;                                        \
    }                                                                 \
  } while (0)

// A test on the GPU: skipped (and said so on stdout, which ctest matches) without one.
class GpuTest : public ::testing::Test {
 public:
  void SetUp() override {
    std::string reason;
    gpu_ = shared_backend(&reason);
    if (!gpu_) {
      std::printf("SKIPPED: %s\n", reason.c_str());
      GTEST_SKIP() << reason;
    }
    mark_ = gpu_->device_arena().mark();
  }
  void TearDown() override {
    if (!gpu_) return;
    EXPECT_TRUE(gpu_->error().is_ok()) << gpu_->error().message();
    gpu_->device_arena().release(mark_);
  }

  // A device copy of host values.
  template <typename T>
  T* to_device(const std::vector<T>& host) {
    T* device = gpu_->device_arena().allocate<T>(host.size());
    EXPECT_NE(device, nullptr) << "test device block exhausted";
    if (device) gpu_->upload(device, host.data(), host.size() * sizeof(T));
    return device;
  }
  // Room for n values on the device, filled with a marker the op must overwrite.
  template <typename T>
  T* device_buffer(std::size_t n) {
    std::vector<T> marker(n, static_cast<T>(-12345));
    return to_device(marker);
  }
  template <typename T>
  std::vector<T> to_host(const T* device, std::size_t n) {
    std::vector<T> host(n);
    gpu_->download(host.data(), device, n * sizeof(T));
    return host;
  }

  CudaBackend* gpu_ = nullptr;
  std::size_t mark_ = 0;
};

// n values: normal * scale.
std::vector<float> random_values(Rng& rng, std::size_t n, float scale = 1.0f);

// Elementwise check (issue 15: 1e-6 relative): |gpu - cpu| <= tol (|cpu| + max|cpu|
// 1e-2) per element: relative, with a floor at 1 % of the array's largest
// magnitude for elements that cancel to near zero.
::testing::AssertionResult elementwise_close(const std::vector<float>& gpu, const std::vector<float>& cpu,
                                            double tolerance = 1e-6);
// Norm check for GEMMs and reductions: ||gpu - cpu|| <= tol ||cpu|| (1e-5).
::testing::AssertionResult norm_close(const std::vector<float>& gpu, const std::vector<float>& cpu,
                                      double tolerance = 1e-5);
// Scalars (FP64 sums): |gpu - cpu| <= tol max(|cpu|, 1e-12).
::testing::AssertionResult scalar_close(double gpu, double cpu, double tolerance = 1e-5);

}  // namespace usbpo::cuda::testing
