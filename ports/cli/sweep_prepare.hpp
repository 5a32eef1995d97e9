// The run directories of a sweep: every run checked by usbpo train's option
// parser, an existing directory checked to hold the same run, then each
// directory written with its config.yaml.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "settings_file.hpp"
#include "sweep_file.hpp"

namespace usbpo::cli {

// A run prepared on disk.
struct PreparedRun {
  SweepRun run;
  std::string dir;
  std::int64_t steps = 0;
};

// Check every run (the option named in an error is given with its line),
// then write DIR/NAME/config.yaml for each; an existing run directory must
// hold the same options (its steps may change). False with *error, having
// written nothing when a check fails.
bool prepare_runs(const SettingsFile& settings, const Sweep& sweep, const std::string& out,
                  std::vector<PreparedRun>* prepared, std::string* error);
// mkdir -p.
bool make_directories(const std::string& path, std::string* error);
// The path from / (symbolic links resolved when it exists).
std::string absolute_path(const std::string& path);
// Write through path.tmp and a rename.
bool write_text(const std::string& path, const std::string& text, std::string* error);

}  // namespace usbpo::cli
