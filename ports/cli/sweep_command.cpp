// `usbpo sweep FILE --out DIR`: one run directory per combination of the
// file's lists, each with its config.yaml, then the runs here (--local N) or
// as a Slurm job array (--slurm [--submit]). `usbpo sweep --run DIR` carries
// one run on (what each array task does).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "commands.hpp"
#include "run_directory.hpp"
#include "settings_file.hpp"
#include "slurm_script.hpp"
#include "sweep_file.hpp"
#include "sweep_local.hpp"
#include "train_options.hpp"

namespace usbpo::cli {
namespace {

void print_sweep_usage() {
  std::fprintf(stderr,
               "usage: usbpo sweep FILE --out DIR [--local N | --slurm [--submit]] [--threads K]\n"
               "       usbpo sweep --run RUN_DIR [--threads K]\n"
               "  FILE             YAML: train options (without --) as a value or a list; lists are crossed, e.g.\n"
               "                     env: [hopper]\n"
               "                     algo: [mbpo, usbpo]\n"
               "                     seed: [0, 1, 2]\n"
               "                     steps: 60000\n"
               "                     options: {checkpoint-every: 1000}\n"
               "                     slurm: {time: \"08:00:00\", mem: 4G}\n"
               "  --out DIR        one directory per run, DIR/ENV-ALGO-sSEED[-KEYVALUE...], each with config.yaml;\n"
               "                   without --local or --slurm only these are written and the plan is printed\n"
               "  --local N        run here, N at a time; finished runs are skipped, interrupted ones resumed;\n"
               "                   Ctrl-C checkpoints the running ones\n"
               "  --threads K      --threads of each run that starts\n"
               "  --slurm          write DIR/sweep.sbatch, a job array of the unfinished runs (requeued when\n"
               "                   preempted or near the time limit; a requeued task resumes its run)\n"
               "  --submit         with --slurm: submit it with sbatch and print the job id\n"
               "  --slurm-KEY V    an sbatch flag (--KEY=V) over the file's slurm: section, e.g. --slurm-time 2:00:00\n"
               "  --run RUN_DIR    start, resume or skip one run directory; records done, or failed.txt\n");
}

struct SweepArguments {
  std::string file, out, run_dir;
  int local = 0, threads = 0;
  bool slurm = false, submit = false, help = false;
  KeyValues slurm_flags;
};

bool parse_count(const std::string& option, const std::string& text, int* value, std::string* error) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > 100000) {
    *error = "--" + option + " expects a whole number >= 1, got '" + text + "'";
    return false;
  }
  *value = static_cast<int>(v);
  return true;
}

bool parse_sweep_arguments(int argc, char** argv, SweepArguments* a, std::string* error) {
  std::map<std::string, bool> seen;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      a->help = true;
      return true;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!a->file.empty()) {
        *error = "one sweep file at a time (got '" + a->file + "' and '" + arg + "')";
        return false;
      }
      a->file = arg;
      continue;
    }
    std::string key = arg.substr(2), value;
    const auto eq = key.find('=');
    const bool has_value = eq != std::string::npos;
    if (has_value) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    if (seen[key]) {
      *error = "--" + key + " is given twice";
      return false;
    }
    seen[key] = true;
    if (key == "slurm" || key == "submit") {
      if (has_value) {
        *error = "--" + key + " takes no value";
        return false;
      }
      (key == "slurm" ? a->slurm : a->submit) = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "option --" + key + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (key == "out") {
      a->out = value;
    } else if (key == "run") {
      a->run_dir = value;
    } else if (key == "local") {
      if (!parse_count(key, value, &a->local, error)) return false;
    } else if (key == "threads") {
      if (!parse_count(key, value, &a->threads, error)) return false;
    } else if (key.rfind("slurm-", 0) == 0) {
      std::string why;
      if (!sbatch_flag_allowed(key.substr(6), &why)) {
        *error = "--" + key + ": " + why;
        return false;
      }
      a->slurm_flags.push_back({key.substr(6), value});
    } else {
      *error = "unknown option --" + key;
      return false;
    }
  }
  if (!a->run_dir.empty()) {
    if (!a->file.empty() || !a->out.empty() || a->local || a->slurm) {
      *error = "--run RUN_DIR takes no sweep file, --out, --local or --slurm";
      return false;
    }
    return true;
  }
  if (a->file.empty() || a->out.empty()) {
    *error = "a sweep file and --out DIR are needed";
    return false;
  }
  if (a->local && a->slurm) {
    *error = "--local and --slurm exclude each other";
    return false;
  }
  if ((a->submit || !a->slurm_flags.empty()) && !a->slurm) {
    *error = "--submit and --slurm-KEY go with --slurm";
    return false;
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

// The path from / (symbolic links resolved when it exists).
std::string absolute(const std::string& path) {
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

// Whether `usbpo train` here knows --threads (an option that came later).
bool train_has_threads_option() {
  TrainOptions o;
  std::string error;
  return parse_train_options({"--threads", "1"}, &o, &error);
}

// A run prepared on disk.
struct PreparedRun {
  SweepRun run;
  std::string dir;
  std::int64_t steps = 0;
};

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

// Validate every run, then write the run directories and their config.yaml.
bool prepare_runs(const SettingsFile& settings, const Sweep& sweep, const std::string& file, const std::string& out,
                  std::vector<PreparedRun>* prepared, std::string* error) {
  for (const SweepRun& run : sweep.runs) {
    PreparedRun p;
    p.run = run;
    p.dir = out + "/" + run.name;
    std::vector<std::string> args;
    bool has_steps = false;
    for (const auto& kv : run.options) {
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
        "or continue it:    " + command_line({"usbpo", "train", "--resume", p.dir, "--steps", std::to_string(p.steps)}),
        "(" + command_line({"usbpo", "sweep", "--run", p.dir}) + " does whichever applies and records the outcome)"};
    if (!make_directories(p.dir, error) || !write_text(config, settings_yaml(p.run.options, header), error)) {
      return false;
    }
  }
  return true;
}

int write_slurm(const SweepArguments& a, const Sweep& sweep, const std::vector<PreparedRun>& runs,
                const std::string& out) {
  std::string runs_text, error;
  int unfinished = 0, threads = 0;
  for (const PreparedRun& p : runs) {
    for (const auto& kv : p.run.options) {
      if (kv.first == "threads") threads = std::max(threads, std::atoi(kv.second.c_str()));
    }
    if (run_state(p.dir, p.steps) == RunState::kFinished) continue;
    runs_text += p.dir + "\n";
    ++unfinished;
  }
  if (unfinished == 0) {
    std::printf("sweep: all %zu runs are finished; nothing to submit\n", runs.size());
    return 0;
  }
  SlurmScript script;
  script.usbpo = self_path();
  script.runs_file = out + "/runs.txt";
  script.output_dir = out + "/slurm";
  script.title = "usbpo sweep " + a.file + ": " + std::to_string(unfinished) + " of " + std::to_string(runs.size()) +
                 " runs (the others are finished)";
  script.tasks = unfinished;
  std::map<std::string, std::string> flags;
  for (const auto& kv : sweep.slurm) flags[kv.first] = kv.second;
  for (const auto& kv : a.slurm_flags) flags[kv.first] = kv.second;
  if (!flags.count("job-name")) flags["job-name"] = "usbpo-" + out.substr(out.find_last_of('/') + 1);
  if (!flags.count("cpus-per-task")) flags["cpus-per-task"] = std::to_string(a.threads ? a.threads : std::max(1, threads));
  for (const auto& kv : flags) script.flags.push_back(kv);
  // Runs whose file sets no threads get the task's CPUs, where train has --threads.
  if (a.threads) {
    script.threads = a.threads;
  } else if (threads == 0 && train_has_threads_option()) {
    script.threads = std::max(1, std::atoi(flags["cpus-per-task"].c_str()));
  }
  const std::string path = out + "/sweep.sbatch";
  if (!make_directories(script.output_dir, &error) || !write_text(script.runs_file, runs_text, &error) ||
      !write_text(path, slurm_script_text(script), &error) || ::chmod(path.c_str(), 0755) != 0) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.empty() ? ("cannot write " + path).c_str() : error.c_str());
    return 1;
  }
  std::printf("sweep: %s: a job array of %d tasks (%zu runs, %zu finished); each task's output in %s/task-N.out\n",
              path.c_str(), unfinished, runs.size(), runs.size() - unfinished, script.output_dir.c_str());
  if (!a.submit) {
    std::printf("submit it with: sbatch %s\n", shell_quote(path).c_str());
    return 0;
  }
  std::string output;
  const int status = run_and_capture({"sbatch", "--parsable", path}, &output, &error);
  if (status != 0) {
    std::fprintf(stderr, "usbpo sweep: sbatch failed: %s\n",
                 status < 0 ? error.c_str() : describe_wait_status(status).c_str());
    return 1;
  }
  const std::string job = output.substr(0, output.find_first_of(";\n"));
  std::printf("submitted job %s (%d tasks); watch it with: squeue -j %s\n", job.c_str(), unfinished, job.c_str());
  return 0;
}

int run_one(const SweepArguments& a) {
  std::int64_t steps = 0;
  std::string error;
  if (!read_run_steps(a.run_dir, &steps, &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    return 2;
  }
  LocalOptions options;
  options.usbpo = self_path();
  options.threads = a.threads;
  options.plain = true;
  const std::string dir = absolute(a.run_dir);
  return run_locally({{dir.substr(dir.find_last_of('/') + 1), dir, steps}}, options);
}

}  // namespace

int sweep_command(int argc, char** argv) {
  SweepArguments a;
  std::string error;
  if (!parse_sweep_arguments(argc, argv, &a, &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    print_sweep_usage();
    return 2;
  }
  if (a.help) {
    print_sweep_usage();
    return 0;
  }
  if (a.threads && !train_has_threads_option()) {
    std::fprintf(stderr, "usbpo sweep: --threads: this usbpo's train has no --threads option\n");
    return 2;
  }
  if (!a.run_dir.empty()) return run_one(a);

  SettingsFile file;
  Sweep sweep;
  std::vector<PreparedRun> runs;
  if (!read_settings_file(a.file, &file, &error) || !expand_sweep(file, &sweep, &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    return 2;
  }
  const std::string out = absolute(a.out);
  if (!prepare_runs(file, sweep, a.file, out, &runs, &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    return 2;
  }
  // A copy of the sweep file beside its runs.
  std::ifstream in(a.file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (absolute(a.file) != out + "/sweep.yaml" && !write_text(out + "/sweep.yaml", text.str(), &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    return 1;
  }
  if (a.slurm) return write_slurm(a, sweep, runs, out);
  if (!a.local) {
    std::printf("sweep: %zu runs in %s\n", runs.size(), out.c_str());
    for (const PreparedRun& p : runs) std::printf("  %-40s %s\n", p.run.name.c_str(), state_name(run_state(p.dir, p.steps)));
    std::printf("run them with --local N (here, N at a time) or --slurm [--submit] (a job array)\n");
    return 0;
  }
  LocalOptions options;
  options.concurrency = a.local;
  options.usbpo = self_path();
  options.threads = a.threads;
  bool file_sets_threads = false;
  for (const PreparedRun& p : runs) {
    for (const auto& kv : p.run.options) file_sets_threads = file_sets_threads || kv.first == "threads";
  }
  // Without threads from the file or --threads: the cores shared out among the N runs.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (!options.threads && !file_sets_threads && train_has_threads_option()) {
    options.threads = std::max(1, cores / options.concurrency);
  }
  std::vector<LocalRun> local;
  for (const PreparedRun& p : runs) local.push_back({p.run.name, p.dir, p.steps});
  return run_locally(local, options);
}

}  // namespace usbpo::cli
