// Counts heap allocations made by this test process while armed: global
// operator new (all forms) and, outside sanitizer builds, malloc/calloc/realloc
// interposed over glibc. Used with Eigen's runtime no-malloc check.
#pragma once

#include <cstdint>

namespace usbpo {
namespace testing_support {

// Start counting from zero.
void arm_allocation_counter();
// Stop counting; returns the number of allocations since arm.
std::int64_t disarm_allocation_counter();
// True when malloc itself is counted (not only operator new).
bool counts_malloc();

// RAII: arms the counter and forbids Eigen heap use (EIGEN_RUNTIME_NO_MALLOC).
class NoAllocationScope {
 public:
  NoAllocationScope();
  ~NoAllocationScope();
  // Allocations seen so far in this scope.
  std::int64_t allocations() const;
};

}  // namespace testing_support
}  // namespace usbpo
