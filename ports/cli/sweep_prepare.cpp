#include "sweep_prepare.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "child_process.hpp"
#include "sweep_run.hpp"
#include "train_options.hpp"

namespace usbpo::cli {
namespace {

// An existing run directory must hold the same run; only its steps may change.
bool same_run(const std::string& dir, const KeyValues& options, std::string* error) {
  const std::string path = dir + "/" + kRunConfig;
  if (::access(path.c_str(), F_OK) != 0) return true;
  SettingsFile file;
  if (!read_settings_file(path, &file, error)) return false;
  std::map<std::string, std::string> before, now;
  for (const Setting& s : file.options) before[s.key] = s.values[0];
  for (const auto& kv : options) now[kv.first] = kv.second;
  before.erase("steps");
  now.erase("steps");
  if (before == now) return true;
  for (const auto& kv : now) {
    auto it = before.find(kv.first);
    if (it == before.end() || it->second != kv.second) {
      *error = dir + " holds a run with other options (" + kv.first + ": " +
               (it == before.end() ? "not set" : it->second) + " there, " + kv.second +
               " now); use another --out, or remove it to start it again";
      return false;
    }
  }
  for (const auto& kv : before) {
    if (!now.count(kv.first)) {
      *error = dir + " holds a run with other options (" + kv.first + ": " + kv.second +
               " there, not set now); use another --out, or remove it to start it again";
      break;
    }
  }
  return false;
}

// "FILE:LINE:COLUMN: " of the option a train error names (the longest
// --key in it), else "FILE: ".
std::string at_option(const SettingsFile& file, const std::string& message) {
  const Setting* named = nullptr;
  for (const Setting& s : file.options) {
    const std::string flag = "--" + s.key;
    for (std::size_t at = message.find(flag); at != std::string::npos; at = message.find(flag, at + 1)) {
      const char after = at + flag.size() < message.size() ? message[at + flag.size()] : ' ';
      const bool whole = !(std::isalnum(static_cast<unsigned char>(after)) || after == '-' || after == '+');
      if (whole && (!named || s.key.size() > named->key.size())) named = &s;
    }
  }
  return named ? where(file, *named) : file.name + ": ";
}

}  // namespace

bool prepare_runs(const SettingsFile& settings, const Sweep& sweep, const std::string& out,
                  std::vector<PreparedRun>* prepared, std::string* error) {
  const std::string& file = settings.name;
  for (const SweepRun& run : sweep.runs) {
    PreparedRun p;
    p.run = run;
    p.dir = out + "/" + run.name;
    // Options the sweep gives every run but this run's algorithm does not
    // use (the model options for sac, phase 2's for all but USB-PO) are left
    // out of it, as usbpo train refuses them.
    Algorithm algorithm = Algorithm::kSac;
    for (const auto& kv : run.options) {
      if (kv.first == "algo") parse_algorithm(kv.second.c_str(), &algorithm);
    }
    p.run.options.clear();
    for (const auto& kv : run.options) {
      if (option_applies(kv.first, algorithm)) p.run.options.push_back(kv);
    }
    std::vector<std::string> args;
    bool has_steps = false;
    for (const auto& kv : p.run.options) {
      args.push_back("--" + kv.first);
      args.push_back(kv.second);
      has_steps = has_steps || kv.first == "steps";
    }
    args.push_back("--out");
    args.push_back(p.dir);
    TrainOptions o;
    if (!parse_train_options(args, &o, error)) {
      *error = at_option(settings, *error) + "run " + run.name + ": " + *error;
      return false;
    }
    p.steps = o.steps;
    if (!has_steps) p.run.options.push_back({"steps", std::to_string(o.steps)});
    if (!same_run(p.dir, p.run.options, error)) return false;
    prepared->push_back(p);
  }
  for (const PreparedRun& p : *prepared) {
    const std::string config = p.dir + "/" + kRunConfig;
    const std::vector<std::string> header = {
        p.run.name + " of the sweep " + file + ", written by usbpo sweep.",
        "Start it by hand:  " + command_line({"usbpo", "train", "--config", config, "--out", p.dir}),
        "or continue it:    " +
            command_line({"usbpo", "train", "--resume", p.dir, "--steps", std::to_string(p.steps)}),
        "(" + command_line({"usbpo", "sweep", "--run", p.dir}) + " does whichever applies and records the outcome)"};
    if (!make_directories(p.dir, error) || !write_text(config, settings_yaml(p.run.options, header), error)) {
      return false;
    }
  }
  return true;
}

bool make_directories(const std::string& path, std::string* error) {
  std::string partial;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if ((i == path.size() || path[i] == '/') && !partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 &&
        errno != EEXIST) {
      *error = "cannot create directory " + partial + ": " + std::strerror(errno);
      return false;
    }
    if (i < path.size()) partial += path[i];
  }
  return true;
}

std::string absolute_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved)) return resolved;
  if (!path.empty() && path[0] == '/') return path;
  return ::getcwd(resolved, sizeof(resolved)) ? std::string(resolved) + "/" + path : path;
}

bool write_text(const std::string& path, const std::string& text, std::string* error) {
  const std::string temp = path + ".tmp";
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out || std::rename(temp.c_str(), path.c_str()) != 0) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace usbpo::cli
