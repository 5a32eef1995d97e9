// `usbpo sweep --local N`: the runs of a sweep as child processes of this
// one, N at a time, each started, resumed or skipped by its directory's state
// (sweep_run.hpp); SIGINT and SIGTERM are passed on to the runs, which
// checkpoint, and no further run starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace usbpo::cli {

struct LocalRun {
  std::string name;    // shown in its progress line
  std::string dir;     // its run directory (config.yaml written)
  std::int64_t steps;  // planned env steps
};

struct LocalOptions {
  int concurrency = 1;
  int threads = 0;          // > 0: --threads for the runs that start
  std::string usbpo;        // the binary that trains
  bool plain = false;       // plain lines even on a terminal
};

// Run what is unfinished; progress on stdout, a summary at the end. 0 when
// every run is finished, 130 when interrupted, 1 otherwise.
int run_locally(const std::vector<LocalRun>& runs, const LocalOptions& options);

}  // namespace usbpo::cli
