// The counter itself must see allocations, or the zero-allocation tests prove nothing.
#include "allocation_counter.hpp"

#include <gtest/gtest.h>

#include <Eigen/Core>

#include <cstdlib>
#include <memory>
#include <vector>

namespace usbpo {
namespace {

// Keeps the compiler from eliding a new/delete pair.
template <typename T>
void escape(T* p) {
  asm volatile("" : : "g"(p) : "memory");
}

TEST(AllocationCounter, SeesOperatorNewAndMalloc) {
  testing_support::arm_allocation_counter();
  auto* p = new int(3);
  escape(p);
  std::vector<float> v(100);
  escape(v.data());
  delete p;
  std::int64_t count = testing_support::disarm_allocation_counter();
  EXPECT_GE(count, 2);
  if (testing_support::counts_malloc()) {
    testing_support::arm_allocation_counter();
    void* volatile raw = std::malloc(64);  // volatile: the pair may not be elided
    std::free(raw);
    EXPECT_EQ(testing_support::disarm_allocation_counter(), 1);
  }
}

TEST(AllocationCounter, SeesEigenHeapMatrices) {
  testing_support::arm_allocation_counter();
  {
    Eigen::MatrixXf m(64, 64);
    m.setZero();
  }
  EXPECT_GE(testing_support::disarm_allocation_counter(), 1);
}

}  // namespace
}  // namespace usbpo
