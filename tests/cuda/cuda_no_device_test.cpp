// CudaBackend::create on any machine: where it cannot have a device (none
// there, a device index the driver does not list, more free memory asked for
// than any device has) it fails cleanly with "no CUDA device: <reason>" and
// hands out nothing. These run without a GPU (CI) as well as with one.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "usbpo/cuda/cuda_backend.hpp"

namespace usbpo::cuda {
namespace {

void expect_refused(const CudaBackendOptions& options, const char* reason_part) {
  std::unique_ptr<CudaBackend> backend;
  const Status s = CudaBackend::create(options, &backend);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(backend, nullptr);
  const std::string message = s.message();
  EXPECT_EQ(message.rfind("no CUDA device: ", 0), 0u) << message;
  EXPECT_GT(message.size(), std::strlen("no CUDA device: ") + 8) << "the driver's reason is missing: " << message;
  if (reason_part) {
    EXPECT_NE(message.find(reason_part), std::string::npos) << message;
  }
  std::printf("refused as expected: %s\n", message.c_str());
}

// Whether this machine has a usable device at all (its reason when not).
bool have_device(std::string* reason) {
  std::unique_ptr<CudaBackend> backend;
  const Status s = CudaBackend::create(CudaBackendOptions(), &backend);
  *reason = s.message();
  return s.is_ok();
}

TEST(CudaNoDevice, CreateFailsWithTheDriversReasonOrSucceeds) {
  std::string reason;
  if (have_device(&reason)) {
    std::printf("this machine has a CUDA device: the refusal is covered by the other cases\n");
    return;
  }
  expect_refused(CudaBackendOptions(), nullptr);
}

TEST(CudaNoDevice, UnlistedDeviceIndexIsRefused) {
  CudaBackendOptions options;
  options.device = 4096;
  std::string reason;
  // Without a driver the reason is the driver's; with one, the index.
  expect_refused(options, have_device(&reason) ? "device 4096 asked for" : nullptr);
  options.device = -1;
  expect_refused(options, nullptr);
}

TEST(CudaNoDevice, TooLittleMemoryIsRefused) {
  CudaBackendOptions options;
  options.min_free_bytes = SIZE_MAX;
  std::string reason;
  expect_refused(options, have_device(&reason) ? "too little memory" : nullptr);
}

TEST(CudaNoDevice, MakeCudaBackendGivesTheSameMessage) {
  CudaBackendOptions options;
  options.device = 4096;
  std::unique_ptr<Backend> backend;
  const Status s = make_cuda_backend(options, &backend);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(backend, nullptr);
  EXPECT_EQ(std::string(s.message()).rfind("no CUDA device: ", 0), 0u) << s.message();
}

}  // namespace
}  // namespace usbpo::cuda
