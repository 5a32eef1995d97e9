#include "run_record.hpp"

#include <cstdio>
#include <cstdlib>

namespace usbpo::cli {
namespace {
// Fields are NUL-terminated strings: magic, log bytes, (format 2:) the log's
// hash in 16 hex digits, then one per argument.
const char kMagicV1[] = "usbpo-train-record-1";
const char kMagicV2[] = "usbpo-train-record-2";
}  // namespace

std::vector<unsigned char> encode_run_record(const RunRecord& record) {
  std::vector<unsigned char> out;
  auto put = [&out](const std::string& s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back('\0');
  };
  put(kMagicV2);
  put(std::to_string(record.log_bytes));
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(record.log_hash));
  put(hash);
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
  const bool v1 = fields.size() >= 2 && fields[0] == kMagicV1;
  const bool v2 = fields.size() >= 3 && fields[0] == kMagicV2;
  if (!current.empty() || (!v1 && !v2)) {
    *error = fields.empty() || fields[0].rfind("usbpo-train-record-", 0) != 0
                 ? "the checkpoint was not written by `usbpo train` (no run record)"
                 : "the checkpoint's run record is of a format this usbpo does not know (" + fields[0] +
                       "): it was written by a newer usbpo, or is damaged";
    return false;
  }
  char* end = nullptr;
  record->log_bytes = std::strtoll(fields[1].c_str(), &end, 10);
  bool ok = !fields[1].empty() && *end == '\0' && record->log_bytes >= 0;
  record->has_log_hash = v2;
  record->log_hash = 0;
  if (v2) {
    record->log_hash = std::strtoull(fields[2].c_str(), &end, 16);
    ok = ok && fields[2].size() == 16 && *end == '\0';
  }
  if (!ok) {
    *error = "the checkpoint's run record is damaged";
    return false;
  }
  record->args.assign(fields.begin() + (v2 ? 3 : 2), fields.end());
  return true;
}

}  // namespace usbpo::cli
