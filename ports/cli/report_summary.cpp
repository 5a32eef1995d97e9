#include "report_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <tuple>

#include "task_defaults.hpp"
#include "usbpo/base/rng.hpp"

namespace usbpo::cli {
namespace {

int algorithm_rank(const std::string& name) {
  static const char* const kOrder[] = {"usbpo+pmac", "usbpo", "pmac", "mbpo", "sac"};
  for (int i = 0; i < 5; ++i) {
    if (name == kOrder[i]) return i;
  }
  return 5;
}

// Seeds compare as numbers when both are, else as text.
bool seed_before(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  const long long na = std::strtoll(a.c_str(), &end_a, 10), nb = std::strtoll(b.c_str(), &end_b, 10);
  const bool numbers = !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0';
  if (numbers && na != nb) return na < nb;
  return a < b;
}

bool run_before(const RunData& a, const RunData& b) {
  if (a.env != b.env) return a.env < b.env;
  if (a.algorithm != b.algorithm) return algorithm_before(a.algorithm, b.algorithm);
  if (a.seed != b.seed) return seed_before(a.seed, b.seed);
  return a.dir < b.dir;
}

double paper_value(const std::string& env, const std::string& algorithm) {
  Algorithm parsed;
  return parse_algorithm(algorithm.c_str(), &parsed) ? paper_final_return(env, parsed) : NAN;
}

GroupSummary summarize(const Report& report, const std::string& env, const std::string& algorithm,
                       const std::vector<std::size_t>& indices) {
  const ReportOptions& o = report.options;
  GroupSummary g;
  g.env = env;
  g.algorithm = algorithm;
  g.runs = indices;
  g.last_step_min = INFINITY;
  g.last_step_max = -INFINITY;
  for (std::size_t i : indices) {
    const RunData& run = report.runs[i];
    g.max_returns.push_back(max_return(run.eval_returns));
    g.final_returns.push_back(final_return(run.eval_returns, o.last));
    g.last_step_min = std::min(g.last_step_min, run.eval_steps.back());
    g.last_step_max = std::max(g.last_step_max, run.eval_steps.back());
  }
  g.max_mean = mean(g.max_returns);
  g.max_std = sample_std(g.max_returns);
  g.final_mean = mean(g.final_returns);
  g.final_std = sample_std(g.final_returns);
  g.final_iqm = interquartile_mean(g.final_returns);
  Rng rng(group_seed(o.seed, env, algorithm));
  g.resamples = draw_resamples(static_cast<int>(indices.size()), o.resamples, &rng);
  g.final_iqm_ci = percentile_interval(bootstrap_iqm({g.final_returns}, {g.resamples}), o.confidence);
  for (double step : o.at) {
    std::vector<double> values;
    for (std::size_t i : indices) {
      const double v = return_at(report.runs[i].eval_steps, report.runs[i].eval_returns, step);
      if (std::isfinite(v)) values.push_back(v);
    }
    g.at.push_back({mean(values), sample_std(values), static_cast<int>(values.size())});
  }
  g.paper = paper_value(env, algorithm);
  return g;
}

// P(X > Y) over the given envs' groups (one pair of groups per env).
Improvement improvement(const std::string& label, const std::vector<const GroupSummary*>& xs,
                        const std::vector<const GroupSummary*>& ys, double confidence) {
  Improvement row;
  row.env = label;
  row.x = xs[0]->algorithm;
  row.y = ys[0]->algorithm;
  row.envs = static_cast<int>(xs.size());
  Strata x, y;
  std::vector<Resamples> x_draws, y_draws;
  for (std::size_t e = 0; e < xs.size(); ++e) {
    x.push_back(xs[e]->final_returns);
    y.push_back(ys[e]->final_returns);
    x_draws.push_back(xs[e]->resamples);
    y_draws.push_back(ys[e]->resamples);
    row.runs_x += static_cast<int>(xs[e]->runs.size());
    row.runs_y += static_cast<int>(ys[e]->runs.size());
  }
  row.p = probability_of_improvement(x, y);
  row.ci = percentile_interval(bootstrap_improvement(x, x_draws, y, y_draws), confidence);
  return row;
}

}  // namespace

bool algorithm_before(const std::string& a, const std::string& b) {
  const int ra = algorithm_rank(a), rb = algorithm_rank(b);
  return ra != rb ? ra < rb : a < b;
}

std::uint64_t group_seed(std::uint64_t seed, const std::string& env, const std::string& algorithm) {
  // FNV-1a over "env/algorithm", mixed into the seed (Rng runs splitmix64 on it).
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : env + "/" + algorithm) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return seed ^ hash;
}

Report build_report(std::vector<RunData> runs, const ReportOptions& options) {
  Report report;
  report.options = options;
  std::sort(runs.begin(), runs.end(), run_before);
  report.runs = std::move(runs);
  for (std::size_t begin = 0; begin < report.runs.size();) {
    std::size_t end = begin;
    std::vector<std::size_t> indices;
    while (end < report.runs.size() && report.runs[end].env == report.runs[begin].env &&
           report.runs[end].algorithm == report.runs[begin].algorithm) {
      indices.push_back(end++);
    }
    report.groups.push_back(summarize(report, report.runs[begin].env, report.runs[begin].algorithm, indices));
    begin = end;
  }
  // Per env, every pair of algorithms once (the one listed first as X); then,
  // for pairs that share two or more envs, the average over those envs.
  using GroupList = std::vector<const GroupSummary*>;
  std::map<std::pair<std::string, std::string>, std::pair<GroupList, GroupList>> shared;
  std::vector<std::pair<std::string, std::string>> pair_order;
  for (std::size_t i = 0; i < report.groups.size(); ++i) {
    for (std::size_t j = i + 1; j < report.groups.size() && report.groups[j].env == report.groups[i].env; ++j) {
      const GroupSummary &x = report.groups[i], &y = report.groups[j];
      report.improvements.push_back(improvement(x.env, {&x}, {&y}, options.confidence));
      const auto key = std::make_pair(x.algorithm, y.algorithm);
      if (!shared.count(key)) pair_order.push_back(key);
      shared[key].first.push_back(&x);
      shared[key].second.push_back(&y);
    }
  }
  std::sort(pair_order.begin(), pair_order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? algorithm_before(a.first, b.first) : algorithm_before(a.second, b.second);
  });
  for (const auto& key : pair_order) {
    const auto& groups = shared[key];
    if (groups.first.size() >= 2) {
      report.improvements.push_back(improvement("all envs", groups.first, groups.second, options.confidence));
    }
  }
  return report;
}

}  // namespace usbpo::cli
