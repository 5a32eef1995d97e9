// GaussianEnsemble: MBPO's bootstrap ensemble of probabilistic networks.
//
// Each member maps normalised (obs, act) to the mean and the raw log-variance
// of y = [reward, next_obs - obs]; the log-variance is soft-clamped between
// learned bounds. Trained by maximum likelihood with bootstrap resamples,
// a holdout split, early stopping and elite selection (DESIGN.md section 4).
//
// Training (MLE) runs on a Backend (nn/backend.hpp) the way Sac does: the
// parameters with the log-variance bounds, gradients, Adam's moments and step,
// the best snapshots, the normaliser's mean and std, the network workspace and
// the minibatches live in the backend's device memory and change only through
// its ops. The host keeps the Rng and its draw order (split, bootstrap,
// shuffles), the normaliser fit (the data are on the host), early stopping and
// elite ranking. Training data stay in the host's replay store this round: each
// minibatch (all members) and each holdout batch is gathered on the host and
// uploaded as one block; the per-member holdout errors are downloaded once per
// epoch, the parameters and the last loss once per round. The host holds a
// mirror of the parameters (current after train() and phase 2; sample() and
// predict_member() use it: rollouts stay on the host) and of Adam's state
// (after pull_state(), for checkpoints). Phase 2 (W2FineTune) works on the
// device parameters directly. On the CPU backend device memory is host memory: mirror and
// device buffers are then the same memory and the transfers are no-ops.
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
#include "usbpo/nn/normalizer.hpp"

namespace usbpo {

struct EnsembleConfig {
  int obs_dim = 0;
  int act_dim = 0;
  int members = 7;            // B
  int elites = 5;
  int hidden_layers = 4;
  int hidden_width = 200;     // Humanoid 400
  Activation activation = Activation::kSwish;
  Scalar learning_rate = 1e-3f;
  int batch = 256;            // per member
  // L2 decay per layer (hidden..., output), MBPO's values for 4 hidden layers;
  // with other depths the last value repeats.
  Scalar weight_decays[EnsembleMlp::kMaxLayers] = {2.5e-5f, 5e-5f, 7.5e-5f, 7.5e-5f, 1e-4f,
                                                   1e-4f, 1e-4f, 1e-4f, 1e-4f};
  Scalar logvar_bound_coef = 0.01f;  // 0.01 (sum max_lv - sum min_lv)
  Scalar max_logvar_init = 0.5f;
  Scalar min_logvar_init = -10.0f;
  int max_samples = 0;        // most transitions one training round may be given
  Scalar holdout_ratio = 0.2f;
  int max_holdout = 5000;
  int patience = 5;           // stop once more than this many epochs in a row had no member
                              // improve by > improvement_threshold (MBPO: the 6th such epoch)
  Scalar improvement_threshold = 0.01f;
  int max_epochs = 0;         // 0: no cap (MBPO)
  int predict_chunk = 4096;   // samples per forward pass in sample()
};

// Column views of transitions: column i of each array is transition i.
struct TransitionView {
  const Scalar* obs = nullptr;       // (obs_dim x n)
  const Scalar* act = nullptr;       // (act_dim x n)
  const Scalar* reward = nullptr;    // (n)
  const Scalar* next_obs = nullptr;  // (obs_dim x n)
};

// What one training round did.
struct EnsembleTrainReport {
  int epochs = 0;
  int gradient_steps = 0;
  int train_size = 0;
  int holdout_size = 0;
  Scalar mean_holdout_mse = 0;   // over elites, after restoring the best
  Scalar last_train_loss = 0;    // total loss of the last minibatch
};

class GaussianEnsemble {
 public:
  // Validate and carve parameters, optimiser and workspaces from the arena
  // (an internal CPU backend whose device memory is the arena); weights are
  // initialised from rng (MBPO's truncated normal).
  Status init(const EnsembleConfig& config, Arena& arena, Rng& rng);
  // The same on `backend` (not owned; must outlive this ensemble): device state
  // from backend.device_arena() (device_bytes_needed, reserved by the caller),
  // host side (mirror, staging, rollout buffers) from host_arena (host_bytes_needed).
  Status init(const EnsembleConfig& config, Backend& backend, Arena& host_arena, Rng& rng);
  // Bytes init takes on the internal CPU backend; 0 for an invalid
  // configuration or one whose size overflows size_t.
  static std::size_t bytes_needed(const EnsembleConfig& config);
  // Device bytes of init on a backend, and its host bytes (without the
  // mirror and staging where device memory is host memory). 0 as above.
  // (device_is_host: what the device arena of a host-memory backend takes,
  // where host buffers double as device ones.)
  static std::size_t device_bytes_needed(const EnsembleConfig& config, bool device_is_host = false);
  static std::size_t host_bytes_needed(const EnsembleConfig& config, bool device_is_host);
  // Why a configuration is invalid (ok when init would accept it).
  static Status check_config(const EnsembleConfig& config);
  // Cut training and prediction into tasks for runner (null: run here), by
  // member and by sample range; the results do not depend on it. Training uses
  // it only on the internal CPU backend (a backend given to init runs its ops its own way).
  void set_runner(TaskRunner* runner) {
    runner_ = runner;
    adam_.set_runner(runner);
    own_backend_.set_runner(runner);
  }
  // The backend training runs on (the internal CPU backend unless init was given one).
  Backend& backend() { return *backend_; }
  // Host mirror <-> device: pull_state downloads parameters, Adam's moments and
  // step (before saving a checkpoint); push_state uploads them and the
  // normaliser (after loading one); push_params uploads the parameters only
  // (after the host changed the mirror). No-ops where device memory is host memory.
  void pull_state();
  void push_state();
  void push_params();
  // Downloads the parameters into the mirror (phase 2 does after changing them on the device).
  void pull_params();
  // The device's parameters (same layout as params()) and normaliser mean and
  // std, for ops of other components on the same backend (phase 2).
  Scalar* device_params() { return device_params_; }
  const Scalar* device_normalizer_mean() const { return norm_mean_; }
  const Scalar* device_normalizer_std() const { return norm_std_; }

  // One MBPO training round on transitions data[slots[i]], i < count: refit the
  // normaliser on the training split, bootstrap per member, train until the
  // holdout MSE stops improving, restore each member's best, pick elites.
  Status train(const TransitionView& data, const int* slots, int count, Rng& rng,
               EnsembleTrainReport* report);
  // Train from a replay store's device mirror (issue 15; columns stay valid
  // and must be current, e.g. DeviceStoreMirror::columns() after sync(), at
  // each train()): train() then uploads the round's slot order once and each
  // epoch's bootstrap order once, and gathers minibatches and holdout batches
  // and fits the normaliser on the device (the same numbers as the host path,
  // bit for bit on the CPU); the TransitionView it is given is not read.
  void set_device_data(const StoreColumns& columns);
  // Re-rank the elites on the last train()'s holdout split (from the device
  // mirror after set_device_data); returns the elites' mean MSE.
  Scalar rank_elites_on_holdout();
  // The last train()'s holdout split: holdout_size() slots of the data it was
  // given, none of which it trained on. Valid until the next train().
  const int* holdout_slots() const { return order_; }
  int holdout_size() const { return holdout_size_; }

  // Rollout step: for each of count samples pick one elite uniformly and draw
  // y ~ N(mu, exp(lv)); next_obs = obs + y[1:], reward = y[0].
  // obs (obs_dim x count), act (act_dim x count), outputs alike; no allocation.
  Status sample(const Scalar* obs, const Scalar* act, int count, Rng& rng, Scalar* next_obs,
                Scalar* reward);

  // sample() on the backend, for states in device memory (model rollouts),
  // in two halves. draw_rollout (host) draws what sample() would draw for
  // count samples, in its order: index (count) lists the samples grouped by
  // chunk of predict_chunk, then by elite; group_sizes (rollout_groups(count))
  // the size of each group; noise (out_dim x count) each sample's normals.
  // enqueue_rollout then runs, with no transfer, on device memory: obs, act,
  // index and noise as drawn (uploaded), inputs (input_dim x count) scratch,
  // next_obs and reward the draws (the results equal sample()'s bit for bit on
  // the CPU backend). group_sizes is the host array draw_rollout filled.
  int rollout_groups(int count) const;
  void draw_rollout(int count, Rng& rng, int* index, int* group_sizes, Scalar* noise);
  void enqueue_rollout(const Scalar* obs, const Scalar* act, int count, const int* index, const int* group_sizes,
                       const Scalar* noise, Scalar* inputs, Scalar* next_obs, Scalar* reward);

  // Mean and clamped log-variance of member b for count inputs:
  // mean, logvar (out_dim x count), out_dim = obs_dim + 1. Chunked, no allocation.
  Status predict_member(int member, const Scalar* obs, const Scalar* act, int count, Scalar* mean,
                        Scalar* logvar);

  // Loss of one minibatch, MBPO's objective: sum over members of
  // mean((mu - y)^2 e^-lv) + mean(lv), plus weight decay and
  // coef (sum max_lv - sum min_lv). inputs: normalised, (in_dim x batch) per
  // member, member stride in_dim * batch; targets (out_dim x batch) per member;
  // both in device memory (any memory on the internal CPU backend). Writes
  // d loss / d params into gradients() (device) when with_gradients; one
  // download (the loss).
  Scalar batch_loss(const Scalar* inputs, const Scalar* targets, int batch, bool with_gradients);
  // One MLE gradient step as train() takes it: batch_loss with gradients,
  // then Adam, on a minibatch already in device memory; no transfer (the
  // loss stays on the device). For timing the device's step.
  void mle_step(const Scalar* inputs, const Scalar* targets, int batch);

  // Mean squared error of the mean prediction, per member, on count
  // transitions (device parameters; one upload per batch, one download).
  void holdout_mse(const TransitionView& data, const int* slots, int count, Scalar* mse_per_member);
  // Re-rank members by mse and keep the best `elites` as elites.
  void select_elites(const Scalar* mse_per_member);
  // holdout_mse on count transitions into last_holdout_mse(), then
  // select_elites by it; returns the elites' mean MSE.
  Scalar rank_elites(const TransitionView& data, const int* slots, int count);

  const EnsembleConfig& config() const { return config_; }
  const EnsembleMlp& network() const { return net_; }
  int input_dim() const { return config_.obs_dim + config_.act_dim; }
  int output_dim() const { return config_.obs_dim + 1; }
  // Flat parameters (host mirror): the MLP block, then max_lv (out_dim), then min_lv (out_dim).
  Scalar* params() { return params_; }
  const Scalar* params() const { return params_; }
  std::size_t param_count() const { return param_count_; }
  // Gradients of the last batch_loss, in device memory.
  Scalar* gradients() { return grads_; }
  Scalar* max_logvar() { return params_ + net_.total_params(); }
  Scalar* min_logvar() { return params_ + net_.total_params() + output_dim(); }
  // The normaliser (host; uploaded by train and push_state).
  Normalizer& normalizer() { return normalizer_; }
  const Normalizer& normalizer() const { return normalizer_; }
  // Adam's host mirror (its moments and step are the device's on the internal CPU backend).
  Adam& optimizer() { return adam_; }
  const int* elite_indices() const { return elites_; }
  int elite_count() const { return config_.elites; }
  const Scalar* last_holdout_mse() const { return holdout_mse_; }
  // Bytes of scratch needed beyond parameters (for reports).
  std::size_t workspace_bytes() const { return workspace_bytes_; }
  // Weights and log-variance bounds, normaliser, optimiser, elites (the host
  // mirror: pull_state before saving, push_state after loading).
  void visit_state(StateVisitor& v) {
    v.value("model", "params", params_, param_count_);
    normalizer_.visit_state(v, "model/normalizer");
    adam_.visit_state(v, "model/adam");
    v.value("model", "elites", elites_, static_cast<std::size_t>(config_.elites));
    v.value("model", "holdout_mse", holdout_mse_, static_cast<std::size_t>(config_.members));
    for (int e = 0; e < config_.elites; ++e) {
      if (!v.check(elites_[e] >= 0 && elites_[e] < config_.members, "model", "elite index in range")) return;
    }
  }

 private:
  Status validate(const EnsembleConfig& config) const;
  Status place(const EnsembleConfig& config, Arena& host, Arena& device, bool device_is_host);
  // Raw columns (obs, act, reward, next_obs) of slots into a staging block.
  void gather_raw(const TransitionView& data, const int* slots, int batch, Scalar* raw) const;
  // Raw columns of `members` blocks of n transitions into the device batch
  // buffers as normalised inputs and targets: member b's slots at
  // device_slots + b stride, gathered on the device from the device data, or
  // where device_slots is null at host_slots + b stride, gathered here and uploaded.
  void stage_batch(const TransitionView& data, const int* host_slots, const int* device_slots, std::size_t stride,
                   int members, int n);
  // holdout_mse on device slots (null: on host slots), as stage_batch.
  void holdout_errors(const TransitionView& data, const int* host_slots, const int* device_slots, int count,
                      Scalar* mse);
  // holdout_errors into last_holdout_mse(), then select_elites; the elites' mean MSE.
  Scalar rank_by_holdout(const TransitionView& data, const int* host_slots, const int* device_slots, int count);
  // Downloads the normaliser into the host mirror after a fit on the device.
  void refresh_normalizer_mirror();
  // batch_loss without downloading the loss (left in device memory).
  void enqueue_batch_loss(const Scalar* inputs, const Scalar* targets, int batch, bool with_gradients);
  // Soft clamp of the raw log-variance rows of an output block (2 out_dim x n).
  void clamp_logvar(const Scalar* raw_output, int n, Scalar* logvar) const;

  CpuBackend own_backend_;
  Backend* backend_ = nullptr;
  EnsembleConfig config_;
  EnsembleMlp net_;
  Normalizer normalizer_;
  Adam adam_;
  // Device.
  MlpWorkspace train_ws_;    // all members, config.batch columns
  Scalar* device_params_ = nullptr;
  Scalar* grads_ = nullptr;
  Scalar* best_params_ = nullptr;   // per-member snapshots (MLP block)
  Scalar* adam_m_ = nullptr;
  Scalar* adam_v_ = nullptr;
  std::int64_t* adam_step_ = nullptr;
  Scalar* norm_mean_ = nullptr;     // (in_dim) the normaliser's mean and std
  Scalar* norm_std_ = nullptr;
  Scalar* norm_inv_std_ = nullptr;  // (in_dim) 1 / std (the host mirror's; written by normalizer_fit)
  int* device_order_ = nullptr;     // (max_samples) the round's slot order (order_ on the CPU)
  int* device_bootstrap_ = nullptr; // (max_samples x members) the epoch's bootstrap order (bootstrap_ on the CPU)
  StoreColumns device_data_;        // set_device_data's columns
  bool has_device_data_ = false;
  bool normalizer_stale_ = false;   // the host normaliser is behind the device's fit
  TransitionView last_data_;        // the last train()'s host data (rank_elites_on_holdout without device data)
  Scalar* raw_batch_ = nullptr;     // raw columns of a minibatch (raw width x batch) x members
  Scalar* batch_inputs_ = nullptr;  // (in_dim x batch) x members
  Scalar* batch_targets_ = nullptr; // (out_dim x batch) x members
  Scalar* loss_scratch_ = nullptr;  // 5 x (out_dim x batch) per member: loss terms
  std::size_t loss_scratch_stride_ = 0;  // floats between members' loss terms (64-byte multiple)
  double* member_loss_ = nullptr;   // (members)
  double* decay_terms_ = nullptr;   // (members x layers)
  double* loss_ = nullptr;          // (1) the last minibatch's loss
  double* error_sums_ = nullptr;    // (members) holdout squared errors
  // Host.
  MlpWorkspace predict_ws_;  // one member at a time, predict_chunk columns
  Scalar* params_ = nullptr;        // the parameters' mirror (the device's on the CPU backend)
  Scalar* raw_staging_ = nullptr;   // host side of raw_batch_
  double* host_error_sums_ = nullptr;  // (members)
  std::size_t param_count_ = 0;
  bool device_is_host_ = true;
  Scalar* chunk_noise_ = nullptr;   // (out_dim x predict_chunk) each sample's draws of one chunk (sample())
  Scalar* chunk_inputs_ = nullptr;  // (in_dim x predict_chunk)
  Scalar* chunk_logvar_ = nullptr;  // (out_dim x predict_chunk)
  int* chunk_index_ = nullptr;      // (predict_chunk) sample ids grouped by elite
  int* chosen_ = nullptr;           // (predict_chunk) chosen elite per sample
  int* chunk_groups_ = nullptr;     // (elites) draw_rollout's group sizes of one chunk (sample())
  // Device (the chunk buffers above where device memory is host memory):
  // enqueue_rollout's one-elite workspace, gathered inputs and log-variances.
  MlpWorkspace rollout_ws_;
  Scalar* rollout_inputs_ = nullptr;  // (in_dim x predict_chunk)
  Scalar* rollout_logvar_ = nullptr;  // (out_dim x predict_chunk)
  int* order_ = nullptr;            // (max_samples) permutation of the round's slots, holdout first
  int holdout_size_ = 0;            // of the last train()
  int* bootstrap_ = nullptr;        // (max_samples) x members
  Scalar* holdout_mse_ = nullptr;   // (members)
  Scalar* best_mse_ = nullptr;      // (members)
  int* elites_ = nullptr;           // (elites)
  std::size_t workspace_bytes_ = 0;
  TaskRunner* runner_ = nullptr;
};

}  // namespace usbpo
