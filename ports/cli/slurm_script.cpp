#include "slurm_script.hpp"

namespace usbpo::cli {

bool sbatch_flag_allowed(const std::string& key, std::string* why) {
  for (const char* own : {"array", "requeue", "no-requeue", "signal", "open-mode", "output", "error", "parsable",
                          "wrap"}) {
    if (key == own) {
      *why = "the job-array script sets --" + key + " itself";
      return false;
    }
  }
  if (key.size() < 2) {
    *why = "sbatch flags are written by their long names (e.g. time, mem, partition, cpus-per-task)";
    return false;
  }
  return true;
}

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string slurm_script_text(const SlurmScript& s) {
  const std::string warning = std::to_string(s.warning_seconds);
  std::string t;
  t += "#!/bin/bash\n";
  t += "# " + s.title + "\n";
  t += "# Written by usbpo sweep: one array task per run directory of " + s.runs_file + ".\n";
  t += "# A task starts its run, resumes it from its checkpoint, or skips it when finished;\n";
  t += "# preempted or near the time limit, the run checkpoints and the task is requeued.\n";
  t += "#SBATCH --array=0-" + std::to_string(s.tasks - 1) + "\n";
  t += "#SBATCH --requeue\n";
  t += "#SBATCH --signal=B:USR1@" + warning + "\n";
  t += "#SBATCH --open-mode=append\n";
  t += "#SBATCH --output=" + s.output_dir + "/task-%a.out\n";
  for (const auto& flag : s.flags) t += "#SBATCH --" + flag.first + "=" + flag.second + "\n";
  t += "set -u\n";
  t += "usbpo=" + shell_quote(s.usbpo) + "\n";
  t += "runs=" + shell_quote(s.runs_file) + "\n";
  t += "run_dir=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$runs\")\n";
  t += "if [ -z \"$run_dir\" ]; then echo \"no run for task $SLURM_ARRAY_TASK_ID in $runs\"; exit 1; fi\n";
  t += "echo \"== $(date '+%F %T') job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname)"
       " (restart ${SLURM_RESTART_COUNT:-0}): $run_dir\"\n";
  std::string threads;
  if (s.threads > 0) threads = " --threads " + std::to_string(s.threads);
  t += "\"$usbpo\" sweep --run \"$run_dir\"" + threads + " &\n";
  t += "child=$!\n";
  t += "# USR1, " + warning + " s before the time limit: the run checkpoints, then the task goes back\n";
  t += "# into the queue and resumes when it starts again.\n";
  t += "on_time_limit() {\n";
  t += "  kill -INT \"$child\" 2>/dev/null\n";
  t += "  wait \"$child\"\n";
  t += "  echo \"== $(date '+%F %T') time limit near: checkpointed, requeueing\"\n";
  t += "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n";
  t += "}\n";
  t += "trap on_time_limit USR1\n";
  t += "# TERM (preemption, scancel, scontrol requeue): the run checkpoints before it exits.\n";
  t += "trap 'kill -TERM \"$child\" 2>/dev/null' TERM\n";
  t += "# wait returns early when a trap runs; wait again while the run lives.\n";
  t += "wait \"$child\"\n";
  t += "status=$?\n";
  t += "while kill -0 \"$child\" 2>/dev/null; do wait \"$child\"; status=$?; done\n";
  t += "exit $status\n";
  return t;
}

}  // namespace usbpo::cli
