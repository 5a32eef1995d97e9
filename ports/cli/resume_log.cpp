#include "resume_log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "csv_log.hpp"

namespace usbpo::cli {
namespace {

// Newlines in [from, end) of a file: the rows a truncation drops.
std::int64_t count_lines_from(const std::string& path, std::int64_t from) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return 0;
  std::int64_t lines = 0;
  if (std::fseek(file, static_cast<long>(from), SEEK_SET) == 0) {
    for (int c; (c = std::fgetc(file)) != EOF;) lines += c == '\n';
  }
  std::fclose(file);
  return lines;
}

}  // namespace

bool plan_resume_log(const std::string& path, const RunRecord& record, std::int64_t step, ResumeLogPlan* plan,
                     std::string* error) {
  *plan = ResumeLogPlan();
  const std::string remedy = "; move it away to continue with a new log (the plots then start at step " +
                             std::to_string(step) + ")";
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      *error = "cannot read " + path + ": " + std::strerror(errno);
      return false;
    }
    plan->start_new = true;
    plan->note = path + " is missing: a new log starts at step " + std::to_string(step) +
                 " (the plots show only what follows)";
    return true;
  }
  if (!S_ISREG(info.st_mode)) {
    *error = path + " is not a regular file" + remedy;
    return false;
  }
  const std::int64_t size = static_cast<std::int64_t>(info.st_size);
  if (size < record.log_bytes) {
    *error = path + " holds " + std::to_string(size) + " bytes but the checkpoint (step " + std::to_string(step) +
             ") was taken when it held " + std::to_string(record.log_bytes) + ": it was truncated or replaced" + remedy;
    return false;
  }
  if (record.has_log_hash) {
    std::uint64_t hash = 0;
    if (!hash_file_prefix(path, record.log_bytes, &hash)) {
      *error = "cannot read " + path;
      return false;
    }
    if (hash != record.log_hash) {
      *error = "the first " + std::to_string(record.log_bytes) + " bytes of " + path +
               " are not those the checkpoint (step " + std::to_string(step) +
               ") recorded: the log was edited, damaged or belongs to another run" + remedy;
      return false;
    }
  } else {
    plan->note = "the checkpoint was written by an older usbpo: " + path + " is checked by its length only";
  }
  plan->keep_bytes = record.log_bytes;
  if (size > record.log_bytes) {
    plan->dropped_rows = count_lines_from(path, record.log_bytes);
    const bool one = plan->dropped_rows == 1;
    const std::string dropped = std::to_string(plan->dropped_rows) + (one ? " row" : " rows") + " of " + path +
                                " written after the checkpoint (step " + std::to_string(step) + ")" +
                                (one ? " is" : " are") + " dropped";
    plan->note = plan->note.empty() ? dropped : plan->note + "; " + dropped;
  }
  return true;
}

bool apply_resume_log(const std::string& path, const ResumeLogPlan& plan, std::string* error) {
  if (plan.start_new) return true;  // CsvLog::open writes the header
  if (::truncate(path.c_str(), static_cast<off_t>(plan.keep_bytes)) != 0) {
    *error = "cannot cut " + path + " back to the checkpoint: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace usbpo::cli
