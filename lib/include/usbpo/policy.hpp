// Policy: the deployable actor. Loads a verified policy blob (FlatBuffers,
// identifier "USBP") into memory the caller gives, then acts in microseconds
// with no allocation, no exception and no printing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/arena.hpp"
#include "usbpo/ensemble_mlp.hpp"
#include "usbpo/rng.hpp"
#include "usbpo/status.hpp"

namespace usbpo {

class Policy {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;
  static constexpr int kMaxName = 64;

  // Verify blob and report the bytes load() takes from an arena.
  static Status bytes_needed(const void* blob, std::size_t size, std::size_t* bytes);
  // Verify (identifier, version, FlatBuffers verifier, dimensions, finite
  // weights) and copy everything into the arena; the blob may be freed after.
  Status load(const void* blob, std::size_t size, Arena& arena);

  // Deterministic action: tanh of the mean, scaled to the action bounds.
  // obs (obs_dim), action (act_dim). Rejects non-finite observations.
  Status act(const Scalar* obs, Scalar* action);
  // Stochastic action from the tanh-Gaussian with the caller's generator.
  Status act_stochastic(const Scalar* obs, Scalar* action, Rng& rng);

  bool loaded() const { return actor_params_ != nullptr; }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  const char* env_name() const { return env_name_; }
  const char* algorithm() const { return algorithm_; }
  std::int64_t env_steps() const { return env_steps_; }
  const Scalar* action_low() const { return action_low_; }
  const Scalar* action_high() const { return action_high_; }
  const EnsembleMlp& actor_network() const { return actor_net_; }
  const Scalar* actor_params() const { return actor_params_; }

 private:
  Status place(const void* blob, std::size_t size, Arena& arena, bool copy);
  Status forward(const Scalar* obs);
  Scalar scale(int d, Scalar squashed) const;

  EnsembleMlp actor_net_;
  MlpWorkspace ws_;
  Scalar* actor_params_ = nullptr;
  Scalar* obs_mean_ = nullptr;
  Scalar* obs_inv_std_ = nullptr;
  Scalar* action_low_ = nullptr;
  Scalar* action_high_ = nullptr;
  Scalar* normalized_ = nullptr;
  Scalar log_std_min_ = -20, log_std_max_ = 2;
  int obs_dim_ = 0, act_dim_ = 0;
  std::int64_t env_steps_ = 0;
  char env_name_[kMaxName] = {};
  char algorithm_[kMaxName] = {};
};

}  // namespace usbpo
