// Finding `usbpo train` run directories and reading what `usbpo report` needs
// from each: its task, algorithm and seed, and its evaluation curve.
#pragma once

#include <string>
#include <vector>

namespace usbpo::cli {

// One run as the report sees it.
struct RunData {
  std::string dir;
  std::string env, algorithm;
  std::string seed;    // as given to `usbpo train`; "?" when no source says
  std::string source;  // where env, algorithm and seed came from (checkpoint, config.yaml, policy)
  std::string note;    // a warning worth showing (e.g. an unreadable checkpoint passed over); empty when none
  std::vector<double> eval_steps, eval_returns;  // log.csv rows with an evaluation, in order
};

// Run directories (those holding log.csv) that are, or lie under, the roots
// (searched recursively, sorted, each once). Roots that do not exist or hold
// no run add a line to *warnings.
std::vector<std::string> find_run_dirs(const std::vector<std::string>& roots, std::vector<std::string>* warnings);

// Read one run. Env, algorithm and seed come from, in order: the checkpoint's
// own fields and run record (the options `usbpo train` was given), a
// config.yaml beside the log (top-level `env:`, `algo:`, `seed:`), the policy
// file (no seed; taken from a directory named <env>-<algo>-<seed> if it is).
// False with *error naming the directory when the log or the identity cannot be
// read, or the log has no evaluation yet.
bool read_run(const std::string& dir, RunData* run, std::string* error);

// The evaluation curve of a log.csv: rows whose eval_return is set (columns
// found by name, so logs of other usbpo versions read too).
bool read_eval_curve(const std::string& log_path, std::vector<double>* steps, std::vector<double>* returns,
                     std::string* error);

// `--seed` as the options give it (the last one wins, "--seed=S" too), or
// fallback when absent.
std::string seed_option(const std::vector<std::string>& args, const std::string& fallback);

// Top-level `key: value` pairs of a small YAML file (comments, quotes and
// indented lines ignored); false when it cannot be read.
bool read_flat_yaml(const std::string& path, std::vector<std::pair<std::string, std::string>>* pairs);

}  // namespace usbpo::cli
