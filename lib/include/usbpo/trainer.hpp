// Trainer: the learning loop that ties an Env, the replay stores, the models
// and SAC together. One step() is one env step plus its gradient updates; the
// host program (the usbpo CLI or a user's own) drives it and does the I/O.
//
// This version runs model-free SAC; the MBPO family (model training, branched
// rollouts, USB-PO phase 2, PMAC weights) plugs into the same step().
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/arena.hpp"
#include "usbpo/env.hpp"
#include "usbpo/replay_store.hpp"
#include "usbpo/rng.hpp"
#include "usbpo/sac.hpp"
#include "usbpo/status.hpp"

namespace usbpo {

enum class Algorithm : std::uint8_t { kSac = 0 };

// Name of an algorithm as the CLI spells it ("sac", ...).
const char* algorithm_name(Algorithm algorithm);

struct TrainerConfig {
  Algorithm algorithm = Algorithm::kSac;
  std::uint64_t seed = 0;
  int start_steps = 5000;        // uniform-random exploration steps first
  int update_after = 1000;       // gradient updates start once this many transitions are stored
  int updates_per_step = 1;      // G: SAC updates per env step
  int replay_capacity = 1000000; // real transitions kept
  int epoch_length = 1000;       // env steps per epoch (evaluation after each)
  int eval_episodes = 5;         // deterministic episodes per evaluation
  SacConfig sac;                 // obs_dim / act_dim are taken from the env
};

// What the host shows and logs after each step.
struct TrainerProgress {
  std::int64_t env_steps = 0;
  std::int64_t episodes = 0;
  std::int64_t gradient_updates = 0;
  Scalar episode_return = 0;       // of the episode in progress
  Scalar last_episode_return = 0;  // of the last finished episode
  bool episode_finished = false;   // this step ended an episode
  bool epoch_finished = false;     // this step ended an epoch
  SacStats sac;                    // of the last update
};

class Trainer {
 public:
  // Check dims against the envs, carve everything from the arena, reset env.
  // env and eval_env must outlive the trainer and be separate instances.
  Status init(const TrainerConfig& config, Env& env, Env& eval_env, Arena& arena);
  // Bytes init() takes for this configuration and env dims.
  static std::size_t bytes_needed(const TrainerConfig& config, int obs_dim, int act_dim);

  // One env step and its updates; never allocates.
  Status step(TrainerProgress* progress);
  // Mean return of deterministic episodes on the evaluation env.
  Status evaluate(int episodes, Scalar* mean_return);

  const TrainerConfig& config() const { return config_; }
  const TrainerProgress& progress() const { return progress_; }
  Sac& sac() { return sac_; }
  ReplayStore& real_store() { return real_; }
  Rng& rng() { return rng_; }

 private:
  Status place(const TrainerConfig& config, int obs_dim, int act_dim, Arena& arena);
  Status start_episode();
  Status train_agent();

  TrainerConfig config_;
  Env* env_ = nullptr;
  Env* eval_env_ = nullptr;
  Sac sac_;
  ReplayStore real_;
  Rng rng_;       // actions, batches, env reset seeds
  Rng eval_rng_;  // evaluation reset seeds
  TrainerProgress progress_;
  Scalar* obs_ = nullptr;         // (obs_dim) current observation
  Scalar* next_obs_ = nullptr;    // (obs_dim)
  Scalar* action_ = nullptr;      // (act_dim) squashed
  Scalar* env_action_ = nullptr;  // (act_dim) scaled to the env's bounds
  int* slots_ = nullptr;          // (batch) sampled store slots
};

}  // namespace usbpo
