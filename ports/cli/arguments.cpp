#include "arguments.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace usbpo::cli {
namespace {

std::string number_text(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

// "in [0, 1]", "> 0", ">= 0": the range of a numeric option in words.
std::string describe_range(double min, double max, bool min_exclusive) {
  if (std::isinf(max)) return (min_exclusive ? "> " : ">= ") + number_text(min);
  return (min_exclusive ? "in (" : "in [") + number_text(min) + ", " + number_text(max) + "]";
}

}  // namespace

bool Arguments::parse(int argc, char** argv, int first, const std::set<std::string>& flags, std::string* error) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() < 3) {
      *error = "unexpected argument '" + arg + "' (options look like --name value)";
      return false;
    }
    std::string key = arg.substr(2);
    std::string value;
    bool has_value = true;
    const auto eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (flags.count(key)) {
      value = "1";
    } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      value = argv[++i];
    } else {
      has_value = false;  // reported by check_all_used: unknown, or needs a value
    }
    if (values_.count(key)) {
      *error = "option --" + key + " is given twice";
      return false;
    }
    values_[key] = value;
    if (!has_value) missing_value_.insert(key);
  }
  return true;
}

const std::string* Arguments::value(const std::string& key) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end() || missing_value_.count(key)) return nullptr;
  return &it->second;
}

std::string Arguments::get(const std::string& key, const std::string& fallback) const {
  used_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() || missing_value_.count(key) ? fallback : it->second;
}

std::int64_t Arguments::get_int(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const std::string* text = value(key);
  if (!text) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (end == text->c_str() || *end != '\0') {
    fail("--" + key + " expects an integer, got '" + *text + "'");
    return fallback;
  }
  if (errno == ERANGE || v < min || v > max) {
    fail("--" + key + " must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + *text);
    return fallback;
  }
  return v;
}

std::uint64_t Arguments::get_uint64(const std::string& key, std::uint64_t fallback) {
  const std::string* text = value(key);
  if (!text) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text->c_str(), &end, 10);
  const bool digits = !text->empty() && (*text)[0] >= '0' && (*text)[0] <= '9';  // strtoull accepts "-1"
  if (!digits || end == text->c_str() || *end != '\0') {
    fail("--" + key + " expects an integer in [0, 18446744073709551615], got '" + *text + "'");
    return fallback;
  }
  if (errno == ERANGE) {
    fail("--" + key + " must be in [0, 18446744073709551615], got " + *text);
    return fallback;
  }
  return v;
}

double Arguments::get_scalar(const std::string& key, double fallback, double min, double max, bool min_exclusive) {
  const std::string* text = value(key);
  if (!text) return fallback;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0') {
    fail("--" + key + " expects a number, got '" + *text + "'");
    return fallback;
  }
  const float as_float = static_cast<float>(v);
  if (!std::isfinite(v) || !std::isfinite(as_float)) {
    fail("--" + key + " must be a finite number (" + describe_range(min, max, min_exclusive) + "), got " + *text);
    return fallback;
  }
  if (v < min || v > max || (min_exclusive && v == min)) {
    fail("--" + key + " must be " + describe_range(min, max, min_exclusive) + ", got " + *text);
    return fallback;
  }
  if (v != 0 && as_float == 0) {
    fail("--" + key + " " + *text + " is too small to be told from 0 in float");
    return fallback;
  }
  return v;
}

bool parse_size(const std::string& text, std::uint64_t* bytes) {
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(number) || text[0] == '-' || text[0] == '+') return false;
  std::string unit = end;
  double scale = 1;
  if (!unit.empty()) {
    const char u = static_cast<char>(unit[0] & ~0x20);  // upper case
    const std::string rest = unit.substr(1);
    if (rest != "" && rest != "B" && rest != "iB") return false;
    if (u == 'K') scale = 1024.0;
    else if (u == 'M') scale = 1024.0 * 1024;
    else if (u == 'G') scale = 1024.0 * 1024 * 1024;
    else if (u == 'T') scale = 1024.0 * 1024 * 1024 * 1024;
    else if (unit != "B") return false;
  }
  const double value = std::floor(number * scale);
  if (!(value >= 1) || value >= 9223372036854775808.0) return false;
  *bytes = static_cast<std::uint64_t>(value);
  return true;
}

std::uint64_t Arguments::get_size(const std::string& key, std::uint64_t fallback) {
  const std::string* text = value(key);
  if (!text) return fallback;
  std::uint64_t bytes = 0;
  if (!parse_size(*text, &bytes)) {
    fail("--" + key + " expects a size of at least 1 byte such as 8G, 500M or 65536 (K, M, G, T are powers of "
         "1024), got '" + *text + "'");
    return fallback;
  }
  return bytes;
}

bool Arguments::check_all_used(std::string* error) const {
  for (const auto& kv : values_) {
    if (!used_.count(kv.first)) {
      *error = "unknown option --" + kv.first;
      return false;
    }
  }
  for (const std::string& key : missing_value_) {
    *error = "option --" + key + " needs a value";
    return false;
  }
  return true;
}

}  // namespace usbpo::cli
