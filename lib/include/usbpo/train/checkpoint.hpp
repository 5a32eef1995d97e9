// Checkpoints: a Trainer's whole state in one FlatBuffers file (identifier
// "USBC", lib/schema/checkpoint.fbs) ending with a checksum
// (usbpo/file_checksum.hpp), written atomically, so that training
// continues bit for bit after a restart and a crash mid-write leaves the last
// good checkpoint in place. Saving and loading are I/O, not hot paths: they
// allocate a buffer the size of the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "usbpo/base/status.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {

// The checkpoint format this build writes and reads (2: files end with a checksum).
constexpr std::uint32_t kCheckpointFormatVersion = 2;

// Serialise the trainer's state, the policy it would export and host_data
// (opaque bytes of the caller, may be empty) into bytes, checksum trailer included.
Status serialize_checkpoint(Trainer& trainer, const void* host_data, std::size_t host_size,
                            std::vector<unsigned char>* bytes);
// Serialise and write atomically (path.tmp, fsync, rename over path).
Status save_checkpoint(const char* path, Trainer& trainer, const void* host_data, std::size_t host_size);

// A checkpoint read into memory and verified (checksum, identifier, FlatBuffers
// verifier, version, required fields); the views below point into it.
class CheckpointFile {
 public:
  Status read(const char* path);
  Status from_bytes(std::vector<unsigned char> bytes);

  const char* env_name() const { return env_name_; }
  const char* algorithm() const { return algorithm_; }
  std::int64_t env_steps() const { return env_steps_; }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  // The embedded policy file, with its own checksum (verified by Policy::load's checks when read).
  const unsigned char* policy_data() const { return policy_; }
  std::size_t policy_size() const { return policy_size_; }
  const unsigned char* host_data() const { return host_; }
  std::size_t host_size() const { return host_size_; }
  // The whole file as read, checksum trailer included.
  const std::vector<unsigned char>& bytes() const { return bytes_; }

 private:
  std::vector<unsigned char> bytes_;
  const char* env_name_ = "";
  const char* algorithm_ = "";
  std::int64_t env_steps_ = 0;
  int obs_dim_ = 0, act_dim_ = 0;
  const unsigned char* policy_ = nullptr;
  std::size_t policy_size_ = 0;
  const unsigned char* host_ = nullptr;
  std::size_t host_size_ = 0;
};

// Restore a trainer (initialised with the checkpoint's configuration) from a
// verified checkpoint: the task, algorithm and dims must match and every saved
// array must have exactly the size this trainer has, none missing or extra.
// On failure the trainer refuses to step or restore until it is initialised again.
Status restore_checkpoint(const CheckpointFile& file, Trainer& trainer);

}  // namespace usbpo
