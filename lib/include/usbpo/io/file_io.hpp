// Whole-file reads and crash-safe writes (desktop targets; not used by Policy).
#pragma once

#include <cstddef>
#include <vector>

#include "usbpo/base/status.hpp"

namespace usbpo {

// Write data to path.tmp, flush and fsync it, then rename it over path, so a
// crash at any point leaves either the old file or the new one, never a mix.
// path.tmp is always a new file (a stale one is removed first, and anything
// there that is not a plain file or link makes the write fail).
Status write_file_atomically(const char* path, const void* data, std::size_t size);
// The same for content that is written followed by its checksum trailer
// (usbpo/file_checksum.hpp), without copying the content.
Status write_sealed_file_atomically(const char* path, const void* content, std::size_t size);
// Read a whole file.
Status read_file(const char* path, std::vector<unsigned char>* bytes);

// Test hook: called after each chunk (at most 64 KiB) written to the temporary
// file, with the bytes written so far and the total; a crash test kills the
// process from here. Null (the default) disables it.
using WriteProgressHook = void (*)(std::size_t written, std::size_t total);
void set_write_progress_hook(WriteProgressHook hook);

}  // namespace usbpo
