#include "memory_limit.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace usbpo::cli {
namespace {

// First number in a file, or 0 ("max", unreadable, or the "no limit" values
// cgroup v1 reports near 2^63).
std::uint64_t read_limit(const std::string& path) {
  std::ifstream in(path);
  unsigned long long value = 0;
  if (!(in >> value) || value >= (1ull << 62)) return 0;
  return value;
}

// The cgroup path of this process for a controller ("" for cgroup v2's line).
std::string cgroup_path(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    bool match = controllers == controller;
    for (std::size_t start = 0; !match && !controller.empty() && start < controllers.size();) {
      const auto comma = controllers.find(',', start);
      match = controllers.substr(start, comma - start) == controller;
      start = comma == std::string::npos ? controllers.size() : comma + 1;
    }
    if (match) return line.substr(second + 1);
  }
  return "";
}

// Lowest limit among the cgroup's directory and its parents, and the mount's root.
std::uint64_t cgroup_limit(const std::string& mount, const std::string& path, const char* file) {
  std::uint64_t lowest = 0;
  auto consider = [&lowest](std::uint64_t v) {
    if (v > 0 && (lowest == 0 || v < lowest)) lowest = v;
  };
  consider(read_limit(mount + "/" + file));
  for (std::string dir = path; !dir.empty() && dir != "/"; dir = dir.substr(0, dir.rfind('/'))) {
    consider(read_limit(mount + dir + "/" + file));
  }
  return lowest;
}

}  // namespace

MemoryLimit machine_memory_limit() {
  MemoryLimit limit;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    limit.bytes = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
    limit.source = "this machine's physical memory";
  }
  const std::uint64_t v2 = cgroup_limit("/sys/fs/cgroup", cgroup_path(""), "memory.max");
  const std::uint64_t v1 = cgroup_limit("/sys/fs/cgroup/memory", cgroup_path("memory"), "memory.limit_in_bytes");
  for (std::uint64_t cgroup : {v2, v1}) {
    if (cgroup > 0 && (limit.bytes == 0 || cgroup < limit.bytes)) {
      limit.bytes = cgroup;
      limit.source = "this process's memory cgroup limit";
    }
  }
  return limit;
}

std::uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  unsigned long long kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return static_cast<std::uint64_t>(kib) * 1024;
  }
  return 0;
}

std::string describe_bytes(std::uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 6) {
    value /= 1024;
    ++unit;
  }
  char text[96];
  if (unit == 0) {
    std::snprintf(text, sizeof(text), "%llu bytes", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof(text), "%.2f %s (%llu bytes)", value, units[unit],
                  static_cast<unsigned long long>(bytes));
  }
  return text;
}

}  // namespace usbpo::cli
