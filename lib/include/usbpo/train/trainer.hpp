// Trainer: the learning loop that ties an Env, the replay stores, the models
// and SAC together. One step() is one env step plus its gradient updates; the
// host program (the usbpo CLI or a user's own) drives it and does the I/O.
//
// Algorithms: model-free SAC, and the MBPO family on one loop: MBPO (model
// rounds every model_train_freq steps, branched rollouts, SAC on real + model
// data), USB-PO (MBPO plus phase 2 after every model round but the first) and
// PMAC (real data weighted by the policy mixture for model training and
// rollout starts), and USB-PO + PMAC.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/agent/device_store_mirror.hpp"
#include "usbpo/agent/env.hpp"
#include "usbpo/agent/policy_mixture.hpp"
#include "usbpo/agent/replay_store.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/agent/sac_update_block.hpp"
#include "usbpo/base/arena.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/model/rollouts.hpp"
#include "usbpo/model/w2_fine_tune.hpp"

namespace usbpo {

class Backend;

enum class Algorithm : std::uint8_t { kSac = 0, kMbpo, kUsbpo, kPmac, kUsbpoPmac };

// Name of an algorithm as the CLI spells it ("sac", "mbpo", "usbpo", "pmac", "usbpo+pmac").
const char* algorithm_name(Algorithm algorithm);
// Parse a CLI name; false for an unknown one.
bool parse_algorithm(const char* name, Algorithm* algorithm);
// Traits of the algorithms.
bool uses_model(Algorithm algorithm);
bool uses_phase_two(Algorithm algorithm);
bool uses_policy_mixture(Algorithm algorithm);

struct TrainerConfig {
  Algorithm algorithm = Algorithm::kSac;
  std::uint64_t seed = 0;
  int start_steps = 5000;        // uniform-random exploration steps first
  int update_after = 1000;       // gradient updates start once this many transitions are stored
                                 // (model-based: and the first model round, at start_steps, is done)
  int updates_per_step = 1;      // G: SAC updates per env step
  int replay_capacity = 1000000; // real transitions kept
  int epoch_length = 1000;       // env steps per epoch (evaluation after each)
  int eval_episodes = 5;         // deterministic episodes per evaluation
  SacConfig sac;                 // obs_dim / act_dim are taken from the env
  // MBPO family (ignored by sac).
  EnsembleConfig model;          // obs/act dims from the env, max_samples = replay_capacity
  int model_train_freq = 250;    // env steps between model rounds (Humanoid 1000)
  int rollout_batch = 100000;    // branched rollouts per model round
  RolloutSchedule rollout_schedule;
  int model_retain_epochs = 1;   // model store holds this many epochs of rollouts (Humanoid 5)
  Scalar real_ratio = 0.05f;     // share of real data in SAC batches
  W2FineTuneConfig w2;           // USB-PO phase 2
  double pmac_alpha = 0.9;       // PMAC policy mixture
  int policy_epoch_length = 250; // env steps per PMAC policy epoch
  // Env steps this run plans to take (0: unknown). Stores are sized at init,
  // so a known length keeps them small: the real store holds
  // min(replay_capacity, planned_steps) and the model store is sized for the
  // longest rollouts the schedule reaches by then instead of k_max.
  std::int64_t planned_steps = 0;
  // Seconds from some fixed point, for the time breakdown in TrainerProgress;
  // null leaves the timings at 0 (the core reads no clock of its own).
  double (*clock)() = nullptr;
  // The host's worker threads (e.g. usbpo::ThreadPool), which SAC updates,
  // model rounds and rollouts cut their work for; null runs everything on the
  // calling thread. Results are bit-identical either way. Not owned; must
  // outlive the trainer.
  TaskRunner* runner = nullptr;
  // Where SAC's numbers live and are computed (nn/backend.hpp), e.g. the CUDA
  // backend of usbpo::cuda; null: the CPU backend (with `runner`). Not owned;
  // must outlive the trainer. init reserves the device memory SAC, the
  // ensemble, the SAC update block and the stores' device mirrors need on it
  // (their device_bytes_needed) and bytes_needed counts only the host side
  // then. Results match the CPU within the backend's stated tolerances;
  // checkpoints are the same whichever backend wrote them.
  Backend* backend = nullptr;
};

// Where a run's wall time went, in seconds (TrainerConfig::clock).
struct TrainerTimings {
  double env = 0;        // real env steps and acting
  double model = 0;      // phase 1: MLE training of the ensemble
  double phase_two = 0;  // USB-PO phase 2 and the elite re-check
  double rollouts = 0;   // branched model rollouts
  double sac = 0;        // SAC updates, batch assembly included
};

// What the last model round did (for logs and plots).
struct ModelRoundReport {
  std::int64_t round = 0;        // rounds so far
  EnsembleTrainReport mle;       // phase 1
  bool phase_two = false;        // phase 2 ran this round
  W2Report w2;                   // phase 2
  // Elites' mean holdout MSE after phase 2 and the elite re-ranking, on the
  // same holdout split as mle.mean_holdout_mse (0 when phase 2 did not run).
  Scalar phase_two_holdout_mse = 0;
  RolloutStats rollouts;
  int model_store_size = 0;
};

// What the host shows and logs after each step.
struct TrainerProgress {
  std::int64_t env_steps = 0;
  std::int64_t episodes = 0;
  std::int64_t gradient_updates = 0;
  std::int64_t dataset_transitions = 0;  // real transitions loaded from a dataset before the first step
  Scalar episode_return = 0;       // of the episode in progress
  Scalar last_episode_return = 0;  // of the last finished episode
  bool episode_finished = false;   // this step ended an episode
  bool epoch_finished = false;     // this step ended an epoch
  bool model_round = false;        // this step ran a model round
  SacStats sac;                    // of the last update
  ModelRoundReport model;          // of the last model round
  TrainerTimings time;             // cumulative
};

class Trainer {
 public:
  // Check dims against the envs, carve everything from the arena, reset env.
  // env and eval_env must outlive the trainer and be separate instances.
  Status init(const TrainerConfig& config, Env& env, Env& eval_env, Arena& arena);
  // Bytes init() takes for this configuration and env (dims, state size).
  // 0 for an invalid configuration or one whose size does not fit in size_t;
  // check_config says why.
  static std::size_t bytes_needed(const TrainerConfig& config, const Env& env);
  static Status check_config(const TrainerConfig& config, const Env& env);
  // Transitions the model store keeps at rollout length k (MBPO's pool size):
  // retain x k x rollout_batch x rounds per epoch.
  static int model_store_capacity_at(const TrainerConfig& config, int rollout_length);
  // Slots placed for the model store: model_store_capacity_at the longest
  // rollout length reached within planned_steps (k_max if 0).
  static int model_store_capacity(const TrainerConfig& config);
  // Transitions the real store holds: min(replay_capacity, planned_steps).
  static int real_store_capacity(const TrainerConfig& config);

  // One env step and its updates; never allocates.
  Status step(TrainerProgress* progress);
  // Mean return of deterministic episodes on the evaluation env.
  Status evaluate(int episodes, Scalar* mean_return);

  // Start from logged data (dataset.hpp), before the first step: append the
  // verified transitions to the real store (policy epoch 0) and, for the
  // model-based algorithms, run a model round at once so that SAC's first
  // updates already see model data. Nothing is stored on any error.
  Status load_dataset(const void* bytes, std::size_t size, const char* expected_env, int* loaded);

  // Everything step() and evaluate() depend on, for checkpoints (see
  // checkpoint.hpp): counters, generators, the current observation and env
  // state, SAC, both stores, the ensemble, the backup M1 and the mixture.
  // save_state visits to copy out. load_state visits to copy in and then
  // restores the env's episode (or starts a new one when the env cannot save
  // its state); if it fails the trainer refuses to step or load again until
  // init again.
  Status save_state(StateVisitor& visitor);
  Status load_state(StateVisitor& visitor);
  Env& env() { return *env_; }

  const TrainerConfig& config() const { return config_; }
  const TrainerProgress& progress() const { return progress_; }
  Sac& sac() { return sac_; }
  ReplayStore& real_store() { return real_; }
  ReplayStore& model_store() { return model_store_; }
  GaussianEnsemble& model() { return model_; }
  // The real store's slots of the (s, a) pairs the last phase 2 validated on
  // (in W2Batch::slots), drawn from phase 1's holdout split, with their fixed
  // member draws (n = 0 until this trainer ran a phase 2 since init or load_state).
  W2Batch phase_two_validation() const {
    return W2Batch{nullptr, nullptr, val_k1_, val_k2_, val_count_, nullptr, val_slots_};
  }
  Rng& rng() { return rng_; }
  // The stores' device mirrors SAC gathers its minibatches from (issue 15;
  // the stores themselves where the device is the host). Current after each
  // step that trained the agent.
  DeviceStoreMirror& real_mirror() { return real_mirror_; }
  DeviceStoreMirror& model_mirror() { return model_mirror_; }

 private:
  Status place(const TrainerConfig& config, int obs_dim, int act_dim, int env_state_size, Arena& arena);
  // check_config and bytes_needed: the whole size, or why there is none.
  static Status measure(const TrainerConfig& config, const Env& env, std::size_t* bytes);
  Status start_episode();
  Status train_agent();
  Status model_round();
  // count real slots, uniformly or by the PMAC weights.
  Status sample_real(int count, int* slots);
  void visit_state(StateVisitor& visitor);
  double now() const { return config_.clock ? config_.clock() : 0.0; }

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
  // Block-ahead SAC updates (issue 15): one upload of all G updates' slots and
  // noise per env step, batches gathered on the device from the mirrors.
  SacUpdateBlock update_block_;
  DeviceStoreMirror real_mirror_;
  DeviceStoreMirror model_mirror_;  // placed for the model-based algorithms only
  // MBPO family.
  GaussianEnsemble model_;
  W2FineTune w2_;
  PolicyMixture mixture_;
  Rollouts rollouts_;
  RolloutShape rollout_shape() const;  // of config_ (after place set the model's dims)
  ReplayStore model_store_;
  int* model_slots_ = nullptr;    // (replay_capacity) training set of a model round
  int* start_slots_ = nullptr;    // (rollout_batch) rollout starts
  int* val_slots_ = nullptr;      // (w2.batch) real slots of phase 2's validation pairs (phase 1's holdout)
  int* val_k1_ = nullptr;         // (w2.batch) fixed member draws of the validation set
  int* val_k2_ = nullptr;
  int val_count_ = 0;             // validation pairs drawn (not state: redrawn every round)
  std::int32_t policy_epoch_ = -1;
  double* env_state_ = nullptr;   // (env.state_size()) checkpoint copy of the episode
  int env_state_size_ = 0;
  bool usable_ = false;           // init succeeded and no load_state failed since
};

}  // namespace usbpo
