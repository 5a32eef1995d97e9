#include "report_curves.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "paper_reference.hpp"
#include "svg_plot.hpp"

namespace usbpo::cli {
namespace {

// The same colour for an algorithm in every plot.
std::string algorithm_color(const std::string& algorithm, int position) {
  if (algorithm == "usbpo") return "#d62728";
  if (algorithm == "mbpo") return "#1f77b4";
  if (algorithm == "pmac") return "#2ca02c";
  if (algorithm == "usbpo+pmac") return "#9467bd";
  if (algorithm == "sac") return "#7f7f7f";
  static const char* const kOthers[] = {"#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"};
  return kOthers[position % 5];
}

std::string format_value(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.0f", v);
  return buffer;
}

// The env's chart: per group a band, a solid mean where every seed has data and
// a dashed mean where fewer do; the paper's values dashed; published curves dotted.
PlotSpec env_chart(const Report& report, const std::string& env) {
  PlotSpec spec;
  spec.title = env + ": evaluation return, mean over seeds (band: min-max over seeds)";
  spec.x_label = "env steps";
  spec.y_label = "evaluation return";
  spec.width = 900;
  spec.height = 520;
  double last_step = 0;
  int position = 0;
  for (const GroupSummary& g : report.groups) {
    if (g.env != env) continue;
    std::vector<const RunData*> runs;
    for (std::size_t i : g.runs) runs.push_back(&report.runs[i]);
    const GroupCurve curve = group_curve(runs);
    const std::string color = algorithm_color(g.algorithm, position++);
    const int all = static_cast<int>(runs.size());
    last_step = std::max(last_step, curve.steps.back());
    const std::string seeds = std::to_string(all) + (all == 1 ? " seed" : " seeds");
    PlotSeries full{g.algorithm + " (" + seeds + ")", curve.steps, {}, color};
    PlotSeries partial{"", curve.steps, {}, color};
    partial.dashed = true;
    bool any_partial = false;
    for (std::size_t k = 0; k < curve.steps.size(); ++k) {
      const bool complete = curve.seeds[k] == all;
      // A dashed stretch starts and ends at the neighbouring complete points, so the lines join.
      const bool next_partial = k + 1 < curve.steps.size() && curve.seeds[k + 1] < all;
      const bool previous_partial = k > 0 && curve.seeds[k - 1] < all;
      full.y.push_back(complete ? curve.mean[k] : NAN);
      partial.y.push_back(!complete || next_partial || previous_partial ? curve.mean[k] : NAN);
      any_partial = any_partial || !complete;
    }
    spec.bands.push_back({curve.steps, curve.low, curve.high, color});
    spec.series.push_back(full);
    if (any_partial) {
      partial.label = g.algorithm + " where fewer seeds have data";
      spec.series.push_back(partial);
    }
    if (std::isfinite(g.paper)) {
      spec.lines.push_back({g.paper, g.algorithm + " paper, final: " + format_value(g.paper), color});
    }
  }
  for (const char* algorithm : {"mbpo", "usbpo", "pmac", "usbpo+pmac", "sac"}) {
    const PublishedCurve published = published_curve(env, algorithm);
    PlotSeries reference{published.label, {}, {}, algorithm_color(algorithm, 0)};
    reference.dotted = true;
    for (std::size_t k = 0; k < published.env_steps.size(); ++k) {
      if (published.env_steps[k] > last_step) break;  // only as far as our runs go
      reference.x.push_back(published.env_steps[k]);
      reference.y.push_back(published.returns[k]);
    }
    if (reference.x.size() >= 2) spec.series.push_back(reference);
  }
  return spec;
}

}  // namespace

GroupCurve group_curve(const std::vector<const RunData*>& runs) {
  GroupCurve curve;
  for (const RunData* run : runs) curve.steps.insert(curve.steps.end(), run->eval_steps.begin(), run->eval_steps.end());
  std::sort(curve.steps.begin(), curve.steps.end());
  curve.steps.erase(std::unique(curve.steps.begin(), curve.steps.end()), curve.steps.end());
  std::vector<std::size_t> next(runs.size(), 0);  // per run: its first evaluation after the current step
  for (double step : curve.steps) {
    double sum = 0, low = INFINITY, high = -INFINITY;
    int count = 0;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const std::vector<double>& steps = runs[r]->eval_steps;
      while (next[r] < steps.size() && steps[next[r]] <= step) ++next[r];
      if (next[r] == 0 || step > steps.back()) continue;  // before its first or after its last evaluation
      const double value = runs[r]->eval_returns[next[r] - 1];
      sum += value;
      low = std::min(low, value);
      high = std::max(high, value);
      ++count;
    }
    curve.mean.push_back(count ? sum / count : NAN);
    curve.low.push_back(count ? low : NAN);
    curve.high.push_back(count ? high : NAN);
    curve.seeds.push_back(count);
  }
  return curve;
}

bool write_report_curves(const std::string& dir, const Report& report, std::vector<std::string>* written,
                         std::string* error) {
  for (std::size_t i = 0; i < report.groups.size(); ++i) {
    if (i > 0 && report.groups[i].env == report.groups[i - 1].env) continue;
    std::string name = report.groups[i].env;  // a file name whatever the env is called
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' && c != '.') c = '_';
    }
    const std::string path = dir + "/curves_" + name + ".svg";
    if (!write_svg_plot(path, env_chart(report, report.groups[i].env), error)) return false;
    written->push_back(path);
  }
  return true;
}

}  // namespace usbpo::cli
