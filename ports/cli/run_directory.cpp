#include "run_directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace usbpo::cli {

const char kCheckpointFile[] = "checkpoint.usbpo-ckpt";
const char kPolicyFile[] = "policy.usbpo";
const char kLogFile[] = "log.csv";
const char kLearningCurveFile[] = "learning_curve.svg";
const char kModelPlotFile[] = "model_diagnostics.svg";
const char kLockFile[] = ".usbpo-lock";

namespace {

bool exists(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0;
}

// A file (or link) that can be unlinked; directories are never a run's files.
bool removable(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0 && !S_ISDIR(info.st_mode);
}

}  // namespace

bool make_run_directory(const std::string& dir, bool* created, std::string* error) {
  struct stat info;
  *created = false;
  if (::stat(dir.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return true;
    *error = dir + " exists and is not a directory";
    return false;
  }
  std::string partial;
  for (std::size_t i = 0; i <= dir.size(); ++i) {
    if ((i == dir.size() || dir[i] == '/') && !partial.empty() && ::stat(partial.c_str(), &info) != 0) {
      if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
        *error = "cannot create directory " + partial + ": " + std::strerror(errno);
        return false;
      }
    }
    if (i < dir.size()) partial += dir[i];
  }
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    *error = "cannot create directory " + dir + (errno ? std::string(": ") + std::strerror(errno) : "");
    return false;
  }
  *created = true;
  return true;
}

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const char* name : {kCheckpointFile, kPolicyFile, kLogFile}) {
    if (exists(dir + "/" + name)) found.push_back(name);
  }
  return found;
}

bool remove_run_files(const std::string& dir, std::vector<std::string>* removed, std::string* error) {
  removed->clear();
  for (const char* name : {kCheckpointFile, kPolicyFile, kLogFile, kLearningCurveFile, kModelPlotFile}) {
    for (const std::string& file : {std::string(name), std::string(name) + ".tmp"}) {
      const std::string path = dir + "/" + file;
      if (!removable(path)) continue;
      if (::unlink(path.c_str()) != 0) {
        *error = "cannot remove " + path + ": " + std::strerror(errno);
        return false;
      }
      removed->push_back(file);
    }
  }
  return true;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

bool RunLock::acquire(const std::string& dir, const std::string& command, std::string* error) {
  const std::string path = dir + "/" + kLockFile;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    *error = "cannot open the lock file " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[1024] = {0};
    const ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      *error = "cannot lock " + path + ": " + std::strerror(err);
      return false;
    }
    std::string who = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "";
    while (!who.empty() && (who.back() == '\n' || who.back() == '\r')) who.pop_back();
    *error = dir + " is in use by another usbpo process (" + (who.empty() ? "it has not recorded itself yet" : who) +
             "); one process at a time may train in a run directory";
    return false;
  }
  char host[256] = "unknown host";
  if (::gethostname(host, sizeof(host)) != 0) std::strcpy(host, "unknown host");
  host[sizeof(host) - 1] = '\0';
  char started[64] = "";
  const std::time_t now = std::time(nullptr);
  std::tm utc;
  if (::gmtime_r(&now, &utc)) std::strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S UTC", &utc);
  const std::string record = "pid " + std::to_string(::getpid()) + " on " + host + ", started " + started + ": " +
                             command + "\n";
  // The description is informative only: the flock is what excludes.
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, record.data(), record.size(), 0) < 0) {
    // Not fatal: the lock is held; a refused process just cannot name us.
  }
  fd_ = fd;
  return true;
}

}  // namespace usbpo::cli
