#include "gpu_test_support.hpp"

#include <algorithm>
#include <memory>

namespace usbpo::cuda::testing {

std::unique_ptr<CudaBackend> fresh_backend() {
  std::unique_ptr<CudaBackend> b;
  CudaBackendOptions options;
  options.min_free_bytes = 0;
  EXPECT_TRUE(CudaBackend::create(options, &b).is_ok());
  return b;
}

CudaBackend* shared_backend(std::string* reason) {
  static std::unique_ptr<CudaBackend> backend;
  static std::string why;
  static bool tried = false;
  if (!tried) {
    tried = true;
    Status s = CudaBackend::create(CudaBackendOptions(), &backend);
    if (s.is_ok()) s = backend->reserve_device(std::size_t(256) << 20);
    if (!s.is_ok()) {
      backend.reset();
      why = s.message();
    }
  }
  *reason = why;
  return backend.get();
}

std::vector<float> random_values(Rng& rng, std::size_t n, float scale) {
  std::vector<float> v(n);
  for (float& x : v) x = scale * rng.normal();
  return v;
}

::testing::AssertionResult elementwise_close(const std::vector<float>& gpu, const std::vector<float>& cpu,
                                            double tolerance) {
  if (gpu.size() != cpu.size()) return ::testing::AssertionFailure() << "sizes differ";
  double largest = 0;
  for (float c : cpu) largest = std::max(largest, std::fabs(static_cast<double>(c)));
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double diff = std::fabs(static_cast<double>(gpu[i]) - cpu[i]);
    if (!(diff <= tolerance * (std::fabs(static_cast<double>(cpu[i])) + 1e-2 * largest))) {
      return ::testing::AssertionFailure() << "element " << i << ": gpu " << gpu[i] << " cpu " << cpu[i]
                                           << " (largest |cpu| " << largest << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult norm_close(const std::vector<float>& gpu, const std::vector<float>& cpu,
                                      double tolerance) {
  if (gpu.size() != cpu.size()) return ::testing::AssertionFailure() << "sizes differ";
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double d = static_cast<double>(gpu[i]) - cpu[i];
    diff += d * d;
    norm += static_cast<double>(cpu[i]) * cpu[i];
  }
  if (!(std::sqrt(diff) <= tolerance * std::sqrt(norm))) {
    return ::testing::AssertionFailure() << "relative norm error " << std::sqrt(diff / std::max(norm, 1e-300));
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult scalar_close(double gpu, double cpu, double tolerance) {
  if (!(std::fabs(gpu - cpu) <= tolerance * std::max(std::fabs(cpu), 1e-12))) {
    return ::testing::AssertionFailure() << "gpu " << gpu << " cpu " << cpu;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace usbpo::cuda::testing
