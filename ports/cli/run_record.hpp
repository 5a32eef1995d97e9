// What the CLI keeps inside a checkpoint besides the trainer: the run's
// options and how many bytes of log.csv belong to the checkpointed state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace usbpo::cli {

struct RunRecord {
  std::vector<std::string> args;  // `usbpo train` options as given
  std::int64_t log_bytes = 0;     // log.csv is cut back to this on resume
};

std::vector<unsigned char> encode_run_record(const RunRecord& record);
// False with *error when the bytes are not a record of this format.
bool decode_run_record(const unsigned char* data, std::size_t size, RunRecord* record, std::string* error);

}  // namespace usbpo::cli
