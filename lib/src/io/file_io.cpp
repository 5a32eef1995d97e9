#include "usbpo/io/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "usbpo/base/file_checksum.hpp"

namespace usbpo {
namespace {
WriteProgressHook g_write_hook = nullptr;
constexpr std::size_t kWriteChunk = std::size_t{1} << 16;

// Bytes to write, one after the other.
struct Span {
  const unsigned char* data;
  std::size_t size;
};

Status write_spans_atomically(const char* path, const Span* spans, int count) {
  std::size_t size = 0;
  for (int i = 0; i < count; ++i) size += spans[i].size;
  char temp[4096];
  if (std::snprintf(temp, sizeof(temp), "%s.tmp", path) >= static_cast<int>(sizeof(temp))) {
    return Status::error(StatusCode::kInvalidArgument, "path too long: %s", path);
  }
  // A stale temporary (an earlier crash) is removed, and the new one is created,
  // never opened: a link, FIFO or device left at that name is not written through.
  if (::unlink(temp) != 0 && errno != ENOENT) {
    return Status::error(StatusCode::kIoError, "cannot replace %s: %s", temp, std::strerror(errno));
  }
  const int fd = ::open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error(StatusCode::kIoError, "cannot create %s: %s", temp, std::strerror(errno));
  std::size_t written = 0;
  for (int i = 0; i < count; ++i) {
    std::size_t done = 0;
    while (done < spans[i].size) {
      const std::size_t chunk = spans[i].size - done < kWriteChunk ? spans[i].size - done : kWriteChunk;
      const ssize_t n = ::write(fd, spans[i].data + done, chunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        ::unlink(temp);
        return Status::error(StatusCode::kIoError, "cannot write %s: %s", temp, std::strerror(err));
      }
      done += static_cast<std::size_t>(n);
      written += static_cast<std::size_t>(n);
      if (g_write_hook) g_write_hook(written, size);
    }
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp);
    return Status::error(StatusCode::kIoError, "cannot flush %s: %s", temp, std::strerror(err));
  }
  if (std::rename(temp, path) != 0) {
    const int err = errno;
    ::unlink(temp);
    return Status::error(StatusCode::kIoError, "cannot rename %s to %s: %s", temp, path, std::strerror(err));
  }
  return Status::ok();
}

}  // namespace

void set_write_progress_hook(WriteProgressHook hook) { g_write_hook = hook; }

Status write_file_atomically(const char* path, const void* data, std::size_t size) {
  const Span span = {static_cast<const unsigned char*>(data), size};
  return write_spans_atomically(path, &span, 1);
}

Status write_sealed_file_atomically(const char* path, const void* content, std::size_t size) {
  unsigned char trailer[kFileTrailerBytes];
  make_file_trailer(content, size, trailer);
  const Span spans[2] = {{static_cast<const unsigned char*>(content), size}, {trailer, kFileTrailerBytes}};
  return write_spans_atomically(path, spans, 2);
}

Status read_file(const char* path, std::vector<unsigned char>* bytes) {
  std::FILE* file = std::fopen(path, "rb");
  if (!file) return Status::error(StatusCode::kIoError, "cannot open %s: %s", path, std::strerror(errno));
  bytes->clear();
  unsigned char chunk[65536];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0) bytes->insert(bytes->end(), chunk, chunk + n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return Status::error(StatusCode::kIoError, "cannot read %s", path);
  return Status::ok();
}

}  // namespace usbpo
