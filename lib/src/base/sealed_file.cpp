#include "base/sealed_file.hpp"

#include <cstring>

#include "usbpo/base/file_checksum.hpp"

namespace usbpo {
namespace {

// FlatBuffers keep the 4-byte file identifier after the 4-byte root offset.
bool has_identifier(const void* bytes, std::size_t size, const char* identifier) {
  return bytes && size >= 8 && std::memcmp(static_cast<const unsigned char*>(bytes) + 4, identifier, 4) == 0;
}

}  // namespace

Status open_sealed_file(const SealedFileKind& kind, const void* bytes, std::size_t size, std::size_t* content_size) {
  const FileTrailer trailer = check_file_trailer(bytes, size);
  if (trailer == FileTrailer::kValid) {
    *content_size = size - kFileTrailerBytes;
    if (!has_identifier(bytes, *content_size, kind.identifier)) {
      return Status::error(StatusCode::kCorruptData, "%s", kind.foreign);
    }
    return Status::ok();
  }
  // Refused; the rest only picks the message that says why.
  if (!has_identifier(bytes, size, kind.identifier)) return Status::error(StatusCode::kCorruptData, "%s", kind.foreign);
  if (trailer == FileTrailer::kMissing) {
    const std::uint32_t version = kind.unsealed_version(static_cast<const std::uint8_t*>(bytes), size);
    if (version >= 1 && version < kind.version) {
      return Status::error(StatusCode::kCorruptData,
                           "%s is format version %u from an older usbpo; this build reads version %u only "
                           "(files end with a checksum since version 2): write it again with this usbpo",
                           kind.noun, static_cast<unsigned>(version), static_cast<unsigned>(kind.version));
    }
    return Status::error(StatusCode::kCorruptData,
                         "%s is truncated or corrupt: it does not end with a usbpo checksum (%zu bytes)", kind.noun,
                         size);
  }
  return Status::error(StatusCode::kCorruptData,
                       "%s is truncated or corrupt: its checksum does not match its content (%zu bytes)", kind.noun,
                       size);
}

}  // namespace usbpo
