// `usbpo train --config FILE`: a settings file (settings_file.hpp) with one
// value per key, read as train options placed before the command line's, so
// that options given on the command line override the file's.
#pragma once

#include <string>
#include <vector>

#include "settings_file.hpp"

namespace usbpo::cli {

// False with *why for keys a run's settings may not hold (they say how to
// treat a run directory, not what the run is: config, resume, overwrite, help).
bool allowed_run_key(const std::string& key, std::string* why);
// The options of a file as "--key", "value", ... in file order; a list is an
// error naming its key (lists are for `usbpo sweep`). The slurm: section is
// left out (it is for `usbpo sweep --slurm`).
bool config_arguments(const SettingsFile& file, std::vector<std::string>* args, std::string* error);
// Replace `--config FILE` (or --config=FILE) in train arguments with the
// file's options, minus those the remaining arguments give. Without --config
// the arguments are left as they are.
bool expand_config_option(std::vector<std::string>* args, std::string* error);

}  // namespace usbpo::cli
