#include "report_tables.hpp"

#include <cmath>
#include <cstdio>

#include "csv_log.hpp"

namespace usbpo::cli {
namespace {

std::string printf_string(const char* fmt, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), fmt, value);
  return buffer;
}

// A CSV cell: 12 significant digits, empty for NaN or infinity.
std::string cell(double value) { return std::isfinite(value) ? printf_string("%.12g", value) : ""; }

// Env steps as a column name: 20000 -> "20000".
std::string step_name(double step) { return printf_string("%.0f", step); }

// Env steps for people: 23000 -> "23k", 2750 -> "2.75k", 600 -> "600".
std::string steps_short(double steps) {
  return steps >= 1000 ? printf_string("%gk", steps / 1000) : printf_string("%g", steps);
}

// A return for people: one decimal, "n/a" for NaN.
std::string ret(double value) { return std::isfinite(value) ? printf_string("%.1f", value) : "n/a"; }

// "mean ± std", or only the mean when std is undefined (one seed).
std::string mean_std(double m, double s) { return std::isfinite(s) ? ret(m) + " ± " + ret(s) : ret(m); }

bool write_rows(const std::string& path, const std::vector<std::string>& columns,
                const std::vector<std::vector<std::string>>& rows, std::string* error) {
  CsvLog csv;
  if (!csv.open(path, columns, false, error)) return false;
  for (const std::vector<std::string>& row : rows) {
    if (!csv.row_text(row)) {
      *error = "cannot write " + path;
      return false;
    }
  }
  csv.close();
  return true;
}

}  // namespace

bool write_report_csv(const std::string& path, const Report& report, std::string* error) {
  std::vector<std::string> columns = {"env",
                                      "algorithm",
                                      "seeds",
                                      "last_eval_steps_min",
                                      "last_eval_steps_max",
                                      "max_return_mean",
                                      "max_return_std",
                                      "final_evaluations",
                                      "final_return_mean",
                                      "final_return_std",
                                      "final_return_iqm",
                                      "final_return_iqm_ci_low",
                                      "final_return_iqm_ci_high",
                                      "paper_final_return"};
  for (double step : report.options.at) {
    for (const char* what : {"mean", "std", "seeds"}) columns.push_back("return_at_" + step_name(step) + "_" + what);
  }
  std::vector<std::vector<std::string>> rows;
  for (const GroupSummary& g : report.groups) {
    std::vector<std::string> row = {g.env,
                                    g.algorithm,
                                    std::to_string(g.runs.size()),
                                    cell(g.last_step_min),
                                    cell(g.last_step_max),
                                    cell(g.max_mean),
                                    cell(g.max_std),
                                    std::to_string(report.options.last),
                                    cell(g.final_mean),
                                    cell(g.final_std),
                                    cell(g.final_iqm),
                                    cell(g.final_iqm_ci.low),
                                    cell(g.final_iqm_ci.high),
                                    cell(g.paper)};
    for (const AtStep& a : g.at) {
      row.push_back(cell(a.mean));
      row.push_back(cell(a.std));
      row.push_back(std::to_string(a.seeds));
    }
    rows.push_back(row);
  }
  return write_rows(path, columns, rows, error);
}

bool write_improvement_csv(const std::string& path, const Report& report, std::string* error) {
  std::vector<std::vector<std::string>> rows;
  for (const Improvement& i : report.improvements) {
    rows.push_back({i.env, i.x, i.y, std::to_string(i.envs), std::to_string(i.runs_x), std::to_string(i.runs_y),
                    cell(i.p), cell(i.ci.low), cell(i.ci.high)});
  }
  const std::vector<std::string> columns = {"env",    "algorithm_x", "algorithm_y", "envs",   "runs_x",
                                            "runs_y", "p_x_beats_y", "ci_low",      "ci_high"};
  return write_rows(path, columns, rows, error);
}

bool write_runs_csv(const std::string& path, const Report& report, std::string* error) {
  std::vector<std::vector<std::string>> rows;
  for (const GroupSummary& g : report.groups) {
    for (std::size_t k = 0; k < g.runs.size(); ++k) {
      const RunData& run = report.runs[g.runs[k]];
      rows.push_back({run.env, run.algorithm, run.seed, std::to_string(k), run.dir, run.source,
                      std::to_string(run.eval_steps.size()), cell(run.eval_steps.back()), cell(g.max_returns[k]),
                      cell(g.final_returns[k])});
    }
  }
  return write_rows(path,
                    {"env", "algorithm", "seed", "group_index", "dir", "source", "evaluations", "last_eval_steps",
                     "max_return", "final_return"},
                    rows, error);
}

bool write_bootstrap_draws(const std::string& path, const Report& report, std::string* error) {
  std::vector<std::vector<std::string>> rows;
  for (const GroupSummary& g : report.groups) {
    for (std::size_t b = 0; b < g.resamples.size(); ++b) {
      std::string indices;
      for (int i : g.resamples[b]) indices += (indices.empty() ? "" : " ") + std::to_string(i);
      rows.push_back({g.env, g.algorithm, std::to_string(b), indices});
    }
  }
  return write_rows(path, {"env", "algorithm", "resample", "group_indices"}, rows, error);
}

std::string render_markdown(const Report& report) {
  const ReportOptions& o = report.options;
  std::string env_count;
  {
    std::vector<std::string> envs;
    for (const GroupSummary& g : report.groups) {
      if (envs.empty() || envs.back() != g.env) envs.push_back(g.env);
    }
    env_count = std::to_string(envs.size());
  }
  const std::string percent = printf_string("%g", o.confidence * 100);
  std::string md = "## usbpo report: " + std::to_string(report.runs.size()) + " runs, " + env_count + " env(s), " +
                   std::to_string(report.groups.size()) + " (env, algorithm) group(s)\n\n";
  md += "Per run: *max* = its largest evaluation return (the papers' metric), *final* = the mean of its last " +
        std::to_string(o.last) +
        " evaluations. Over seeds: mean ± sample std (n - 1); *IQM* = mean of the middle 50 % of the final returns "
        "(scipy.stats.trim_mean(x, 0.25)) with a " + percent +
        " % stratified-bootstrap percentile interval (seeds resampled within each env, " + std::to_string(o.resamples) +
        " resamples, seed " + std::to_string(o.seed) + ")";
  if (!o.at.empty()) md += "; *at N* = the evaluation at or before N env steps, over the seeds that got there (of all)";
  md += ". *paper* = the USB-PO paper's value where known (max average return within its budget: compare with "
        "*max* at that budget).\n\n";
  md += "| env | algorithm | seeds | env steps | max return | final return | final IQM [" + percent + " % CI] |";
  std::string rule = "|---|---|---:|---:|---:|---:|---:|";
  for (double step : o.at) {
    md += " at " + steps_short(step) + " |";
    rule += "---:|";
  }
  md += " paper |\n" + rule + "---:|\n";
  for (const GroupSummary& g : report.groups) {
    const std::string steps = g.last_step_min == g.last_step_max
                                  ? steps_short(g.last_step_max)
                                  : steps_short(g.last_step_min) + "-" + steps_short(g.last_step_max);
    md += "| " + g.env + " | " + g.algorithm + " | " + std::to_string(g.runs.size()) + " | " + steps + " | " +
          mean_std(g.max_mean, g.max_std) + " | " + mean_std(g.final_mean, g.final_std) + " | " + ret(g.final_iqm) +
          " [" + ret(g.final_iqm_ci.low) + ", " + ret(g.final_iqm_ci.high) + "] |";
    for (const AtStep& a : g.at) {
      md += a.seeds == 0 ? " - (0/" + std::to_string(g.runs.size()) + ") |"
                         : " " + mean_std(a.mean, a.std) + " (" + std::to_string(a.seeds) + "/" +
                               std::to_string(g.runs.size()) + ") |";
    }
    md += " " + (std::isfinite(g.paper) ? printf_string("%.0f", g.paper) : std::string("")) + " |\n";
  }
  bool few_seeds = false;
  for (const GroupSummary& g : report.groups) few_seeds = few_seeds || (g.runs.size() > 1 && g.runs.size() <= 4);
  if (few_seeds && o.confidence == 0.95) {
    // Fewer than 2.5 % of the resamples can fall below the lowest value only from 5 seeds on.
    md += "\nWith 4 seeds or fewer the 95 % percentile interval of the IQM is the range of their final returns; "
          "more seeds narrow it.\n";
  }
  for (const GroupSummary& g : report.groups) {
    if (g.last_step_min != g.last_step_max) {
      md += "\nNote: the runs of " + g.env + " / " + g.algorithm + " end at different env steps (" +
            steps_short(g.last_step_min) + " to " + steps_short(g.last_step_max) +
            "), so their final returns are from different points of training.\n";
    }
  }
  if (!report.improvements.empty()) {
    md += "\n### Probability of improvement\n\n"
          "P(X > Y) = the chance that a random run of X ends above a random run of Y (final returns; ties count "
          "half; the Mann-Whitney U statistic over n m), with a " + percent +
          " % interval from the same bootstrap; *all envs* averages it over the envs both ran.\n\n"
          "| env | X | Y | runs X / Y | P(X > Y) [" + percent + " % CI] |\n|---|---|---|---:|---:|\n";
    for (const Improvement& i : report.improvements) {
      md += "| " + i.env + " | " + i.x + " | " + i.y + " | " + std::to_string(i.runs_x) + " / " +
            std::to_string(i.runs_y) + " | " + printf_string("%.2f", i.p) + " [" + printf_string("%.2f", i.ci.low) +
            ", " + printf_string("%.2f", i.ci.high) + "] |\n";
    }
  }
  return md;
}

}  // namespace usbpo::cli
