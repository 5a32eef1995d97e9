// Statistics over seeds for `usbpo report`: small functions on fixed data,
// cross-checked against SciPy/NumPy in tests/report/crosscheck.py.
//
// The measures follow Agarwal et al. 2021, "Deep RL at the edge of the
// statistical precipice": the interquartile mean (IQM) with a stratified
// bootstrap percentile interval, and the probability of improvement.
#pragma once

#include <cstdint>
#include <vector>

namespace usbpo {
class Rng;
}

namespace usbpo::cli {

// ---- one run's evaluation curve -------------------------------------------

// Largest evaluation return (the papers' "max average return" per seed); NaN when empty.
double max_return(const std::vector<double>& returns);
// Mean of the last `last` evaluations (all of them when there are fewer); NaN when empty.
double final_return(const std::vector<double>& returns, int last);
// The evaluation at the largest step <= at; NaN when the run's last evaluation
// is before `at` (the run has not got there) or none is at or before it.
double return_at(const std::vector<double>& steps, const std::vector<double>& returns, double at);

// ---- over seeds -------------------------------------------------------------

// Arithmetic mean; NaN when empty.
double mean(const std::vector<double>& x);
// Sample standard deviation, n - 1 in the denominator (numpy std(ddof=1)); NaN when n < 2.
double sample_std(const std::vector<double>& x);
// Mean after cutting int(proportion * n) values (rounded down) from each end of
// the sorted values: scipy.stats.trim_mean(x, proportion). NaN when empty.
double trimmed_mean(std::vector<double> x, double proportion);
// Interquartile mean: trimmed_mean(x, 0.25), the mean of the middle 50 %.
double interquartile_mean(const std::vector<double>& x);
// The q-th percentile (q in [0, 100]) with linear interpolation between the
// sorted values at (n - 1) q / 100: numpy.percentile's default. NaN when empty.
double percentile(std::vector<double> x, double q);
// P(X > Y) for one draw of each: the mean over all pairs of [x > y] + 0.5 [x == y]
// (the Mann-Whitney U statistic over n_x n_y). NaN when either is empty.
double probability_of_improvement(const std::vector<double>& x, const std::vector<double>& y);

// ---- stratified bootstrap ---------------------------------------------------
// A stratum is one task (env): its seeds are resampled with replacement within
// it, so every resample keeps each task's number of runs.

// Values per stratum: strata[s] holds task s's values, one per seed.
using Strata = std::vector<std::vector<double>>;
// Indices of one stratum's resamples: (count x n), each in [0, n), drawn with rng.
using Resamples = std::vector<std::vector<int>>;
Resamples draw_resamples(int n, int count, Rng* rng);

// A closed interval, e.g. a confidence interval.
struct Interval {
  double low, high;
};
// Percentile interval of a bootstrap distribution: its (1 - c) / 2 and (1 + c) / 2
// percentiles (scipy.stats.bootstrap's method='percentile'); NaN when empty.
Interval percentile_interval(const std::vector<double>& statistics, double confidence);

// Bootstrap distribution of the IQM of all strata's values pooled (one value
// per resample): values[s] are stratum s's values, draws[s] its resamples,
// all with the same count.
std::vector<double> bootstrap_iqm(const Strata& values, const std::vector<Resamples>& draws);
// P(X > Y) averaged over strata (tasks); x[s] and y[s] are one task's values.
double probability_of_improvement(const Strata& x, const Strata& y);
// Its bootstrap distribution: X and Y resampled independently within each stratum.
std::vector<double> bootstrap_improvement(const Strata& x, const std::vector<Resamples>& x_draws, const Strata& y,
                                          const std::vector<Resamples>& y_draws);

}  // namespace usbpo::cli
