// The Slurm job-array script of `usbpo sweep --slurm`: one array task per
// run, requeued when preempted or near its time limit, each task resuming its
// run from the checkpoint the interrupted one wrote.
#pragma once

#include <string>

#include "settings_file.hpp"

namespace usbpo::cli {

// False with *why for the sbatch flags the script sets itself (array,
// requeue, signal, open-mode, output, error) and for names sbatch would not
// read as a long option.
bool sbatch_flag_allowed(const std::string& key, std::string* why);

struct SlurmScript {
  std::string usbpo;        // absolute path of the usbpo binary the tasks run
  std::string runs_file;    // absolute path of the list of run directories, task i on line i + 1
  std::string output_dir;   // absolute directory of the tasks' output files (task-%a.out)
  std::string title;        // first comment line
  int tasks = 0;            // array tasks 0..tasks-1
  KeyValues flags;          // further sbatch flags (--key=value), e.g. time, mem, partition
  int threads = 0;          // > 0: each run is started with --threads this
  int warning_seconds = 120;  // Slurm's signal before the time limit: checkpoint and requeue
};

// The script's text (bash).
std::string slurm_script_text(const SlurmScript& script);
// A word quoted for sh (in single quotes).
std::string shell_quote(const std::string& word);

}  // namespace usbpo::cli
