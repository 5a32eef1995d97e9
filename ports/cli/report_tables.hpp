// The tables of `usbpo report`: report.csv (one row per env and algorithm),
// improvement.csv (P(X > Y) per pair), runs.csv (one row per run), the
// bootstrap draws for checking, and the Markdown summary.
#pragma once

#include <string>

#include "report_summary.hpp"

namespace usbpo::cli {

// report.csv: numbers at 12 significant digits, empty cells for NaN (e.g. std of one seed).
bool write_report_csv(const std::string& path, const Report& report, std::string* error);
// improvement.csv: env (or "all envs"), X, Y, their runs, P(X > Y) and its interval.
bool write_improvement_csv(const std::string& path, const Report& report, std::string* error);
// runs.csv: each run's env, algorithm, seed, place in its group, directory, source and statistics.
bool write_runs_csv(const std::string& path, const Report& report, std::string* error);
// Every bootstrap draw: env, algorithm, resample, then the drawn positions in
// the group (runs.csv's group_index) separated by spaces.
bool write_bootstrap_draws(const std::string& path, const Report& report, std::string* error);
// The Markdown tables with a few lines saying what each column is.
std::string render_markdown(const Report& report);

}  // namespace usbpo::cli
