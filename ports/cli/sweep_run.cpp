#include "sweep_run.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "settings_file.hpp"

namespace usbpo::cli {
namespace {

bool exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

// The bytes of a file from offset (at most the last max_bytes of them).
std::string read_from(const std::string& path, std::int64_t offset, std::int64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::int64_t size = in.tellg();
  std::int64_t start = offset < size ? offset : size;
  if (size - start > max_bytes) start = size - max_bytes;
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(&text[0], static_cast<std::streamsize>(text.size()));
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A progress bar redraws with '\r': keep what the line showed last.
    const auto cr = line.rfind('\r');
    if (cr != std::string::npos) line = line.substr(cr + 1);
    lines.push_back(line);
  }
  return lines;
}

std::string now_text() {
  char text[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return text;
}

}  // namespace

RunState run_state(const std::string& dir, std::int64_t steps) {
  std::ifstream done(dir + "/" + kRunDone);
  std::string word;
  long long done_steps = -1;
  if (done >> word >> done_steps && word == "steps" && done_steps >= steps) return RunState::kFinished;
  return exists(dir + "/" + kRunCheckpoint) ? RunState::kResume : RunState::kStart;
}

const char* state_name(RunState state) {
  switch (state) {
    case RunState::kFinished: return "finished";
    case RunState::kResume: return "resume";
    case RunState::kStart: return "start";
  }
  return "?";
}

std::vector<std::string> train_arguments(const std::string& dir, RunState state, std::int64_t steps, int threads) {
  std::vector<std::string> args;
  if (state == RunState::kResume) {
    args = {"train", "--resume", dir, "--steps", std::to_string(steps)};
  } else {
    args = {"train", "--config", dir + "/" + kRunConfig, "--out", dir};
  }
  // --threads is not part of a run's record, so a resumed run needs it again.
  if (threads > 0) {
    args.push_back("--threads");
    args.push_back(std::to_string(threads));
  }
  return args;
}

bool read_run_steps(const std::string& dir, std::int64_t* steps, std::string* error) {
  SettingsFile file;
  if (!read_settings_file(dir + "/" + kRunConfig, &file, error)) return false;
  for (const Setting& s : file.options) {
    if (s.key != "steps") continue;
    char* end = nullptr;
    *steps = std::strtoll(s.values[0].c_str(), &end, 10);
    if (s.is_list || end == s.values[0].c_str() || *end != '\0' || *steps < 1) {
      *error = where(file, s) + "steps must be one whole number >= 1";
      return false;
    }
    return true;
  }
  *error = dir + "/" + kRunConfig + ": no steps (usbpo sweep writes them)";
  return false;
}

int read_run_threads(const std::string& dir) {
  SettingsFile file;
  std::string error;
  if (!read_settings_file(dir + "/" + kRunConfig, &file, &error)) return 0;
  for (const Setting& s : file.options) {
    if (s.key == "threads" && !s.is_list) return std::max(0, std::atoi(s.values[0].c_str()));
  }
  return 0;
}

bool clear_partial_run(const std::string& dir, std::string* error) {
  for (const char* name : {"log.csv", "policy.usbpo", "learning_curve.svg", "model_diagnostics.svg",
                           "checkpoint.usbpo-ckpt.tmp", "policy.usbpo.tmp"}) {
    const std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      *error = "cannot remove " + path + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

bool mark_done(const std::string& dir, std::int64_t steps, std::string* error) {
  const std::string path = dir + "/" + kRunDone;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fprintf(f, "steps %lld\n", static_cast<long long>(steps)) < 0 || std::fclose(f) != 0) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

void write_failure(const std::string& dir, const std::string& reason, const std::string& command,
                   std::int64_t output_from) {
  std::ofstream out(dir + "/" + kRunFailed);
  out << "usbpo sweep: the run failed at " << now_text() << ": " << reason << "\n"
      << "command: " << command << "\n"
      << "last lines of its output (" << kRunOutput << "):\n";
  std::vector<std::string> lines = lines_of(read_from(dir + "/" + kRunOutput, output_from, 1 << 16));
  const std::size_t first = lines.size() > 20 ? lines.size() - 20 : 0;
  for (std::size_t i = first; i < lines.size(); ++i) out << "  " << lines[i] << "\n";
}

std::string last_output_line(const std::string& dir, std::int64_t output_from) {
  const std::vector<std::string> lines = lines_of(read_from(dir + "/" + kRunOutput, output_from, 1 << 16));
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->empty()) return *it;
  }
  return "";
}

bool read_log_progress(const std::string& dir, std::int64_t* env_steps, double* eval_return) {
  const std::string path = dir + "/log.csv";
  if (!exists(path)) return false;
  // Rows: env_steps, episode, episode_return, eval_return, ... (run_history.cpp).
  // The first line read is the header, or a row cut by reading only the tail.
  const std::vector<std::string> lines = lines_of(read_from(path, 0, 16384));
  *env_steps = 0;
  *eval_return = NAN;
  for (std::size_t i = lines.size(); i-- > 1;) {
    std::stringstream row(lines[i]);
    std::string steps, episode, episode_return, eval;
    if (!std::getline(row, steps, ',')) continue;
    std::getline(row, episode, ',');
    std::getline(row, episode_return, ',');
    std::getline(row, eval, ',');
    if (*env_steps == 0) *env_steps = std::strtoll(steps.c_str(), nullptr, 10);
    if (!eval.empty()) {
      *eval_return = std::strtod(eval.c_str(), nullptr);
      break;
    }
  }
  return true;
}

int lock_run(const std::string& dir) {
  const std::string path = dir + "/" + kRunLock;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace usbpo::cli
