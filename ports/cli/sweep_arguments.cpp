#include "sweep_arguments.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "slurm_script.hpp"

namespace usbpo::cli {

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
               "  --threads K      --threads of each run that starts or resumes\n"
               "  --slurm          write DIR/sweep.sbatch, a job array of the unfinished runs (requeued when\n"
               "                   preempted or near the time limit; a requeued task resumes its run)\n"
               "  --submit         with --slurm: submit it with sbatch and print the job id\n"
               "  --slurm-KEY V    an sbatch flag (--KEY=V) over the file's slurm: section, e.g. --slurm-time 2:00:00\n"
               "  --run RUN_DIR    start, resume or skip one run directory; records done, or failed.txt\n");
}


namespace {

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

}  // namespace

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

}  // namespace usbpo::cli
