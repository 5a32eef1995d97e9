#include "run_record.hpp"

#include <cstdlib>

namespace usbpo::cli {
namespace {
// Fields are NUL-terminated strings: magic, log bytes, then one per argument.
const char kMagic[] = "usbpo-train-record-1";
}  // namespace

std::vector<unsigned char> encode_run_record(const RunRecord& record) {
  std::vector<unsigned char> out;
  auto put = [&out](const std::string& s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back('\0');
  };
  put(kMagic);
  put(std::to_string(record.log_bytes));
  for (const std::string& a : record.args) put(a);
  return out;
}

bool decode_run_record(const unsigned char* data, std::size_t size, RunRecord* record, std::string* error) {
  std::vector<std::string> fields;
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\0') {
      fields.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (!current.empty() || fields.size() < 2 || fields[0] != kMagic) {
    *error = "the checkpoint was not written by `usbpo train` (no run record)";
    return false;
  }
  char* end = nullptr;
  record->log_bytes = std::strtoll(fields[1].c_str(), &end, 10);
  if (*end != '\0' || record->log_bytes < 0) {
    *error = "the checkpoint's run record is damaged";
    return false;
  }
  record->args.assign(fields.begin() + 2, fields.end());
  return true;
}

}  // namespace usbpo::cli
