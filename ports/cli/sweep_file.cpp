#include "sweep_file.hpp"

#include <map>

#include "config_file.hpp"
#include "slurm_script.hpp"

namespace usbpo::cli {
namespace {

const Setting* find(const std::vector<Setting>& settings, const std::string& key) {
  for (const Setting& s : settings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

}  // namespace

std::string name_part(const std::string& value) {
  std::string out = value;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '+' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

bool expand_sweep(const SettingsFile& file, Sweep* sweep, std::string* error) {
  *sweep = Sweep();
  for (const Setting& s : file.options) {
    std::string why;
    if (s.key == "out") why = "each run's --out is DIR/NAME (usbpo sweep FILE --out DIR)";
    if (!why.empty() || !allowed_run_key(s.key, &why)) {
      *error = where(file, s) + "'" + s.key + "' is not a sweep option: " + why;
      return false;
    }
  }
  for (const char* key : {"env", "algo"}) {
    if (!find(file.options, key)) {
      *error = file.name + ": the sweep names no " + key + " (e.g. " + key + ": [" +
               (std::string(key) == "env" ? "pendulum" : "sac, mbpo") + "])";
      return false;
    }
  }
  for (const Setting& s : file.slurm) {
    std::string why;
    if (s.is_list) why = "a list; sbatch flags take one value";
    if (why.empty() && !sbatch_flag_allowed(s.key, &why)) why = "set by usbpo sweep (" + why + ")";
    if (!why.empty()) {
      *error = where(file, s) + "slurm '" + s.key + "': " + why;
      return false;
    }
    sweep->slurm.push_back({s.key, s.values[0]});
  }
  // The crossing order, outermost first; seed (0 unless given) innermost.
  const Setting default_seed{"seed", {"0"}, false, 0, 0};
  const Setting* seed = find(file.options, "seed");
  std::vector<const Setting*> axes = {find(file.options, "env"), find(file.options, "algo")};
  for (const Setting& s : file.options) {
    if (s.key != "env" && s.key != "algo" && s.key != "seed") axes.push_back(&s);
  }
  axes.push_back(seed ? seed : &default_seed);
  std::vector<std::size_t> index(axes.size(), 0);
  std::map<std::string, std::size_t> names;
  for (;;) {
    SweepRun run;
    auto value = [&](const char* key) {
      for (std::size_t a = 0; a < axes.size(); ++a) {
        if (axes[a]->key == key) return axes[a]->values[index[a]];
      }
      return std::string();
    };
    run.name = name_part(value("env")) + "-" + name_part(value("algo")) + "-s" + name_part(value("seed"));
    run.options = {{"env", value("env")}, {"algo", value("algo")}, {"seed", value("seed")}};
    for (std::size_t a = 2; a + 1 < axes.size(); ++a) {
      const std::string& v = axes[a]->values[index[a]];
      run.options.push_back({axes[a]->key, v});
      if (axes[a]->is_list) run.name += "-" + name_part(axes[a]->key + v);
    }
    const auto inserted = names.insert({run.name, sweep->runs.size()});
    if (!inserted.second) {
      *error = file.name + ": runs " + std::to_string(inserted.first->second + 1) + " and " +
               std::to_string(sweep->runs.size() + 1) + " would share the directory " + run.name +
               " (a value repeated in a list, or values that differ only in characters a directory name cannot hold)";
      return false;
    }
    sweep->runs.push_back(run);
    // Next combination: the innermost axis moves first.
    std::size_t a = axes.size();
    while (a > 0 && ++index[a - 1] == axes[a - 1]->values.size()) index[--a] = 0;
    if (a == 0) break;
  }
  return true;
}

}  // namespace usbpo::cli
