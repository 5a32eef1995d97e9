// On --resume, log.csv must be the log the checkpoint was taken with: the
// checkpoint's run record holds its length then and (format 2) a hash of
// those bytes. Decided before anything is changed.
#pragma once

#include <cstdint>
#include <string>

#include "run_record.hpp"

namespace usbpo::cli {

struct ResumeLogPlan {
  bool start_new = false;        // no log: a new one starts (with its header)
  std::int64_t keep_bytes = 0;   // else: cut the log back to this many bytes
  std::int64_t dropped_rows = 0; // rows written after the checkpoint, to be cut
  std::string note;              // what happens, for the user; empty when nothing special
};

// Check the log at path against the record of a checkpoint taken at env step
// `step`. False with *error, naming the reason, when the log is shorter than
// recorded (truncated), its recorded bytes differ (damaged, edited or another
// run's log) or it cannot be read; the log is then left as it is.
bool plan_resume_log(const std::string& path, const RunRecord& record, std::int64_t step, ResumeLogPlan* plan,
                     std::string* error);
// Carry out a plan (truncate the log to keep_bytes); false with *error.
bool apply_resume_log(const std::string& path, const ResumeLogPlan& plan, std::string* error);

}  // namespace usbpo::cli
