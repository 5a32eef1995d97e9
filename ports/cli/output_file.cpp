#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace usbpo::cli {

bool check_output_file(const std::string& path, std::string* error) {
  if (path.empty()) {
    *error = "the output path is empty";
    return false;
  }
  if (path.back() == '/') {
    *error = path + " names a directory, not a file";
    return false;
  }
  struct stat info;
  if (::lstat(path.c_str(), &info) == 0) {
    const char* kind = S_ISDIR(info.st_mode)   ? "a directory"
                       : S_ISLNK(info.st_mode) ? "a symbolic link (give the path it points to, or remove it)"
                       : S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode) ? "a device"
                       : S_ISFIFO(info.st_mode) ? "a FIFO"
                       : S_ISSOCK(info.st_mode) ? "a socket"
                       : S_ISREG(info.st_mode)  ? nullptr
                                                : "not a regular file";
    if (kind) {
      *error = path + " is " + kind + "; only a regular file is written";
      return false;
    }
  } else if (errno != ENOENT) {
    *error = "cannot use " + path + ": " + std::strerror(errno);
    return false;
  }
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string probe = dir + "/.usbpo-write-probe-" + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno) + " (in " + dir + ")";
    return false;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

bool has_file_identifier(const std::string& path, const char identifier[4]) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return false;
  unsigned char head[8];
  const bool read = std::fread(head, 1, sizeof(head), file) == sizeof(head);
  std::fclose(file);
  return read && std::memcmp(head + 4, identifier, 4) == 0;
}

}  // namespace usbpo::cli
