// Arguments: "--key value" and "--flag" options of one subcommand.
//
// Every option may be given once; numbers are read whole, in range, and never
// truncated or saturated (a value that does not fit is refused with the range).
// Options the command never reads are reported as unknown.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace usbpo::cli {

class Arguments {
 public:
  // Parse argv[first..argc); flags lists the options that take no value. False
  // with *error on a positional argument or an option given twice.
  bool parse(int argc, char** argv, int first, const std::set<std::string>& flags, std::string* error);
  // Whether key was given (marks it as read).
  bool has(const std::string& key) const {
    used_.insert(key);
    return values_.count(key) > 0;
  }
  // Whether key was given, without marking it as read.
  bool given(const std::string& key) const { return values_.count(key) > 0; }
  std::string get(const std::string& key, const std::string& fallback) const;
  // The typed getters record the first malformed or out-of-range value as
  // error() and return the fallback.
  // An integer in [min, max].
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  // An unsigned 64-bit integer (seeds).
  std::uint64_t get_uint64(const std::string& key, std::uint64_t fallback);
  // A finite number in [min, max] (above min when min_exclusive) that stays
  // finite and, unless 0, non-zero as a float (the core computes in float).
  double get_scalar(const std::string& key, double fallback, double min, double max, bool min_exclusive = false);
  // A size in bytes: a number with an optional K, M, G or T (powers of 1024),
  // e.g. 8G, 500M, 1.5G or 65536; at least 1 byte.
  std::uint64_t get_size(const std::string& key, std::uint64_t fallback);
  // Options given but never read are "unknown option"; an option read by the
  // command but given without a value "needs a value". False with *error.
  bool check_all_used(std::string* error) const;
  const std::string& error() const { return error_; }

 private:
  // The value of key, or null when it was not given or given without a value.
  const std::string* value(const std::string& key);
  void fail(const std::string& message) {
    if (error_.empty()) error_ = message;
  }

  std::map<std::string, std::string> values_;
  std::set<std::string> missing_value_;
  mutable std::set<std::string> used_;
  std::string error_;
};

// Parse a size as Arguments::get_size does; false when malformed or not in [1, 2^63).
bool parse_size(const std::string& text, std::uint64_t* bytes);

}  // namespace usbpo::cli
