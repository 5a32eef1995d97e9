// `usbpo sweep FILE --out DIR`: one run directory per combination of the
// file's lists, each with its config.yaml, then the runs here (--local N) or
// as a Slurm job array (--slurm [--submit]). `usbpo sweep --run DIR` carries
// one run on (what each array task does).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "commands.hpp"
#include "sweep_run.hpp"
#include "settings_file.hpp"
#include "slurm_script.hpp"
#include "sweep_arguments.hpp"
#include "sweep_file.hpp"
#include "sweep_local.hpp"
#include "sweep_prepare.hpp"
#include "train_options.hpp"

namespace usbpo::cli {
namespace {

// Whether `usbpo train` here knows --threads (an option that came later).
bool train_has_threads_option() {
  TrainOptions o;
  std::string error;
  return parse_train_options({"--threads", "1"}, &o, &error);
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
  if (!flags.count("cpus-per-task")) {
    flags["cpus-per-task"] = std::to_string(a.threads ? a.threads : std::max(1, threads));
  }
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
  const std::string dir = absolute_path(a.run_dir);
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
  const std::string out = absolute_path(a.out);
  if (!prepare_runs(file, sweep, out, &runs, &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    return 2;
  }
  // A copy of the sweep file beside its runs.
  std::ifstream in(a.file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (absolute_path(a.file) != out + "/sweep.yaml" && !write_text(out + "/sweep.yaml", text.str(), &error)) {
    std::fprintf(stderr, "usbpo sweep: %s\n", error.c_str());
    return 1;
  }
  if (a.slurm) return write_slurm(a, sweep, runs, out);
  if (!a.local) {
    std::printf("sweep: %zu runs in %s\n", runs.size(), out.c_str());
    for (const PreparedRun& p : runs) {
      std::printf("  %-40s %s\n", p.run.name.c_str(), state_name(run_state(p.dir, p.steps)));
    }
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
  int most_threads = options.threads;
  for (const PreparedRun& p : runs) {
    for (const auto& kv : p.run.options) {
      if (kv.first == "threads") most_threads = std::max(most_threads, std::atoi(kv.second.c_str()));
    }
  }
  if (most_threads * options.concurrency > cores) {
    std::fprintf(stderr, "usbpo sweep: warning: %d runs x %d threads on %d cores\n", options.concurrency, most_threads,
                 cores);
  }
  std::vector<LocalRun> local;
  for (const PreparedRun& p : runs) local.push_back({p.run.name, p.dir, p.steps});
  return run_locally(local, options);
}

}  // namespace usbpo::cli
