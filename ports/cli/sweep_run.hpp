// One run directory of a sweep: its files, whether the run is finished, can
// be resumed from its checkpoint or has to start, and the notes the sweep
// leaves there (a done marker, failed.txt, the run's output in sweep-train.log).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace usbpo::cli {

inline constexpr char kRunConfig[] = "config.yaml";         // the run's options (usbpo train --config)
inline constexpr char kRunOutput[] = "sweep-train.log";     // stdout and stderr of every attempt
inline constexpr char kRunDone[] = "done";                  // "steps N": train exited 0 after N steps
inline constexpr char kRunFailed[] = "failed.txt";          // why the last attempt failed
inline constexpr char kRunLock[] = ".sweep-lock";           // held while a sweep runs it
inline constexpr char kRunCheckpoint[] = "checkpoint.usbpo-ckpt";  // written by usbpo train

enum class RunState {
  kFinished,  // the done marker covers the planned steps
  kResume,    // a checkpoint is there: usbpo train --resume DIR --steps N
  kStart,     // nothing to resume: usbpo train --config DIR/config.yaml --out DIR
};

RunState run_state(const std::string& dir, std::int64_t steps);
// "finished", "resume" or "start".
const char* state_name(RunState state);
// The train arguments (after `usbpo`) that carry the run on from its state;
// threads > 0 adds --threads (train does not record it, so a resume needs it too).
std::vector<std::string> train_arguments(const std::string& dir, RunState state, std::int64_t steps, int threads);
// The planned steps of a run: `steps` in its config.yaml.
bool read_run_steps(const std::string& dir, std::int64_t* steps, std::string* error);
// `threads` in its config.yaml, or 0 where it sets none.
int read_run_threads(const std::string& dir);
// Remove what an attempt that never wrote a checkpoint left (log, policy,
// plots), so that the run starts in a clean directory.
bool clear_partial_run(const std::string& dir, std::string* error);
bool mark_done(const std::string& dir, std::int64_t steps, std::string* error);
// failed.txt: the reason (e.g. "exit status 2"), the command and the last
// lines the attempt wrote (its output from byte output_from of sweep-train.log).
void write_failure(const std::string& dir, const std::string& reason, const std::string& command,
                   std::int64_t output_from);
// The last non-empty line the attempt wrote (for summaries), or "".
std::string last_output_line(const std::string& dir, std::int64_t output_from);
// The latest env steps and evaluation return in the run's log.csv (NaN when
// there is none yet); false when there is no log.
bool read_log_progress(const std::string& dir, std::int64_t* env_steps, double* eval_return);
// Take the run's lock without waiting; the returned descriptor (close-on-exec)
// holds it, -1 when another process holds it or it cannot be made.
int lock_run(const std::string& dir);

}  // namespace usbpo::cli
