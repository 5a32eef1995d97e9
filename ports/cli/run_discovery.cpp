#include "run_discovery.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "csv_log.hpp"
#include "run_record.hpp"
#include "usbpo/base/arena.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/train/checkpoint.hpp"

namespace usbpo::cli {
namespace {

namespace fs = std::filesystem;

const int kMaxDepth = 16;  // guards against directory loops through links

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void collect(const fs::path& dir, int depth, std::set<std::string>* seen, std::vector<std::string>* runs) {
  std::error_code ec;
  const std::string key = fs::weakly_canonical(dir, ec).string();
  if (depth > kMaxDepth || !seen->insert(ec ? dir.string() : key).second) return;
  if (fs::is_regular_file(dir / "log.csv", ec)) {
    runs->push_back(dir.string());
    return;  // a run directory holds no runs
  }
  std::vector<fs::path> children;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (!name.empty() && name[0] != '.' && it->is_directory(type_ec)) children.push_back(it->path());
  }
  std::sort(children.begin(), children.end());
  for (const fs::path& child : children) collect(child, depth + 1, seen, runs);
}

std::string strip(std::string s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  s = s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

// Identity from the checkpoint: its task and algorithm fields, and the seed
// among the options in its run record (train's default, 0, when not given).
bool from_checkpoint(const std::string& path, RunData* run, std::string* error) {
  CheckpointFile checkpoint;
  const Status s = checkpoint.read(path.c_str());
  if (!s.is_ok()) {
    *error = s.message();
    return false;
  }
  RunRecord record;
  if (!decode_run_record(checkpoint.host_data(), checkpoint.host_size(), &record, error)) return false;
  run->env = checkpoint.env_name();
  run->algorithm = checkpoint.algorithm();
  run->seed = seed_option(record.args, "0");  // `usbpo train --seed S` defaults to 0
  run->source = "checkpoint";
  return true;
}

bool from_config(const std::string& path, RunData* run) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!read_flat_yaml(path, &pairs)) return false;
  std::string env, algo, seed = "?";
  for (const auto& kv : pairs) {
    if (kv.first == "env" || kv.first == "task") env = kv.second;
    if (kv.first == "algo" || kv.first == "algorithm") algo = kv.second;
    if (kv.first == "seed") seed = kv.second;
  }
  if (env.empty() || algo.empty()) return false;
  run->env = env;
  run->algorithm = algo;
  run->seed = seed;
  run->source = "config.yaml";
  return true;
}

// The policy file names task and algorithm; the seed may be in the directory's
// name as `usbpo train` makes it by default (<env>-<algo>-<seed>).
bool from_policy(const std::string& dir, RunData* run) {
  std::vector<unsigned char> blob;
  std::size_t bytes = 0;
  if (!read_file((dir + "/policy.usbpo").c_str(), &blob).is_ok() ||
      !Policy::bytes_needed(blob.data(), blob.size(), &bytes).is_ok()) {
    return false;
  }
  std::vector<unsigned char> memory(bytes);
  Arena arena(memory.data(), memory.size());
  Policy policy;
  if (!policy.load(blob.data(), blob.size(), arena).is_ok()) return false;
  run->env = policy.env_name();
  run->algorithm = policy.algorithm();
  const std::string prefix = run->env + "-" + run->algorithm + "-";
  const std::string name = fs::path(dir).filename().string();
  const bool named = name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
                     name.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
  run->seed = named ? name.substr(prefix.size()) : "?";
  run->source = "policy";
  return true;
}

}  // namespace

std::vector<std::string> find_run_dirs(const std::vector<std::string>& roots, std::vector<std::string>* warnings) {
  std::vector<std::string> runs;
  std::set<std::string> seen;
  for (const std::string& root : roots) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
      warnings->push_back(root + ": not a directory");
      continue;
    }
    const std::string key = fs::weakly_canonical(root, ec).string();
    if (!ec && seen.count(key)) {
      warnings->push_back(root + ": already included");
      continue;
    }
    const std::size_t before = runs.size();
    collect(root, 0, &seen, &runs);
    if (runs.size() == before) warnings->push_back(root + ": no run directories (none holds a log.csv)");
  }
  return runs;
}

bool read_eval_curve(const std::string& log_path, std::vector<double>* steps, std::vector<double>* returns,
                     std::string* error) {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  if (!CsvLog::read(log_path, &columns, &rows, error)) return false;
  const auto step_column = std::find(columns.begin(), columns.end(), "env_steps");
  const auto eval_column = std::find(columns.begin(), columns.end(), "eval_return");
  if (step_column == columns.end() || eval_column == columns.end()) {
    *error = log_path + ": not a usbpo training log (no env_steps and eval_return columns)";
    return false;
  }
  const std::size_t s = static_cast<std::size_t>(step_column - columns.begin());
  const std::size_t e = static_cast<std::size_t>(eval_column - columns.begin());
  steps->clear();
  returns->clear();
  for (const std::vector<double>& row : rows) {
    if (!std::isfinite(row[e])) continue;
    if (!std::isfinite(row[s]) || (!steps->empty() && row[s] < steps->back())) {
      *error = log_path + ": env_steps missing or going backwards in an evaluation row";
      return false;
    }
    steps->push_back(row[s]);
    returns->push_back(row[e]);
  }
  return true;
}

bool read_run(const std::string& dir, RunData* run, std::string* error) {
  *run = RunData();
  run->dir = dir;
  if (!read_eval_curve(dir + "/log.csv", &run->eval_steps, &run->eval_returns, error)) {
    *error = dir + ": unreadable log: " + *error;
    return false;
  }
  if (run->eval_steps.empty()) {
    *error = dir + ": its log.csv has no evaluation yet";
    return false;
  }
  const std::string checkpoint = dir + "/checkpoint.usbpo-ckpt";
  std::string why;
  if (exists(checkpoint) && from_checkpoint(checkpoint, run, &why)) {
    RunData config;
    if (from_config(dir + "/config.yaml", &config) && (config.env != run->env || config.algorithm != run->algorithm)) {
      run->note = dir + ": config.yaml says " + config.env + "/" + config.algorithm + ", the checkpoint " + run->env +
                  "/" + run->algorithm + " (the checkpoint's is used)";
    }
    return true;
  }
  if (from_config(dir + "/config.yaml", run) || from_policy(dir, run)) {
    if (!why.empty()) run->note = dir + ": checkpoint passed over (" + why + "); env and algorithm from " + run->source;
    return true;
  }
  *error = dir + ": cannot tell its env and algorithm (" +
           (why.empty() ? "no checkpoint.usbpo-ckpt, config.yaml or policy.usbpo" : "checkpoint: " + why) + ")";
  return false;
}

std::string seed_option(const std::vector<std::string>& args, const std::string& fallback) {
  std::string seed = fallback;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--seed" && i + 1 < args.size()) seed = args[++i];
    else if (args[i].rfind("--seed=", 0) == 0) seed = args[i].substr(7);
  }
  return seed;
}

bool read_flat_yaml(const std::string& path, std::vector<std::pair<std::string, std::string>>* pairs) {
  std::ifstream in(path);
  if (!in) return false;
  pairs->clear();
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '-') continue;
    const auto hash = line.find(" #");
    if (hash != std::string::npos) line = line.substr(0, hash);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    pairs->emplace_back(strip(line.substr(0, colon)), strip(line.substr(colon + 1)));
  }
  return true;
}

}  // namespace usbpo::cli
