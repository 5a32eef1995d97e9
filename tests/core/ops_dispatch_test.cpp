// The run-time kernel dispatch: the variant in use is the one USBPO_KERNELS
// forces (ctest's KernelVariant.* runs depend on it), else the best one the
// processor supports.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

// The variant the dispatch should pick on this processor when nothing is forced.
std::string best_supported_variant() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")) {
    return "avx512";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
  return "generic";
}

TEST(Ops, KernelVariantInUseIsTheForcedOneOrTheBestSupported) {
  const std::string active = ops::kernel_variant();
  const char* forced = std::getenv("USBPO_KERNELS");
  std::printf("  kernel variant in use: %s (USBPO_KERNELS=%s)\n", active.c_str(), forced ? forced : "");
  if (forced && *forced) {
    EXPECT_EQ(active, forced) << "USBPO_KERNELS=" << forced << " asked for a variant that did not run "
                              << "(not built for this target, or the processor lacks it)";
  } else {
    EXPECT_EQ(active, best_supported_variant());
  }
}

}  // namespace
}  // namespace usbpo
