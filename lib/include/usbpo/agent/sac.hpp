// Sac: soft actor-critic with a tanh-Gaussian actor, twin critics (an
// ensemble of 2), Polyak-averaged target critics and a learned temperature
// (Haarnoja et al. 2018, as configured in MBPO). Actions live in [-1, 1]^act_dim;
// scaling to the env's bounds is the caller's (see action_scaling.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/parallel.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/nn/adam.hpp"
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

// A training minibatch in column-major buffers owned by Sac.
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
  // Validate, carve all networks, targets, optimisers and workspaces; weights
  // Glorot-uniform, biases 0 (softlearning's), targets equal to the critics.
  Status init(const SacConfig& config, Arena& arena, Rng& rng);
  // Bytes init takes; 0 for an invalid configuration or one whose size overflows size_t.
  static std::size_t bytes_needed(const SacConfig& config);
  // Why a configuration is invalid (ok when init would accept it).
  static Status check_config(const SacConfig& config);
  // Cut updates and batched acting into tasks for runner (null: run here);
  // the results do not depend on it.
  void set_runner(TaskRunner* runner) {
    runner_ = runner;
    actor_adam_.set_runner(runner);
    critic_adam_.set_runner(runner);
  }

  // Action for one observation (obs_dim) into action (act_dim) in [-1, 1]:
  // tanh(mean) when deterministic, else a tanh-Gaussian sample from rng.
  // Rejects non-finite observations; never allocates.
  Status act(const Scalar* obs, Scalar* action, bool deterministic, Rng* rng);
  // Actions for count observations (obs_dim x count), processed in batch-sized chunks.
  Status act_batch(const Scalar* obs, int count, Scalar* actions, bool deterministic, Rng* rng);

  // The minibatch buffers the next update() reads; fill them, then call update().
  SacBatch& batch() { return batch_; }
  // One critic, actor and temperature step on batch(), all three gradients
  // taken at the parameters before the step (MBPO's single graph step), then
  // Polyak targets.
  Status update(Rng& rng, SacStats* stats);
  // The parts of update(): critic, actor and temperature gradients at the
  // current parameters (noise drawn from rng: next-state sample, then the
  // actor's sample); the three Adam steps; Polyak averaging of the targets.
  void compute_gradients(Rng& rng, SacStats* stats);
  void apply_gradients(SacStats* stats);
  void update_targets();

  // Losses for gradient tests: fixed noise eps (act_dim x batch) instead of rng.
  // critic_loss writes critic gradients, actor_loss actor gradients; both use
  // the current batch() and the current parameters.
  Scalar critic_loss(const Scalar* next_eps, bool with_gradients);
  Scalar actor_loss(const Scalar* eps, bool with_gradients, Scalar* mean_log_pi);
  // d/d log_alpha of the temperature loss for a given mean log pi.
  Scalar alpha_loss(Scalar mean_log_pi, Scalar* gradient) const;

  const SacConfig& config() const { return config_; }
  const EnsembleMlp& actor_network() const { return actor_net_; }
  const EnsembleMlp& critic_network() const { return critic_net_; }
  Scalar* actor_params() { return actor_params_; }
  Scalar* actor_grads() { return actor_grads_; }
  Scalar* critic_params() { return critic_params_; }
  Scalar* critic_grads() { return critic_grads_; }
  Scalar* target_critic_params() { return target_params_; }
  Adam& actor_optimizer() { return actor_adam_; }
  Adam& critic_optimizer() { return critic_adam_; }
  Adam& alpha_optimizer() { return alpha_adam_; }
  Scalar& log_alpha() { return log_alpha_[0]; }
  Scalar alpha() const;
  Scalar target_entropy() const { return target_entropy_; }
  // Networks, targets, temperature and the three optimisers.
  void visit_state(StateVisitor& v) {
    v.value("sac", "actor", actor_params_, actor_net_.total_params());
    v.value("sac", "critics", critic_params_, critic_net_.total_params());
    v.value("sac", "target_critics", target_params_, critic_net_.total_params());
    v.value("sac", "log_alpha", log_alpha_);
    actor_adam_.visit_state(v, "sac/actor_adam");
    critic_adam_.visit_state(v, "sac/critic_adam");
    alpha_adam_.visit_state(v, "sac/alpha_adam");
  }

 private:
  Status place(const SacConfig& config, Arena& arena);
  // Tanh-Gaussian sample for columns [0, n) of the actor output in actor_ws_:
  // pre-tanh u, action a, per-sample log pi; eps (act_dim x n).
  void squash(int n, const Scalar* eps, Scalar* action, Scalar* log_pi) const;

  SacConfig config_;
  Scalar target_entropy_ = 0;
  EnsembleMlp actor_net_;   // obs -> [mean, log_std] (2 act_dim)
  EnsembleMlp critic_net_;  // [obs; act] -> Q, 2 members
  Scalar* actor_params_ = nullptr;
  Scalar* actor_grads_ = nullptr;
  Scalar* critic_params_ = nullptr;
  Scalar* critic_grads_ = nullptr;
  Scalar* target_params_ = nullptr;
  Scalar* log_alpha_ = nullptr;
  Scalar* alpha_grad_ = nullptr;
  Adam actor_adam_, critic_adam_, alpha_adam_;
  MlpWorkspace actor_ws_;   // batch columns
  MlpWorkspace critic_ws_;  // batch columns, with input gradients
  MlpWorkspace target_ws_;  // batch columns
  SacBatch batch_;
  Scalar* critic_in_ = nullptr;  // ([obs; act] x batch)
  Scalar* eps_ = nullptr;        // (act_dim x batch)
  Scalar* pi_act_ = nullptr;     // (act_dim x batch)
  Scalar* log_pi_ = nullptr;     // (batch)
  Scalar* target_y_ = nullptr;   // (batch)
  int* argmin_ = nullptr;        // (batch) critic holding min Q
  TaskRunner* runner_ = nullptr;
};

}  // namespace usbpo
