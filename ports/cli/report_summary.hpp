// What `usbpo report` computes from a set of runs: per (env, algorithm) the
// papers' metric, the final return's mean, std and IQM with a bootstrap
// interval, the return at chosen env steps, and per env (and over envs) the
// probability that one algorithm's final return beats another's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "run_discovery.hpp"
#include "run_statistics.hpp"

namespace usbpo::cli {

struct ReportOptions {
  int last = 3;               // evaluations averaged into a run's final return
  std::vector<double> at;     // env steps to report the return at
  int resamples = 2000;       // bootstrap resamples
  std::uint64_t seed = 0;     // of the bootstrap
  double confidence = 0.95;   // of the intervals
};

// The return at one chosen env step, over the seeds that got there.
struct AtStep {
  double mean = 0, std = 0;
  int seeds = 0;
};

// One (env, algorithm): its runs and their statistics over seeds.
struct GroupSummary {
  std::string env, algorithm;
  std::vector<std::size_t> runs;              // indices into Report::runs, in seed order
  std::vector<double> max_returns;            // per run: its largest evaluation
  std::vector<double> final_returns;          // per run: mean of its last `last` evaluations
  double last_step_min = 0, last_step_max = 0;  // env steps of the runs' last evaluations
  double max_mean = 0, max_std = 0;           // the papers' metric over seeds (std: n - 1)
  double final_mean = 0, final_std = 0;
  double final_iqm = 0;
  Interval final_iqm_ci{0, 0};
  std::vector<AtStep> at;                     // one per ReportOptions::at
  double paper = 0;                           // the paper's final return, NaN when unknown
  Resamples resamples;                        // bootstrap draws of this group's runs (indices into `runs`)
};

// P(X > Y) of final returns, in one env or averaged over the envs both ran ("all envs").
struct Improvement {
  std::string env;         // the env, or "all envs"
  std::string x, y;        // algorithms
  int runs_x = 0, runs_y = 0;
  int envs = 1;
  double p = 0;
  Interval ci{0, 0};
};

struct Report {
  ReportOptions options;
  std::vector<RunData> runs;          // sorted by env, algorithm, seed
  std::vector<GroupSummary> groups;   // sorted by env, then algorithm (newest method first)
  std::vector<Improvement> improvements;
};

// Everything the report shows, from runs in any order.
Report build_report(std::vector<RunData> runs, const ReportOptions& options);

// Order of algorithms in tables: usbpo+pmac, usbpo, pmac, mbpo, sac, then others by name.
bool algorithm_before(const std::string& a, const std::string& b);
// The bootstrap seed of one (env, algorithm): independent of which other groups are in the report.
std::uint64_t group_seed(std::uint64_t seed, const std::string& env, const std::string& algorithm);

}  // namespace usbpo::cli
