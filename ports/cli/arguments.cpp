#include "arguments.hpp"

#include <cstdlib>

namespace usbpo::cli {

bool Arguments::parse(int argc, char** argv, int first, const std::set<std::string>& flags, std::string* error) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() < 3) {
      *error = "unexpected argument '" + arg + "' (options look like --name value)";
      return false;
    }
    std::string key = arg.substr(2);
    const auto eq = key.find('=');
    if (eq != std::string::npos) {
      values_[key.substr(0, eq)] = key.substr(eq + 1);
    } else if (flags.count(key)) {
      values_[key] = "1";
    } else if (i + 1 < argc) {
      values_[key] = argv[++i];
    } else {
      *error = "option --" + key + " needs a value";
      return false;
    }
  }
  return true;
}

std::string Arguments::get(const std::string& key, const std::string& fallback) const {
  used_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

std::int64_t Arguments::get_int(const std::string& key, std::int64_t fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0') {
    if (error_.empty()) error_ = "--" + key + " expects an integer, got '" + it->second + "'";
    return fallback;
  }
  return v;
}

double Arguments::get_double(const std::string& key, double fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0') {
    if (error_.empty()) error_ = "--" + key + " expects a number, got '" + it->second + "'";
    return fallback;
  }
  return v;
}

bool Arguments::check_all_used(std::string* error) const {
  for (const auto& kv : values_) {
    if (!used_.count(kv.first)) {
      *error = "unknown option --" + kv.first;
      return false;
    }
  }
  return true;
}

}  // namespace usbpo::cli
