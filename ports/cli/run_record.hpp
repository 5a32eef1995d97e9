// What the CLI keeps inside a checkpoint besides the trainer: the run's
// options, and which log.csv belongs to the checkpointed state (its length
// and a hash of its content then).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace usbpo::cli {

struct RunRecord {
  std::vector<std::string> args;  // `usbpo train` options as given
  std::int64_t log_bytes = 0;     // log.csv is cut back to this on resume
  bool has_log_hash = false;      // false in records of usbpo before the hash (format 1)
  std::uint64_t log_hash = 0;     // XXH3-64 of the first log_bytes bytes of log.csv
};

// Encodes the current format (2).
std::vector<unsigned char> encode_run_record(const RunRecord& record);
// Decodes formats 1 and 2; false with *error when the bytes are neither.
bool decode_run_record(const unsigned char* data, std::size_t size, RunRecord* record, std::string* error);

}  // namespace usbpo::cli
