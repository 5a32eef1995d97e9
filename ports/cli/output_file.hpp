// Checks on a file the command is asked to write, made before any work.
#pragma once

#include <string>

namespace usbpo::cli {

// Whether path can take a new regular file: it does not exist or is a regular
// file (not a directory, device, FIFO, socket or symbolic link), and its
// directory exists and accepts a new file (probed by creating and removing
// one, which also holds for root and read-only mounts). False with *error.
bool check_output_file(const std::string& path, std::string* error);
// Whether a and b exist and are the same file (same device and inode: hard
// links and other spellings of one path included).
bool same_file(const std::string& a, const std::string& b);
// Whether path starts with a FlatBuffers file identifier (bytes 4..7), e.g. "USBC".
bool has_file_identifier(const std::string& path, const char identifier[4]);

}  // namespace usbpo::cli
