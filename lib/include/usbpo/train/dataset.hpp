// Dataset files (FlatBuffers, identifier "USBD", ending with a checksum,
// usbpo/file_checksum.hpp): the real transitions of a ReplayStore, to start
// training from data logged on a robot.
//
// Recording on the robot: place a ReplayStore in an arena at start-up and
// store() each transition (no allocation), with the action as the policy
// emits it, in [-1, 1] before scaling to the actuators' bounds; save the
// store with save_dataset when the robot is idle (that allocates once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "usbpo/agent/replay_store.hpp"
#include "usbpo/base/status.hpp"

namespace usbpo {

// The dataset format this build writes and reads (2: files end with a checksum).
constexpr std::uint32_t kDatasetFormatVersion = 2;

// The live transitions of store, oldest first, as dataset bytes / an atomically written file.
Status serialize_dataset(const ReplayStore& store, const char* env_name, std::vector<unsigned char>* bytes);
Status save_dataset(const char* path, const ReplayStore& store, const char* env_name);

// What a verified dataset holds.
struct DatasetInfo {
  int obs_dim = 0;
  int act_dim = 0;
  int count = 0;
  char env_name[64] = {};
};

// Verify a dataset (checksum, identifier, FlatBuffers verifier, version,
// lengths, finite values, binary terminals) without loading it.
Status inspect_dataset(const void* bytes, std::size_t size, DatasetInfo* info);

// Verify, then append every transition to store tagged with epoch. Nothing is
// stored unless all of it is valid and fits: the env name (when expected_env
// is not null) and the dims must match, and count must not exceed the room
// left before the store would overwrite older data.
Status load_dataset(const void* bytes, std::size_t size, const char* expected_env, ReplayStore& store,
                    std::int32_t epoch, int* loaded);
Status load_dataset_file(const char* path, const char* expected_env, ReplayStore& store, std::int32_t epoch,
                         int* loaded);

}  // namespace usbpo
