// The checksum every usbpo file ends with (policy, checkpoint and dataset files,
// format version 2 on): a 16-byte trailer after the FlatBuffers bytes,
//
//   [ FlatBuffers content ][ "usbpoXH3" (8 bytes) ][ XXH3-64 of the content (8 bytes, little-endian) ]
//
// Readers check the trailer before anything else and hand only the content to
// the FlatBuffers verifier, so a flipped bit anywhere in a file is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace usbpo {

// Bytes of the trailer: the magic, then the checksum.
constexpr std::size_t kFileTrailerBytes = 16;
// The trailer's first 8 bytes.
constexpr char kFileTrailerMagic[9] = "usbpoXH3";

// XXH3-64 (seed 0) of data[0, size); the same value on every platform.
std::uint64_t checksum64(const void* data, std::size_t size);

// Writes the trailer for content[0, size) into trailer[kFileTrailerBytes].
void make_file_trailer(const void* content, std::size_t size, unsigned char* trailer);

// What the last kFileTrailerBytes of a file hold.
enum class FileTrailer {
  kValid,     // the magic, and the checksum of everything before the trailer
  kMissing,   // shorter than a trailer, or no magic (a truncated file, or one older than version 2)
  kMismatch,  // the magic, but the checksum does not match the content
};

// Checks the trailer of bytes[0, size); the content is bytes[0, size - kFileTrailerBytes).
FileTrailer check_file_trailer(const void* bytes, std::size_t size);

// Appends the trailer over the whole of *bytes (writers; allocates).
inline void append_file_trailer(std::vector<unsigned char>* bytes) {
  unsigned char trailer[kFileTrailerBytes];
  make_file_trailer(bytes->data(), bytes->size(), trailer);
  bytes->insert(bytes->end(), trailer, trailer + kFileTrailerBytes);
}

}  // namespace usbpo
