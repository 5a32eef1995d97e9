// Arguments: "--key value" and "--flag" options of one subcommand.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace usbpo::cli {

class Arguments {
 public:
  // Parse argv[first..argc); flags lists the options that take no value.
  bool parse(int argc, char** argv, int first, const std::set<std::string>& flags, std::string* error);
  bool has(const std::string& key) const {
    used_.insert(key);
    return values_.count(key) > 0;
  }
  std::string get(const std::string& key, const std::string& fallback) const;
  // Typed getters: on a malformed number they record an error (see error()).
  std::int64_t get_int(const std::string& key, std::int64_t fallback);
  double get_double(const std::string& key, double fallback);
  // Options given but never read: reported as unknown by check_all_used().
  bool check_all_used(std::string* error) const;
  const std::string& error() const { return error_; }

 private:
  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
  std::string error_;
};

}  // namespace usbpo::cli
