#include "usbpo/base/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace usbpo {
namespace {

TEST(Rng, SameSeedSameStreamDifferentSeedDifferent) {
  Rng a(5), b(5), c(6);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
}

TEST(Rng, KnownFirstValuesAreStableAcrossPlatforms) {
  // Pinned so that a change of the generator (and every seeded result) is noticed.
  // Computed once by an independent Python transcription of splitmix64 seeding
  // and xoshiro256++, itself checked against the published vectors below.
  const std::uint64_t seed0[5] = {0x53175D61490B23DFull, 0x61DA6F3DC380D507ull, 0x5C0FDF91EC9A7BFCull,
                                  0x02EEBF8C3BBE5E1Aull, 0x7ECA04EBAF4A5EEAull};
  const std::uint64_t seed12345[5] = {0x8D948A82DEF8A568ull, 0x3477F953796702A0ull, 0x15CAA2FCE6DB8D69ull,
                                      0x2CEF8853C20C6DD0ull, 0x43FF3FFF9C039CD9ull};
  Rng a(0), b(12345);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a.next_u64(), seed0[i]) << "seed 0, draw " << i;
    EXPECT_EQ(b.next_u64(), seed12345[i]) << "seed 12345, draw " << i;
  }
  // Uniform floats are the top 24 bits, bounded integers Lemire's multiply-shift.
  Rng c(7);
  EXPECT_EQ(c.uniform(), 928794.0f / 16777216.0f);
  EXPECT_EQ(c.uniform(), 2887624.0f / 16777216.0f);
  EXPECT_EQ(c.uniform_int(1000), 717u);
  EXPECT_EQ(c.uniform_int(1000), 427u);
}

TEST(Rng, SeedingIsSplitmix64AndStepsAreXoshiro256PlusPlus) {
  // splitmix64 from 0: its published first four outputs are the state words.
  const Rng::State seeded = Rng(0).state();
  EXPECT_EQ(seeded.s[0], 0xE220A8397B1DCDAFull);
  EXPECT_EQ(seeded.s[1], 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(seeded.s[2], 0x06C45D188009454Full);
  EXPECT_EQ(seeded.s[3], 0xF88BB8A8724C81ECull);
  // xoshiro256++ from the state {1, 2, 3, 4}: the reference implementation's outputs.
  Rng rng(0);
  Rng::State st = rng.state();
  st.s[0] = 1, st.s[1] = 2, st.s[2] = 3, st.s[3] = 4;
  rng.set_state(st);
  const std::uint64_t expected[10] = {41943041ull,           58720359ull,           3588806011781223ull,
                                      3591011842654386ull,   9228616714210784205ull, 9973669472204895162ull,
                                      14011001112246962877ull, 12406186145184390807ull, 15849039046786891736ull,
                                      10450023813501588000ull};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rng.next_u64(), expected[i]) << "draw " << i;
}

TEST(Rng, UniformInUnitIntervalWithRightMean) {
  Rng rng(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const Scalar u = rng.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
}

TEST(Rng, UniformIntIsUnbiased) {
  Rng rng(2);
  const int bins = 7, n = 70000;
  std::vector<int> counts(bins, 0);
  for (int i = 0; i < n; ++i) {
    const std::uint32_t k = rng.uniform_int(bins);
    ASSERT_LT(k, 7u);
    ++counts[k];
  }
  double chi2 = 0;
  for (int c : counts) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 22.5);  // 6 degrees of freedom, 0.1 % critical value
}

TEST(Rng, NormalHasUnitMomentsAndGaussianTails) {
  Rng rng(3);
  const int n = 200000;
  double sum = 0, sq = 0;
  int beyond2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sq += x * x;
    beyond2 += std::fabs(x) > 2;
  }
  EXPECT_NEAR(sum / n, 0, 0.01);
  EXPECT_NEAR(sq / n, 1, 0.02);
  EXPECT_NEAR(static_cast<double>(beyond2) / n, 0.0455, 0.003);
}

TEST(Rng, StateRoundTripResumesTheStream) {
  Rng rng(9);
  for (int i = 0; i < 7; ++i) rng.normal();  // leaves a cached normal
  const Rng::State state = rng.state();
  std::vector<double> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(rng.normal());
  Rng other(123);
  other.set_state(state);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(other.normal(), expected[i]);
}

TEST(Rng, SplitGivesIndependentStreams) {
  Rng parent(4);
  Rng a = parent.split(), b = parent.split();
  EXPECT_NE(a.next_u64(), b.next_u64());
}

}  // namespace
}  // namespace usbpo
