// The first check of every usbpo file reader: the checksum trailer
// (usbpo/file_checksum.hpp), then the file identifier, with a message that
// says why a file was refused (damaged, foreign, or an older format).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/status.hpp"

namespace usbpo {

// One kind of usbpo file, as its reader checks it.
struct SealedFileKind {
  const char* noun;            // "policy file", "checkpoint", "dataset"
  const char* foreign;         // the message for a file without this kind's identifier
  const char* identifier;      // the FlatBuffers file identifier, e.g. "USBP"
  std::uint32_t version;       // the format version this build reads
  // The format version of bytes[0, size) if they verify as a whole file of this
  // kind without a trailer (a file older than version 2), else 0.
  std::uint32_t (*unsealed_version)(const std::uint8_t* bytes, std::size_t size);
};

// Checks the checksum trailer of bytes[0, size) before anything else, then the
// identifier. On success *content_size is the size of the FlatBuffers bytes in
// front of the trailer (what the FlatBuffers verifier then checks).
Status open_sealed_file(const SealedFileKind& kind, const void* bytes, std::size_t size, std::size_t* content_size);

}  // namespace usbpo
