// Child processes of `usbpo sweep`: training runs with their output in a
// file, and sbatch with its output captured.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace usbpo::cli {

// Start argv (argv[0] a path) with stdin from /dev/null and stdout and stderr
// appended to output_path; keep_fd >= 0 is passed on as descriptor 3 (a lock
// the child then holds too). The pid, or -1 with *error.
pid_t start_process(const std::vector<std::string>& argv, const std::string& output_path, int keep_fd,
                    std::string* error);
// Run argv (argv[0] looked up on PATH) to its end with its stdout in *output
// (stderr passes through). The wait status, or -1 with *error.
int run_and_capture(const std::vector<std::string>& argv, std::string* output, std::string* error);
// "exit status N" or "killed by signal N (name)".
std::string describe_wait_status(int status);
// The absolute path of the running executable ("usbpo" when unknown).
std::string self_path();
// argv as one sh command line, each word quoted where needed.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace usbpo::cli
