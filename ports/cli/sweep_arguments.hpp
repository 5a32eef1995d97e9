// The command line of `usbpo sweep`.
#pragma once

#include <string>

#include "settings_file.hpp"

namespace usbpo::cli {

// The options as given (print_sweep_usage() says what each means).
struct SweepArguments {
  std::string file, out, run_dir;
  int local = 0, threads = 0;
  bool slurm = false, submit = false, help = false;
  KeyValues slurm_flags;
};

// Parse argv[2..argc); false with *error for a bad or missing option.
bool parse_sweep_arguments(int argc, char** argv, SweepArguments* arguments, std::string* error);
// The usage text, on stderr.
void print_sweep_usage();

}  // namespace usbpo::cli
