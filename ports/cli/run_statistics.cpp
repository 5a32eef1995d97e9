#include "run_statistics.hpp"

#include <algorithm>
#include <cmath>

#include "usbpo/base/rng.hpp"

namespace usbpo::cli {

double max_return(const std::vector<double>& returns) {
  if (returns.empty()) return NAN;
  return *std::max_element(returns.begin(), returns.end());
}

double final_return(const std::vector<double>& returns, int last) {
  const std::size_t n = std::min(returns.size(), static_cast<std::size_t>(std::max(1, last)));
  return mean(std::vector<double>(returns.end() - static_cast<std::ptrdiff_t>(n), returns.end()));
}

double return_at(const std::vector<double>& steps, const std::vector<double>& returns, double at) {
  if (steps.empty() || steps.back() < at) return NAN;
  double value = NAN;
  for (std::size_t i = 0; i < steps.size() && i < returns.size(); ++i) {
    if (steps[i] <= at) value = returns[i];
  }
  return value;
}

double mean(const std::vector<double>& x) {
  if (x.empty()) return NAN;
  double sum = 0;
  for (double v : x) sum += v;
  return sum / static_cast<double>(x.size());
}

double sample_std(const std::vector<double>& x) {
  if (x.size() < 2) return NAN;
  const double m = mean(x);
  double squares = 0;
  for (double v : x) squares += (v - m) * (v - m);
  return std::sqrt(squares / static_cast<double>(x.size() - 1));
}

double trimmed_mean(std::vector<double> x, double proportion) {
  // scipy: lowercut = int(proportion * n), i.e. rounded toward zero; 0.25 n is exact.
  const std::size_t cut = static_cast<std::size_t>(proportion * static_cast<double>(x.size()));
  if (x.empty() || 2 * cut >= x.size()) return NAN;
  std::sort(x.begin(), x.end());
  const auto offset = static_cast<std::ptrdiff_t>(cut);
  return mean(std::vector<double>(x.begin() + offset, x.end() - offset));
}

double interquartile_mean(const std::vector<double>& x) { return trimmed_mean(x, 0.25); }

double percentile(std::vector<double> x, double q) {
  if (x.empty()) return NAN;
  std::sort(x.begin(), x.end());
  const double index = static_cast<double>(x.size() - 1) * (q / 100.0);
  const double below = std::floor(index);
  const std::size_t i = static_cast<std::size_t>(below);
  const std::size_t j = std::min(i + 1, x.size() - 1);
  const double t = index - below, a = x[i], b = x[j];
  // numpy's lerp: from the nearer end, so that t = 1 gives b exactly.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

double probability_of_improvement(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) return NAN;
  double wins = 0;
  for (double a : x) {
    for (double b : y) wins += a > b ? 1.0 : (a == b ? 0.5 : 0.0);
  }
  return wins / (static_cast<double>(x.size()) * static_cast<double>(y.size()));
}

Resamples draw_resamples(int n, int count, Rng* rng) {
  const std::vector<int> empty_draw(static_cast<std::size_t>(std::max(0, n)));
  Resamples draws(static_cast<std::size_t>(std::max(0, count)), empty_draw);
  for (std::vector<int>& draw : draws) {
    for (int& index : draw) index = static_cast<int>(rng->uniform_int(static_cast<std::uint32_t>(n)));
  }
  return draws;
}

Interval percentile_interval(const std::vector<double>& statistics, double confidence) {
  const double tail = (1 - confidence) / 2;
  return {percentile(statistics, tail * 100), percentile(statistics, (1 - tail) * 100)};
}

namespace {

// Stratum s's values at resample b's indices.
std::vector<double> pick(const std::vector<double>& values, const std::vector<int>& indices) {
  std::vector<double> out;
  out.reserve(indices.size());
  for (int i : indices) out.push_back(values[static_cast<std::size_t>(i)]);
  return out;
}

std::size_t resample_count(const std::vector<Resamples>& draws) { return draws.empty() ? 0 : draws[0].size(); }

}  // namespace

std::vector<double> bootstrap_iqm(const Strata& values, const std::vector<Resamples>& draws) {
  std::vector<double> out;
  for (std::size_t b = 0; b < resample_count(draws); ++b) {
    std::vector<double> pooled;
    for (std::size_t s = 0; s < values.size(); ++s) {
      const std::vector<double> picked = pick(values[s], draws[s][b]);
      pooled.insert(pooled.end(), picked.begin(), picked.end());
    }
    out.push_back(interquartile_mean(pooled));
  }
  return out;
}

double probability_of_improvement(const Strata& x, const Strata& y) {
  std::vector<double> per_task;
  for (std::size_t s = 0; s < x.size() && s < y.size(); ++s) per_task.push_back(probability_of_improvement(x[s], y[s]));
  return mean(per_task);
}

std::vector<double> bootstrap_improvement(const Strata& x, const std::vector<Resamples>& x_draws, const Strata& y,
                                          const std::vector<Resamples>& y_draws) {
  std::vector<double> out;
  const std::size_t count = std::min(resample_count(x_draws), resample_count(y_draws));
  for (std::size_t b = 0; b < count; ++b) {
    std::vector<double> per_task;
    for (std::size_t s = 0; s < x.size() && s < y.size(); ++s) {
      per_task.push_back(probability_of_improvement(pick(x[s], x_draws[s][b]), pick(y[s], y_draws[s][b])));
    }
    out.push_back(mean(per_task));
  }
  return out;
}

}  // namespace usbpo::cli
