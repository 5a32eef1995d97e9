// xxHash's XXH3-64, compiled into this one file from the header-only
// libxxhash-dev (copied into the build tree, see lib/CMakeLists.txt).
#include "usbpo/base/file_checksum.hpp"

#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace usbpo {

std::uint64_t checksum64(const void* data, std::size_t size) {
  return static_cast<std::uint64_t>(XXH3_64bits(data, size));
}

void make_file_trailer(const void* content, std::size_t size, unsigned char* trailer) {
  std::memcpy(trailer, kFileTrailerMagic, 8);
  const std::uint64_t sum = checksum64(content, size);
  for (int i = 0; i < 8; ++i) trailer[8 + i] = static_cast<unsigned char>(sum >> (8 * i));
}

FileTrailer check_file_trailer(const void* bytes, std::size_t size) {
  if (!bytes || size < kFileTrailerBytes) return FileTrailer::kMissing;
  const auto* trailer = static_cast<const unsigned char*>(bytes) + (size - kFileTrailerBytes);
  if (std::memcmp(trailer, kFileTrailerMagic, 8) != 0) return FileTrailer::kMissing;
  std::uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) stored |= static_cast<std::uint64_t>(trailer[8 + i]) << (8 * i);
  return stored == checksum64(bytes, size - kFileTrailerBytes) ? FileTrailer::kValid : FileTrailer::kMismatch;
}

}  // namespace usbpo
