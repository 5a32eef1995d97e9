#include "test_backend.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "checked_cpu_backend.hpp"

namespace usbpo {
namespace testing_support {

const char* test_backend_name() {
  const char* name = std::getenv("USBPO_TEST_BACKEND");
  if (!name || !*name || !std::strcmp(name, "cpu")) return "cpu";
  if (!std::strcmp(name, "checked")) return "checked";
  std::fprintf(stderr, "USBPO_TEST_BACKEND=%s: expected cpu or checked\n", name);
  std::abort();
}

std::unique_ptr<Backend> make_test_backend() {
  if (!std::strcmp(test_backend_name(), "checked")) return std::make_unique<CheckedCpuBackend>();
  return nullptr;
}

Status SacOnBackend::init(const SacConfig& config, Rng& rng, Backend* given) {
  if (!given && !owned) owned = make_test_backend();
  backend = given ? given : owned.get();
  if (!backend) {
    memory.assign(Sac::bytes_needed(config), 0);
    arena = Arena(memory.data(), memory.size());
    return sac.init(config, arena, rng);
  }
  USBPO_RETURN_IF_ERROR(backend->reserve_device(Sac::device_bytes_needed(config)));
  memory.assign(Sac::host_bytes_needed(config, backend->device_is_host()), 0);
  arena = Arena(memory.data(), memory.size());
  return sac.init(config, *backend, arena, rng);
}

}  // namespace testing_support
}  // namespace usbpo
