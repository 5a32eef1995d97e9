// Sac: soft actor-critic with a tanh-Gaussian actor, twin critics (an
// ensemble of 2), Polyak-averaged target critics and a learned temperature
// (Haarnoja et al. 2018, as configured in MBPO). Actions live in [-1, 1]^act_dim;
// scaling to the env's bounds is the caller's (see action_scaling.hpp).
//
// Sac runs on a Backend (nn/backend.hpp): every number it learns with
// (networks, gradients, Adam moments and steps, temperature, batches,
// workspaces, losses) lives in the backend's device memory and changes only
// through the backend's ops. The host holds staging buffers (the minibatch the
// caller fills and the noise drawn from the host Rng, uploaded together once
// per update) and a mirror of the state for checkpoints and policy files
// (pull_state / push_state). On the CPU backend device memory is host memory:
// staging, mirror and device buffers are then the same memory and the
// transfers copy nothing. (The trainer instead gathers its minibatches on the
// device from the stores' mirrors, all G updates of an env step drawn a block
// ahead: agent/sac_update_block.hpp.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/parallel.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/nn/adam.hpp"
#include "usbpo/nn/backend.hpp"
#include "usbpo/nn/cpu_backend.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"

namespace usbpo {

struct SacConfig {
  int obs_dim = 0;
  int act_dim = 0;
  int hidden_layers = 2;
  int hidden_width = 256;
  Activation activation = Activation::kRelu;
  Scalar actor_lr = 3e-4f;
  Scalar critic_lr = 3e-4f;
  Scalar alpha_lr = 3e-4f;
  Scalar gamma = 0.99f;
  Scalar tau = 5e-3f;
  Scalar target_entropy = 0;   // set per task (MBPO's table); 0 means -act_dim
  Scalar initial_alpha = 1.0f; // MBPO: log alpha starts at 0
  bool learn_alpha = true;
  int batch = 256;
  Scalar log_std_min = -20.0f;
  Scalar log_std_max = 2.0f;
};

// A training minibatch in column-major buffers owned by Sac (host staging).
struct SacBatch {
  Scalar* obs = nullptr;       // (obs_dim x batch)
  Scalar* act = nullptr;       // (act_dim x batch), in [-1, 1]
  Scalar* reward = nullptr;    // (batch)
  Scalar* next_obs = nullptr;  // (obs_dim x batch)
  Scalar* not_done = nullptr;  // (batch): 0 after a true terminal, else 1
};

// Losses and statistics of one update.
struct SacStats {
  Scalar critic_loss = 0;  // sum over both critics of 0.5 mean (Q - y)^2
  Scalar actor_loss = 0;   // mean(alpha log pi - min Q)
  Scalar alpha_loss = 0;   // -mean(log alpha (log pi + target entropy))
  Scalar alpha = 0;
  Scalar entropy = 0;      // -mean log pi
  Scalar q_mean = 0;
};

class Sac {
 public:
  Sac() = default;
  Sac(const Sac&) = delete;
  Sac& operator=(const Sac&) = delete;

  // Validate, carve all networks, targets, optimisers and workspaces; weights
  // Glorot-uniform, biases 0 (softlearning's), targets equal to the critics.
  // On an internal CPU backend whose device memory is `arena` (bytes_needed).
  Status init(const SacConfig& config, Arena& arena, Rng& rng);
  // The same on `backend` (not owned; must outlive this Sac): device state
  // from backend.device_arena() (device_bytes_needed, reserved by the caller),
  // host staging and mirror from host_arena (host_bytes_needed).
  Status init(const SacConfig& config, Backend& backend, Arena& host_arena, Rng& rng);
  // Bytes init takes on the internal CPU backend (host and device memory are
  // the same arena); 0 for an invalid configuration or one whose size
  // overflows size_t. It is host_bytes_needed(config, true) + device_bytes_needed(config).
  static std::size_t bytes_needed(const SacConfig& config);
  // Device bytes of init on a backend; host bytes (staging and the state
  // mirror unless the backend's device memory is host memory). 0 as above.
  static std::size_t device_bytes_needed(const SacConfig& config);
  static std::size_t host_bytes_needed(const SacConfig& config, bool device_is_host);
  // Why a configuration is invalid (ok when init would accept it).
  static Status check_config(const SacConfig& config);
  // Cut updates and batched acting into tasks for runner (null: run here);
  // the results do not depend on it. Only for the internal CPU backend (a
  // backend given to init runs its ops its own way).
  void set_runner(TaskRunner* runner) { own_backend_.set_runner(runner); }
  // The backend SAC runs on (its own CPU backend unless init was given one).
  Backend& backend() { return *backend_; }

  // Action for one observation (obs_dim) into action (act_dim) in [-1, 1]:
  // tanh(mean) when deterministic, else a tanh-Gaussian sample from rng.
  // Rejects non-finite observations; never allocates. One upload (the
  // observation and the noise) and one download (the action).
  Status act(const Scalar* obs, Scalar* action, bool deterministic, Rng* rng);
  // Actions for count observations (obs_dim x count), processed in batch-sized
  // chunks (one upload and one download each).
  Status act_batch(const Scalar* obs, int count, Scalar* actions, bool deterministic, Rng* rng);
  // act_batch's stochastic path in two halves, for callers whose states are in
  // device memory (model rollouts): draw_act_noise draws the count (act_dim x
  // count) normals act_batch would draw, in its order; enqueue_act then runs
  // the actor on obs (device, obs_dim x count) with that noise (device) into
  // actions (device), in act_batch's batch-sized chunks, with no transfer.
  static void draw_act_noise(Rng& rng, int act_dim, int count, Scalar* eps);
  void enqueue_act(const Scalar* obs, int count, const Scalar* eps, Scalar* actions);

  // The minibatch buffers the next update() reads (host staging); fill them, then call update().
  SacBatch& batch() { return batch_; }
  // One critic, actor and temperature step on batch(), all three gradients
  // taken at the parameters before the step (MBPO's single graph step), then
  // Polyak targets. Noise comes from rng (the next-state sample's, then the
  // actor's); batch and noise go to the device in one upload. Statistics stay
  // on the device unless stats is non-null: then they are downloaded (one
  // download) and a non-finite temperature is reported as an error.
  Status update(Rng& rng, SacStats* stats);
  // update() in its parts: draw the noise and upload it with batch() (one
  // upload); then the update's ops on what was uploaded (captured as graph
  // kGraphSlot on the first call when the backend has graphs, replayed after);
  // then the statistics of the last update (one download; kNonFinite for a
  // non-finite temperature).
  void upload_batch(Rng& rng);
  // One update's noise in the order the host Rng always draws it: `count`
  // (act_dim x batch) into eps_next (the next-state sample's), then into eps_actor.
  static void draw_update_noise(Rng& rng, std::size_t count, Scalar* eps_next, Scalar* eps_actor);
  Status run_update();
  Status read_stats(SacStats* stats);
  // The ops of one update on the uploaded batch and noise, enqueued directly
  // (what run_update captures; a test may capture them itself).
  void enqueue_update_ops();
  // Graph slot of the backend that run_update captures into.
  static constexpr int kGraphSlot = 0;

  // ---- Block-ahead updates (issue 15; agent/sac_update_block.hpp) ----------
  // The device minibatch and noise blocks enqueue_update_ops() reads (where
  // Backend::gather_sac_batch writes them instead of upload_batch()).
  SacBatchColumns device_batch_columns() const;

  // Losses for gradient tests: fixed noise eps (act_dim x batch) instead of rng.
  // critic_loss writes critic gradients, actor_loss actor gradients and the
  // temperature gradient; both upload the current batch() with the noise and
  // use the current parameters. Not for hot loops (each transfers).
  Scalar critic_loss(const Scalar* next_eps, bool with_gradients);
  Scalar actor_loss(const Scalar* eps, bool with_gradients, Scalar* mean_log_pi);
  // d/d log_alpha of the temperature loss for a given mean log pi, at the
  // host mirror's log alpha.
  Scalar alpha_loss(Scalar mean_log_pi, Scalar* gradient) const;
  // The steps of update() one by one: Adam on the critics, on the actor and
  // on the temperature with the gradients in device memory; Polyak targets.
  void step_critics();
  void step_actor();
  void step_temperature();
  void update_targets();

  const SacConfig& config() const { return config_; }
  const EnsembleMlp& actor_network() const { return actor_net_; }
  const EnsembleMlp& critic_network() const { return critic_net_; }
  // The host mirror of the state: current after pull_state(); after writing
  // it, push_state() sends it to the device. (On the CPU backend the mirror is
  // the state itself.)
  void pull_state();
  void push_state();
  Scalar* actor_params() { return mirror_.actor; }
  Scalar* critic_params() { return mirror_.critics; }
  Scalar* target_critic_params() { return mirror_.targets; }
  Scalar& log_alpha() { return mirror_scalars_->log_alpha; }
  // Gradients of the last critic_loss / actor_loss / update, in device memory.
  const Scalar* device_actor_grads() const { return actor_grads_; }
  const Scalar* device_critic_grads() const { return critic_grads_; }
  // The current temperature (downloads it).
  Scalar alpha();
  Scalar target_entropy() const { return target_entropy_; }
  // Networks, targets, temperature and the three optimisers' moments and
  // steps, as the host mirror holds them (pull_state first when saving,
  // push_state after loading).
  void visit_state(StateVisitor& v);

 private:
  // copy(device, mirror, bytes) for every part of the state, in a fixed order.
  template <typename Copy>
  void for_each_state_part(Copy&& copy);
  // Scalars of the device state and the statistics of the last update, in one
  // device block (downloaded at once).
  struct Scalars {
    double critic_loss = 0, q_sum = 0, actor_loss = 0, sum_log_pi = 0, alpha_loss = 0;
    std::int64_t actor_step = 0, critic_step = 0, alpha_step = 0;
    Scalar log_alpha = 0;
    Scalar alpha_grad = 0;
  };
  // The state a checkpoint holds (device buffers, or their host mirror).
  struct State {
    Scalar* actor = nullptr;     // (actor params)
    Scalar* critics = nullptr;   // (critic params)
    Scalar* targets = nullptr;   // (critic params)
    Scalar* actor_m = nullptr;   // Adam moments, (actor params) each
    Scalar* actor_v = nullptr;
    Scalar* critic_m = nullptr;  // (critic params) each
    Scalar* critic_v = nullptr;
    Scalar* alpha_m = nullptr;   // (1) each
    Scalar* alpha_v = nullptr;
  };
  // The minibatch, its noise and the acting inputs: one block each, laid out
  // alike on the host (staging) and on the device.
  struct BatchBlock {
    Scalar* base = nullptr;
    SacBatch batch;
    Scalar* eps_next = nullptr;   // (act_dim x batch) the next-state sample's noise
    Scalar* eps_actor = nullptr;  // (act_dim x batch) the actor sample's noise
  };

  Status place(const SacConfig& config, Arena& host, Arena& device, bool device_is_host);
  // Place one batch block (batch_floats_ floats) into `arena`.
  void place_batch_block(Arena& arena, BatchBlock* block) const;
  // The critic's and the actor's halves of the update on the uploaded block.
  void enqueue_critic_ops(bool with_gradients);
  void enqueue_actor_ops(bool with_gradients);
  // Download the scalars into host_scalars_.
  void download_scalars();
  // First float of the acting noise for a chunk of n observations.
  std::size_t act_eps_offset(int n) const;

  SacConfig config_;
  Scalar target_entropy_ = 0;
  EnsembleMlp actor_net_;   // obs -> [mean, log_std] (2 act_dim)
  EnsembleMlp critic_net_;  // [obs; act] -> Q, 2 members
  CpuBackend own_backend_;
  Backend* backend_ = nullptr;
  AdamConfig actor_adam_, critic_adam_, alpha_adam_;
  // Device.
  State device_;
  Scalar* actor_grads_ = nullptr;
  Scalar* critic_grads_ = nullptr;
  Scalars* scalars_ = nullptr;
  MlpWorkspace actor_ws_;   // batch columns
  MlpWorkspace critic_ws_;  // batch columns, with input gradients
  MlpWorkspace target_ws_;  // batch columns
  BatchBlock device_batch_;
  Scalar* critic_in_ = nullptr;  // ([obs; act] x batch)
  Scalar* pi_act_ = nullptr;     // (act_dim x batch) sampled actions, then dQ/da
  Scalar* log_pi_ = nullptr;     // (batch)
  Scalar* target_y_ = nullptr;   // (batch)
  int* argmin_ = nullptr;        // (batch) critic holding min Q
  Scalar* act_in_ = nullptr;     // acting: observations (obs_dim x n), then noise (act_dim x n)
  Scalar* act_out_ = nullptr;    // (act_dim x batch) actions
  // Host (the same memory as the device's on a backend whose device is the host).
  BatchBlock staging_;
  SacBatch batch_;               // staging_.batch
  Scalar* act_staging_ = nullptr;
  State mirror_;
  Scalars* mirror_scalars_ = nullptr;  // &host_mirror_scalars_, or scalars_
  Scalars host_mirror_scalars_;
  Scalars host_scalars_;               // the last download_scalars()
  std::size_t batch_floats_ = 0;       // floats of a batch block
  std::size_t act_floats_ = 0;         // floats of act_in_
  enum class Graph : std::uint8_t { kUntried, kCaptured, kNone };
  Graph graph_ = Graph::kUntried;
};

}  // namespace usbpo
