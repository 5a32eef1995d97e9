// TrainingRun: `usbpo train` from Python. The CLI's options, defaults and
// checks (ports/cli/train_options.hpp), its run directory (lock, log.csv, the
// plots, checkpoints with the run record, policy.usbpo) and its loop, taken
// one step at a time, so that a run started here can be resumed by
// `usbpo train --resume` and read by `usbpo report` (for the built-in tasks).
// Plain C++: the binding takes care of the GIL, signals and Python envs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "csv_log.hpp"
#include "run_directory.hpp"
#include "run_history.hpp"
#include "train_options.hpp"
#include "usbpo/agent/env.hpp"
#include "usbpo/thread_pool.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo::python {

// What one step did beyond the trainer's progress.
struct StepOutcome {
  bool evaluated = false;  // an epoch ended and the policy was evaluated
  double eval_return = 0;  // that evaluation's mean return
};

class TrainingRun {
 public:
  TrainingRun();
  ~TrainingRun();
  TrainingRun(const TrainingRun&) = delete;
  TrainingRun& operator=(const TrainingRun&) = delete;

  // A new run from `usbpo train` options ("--env", "hopper", ...). env and
  // eval_env: separate instances of the task (not owned; they must outlive
  // the run), or null to make the built-in task --env names. False with
  // *error (the CLI's message) when refused.
  bool start(const std::vector<std::string>& args, Env* env, Env* eval_env, std::string* error);
  // Continue the run in dir from its checkpoint, bit for bit; overrides
  // holds "key", "value" pairs of the options a resume may change (steps,
  // checkpoint-every, max-memory, threads). False with *error when refused.
  bool resume(const std::string& dir, const std::vector<std::string>& overrides, Env* env, Env* eval_env,
              std::string* error);

  // One iteration of `usbpo train`'s loop: an env step with its updates, the
  // log rows, the evaluation at an epoch's end (policy file and learning
  // curve rewritten then) and the periodic checkpoint.
  Status step(StepOutcome* outcome);
  // Whether the planned env steps are done.
  bool done() const { return progress_.env_steps >= options_.steps; }
  // The end of the run, as `usbpo train` ends one: the checkpoint, an
  // evaluation when the run stopped mid-epoch (not after an interrupt), the
  // policy file, the plots, the log and --save-dataset. An error names every
  // output that was not written. Afterwards step() refuses.
  Status finish(bool interrupted);
  // Whether finish() ran.
  bool finished() const { return finished_; }

  // An extra evaluation (not logged; it draws from the evaluation seeds, so
  // later evaluations differ from a run without it).
  Status evaluate(int episodes, double* mean_return);
  // The checkpoint with the run record (options, log position and hash), to
  // path, or to the run directory's checkpoint when path is empty.
  Status save_checkpoint(const std::string& path);
  // The current actor as a policy file's bytes.
  Status policy_bytes(std::vector<unsigned char>* bytes);
  // The real transitions so far as a dataset file.
  Status save_dataset(const std::string& path);

  // The run's options as parsed (defaults filled in).
  const cli::TrainOptions& options() const { return options_; }
  // The trainer's progress after the last step.
  const TrainerProgress& progress() const { return progress_; }
  // The log as columns (cli::log_columns()), one entry per row of log.csv.
  const std::vector<std::vector<double>>& log() const { return log_; }
  // Bytes of the trainer's arena (the run's one large allocation).
  std::size_t arena_bytes() const { return memory_.size(); }
  // The env step the newest checkpoint holds (-1: none written yet).
  std::int64_t checkpoint_step() const { return checkpoint_step_; }
  // The run directory's checkpoint file.
  const std::string& checkpoint_path() const { return checkpoint_path_; }
  // Seconds of wall time of the run (resumed runs include the earlier part).
  double wall_seconds() const;
  // The newest evaluation's mean return (NaN before the first).
  double last_eval_return() const { return last_eval_; }
  // Release the run directory's lock and close the log (also on destruction).
  void close();

 private:
  // One output file of the run: whether its last write succeeded, and why not.
  struct Output {
    std::string label, path;
    bool written = false;
    std::string error;
  };
  // Envs, memory, trainer (restored when resuming), run directory and log.
  bool open(Env* env, Env* eval_env, std::string* error);
  bool read_init_dataset(std::vector<unsigned char>* dataset, std::string* error);
  void report(Output& out, bool ok, const std::string& why);
  void log_row(std::vector<double> values);
  Status evaluate_and_log(StepOutcome* outcome);
  bool save_run_checkpoint();
  void save_policy();
  void write_curve();
  void write_model_plot();

  cli::TrainOptions options_;
  std::string command_;  // for the lock file
  bool resuming_ = false;
  ThreadPool pool_;      // before the trainer, which runs its tasks on it
  std::unique_ptr<Env> own_env_, own_eval_env_;  // built-in tasks
  Env* env_ = nullptr;
  Env* eval_env_ = nullptr;
  std::vector<unsigned char> memory_;
  Trainer trainer_;
  TrainerProgress progress_;
  std::unique_ptr<cli::RunLock> lock_;  // held from start() or resume() to close()
  cli::CsvLog csv_;
  cli::RunHistory history_;
  std::vector<std::vector<double>> log_;
  std::string log_path_, checkpoint_path_, checkpoint_error_;
  Output policy_, curve_, model_plot_;
  double start_time_ = 0, wall_before_ = 0, last_eval_;
  std::int64_t start_step_ = 0, checkpoint_step_ = -1;
  bool finished_ = false;
  struct ResumeState;
  std::unique_ptr<ResumeState> resume_;  // the checkpoint and log plan of a resume, until open()
};

}  // namespace usbpo::python
