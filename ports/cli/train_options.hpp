// The options of `usbpo train`, parsed into a TrainerConfig on top of the
// task's defaults. The options as given are kept: checkpoints store them so
// that `--resume` rebuilds the same run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "usbpo/train/trainer.hpp"

namespace usbpo::cli {

struct TrainOptions {
  std::string env_name;
  std::string mjcf_path;
  std::string algo_name;
  Algorithm algorithm = Algorithm::kSac;
  TrainerConfig config;
  std::int64_t steps = 15000;
  std::int64_t checkpoint_every = 0;  // env steps between checkpoints; 0: none (the last one still is)
  std::string out;
  std::string init_dataset;           // real transitions to start from (dataset file)
  std::int64_t dataset_transitions = 0;  // how many it holds (recorded in the run's options by usbpo)
  std::string save_dataset;           // write the real store here at the end
  int threads = 1;                    // worker threads (results are the same for every count)
  std::string device = "cpu";         // --device: cpu or cuda (not recorded: a run may resume on the other)
  bool overwrite = false;             // --overwrite: replace an earlier run in `out`
  std::uint64_t max_memory = 0;       // --max-memory in bytes; 0: the machine's (memory_limit.hpp)
  // "--key", "value", ... as given, less the options of this invocation only
  // (--overwrite, --max-memory, --threads, --device): the run's options, recorded in checkpoints.
  std::vector<std::string> args;
};

// Options that a resumed run may be given anew (the rest comes from its checkpoint).
bool is_resume_option(const std::string& key);

// Parse `usbpo train` options; false with *error on a bad, repeated, unknown
// or (for the chosen --algo) inapplicable option, or a value out of range.
bool parse_train_options(const std::vector<std::string>& args, TrainOptions* options, std::string* error);
// Whether an option is used by the algorithm (the model options are not by
// sac, the phase-2 options only by usbpo and usbpo+pmac).
bool option_applies(const std::string& key, Algorithm algorithm);
// Replace (or add) --key value in an option list.
void set_option(std::vector<std::string>* args, const std::string& key, const std::string& value);
void print_train_usage();

}  // namespace usbpo::cli
