// `usbpo report DIR... --out REPORT_DIR`: statistics over seeds of any mix of
// runs (envs, algorithms, seeds) as report.csv, report.md (also printed),
// improvement.csv, runs.csv and one learning-curve SVG per env.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "report_curves.hpp"
#include "report_summary.hpp"
#include "report_tables.hpp"
#include "run_discovery.hpp"

namespace usbpo::cli {
namespace {

void print_report_usage() {
  std::fprintf(stderr,
               "usage: usbpo report DIR... [--out REPORT_DIR] [--at STEPS] [--last N] [--resamples N] [--seed S]\n"
               "  DIR                 a run directory (usbpo train --out) or one holding runs, searched recursively\n"
               "  --out REPORT_DIR    writes report.csv, report.md, improvement.csv, runs.csv and\n"
               "                      curves_<env>.svg there (default: report)\n"
               "  --at 20000,40000    also the return at these env steps: each run's evaluation at or before\n"
               "                      the step; runs whose last evaluation is earlier are left out (counted)\n"
               "  --last N            evaluations averaged into a run's final return (default 3)\n"
               "  --resamples N       bootstrap resamples for the intervals (default 2000)\n"
               "  --seed S            seed of the bootstrap (default 0)\n"
               "  --save-draws FILE   write every bootstrap draw, to check the intervals elsewhere\n"
               "Each run's env, algorithm and seed come from its checkpoint (else config.yaml, else policy.usbpo).\n");
}

// Directories are the arguments that are neither an option nor an option's value
// (every option of this command but --help takes one).
void split_arguments(int argc, char** argv, std::vector<std::string>* dirs, std::vector<char*>* options) {
  options->push_back(argv[0]);
  options->push_back(argv[1]);
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h") {
      options->push_back(const_cast<char*>("--help"));
    } else if (arg.rfind("--", 0) == 0) {
      options->push_back(argv[i]);
      if (arg != "--help" && arg.find('=') == std::string::npos && i + 1 < argc) options->push_back(argv[++i]);
    } else {
      dirs->push_back(arg);
    }
  }
}

// "20000,40000" -> {20000, 40000}, sorted, each once; false on anything else.
// Env steps are whole numbers in [0, 2^63 - 1]: fractions, signs, "inf" and
// values past 64 bits are refused, never rounded or saturated.
bool parse_steps(const std::string& text, std::vector<double>* steps) {
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, end - begin);
    if (item.empty() || item.size() > 19 || item.find_first_not_of("0123456789") != std::string::npos) return false;
    errno = 0;
    char* stop = nullptr;
    const unsigned long long v = std::strtoull(item.c_str(), &stop, 10);
    if (errno == ERANGE || *stop != '\0' || v > 9223372036854775807ULL) return false;
    steps->push_back(static_cast<double>(v));
    begin = end + 1;
  }
  std::sort(steps->begin(), steps->end());
  steps->erase(std::unique(steps->begin(), steps->end()), steps->end());
  return true;
}

}  // namespace

int report_command(int argc, char** argv) {
  std::vector<std::string> roots;
  std::vector<char*> option_argv;
  split_arguments(argc, argv, &roots, &option_argv);
  Arguments args;
  std::string error;
  if (!args.parse(static_cast<int>(option_argv.size()), option_argv.data(), 2, {"help"}, &error)) {
    std::fprintf(stderr, "usbpo report: %s\n", error.c_str());
    print_report_usage();
    return 2;
  }
  if (args.has("help")) {
    print_report_usage();
    return 0;
  }
  ReportOptions options;
  const std::string out = args.get("out", "report");
  const std::string draws_path = args.get("save-draws", "");
  options.last = static_cast<int>(args.get_int("last", options.last, 1, 1000000));
  options.resamples = static_cast<int>(args.get_int("resamples", options.resamples, 1, 1000000));
  options.seed = args.get_uint64("seed", 0);
  const std::string at = args.get("at", "");
  if (error.empty()) error = args.error();
  if (error.empty()) args.check_all_used(&error);
  if (error.empty() && !at.empty() && !parse_steps(at, &options.at)) {
    error = "--at expects whole env steps between 0 and 9223372036854775807 separated by commas (e.g. 20000,40000), "
            "got '" + at + "'";
  }
  if (error.empty() && options.last < 1) error = "--last must be >= 1";
  if (error.empty() && (options.resamples < 1 || options.resamples > 1000000)) {
    error = "--resamples must be between 1 and 1000000";
  }
  if (error.empty() && roots.empty()) error = "give one or more run directories (or directories holding runs)";
  if (!error.empty()) {
    std::fprintf(stderr, "usbpo report: %s\n", error.c_str());
    print_report_usage();
    return 2;
  }

  std::vector<std::string> warnings;
  const std::vector<std::string> dirs = find_run_dirs(roots, &warnings);
  std::vector<RunData> runs;
  for (const std::string& dir : dirs) {
    RunData run;
    if (read_run(dir, &run, &error)) {
      if (!run.note.empty()) warnings.push_back(run.note);
      runs.push_back(std::move(run));
    } else {
      warnings.push_back(error + " (skipped)");
    }
  }
  for (const std::string& w : warnings) std::fprintf(stderr, "usbpo report: warning: %s\n", w.c_str());
  if (runs.empty()) {
    std::fprintf(stderr, "usbpo report: no usable runs %s\n",
                 dirs.empty() ? "found (a run directory holds the log.csv of `usbpo train --out DIR`)"
                              : "(every run found was skipped, see the warnings above)");
    return 1;
  }

  const Report report = build_report(std::move(runs), options);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "usbpo report: cannot create %s: %s\n", out.c_str(), ec.message().c_str());
    return 1;
  }
  const std::string markdown = render_markdown(report);
  std::vector<std::string> written;
  bool ok = write_report_csv(out + "/report.csv", report, &error) &&
            write_improvement_csv(out + "/improvement.csv", report, &error) &&
            write_runs_csv(out + "/runs.csv", report, &error) && write_report_curves(out, report, &written, &error) &&
            (draws_path.empty() || write_bootstrap_draws(draws_path, report, &error));
  if (ok) {
    std::FILE* md = std::fopen((out + "/report.md").c_str(), "w");
    ok = md && std::fputs(markdown.c_str(), md) >= 0;
    if (md && std::fclose(md) != 0) ok = false;
    if (!ok) error = "cannot write " + out + "/report.md";
  }
  if (!ok) {
    std::fprintf(stderr, "usbpo report: %s\n", error.c_str());
    return 1;
  }
  std::fputs(markdown.c_str(), stdout);
  std::fprintf(stderr, "usbpo report: %zu runs in %zu groups%s -> %s/report.csv, report.md, improvement.csv, runs.csv",
               report.runs.size(), report.groups.size(),
               warnings.empty() ? "" : (" (" + std::to_string(warnings.size()) + " warnings)").c_str(), out.c_str());
  for (const std::string& path : written) {
    std::fprintf(stderr, ", %s", std::filesystem::path(path).filename().string().c_str());
  }
  std::fprintf(stderr, "\n");
  return 0;
}

}  // namespace usbpo::cli
