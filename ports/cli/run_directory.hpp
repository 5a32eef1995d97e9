// A run directory: its files, its creation, and the lock that lets one
// process at a time train in it.
#pragma once

#include <string>
#include <vector>

namespace usbpo::cli {

// The files `usbpo train` writes into a run directory.
extern const char kCheckpointFile[];  // checkpoint.usbpo-ckpt
extern const char kPolicyFile[];      // policy.usbpo
extern const char kLogFile[];         // log.csv
extern const char kLearningCurveFile[];
extern const char kModelPlotFile[];
extern const char kLockFile[];        // .usbpo-lock, never removed (see RunLock)

// Create dir and any missing parents (as mkdir -p); *created says whether dir
// was new. False with *error when a part cannot be created or dir exists and
// is not a directory.
bool make_run_directory(const std::string& dir, bool* created, std::string* error);

// Which of the files that make a run (checkpoint, policy, log) dir holds.
std::vector<std::string> run_files_in(const std::string& dir);
// Remove an earlier run's files (all of the above, the plots and their
// leftover temporaries); *removed lists them. For --overwrite, under the lock.
bool remove_run_files(const std::string& dir, std::vector<std::string>* removed, std::string* error);

// An exclusive flock on DIR/.usbpo-lock, held until destruction or exit. The
// kernel drops it when the process ends however it ends (kill -9 included),
// so no stale lock is left; the file keeps the last holder's description.
class RunLock {
 public:
  RunLock() = default;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();
  // Take the lock without waiting and record this process (pid, host, start
  // time, command) in the file. False with *error naming the holder when
  // another process has it.
  bool acquire(const std::string& dir, const std::string& command, std::string* error);

 private:
  int fd_ = -1;
};

}  // namespace usbpo::cli
