// Branched model rollouts (MBPO): from real start states, act with the
// stochastic policy, step the learned model, stop samples that terminate, and
// put every model transition into the model store.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/agent/env.hpp"
#include "usbpo/agent/replay_store.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"

namespace usbpo {

// MBPO's rollout-length schedule [epoch_a, epoch_b, k_min, k_max]: k_min up to
// epoch_a, then linear to k_max at epoch_b, floored.
struct RolloutSchedule {
  int epoch_a = 1, epoch_b = 15, k_min = 1, k_max = 1;
};
int rollout_length(const RolloutSchedule& schedule, int epoch);

// What one batch of rollouts did.
struct RolloutStats {
  int length = 0;             // steps taken (<= requested when every sample terminated)
  std::int64_t transitions = 0;
  std::int64_t terminated = 0;
  Scalar mean_reward = 0;
};

class Rollouts {
 public:
  // Buffers for up to `batch` parallel rollouts.
  Status place(int batch, int obs_dim, int act_dim, Arena& arena);
  static std::size_t bytes_needed(int batch, int obs_dim, int act_dim);

  // Fill start_states() (obs_dim x count) before run().
  Scalar* start_states() { return obs_; }
  int batch() const { return batch_; }

  // `length` model steps from the first `count` start states; terminated
  // samples (env.is_terminal on next_obs) are stored as terminal and not continued.
  Status run(int count, int length, Sac& sac, GaussianEnsemble& model, const Env& env, ReplayStore& store,
             std::int32_t epoch, Rng& rng, RolloutStats* stats);

 private:
  int batch_ = 0, obs_dim_ = 0, act_dim_ = 0;
  Scalar* obs_ = nullptr;       // (obs_dim x batch) current states, compacted
  Scalar* act_ = nullptr;       // (act_dim x batch)
  Scalar* next_ = nullptr;      // (obs_dim x batch)
  Scalar* reward_ = nullptr;    // (batch)
  std::uint8_t* done_ = nullptr;  // (batch)
};

}  // namespace usbpo
