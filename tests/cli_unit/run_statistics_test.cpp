// `usbpo report`'s statistics on fixed data, with values worked out by hand
// (and by NumPy / SciPy where noted; tests/report/crosscheck.py checks the
// whole command against them).
#include "run_statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "usbpo/base/rng.hpp"

namespace usbpo::cli {
namespace {

TEST(RunStatistics, CurveSummaries) {
  const std::vector<double> steps = {100, 200, 300}, returns = {1, 5, 3};
  EXPECT_EQ(max_return(returns), 5);
  EXPECT_TRUE(std::isnan(max_return({})));
  EXPECT_DOUBLE_EQ(final_return({1, 2, 3, 4}, 3), 3);
  EXPECT_DOUBLE_EQ(final_return({1, 2, 3, 4}, 1), 4);
  EXPECT_DOUBLE_EQ(final_return({1, 2, 3, 4}, 10), 2.5);  // fewer evaluations than asked: all of them
  EXPECT_EQ(return_at(steps, returns, 250), 5);             // the evaluation at or before
  EXPECT_EQ(return_at(steps, returns, 200), 5);
  EXPECT_EQ(return_at(steps, returns, 300), 3);
  EXPECT_TRUE(std::isnan(return_at(steps, returns, 301)));  // the run has not got there
  EXPECT_TRUE(std::isnan(return_at(steps, returns, 50)));   // nothing at or before
}

TEST(RunStatistics, MeanAndSampleStd) {
  EXPECT_DOUBLE_EQ(mean({2, 4, 4, 4, 5, 5, 7, 9}), 5);
  // Population std 2; the sample std divides by n - 1: sqrt(32 / 7).
  EXPECT_DOUBLE_EQ(sample_std({2, 4, 4, 4, 5, 5, 7, 9}), std::sqrt(32.0 / 7.0));
  EXPECT_TRUE(std::isnan(sample_std({3})));
  EXPECT_TRUE(std::isnan(mean({})));
}

TEST(RunStatistics, InterquartileMeanCutsLikeScipyTrimMean) {
  // int(0.25 n) from each end, rounded down: n = 1..3 cut nothing.
  EXPECT_DOUBLE_EQ(interquartile_mean({7}), 7);
  EXPECT_DOUBLE_EQ(interquartile_mean({1, 2, 9}), 4);
  EXPECT_DOUBLE_EQ(interquartile_mean({4, 1, 3, 100}), 3.5);            // n = 4: cut 1
  EXPECT_DOUBLE_EQ(interquartile_mean({5, 1, 4, 2, 100}), 11.0 / 3.0);  // n = 5: cut int(1.25) = 1
  EXPECT_DOUBLE_EQ(interquartile_mean({10, 1, 2, 3, 4, 5, 6}), 4);     // n = 7: cut int(1.75) = 1
  EXPECT_DOUBLE_EQ(interquartile_mean({1, 2, 3, 4, 5, 6, 7, 100}), 4.5);  // n = 8: cut 2
  EXPECT_DOUBLE_EQ(trimmed_mean({1, 2, 3, 4, 5, 6, 7, 8, 9, 100}, 0.1), 5.5);
  EXPECT_TRUE(std::isnan(interquartile_mean({})));
}

TEST(RunStatistics, PercentileInterpolatesLikeNumpy) {
  // numpy.percentile([1, 2, 3, 4], q) = 1.075, 2.5, 3.925 for q = 2.5, 50, 97.5.
  const std::vector<double> x = {4, 2, 1, 3};
  EXPECT_DOUBLE_EQ(percentile(x, 2.5), 1.075);
  EXPECT_DOUBLE_EQ(percentile(x, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile(x, 97.5), 3.925);
  EXPECT_EQ(percentile(x, 0), 1);
  EXPECT_EQ(percentile(x, 100), 4);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  // Indices 2.475 and 96.525; (1 - 0.95) / 2 is 0.025000000000000022 in doubles, so
  // numpy (and scipy.stats.bootstrap) give 3.4750000000000023 and 97.52499999999999.
  const Interval ci = percentile_interval(hundred, 0.95);
  EXPECT_NEAR(ci.low, 3.475, 1e-12);
  EXPECT_NEAR(ci.high, 97.525, 1e-12);
}

TEST(RunStatistics, ProbabilityOfImprovementCountsTiesHalf) {
  EXPECT_DOUBLE_EQ(probability_of_improvement({1, 2, 3}, {2, 2}), 0.5);
  EXPECT_DOUBLE_EQ(probability_of_improvement({3, 4}, {1, 2, 3}), 5.5 / 6);
  EXPECT_DOUBLE_EQ(probability_of_improvement({1, 2, 3}, {4, 5}) + probability_of_improvement({4, 5}, {1, 2, 3}), 1);
  EXPECT_DOUBLE_EQ(probability_of_improvement({1000, 1000}, {1000}), 0.5);
  // Over tasks: the mean of the per-task probabilities.
  EXPECT_DOUBLE_EQ(probability_of_improvement({{1, 2, 3}, {3, 4}}, {{2, 2}, {1, 2, 3}}), (0.5 + 5.5 / 6) / 2);
}

TEST(RunStatistics, ResamplesAreSeededInRangeAndUniform) {
  Rng a(5), b(5), c(6);
  const Resamples first = draw_resamples(4, 10000, &a);
  EXPECT_EQ(first, draw_resamples(4, 10000, &b));
  EXPECT_NE(first, draw_resamples(4, 10000, &c));
  ASSERT_EQ(first.size(), 10000u);
  int counts[4] = {0, 0, 0, 0};
  for (const std::vector<int>& draw : first) {
    ASSERT_EQ(draw.size(), 4u);
    for (int i : draw) {
      ASSERT_GE(i, 0);
      ASSERT_LT(i, 4);
      ++counts[i];
    }
  }
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(counts[k], 10000, 400) << k;  // 40000 draws, sd about 87
}

TEST(RunStatistics, BootstrapIqmPoolsStrataAtTheDrawnIndices) {
  const std::vector<std::vector<double>> one = {{1, 2, 3, 4}};
  const std::vector<double> iqms = bootstrap_iqm(one, {{{0, 0, 0, 0}, {3, 3, 3, 3}, {0, 1, 2, 3}}});
  EXPECT_EQ(iqms, (std::vector<double>{1, 4, 2.5}));
  // Two strata resampled separately, then pooled: {1, 1, 30, 30, 30} -> cut 1 -> 61 / 3.
  const std::vector<double> pooled = bootstrap_iqm({{1, 2}, {10, 20, 30}}, {{{0, 0}}, {{2, 2, 2}}});
  ASSERT_EQ(pooled.size(), 1u);
  EXPECT_DOUBLE_EQ(pooled[0], 61.0 / 3.0);
  // X and Y drawn independently within each task.
  const std::vector<double> p = bootstrap_improvement({{1, 5}}, {{{1, 1}, {0, 0}}}, {{2, 3}}, {{{0, 1}, {1, 1}}});
  EXPECT_EQ(p, (std::vector<double>{1.0, 0.0}));
}

TEST(RunStatistics, IntervalCoversTheIqmAndNarrowsWithMoreSeeds) {
  // A fixed sample around 100: the 95 % interval holds the IQM, and 4x the
  // seeds (the same values repeated) give a narrower one.
  const std::vector<double> few = {90, 97, 101, 104, 110, 95, 103, 99};
  std::vector<double> many;
  for (int k = 0; k < 4; ++k) many.insert(many.end(), few.begin(), few.end());
  Rng rng(1);
  const Interval narrow = percentile_interval(bootstrap_iqm({many}, {draw_resamples(32, 2000, &rng)}), 0.95);
  const Interval wide = percentile_interval(bootstrap_iqm({few}, {draw_resamples(8, 2000, &rng)}), 0.95);
  const double iqm = interquartile_mean(few);
  EXPECT_LT(wide.low, iqm);
  EXPECT_GT(wide.high, iqm);
  EXPECT_LT(narrow.low, iqm);
  EXPECT_GT(narrow.high, iqm);
  EXPECT_LT(narrow.high - narrow.low, 0.75 * (wide.high - wide.low));
}

}  // namespace
}  // namespace usbpo::cli
