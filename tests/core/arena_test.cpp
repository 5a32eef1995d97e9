#include "usbpo/base/arena.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace usbpo {
namespace {

TEST(Arena, AlignsEveryAllocationTo64Bytes) {
  std::vector<unsigned char> memory(4096);
  Arena arena(memory.data() + 3, memory.size() - 3);  // deliberately misaligned base
  for (int i = 1; i < 10; ++i) {
    float* p = arena.allocate<float>(static_cast<std::size_t>(i) * 3);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % Arena::kAlignment, 0u);
  }
  EXPECT_LE(arena.used(), arena.capacity());
}

TEST(Arena, ExhaustionReturnsNullAndSticks) {
  std::vector<unsigned char> memory(256);
  Arena arena(memory.data(), memory.size());
  EXPECT_NE(arena.allocate<char>(100), nullptr);
  EXPECT_EQ(arena.allocate<char>(1000), nullptr);
  EXPECT_TRUE(arena.exhausted());
  EXPECT_EQ(arena.allocate<char>(1), nullptr);  // stays exhausted
}

TEST(Arena, MeasuringArenaGivesAnUpperBoundForAnyBase) {
  Arena measure;
  EXPECT_TRUE(measure.measuring());
  EXPECT_EQ(measure.allocate<double>(10), nullptr);
  EXPECT_EQ(measure.allocate<int>(7), nullptr);
  const std::size_t bound = measure.used();
  for (int offset = 0; offset < 64; ++offset) {
    std::vector<unsigned char> memory(bound + 64);
    Arena arena(memory.data() + offset, bound);
    EXPECT_NE(arena.allocate<double>(10), nullptr);
    EXPECT_NE(arena.allocate<int>(7), nullptr);
    EXPECT_FALSE(arena.exhausted()) << "offset " << offset;
  }
}

TEST(Arena, MarkAndReleaseKeepTheHighWaterMark) {
  std::vector<unsigned char> memory(4096);
  Arena arena(memory.data(), memory.size());
  arena.allocate<char>(100);
  const std::size_t mark = arena.mark();
  arena.allocate<char>(1000);
  const std::size_t peak = arena.used();
  arena.release(mark);
  EXPECT_EQ(arena.used(), mark);
  EXPECT_EQ(arena.high_water(), peak);
}

}  // namespace
}  // namespace usbpo
