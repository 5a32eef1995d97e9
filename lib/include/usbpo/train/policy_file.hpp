// Writing policy files (FlatBuffers, identifier "USBP", then the checksum
// trailer of usbpo/file_checksum.hpp); reading is Policy::load.
#pragma once

#include <cstdint>
#include <vector>

#include "usbpo/base/status.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"

namespace usbpo {

// What goes into a policy file; pointers are borrowed.
struct PolicyDescription {
  const char* env_name = "";
  const char* algorithm = "";
  std::int64_t env_steps = 0;
  int obs_dim = 0;
  int act_dim = 0;
  const EnsembleMlp* actor = nullptr;     // obs -> [mean, log_std], one member
  const Scalar* actor_params = nullptr;   // (actor->total_params())
  const Scalar* obs_mean = nullptr;       // (obs_dim); null: identity normaliser
  const Scalar* obs_std = nullptr;        // (obs_dim)
  const Scalar* action_low = nullptr;     // (act_dim)
  const Scalar* action_high = nullptr;    // (act_dim)
  Scalar log_std_min = -20;
  Scalar log_std_max = 2;
};

class Trainer;
// The trainer's current actor as a deployable policy: its env's name and action
// bounds, the algorithm, the env steps so far (pointers borrowed from trainer).
PolicyDescription describe_policy(Trainer& trainer);

// Serialise a policy into bytes, checksum trailer included (not a hot path: allocates).
Status serialize_policy(const PolicyDescription& policy, std::vector<unsigned char>* bytes);
// Serialise and write atomically (temporary file, then rename).
Status save_policy_file(const char* path, const PolicyDescription& policy);

}  // namespace usbpo
