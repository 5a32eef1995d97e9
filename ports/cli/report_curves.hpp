// The learning curves of `usbpo report`: one SVG per env, per algorithm the
// mean over seeds with a min-max band, the paper's value and published curves.
#pragma once

#include <string>
#include <vector>

#include "report_summary.hpp"

namespace usbpo::cli {

// One (env, algorithm) over its seeds. A run has data at a step from its first
// to its last evaluation, and its value there is its latest evaluation at or
// before that step (runs evaluated at other steps still line up).
struct GroupCurve {
  std::vector<double> steps;            // every step at which one of the runs evaluated, ascending
  std::vector<double> mean, low, high;  // over the runs with data there; low/high = min/max (the band)
  std::vector<int> seeds;               // how many runs have data there
};
GroupCurve group_curve(const std::vector<const RunData*>& runs);

// Write curves_<env>.svg for every env of the report into dir; the paths written go to *written.
bool write_report_curves(const std::string& dir, const Report& report, std::vector<std::string>* written,
                         std::string* error);

}  // namespace usbpo::cli
