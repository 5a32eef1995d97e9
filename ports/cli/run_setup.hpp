// What `usbpo train` checks and prepares before a run starts, so that a run
// that cannot be honoured is refused at step 0 and no earlier run is lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "train_options.hpp"

namespace usbpo::cli {

struct ResumeRequest {
  bool active = false;
  std::string dir;
  std::vector<std::string> overrides;  // "key", "value", ... (is_resume_option keys only)
};

// Find --resume DIR among the given options. Refuses a repeated option,
// --overwrite, an empty DIR and any option a resume cannot change. False with *error.
bool read_resume_request(const std::vector<std::string>& given, ResumeRequest* request, std::string* error);

// Refuse a configuration whose memory exceeds --max-memory or, without it,
// the machine's (memory_limit.hpp): the arena plus up to as much again to
// serialise a checkpoint. False with *error saying how much it needs; a
// warning goes to stderr when it is more than is available right now.
bool check_run_memory(const TrainOptions& options, std::size_t arena_bytes, std::string* error);

// A fresh run's directory: created with missing parents, locked, and refused
// when it holds an earlier run unless --overwrite (which removes that run's
// files). Messages about what was done go to stderr. False with *error.
class RunLock;
bool prepare_fresh_directory(const TrainOptions& options, const std::string& command, RunLock* lock,
                             std::string* error);

// --save-dataset can be written (absent or a regular file in a writable
// directory) and is not one of the run's own files. False with *error.
bool check_dataset_output(const TrainOptions& options, std::string* error);
// The run's files in its directory are absent or regular files, and the
// directory takes new files. False with *error.
bool check_run_outputs(const TrainOptions& options, std::string* error);

}  // namespace usbpo::cli
