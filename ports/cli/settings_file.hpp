// Settings files: the YAML read by `usbpo sweep FILE` and `usbpo train
// --config FILE`. The top level maps train option names (without "--") to a
// value or a list of values; `options:` may hold more of them and `slurm:`
// holds sbatch flags. This is the only part of usbpo that sees yaml-cpp: a
// build without it keeps everything else and says so when a file is read.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace usbpo::cli {

// One key of a settings file with its value, or its values when the file
// gives a list.
struct Setting {
  std::string key;
  std::vector<std::string> values;  // one for a scalar, one or more for a list
  bool is_list = false;
  int line = 0, column = 0;         // 1-based position of the key in the file
};

struct SettingsFile {
  std::string name;              // the path, for messages
  std::vector<Setting> options;  // train options in file order (top level, then `options:`)
  std::vector<Setting> slurm;    // the `slurm:` section, in file order
};

// An ordered list of resolved key/value pairs (one run's options).
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Whether this usbpo was built with yaml-cpp (settings files need it).
bool have_settings_files();
// Parse YAML text; name is used in messages. False with *error as
// "NAME:LINE:COLUMN: what is wrong".
bool parse_settings(const std::string& text, const std::string& name, SettingsFile* file, std::string* error);
// Read and parse a file (the same errors, or why it cannot be read).
bool read_settings_file(const std::string& path, SettingsFile* file, std::string* error);
// "FILE:LINE:COLUMN: " for a setting's messages.
std::string where(const SettingsFile& file, const Setting& setting);
// YAML text of key: value lines (quoted where YAML needs it), after header
// comment lines (each prefixed with "# ").
std::string settings_yaml(const KeyValues& values, const std::vector<std::string>& header);

}  // namespace usbpo::cli
