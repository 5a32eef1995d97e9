// How much memory a run may take: the machine's (physical memory, or a
// cgroup's limit when lower) or the user's --max-memory, and bytes in words.
#pragma once

#include <cstdint>
#include <string>

namespace usbpo::cli {

struct MemoryLimit {
  std::uint64_t bytes = 0;  // 0: unknown (nothing is refused)
  std::string source;       // where it comes from, for messages
};

// Physical memory (sysconf), lowered to the memory cgroup's limit (v2
// memory.max or v1 memory.limit_in_bytes) when there is a lower one.
MemoryLimit machine_memory_limit();
// MemAvailable from /proc/meminfo (memory free for a new process without
// swapping), or 0 when unknown.
std::uint64_t available_memory();
// "1.50 GiB (1610612736 bytes)".
std::string describe_bytes(std::uint64_t bytes);

}  // namespace usbpo::cli
