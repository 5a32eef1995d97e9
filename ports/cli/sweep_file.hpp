// Sweep files: a settings file (settings_file.hpp) whose lists are crossed
// into runs, one directory each, named ENV-ALGO-sSEED plus -KEYVALUE for
// every other option given as a list (e.g. hopper-usbpo-s0-hidden64).
#pragma once

#include <string>
#include <vector>

#include "settings_file.hpp"

namespace usbpo::cli {

// One run of a sweep.
struct SweepRun {
  std::string name;  // its directory name
  KeyValues options; // one value per train option: env, algo, seed first, then the file's order
};

struct Sweep {
  // env outermost, then algo, the other lists in file order, seed innermost.
  std::vector<SweepRun> runs;
  KeyValues slurm;  // sbatch flags of the file's slurm: section (scalars)
};

// Cross the file's lists into runs. env and algo must be given; seed
// defaults to 0 as in usbpo train. False with *error ("FILE:LINE:COLUMN: ..."
// where a key is at fault, and for two runs that would share a directory).
bool expand_sweep(const SettingsFile& file, Sweep* sweep, std::string* error);
// A value as part of a directory name: characters other than letters,
// digits, '.', '_', '+' and '-' become '_'.
std::string name_part(const std::string& value);

}  // namespace usbpo::cli
