#include "run_setup.hpp"

#include <cstdio>

#include "arguments.hpp"
#include "memory_limit.hpp"
#include "output_file.hpp"
#include "run_directory.hpp"

namespace usbpo::cli {

bool read_resume_request(const std::vector<std::string>& given, ResumeRequest* request, std::string* error) {
  std::vector<char*> argv;
  for (const std::string& a : given) argv.push_back(const_cast<char*>(a.c_str()));
  Arguments args;
  if (!args.parse(static_cast<int>(argv.size()), argv.data(), 0, {"overwrite"}, error)) return false;
  *request = ResumeRequest();
  if (!args.given("resume")) return true;
  request->active = true;
  request->dir = args.get("resume", "");
  if (request->dir.empty()) {
    *error = "--resume needs the run directory";
    return false;
  }
  if (args.given("overwrite")) {
    *error = "--resume continues the run in " + request->dir + "; --overwrite would replace it: give one of them";
    return false;
  }
  for (std::size_t i = 0; i < given.size(); ++i) {
    std::string key = given[i].substr(2);
    const auto eq = key.find('=');
    std::string value;
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (i + 1 < given.size() && given[i + 1].rfind("--", 0) != 0) {
      value = given[++i];
    } else {
      *error = "option --" + key + " needs a value";
      return false;
    }
    if (key == "resume") continue;
    if (!is_resume_option(key)) {
      *error = "with --resume only --steps, --checkpoint-every and --max-memory may be given (the rest comes from "
               "the checkpoint), not --" + key;
      return false;
    }
    request->overrides.push_back(key);
    request->overrides.push_back(value);
  }
  return true;
}

bool check_run_memory(const TrainOptions& options, std::size_t arena_bytes, std::string* error) {
  // A checkpoint is serialised into memory before it is written: at most the arena's size again.
  const std::uint64_t arena = arena_bytes;
  const std::uint64_t need = arena > UINT64_MAX / 2 ? UINT64_MAX : 2 * arena;
  MemoryLimit limit;
  if (options.max_memory > 0) {
    limit.bytes = options.max_memory;
    limit.source = "--max-memory";
  } else {
    limit = machine_memory_limit();
  }
  const std::string needs = "this configuration needs " + describe_bytes(need) + " (the trainer's memory, " +
                            describe_bytes(arena) + ", and as much again to write a checkpoint)";
  if (limit.bytes > 0 && need > limit.bytes) {
    *error = needs + ", more than " + limit.source + " allows, " + describe_bytes(limit.bytes) +
             "; make the stores or networks smaller (--replay-capacity, --hidden, --batch, --rollout-batch, "
             "--model-hidden, ...)" + (options.max_memory > 0 ? " or raise --max-memory" : " or give --max-memory");
    return false;
  }
  const std::uint64_t available = available_memory();
  if (options.max_memory == 0 && available > 0 && need > available) {
    std::fprintf(stderr, "usbpo train: warning: %s, more than is available now (%s): the run may swap or be killed\n",
                 needs.c_str(), describe_bytes(available).c_str());
  }
  return true;
}

bool prepare_fresh_directory(const TrainOptions& o, const std::string& command, RunLock* lock, std::string* error) {
  bool created = false;
  if (!make_run_directory(o.out, &created, error)) return false;
  if (created) std::fprintf(stderr, "usbpo train: created %s\n", o.out.c_str());
  if (!lock->acquire(o.out, command, error)) return false;
  const std::vector<std::string> earlier = run_files_in(o.out);
  if (earlier.empty()) return true;
  std::string names;
  for (const std::string& f : earlier) names += (names.empty() ? "" : ", ") + f;
  if (!o.overwrite) {
    *error = o.out + " already holds a run (" + names + "); continue it with `usbpo train --resume " + o.out +
             "`, replace it with --overwrite, or give another --out";
    return false;
  }
  std::vector<std::string> removed;
  if (!remove_run_files(o.out, &removed, error)) return false;
  names.clear();
  for (const std::string& f : removed) names += (names.empty() ? "" : ", ") + f;
  std::fprintf(stderr, "usbpo train: --overwrite: removed the earlier run's %s from %s\n", names.c_str(),
               o.out.c_str());
  return true;
}

bool check_dataset_output(const TrainOptions& o, std::string* error) {
  if (o.save_dataset.empty()) return true;
  if (!check_output_file(o.save_dataset, error)) {
    *error = "--save-dataset: " + *error;
    return false;
  }
  const std::size_t slash = o.save_dataset.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : o.save_dataset.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? o.save_dataset : o.save_dataset.substr(slash + 1);
  for (const char* own : {kCheckpointFile, kPolicyFile, kLogFile, kLearningCurveFile, kModelPlotFile, kLockFile}) {
    if (name == own && same_file(dir, o.out)) {
      *error = "--save-dataset " + o.save_dataset + " is the run's own " + own;
      return false;
    }
  }
  return true;
}

bool check_run_outputs(const TrainOptions& o, std::string* error) {
  for (const char* name : {kCheckpointFile, kPolicyFile, kLogFile, kLearningCurveFile, kModelPlotFile}) {
    if (!check_output_file(o.out + "/" + name, error)) return false;
  }
  return true;
}

}  // namespace usbpo::cli
