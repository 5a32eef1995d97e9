// Branched model rollouts (MBPO): from real start states, act with the
// stochastic policy, step the learned model, stop samples that terminate, and
// put every model transition into the model store.
//
// The policy and the model run on the backend (issue 15): the states, actions
// and draws of a rollout step live in device memory and change only through
// ops (Sac::enqueue_act, GaussianEnsemble::enqueue_rollout, gather_columns).
// The host keeps the Rng and its draw order (the draws of a step are made on
// the host in the order the host rollout always made them and uploaded in one
// block), the env's termination test, the non-finite check and the model
// store: each step downloads its transitions' actions, next states and rewards
// in one block. Per rollout step: one upload (the step's draws and which
// samples continue) and one download; the first step uploads the start states
// too. On the CPU backend the results are the host rollout's bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/agent/env.hpp"
#include "usbpo/agent/replay_store.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/nn/backend.hpp"

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

// The sizes a Rollouts is placed for.
struct RolloutShape {
  int batch = 0;           // most parallel rollouts
  int obs_dim = 0;
  int act_dim = 0;
  int elites = 1;          // of the ensemble (its rollout groups)
  int predict_chunk = 1;   // of the ensemble
};

class Rollouts {
 public:
  // Host side from `arena`, and where device memory is host memory (the CPU
  // backend) the device side too; on another backend the device side comes
  // from place_device.
  Status place(const RolloutShape& shape, bool device_is_host, Arena& arena);
  // Device side on `backend` (after its device block is reserved; the
  // device_is_host given to place must be the backend's).
  Status place_device(Backend& backend);
  // Both sides in one arena for the CPU backend (place + place_device).
  Status place(const RolloutShape& shape, Backend& cpu_backend, Arena& arena);
  static std::size_t bytes_needed(const RolloutShape& shape, bool device_is_host);
  static std::size_t device_bytes_needed(const RolloutShape& shape, bool device_is_host);

  // Fill start_states() (obs_dim x count, host) before run().
  Scalar* start_states() { return obs_; }
  int batch() const { return shape_.batch; }

  // `length` model steps from the first `count` start states; terminated
  // samples (env.is_terminal on next_obs) are stored as terminal and not
  // continued; samples whose draw is not finite end unstored. sac and model
  // must run on place_device's backend (or, on the CPU, any CPU backend).
  Status run(int count, int length, Sac& sac, GaussianEnsemble& model, const Env& env, ReplayStore& store,
             std::int32_t epoch, Rng& rng, RolloutStats* stats);

 private:
  // The device buffers from `arena` (the upload and download blocks are the
  // host's own where device memory is host memory).
  Status place_twins(Arena& arena, bool device_is_host);
  // Byte offsets of the parts of a step's upload block for n samples.
  struct StepLayout {
    std::size_t keep, eps, noise, index, bytes;
  };
  StepLayout step_layout(int n) const;

  RolloutShape shape_;
  bool device_is_host_ = true;
  Backend* backend_ = nullptr;
  // Host.
  Scalar* obs_ = nullptr;       // (obs_dim x batch) current states, compacted
  Scalar* act_ = nullptr;       // (act_dim x batch) kept transitions' actions
  Scalar* next_ = nullptr;      // (obs_dim x batch) kept transitions' next states
  Scalar* reward_ = nullptr;    // (batch)
  std::uint8_t* done_ = nullptr;  // (batch)
  int* origin_ = nullptr;       // (batch) the device column of each kept transition
  int* groups_ = nullptr;       // (rollout groups of batch) draw_rollout's group sizes
  unsigned char* staging_ = nullptr;  // a step's upload block (keep, eps, noise, index)
  Scalar* pack_ = nullptr;      // (act_dim + obs_dim + 1 x batch) a step's download
  // Device.
  Scalar* d_obs_ = nullptr;     // (obs_dim x batch)
  Scalar* d_act_ = nullptr;     // (act_dim x batch)
  Scalar* d_next_ = nullptr;    // (obs_dim x batch)
  Scalar* d_reward_ = nullptr;  // (batch)
  Scalar* d_tail_ = nullptr;    // (obs_dim + 1 x batch) [next; reward]
  Scalar* d_inputs_ = nullptr;  // (obs_dim + act_dim x batch) the model's inputs
  unsigned char* d_staging_ = nullptr;
  Scalar* d_pack_ = nullptr;
};

}  // namespace usbpo
