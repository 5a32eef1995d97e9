// W2FineTune: USB-PO's phase 2 (Zhang et al. 2023). After the MLE update
// (phase 1) turned the backed-up model M1 into M2, fine-tune M2 by minimising
//   J = mean_i [ W2(M1^k1(x_i), M2^k2(x_i)) + 1/(B-1) sum_{b != k2} W2(M2^k2(x_i), M2^b(x_i)) ]
// (model shift + model bias, Eq. 3 with Eq. 11 per sample), k1, k2 drawn per
// sample from all B members, on (s, a) batches from the model store; validate
// J on fixed real pairs after every step, keep the best, stop once more than
// `patience` steps in a row brought no relative improvement, restore the best.
// One Adam for the whole run: its moments carry over from round to round, as
// in USB-PO's code.
//
// Phase 2 runs on the ensemble's backend (nn/backend.hpp) like phase 1: the
// backup M1, the gradients, Adam's moments and step, the workspace and the
// per-sample buffers live in device memory and change only through backend
// ops; M2 is the ensemble's device parameters. The host keeps the Rng (member
// draws), early stopping and the batches' sampling: each objective evaluation
// uploads its (s, a) columns and member draws (two uploads) and a validation
// downloads its J, shift and bias with the non-finite check of the step before
// (one download). The host mirror of M1 and of Adam's state is for checkpoints
// (pull_state / push_state). On a backend whose device memory is host memory
// everything lives in the host arena given to init.
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/state_visitor.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/nn/adam.hpp"

namespace usbpo {

struct W2FineTuneConfig {
  int batch = 1024;            // (s, a) pairs per step and in the validation set
  int max_steps = 100;
  int patience = 10;           // stop after more than this many steps without improvement (USB-PO: > 10)
  Scalar learning_rate = 1e-4f;  // separate Adam, no weight decay
  Scalar min_improvement = 1e-4f;  // relative
  Scalar eps = 1e-8f;          // inside the W2 square root
  bool use_shift = true;       // ablations (the paper's Figure 5)
  bool use_bias = true;
};

// Inputs of one objective evaluation: (s, a) columns and member draws.
// The pairs come either from host columns (obs, act: staged and uploaded) or,
// when store is set, from a replay store's device mirror (slots, host: only
// the slots travel, the pairs are gathered on the device).
struct W2Batch {
  const Scalar* obs = nullptr;  // (obs_dim x n)
  const Scalar* act = nullptr;  // (act_dim x n)
  const int* k1 = nullptr;      // (n) members of M1
  const int* k2 = nullptr;      // (n) members of M2
  int n = 0;
  const StoreColumns* store = nullptr;  // device columns of a store (DeviceStoreMirror::columns())
  const int* slots = nullptr;           // (n) the store's slots of the pairs
};

// What one phase 2 did (logged per model round).
struct W2Report {
  Scalar j_before = 0;  // validation J after phase 1
  Scalar j_after = 0;   // validation J of the restored best
  Scalar shift = 0;     // its shift term
  Scalar bias = 0;      // its bias term
  int steps = 0;        // gradient steps taken
  int best_step = 0;    // 0 when phase 1's model was kept
};

class W2FineTune {
 public:
  // Carve the backup M1, the optimiser and the workspace for `model`, on its
  // backend: device state from the backend's device arena (device_bytes_needed,
  // reserved by the caller) unless device memory is host memory, host side
  // from `arena` (host_bytes_needed; bytes_needed on a host-memory backend).
  Status init(const W2FineTuneConfig& config, GaussianEnsemble& model, Arena& arena);
  // Why `config` (with `model`) cannot be used, or ok.
  static Status check_config(const W2FineTuneConfig& config, const EnsembleConfig& model);
  // All of it in one arena (a backend whose device memory is host memory).
  static std::size_t bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model);
  // Device and host bytes on another backend (0 when invalid or overflowing).
  static std::size_t device_bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model);
  static std::size_t host_bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model,
                                       bool device_is_host);
  // Cut phase 2 into tasks for runner (null: run here), by member and by
  // sample range; the results do not depend on it.
  void set_runner(TaskRunner* runner) {
    runner_ = runner;
    adam_.set_runner(runner);
  }

  // Back up the whole ensemble (weights, log-variance bounds, normaliser) as
  // M1 (device to device).
  void backup(GaussianEnsemble& model);
  // Host mirror of M1 and Adam's state <-> device (before saving, after loading).
  void pull_state();
  void push_state();
  bool has_backup() const { return has_backup_; }

  // J on a batch for the current M2 (model); with gradients, dJ/dparams into
  // gradients() (param_count, device memory). shift/bias receive the two terms
  // when non-null. The batch is host memory (uploaded; one download).
  Scalar objective(GaussianEnsemble& model, const W2Batch& batch, bool with_gradients, Scalar* shift, Scalar* bias);

  // Phase 2: sample_batch fills training batches of `config.batch` (s, a) pairs
  // (from the model store); validation is fixed (real pairs phase 1 did not
  // train on). Restores the best parameters (in the model's device memory; its
  // host mirror is pulled at the end); the caller recomputes elites.
  // The optimiser continues from the last run (reset it with optimizer().reset()).
  template <typename SampleBatch>
  Status run(GaussianEnsemble& model, SampleBatch&& sample_batch, const W2Batch& validation, Rng& rng,
             W2Report* report);

  // Gradients of the last objective with gradients (device memory).
  Scalar* gradients() { return grads_; }
  const W2FineTuneConfig& config() const { return config_; }
  // Draw member indices for n samples (k1 and k2 uniformly from all B members).
  void draw_members(int n, Rng& rng, int* k1, int* k2) const;
  int* scratch_k1() { return k1_; }
  int* scratch_k2() { return k2_; }
  // Phase 2's Adam (moments carried across rounds; checkpointed by the trainer
  // when the algorithm runs phase 2): the host mirror, current after pull_state.
  Adam& optimizer() { return adam_; }
  // The backup M1 (its host mirror: pull_state before saving, push_state after loading).
  void visit_state(StateVisitor& v) {
    v.value("w2", "has_backup", &has_backup_);
    v.value("w2", "m1_params", m1_mirror_, param_count_);
    v.value("w2", "m1_mean", m1_mean_mirror_, static_cast<std::size_t>(in_));
    v.value("w2", "m1_std", m1_std_mirror_, static_cast<std::size_t>(in_));
  }

 private:
  Status place(const W2FineTuneConfig& config, const EnsembleConfig& model, Arena& host, Arena& device,
               bool device_is_host);
  Status step_once(GaussianEnsemble& model, const W2Batch& batch);
  Scalar validate(GaussianEnsemble& model, const W2Batch& validation, Scalar* shift, Scalar* bias);
  // The objective's ops, its J left in results_ (no download).
  void enqueue_objective(GaussianEnsemble& model, const W2Batch& batch, bool with_gradients);
  // Downloads results_: J, with shift and bias; *finite gets the check of the last step.
  Scalar download_results(Scalar* shift, Scalar* bias, bool* finite);
  // Copy the model's device parameters to best_ or back.
  void snapshot(GaussianEnsemble& model, bool restore);

  Backend* backend_ = nullptr;
  bool device_is_host_ = true;
  W2FineTuneConfig config_;
  EnsembleMlp net_;              // the model's shape (the workspace points to it)
  int members_ = 0, out_ = 0, in_ = 0, obs_dim_ = 0, act_dim_ = 0;
  std::size_t param_count_ = 0;
  Adam adam_;                    // host mirror (the device's on a host-memory backend)
  // Device.
  Scalar* adam_m_ = nullptr;
  Scalar* adam_v_ = nullptr;
  std::int64_t* adam_step_ = nullptr;
  MlpWorkspace ws_;              // all members, `batch` columns, shared input
  Scalar* m1_params_ = nullptr;  // (param_count) backup M1
  Scalar* m1_mean_ = nullptr;    // (in) M1's normaliser
  Scalar* m1_std_ = nullptr;
  Scalar* best_ = nullptr;       // (param_count)
  Scalar* grads_ = nullptr;      // (param_count)
  Scalar* raw_ = nullptr;        // (in x batch) the batch's [obs; act] columns
  int* draws_ = nullptr;         // (2 x batch) k1, then k2
  Scalar* inputs_ = nullptr;     // (in x batch)
  Scalar* p_mu_ = nullptr;       // (out x batch) M1^k1 mean
  Scalar* p_sd_ = nullptr;       // (out x batch) M1^k1 std
  Scalar* lv_ = nullptr;         // (B x out x batch) M2 clamped log-variance
  Scalar* sd_ = nullptr;         // (B x out x batch) M2 std
  Scalar* d_mu_ = nullptr;       // (B x out x batch)
  Scalar* d_sd_ = nullptr;       // (B x out x batch)
  double* sample_shift_ = nullptr;  // (batch) shift term per sample
  double* sample_bias_ = nullptr;   // (batch) bias term per sample
  double* results_ = nullptr;       // (3) mean shift, mean bias, finite flag
  // Host.
  Scalar* m1_mirror_ = nullptr;     // (param_count), then mean and std: the backup's mirror
  Scalar* m1_mean_mirror_ = nullptr;
  Scalar* m1_std_mirror_ = nullptr;
  Scalar* raw_staging_ = nullptr;   // host side of raw_
  int* draw_staging_ = nullptr;     // host side of draws_
  int* k1_ = nullptr;               // (batch) scratch draws
  int* k2_ = nullptr;
  bool has_backup_ = false;
  TaskRunner* runner_ = nullptr;
};

template <typename SampleBatch>
Status W2FineTune::run(GaussianEnsemble& model, SampleBatch&& sample_batch, const W2Batch& validation, Rng& rng,
                       W2Report* report) {
  if (!has_backup_) return Status::error(StatusCode::kFailedPrecondition, "USB-PO phase 2 without a backup M1");
  W2Report r;
  Scalar shift = 0, bias = 0;
  Scalar best = validate(model, validation, &shift, &bias);
  r.j_before = r.j_after = best;
  r.shift = shift;
  r.bias = bias;
  snapshot(model, false);
  int since_best = 0;
  for (int step = 1; step <= config_.max_steps; ++step) {
    W2Batch batch;
    USBPO_RETURN_IF_ERROR(sample_batch(&batch));
    draw_members(batch.n, rng, k1_, k2_);
    batch.k1 = k1_;
    batch.k2 = k2_;
    USBPO_RETURN_IF_ERROR(step_once(model, batch));
    r.steps = step;
    bool finite = true;
    enqueue_objective(model, validation, false);
    const Scalar j = download_results(&shift, &bias, &finite);
    if (!finite) {
      model.pull_params();
      return Status::error(StatusCode::kNonFinite, "USB-PO phase 2 made the model parameters non-finite");
    }
    if ((best - j) / best > config_.min_improvement) {
      best = j;
      r.j_after = j;
      r.shift = shift;
      r.bias = bias;
      r.best_step = step;
      snapshot(model, false);
      since_best = 0;
    } else if (++since_best > config_.patience) {  // USB-PO's _union_save_best
      break;
    }
  }
  snapshot(model, true);
  model.pull_params();  // the host mirror rollouts use
  if (report) *report = r;
  return Status::ok();
}

}  // namespace usbpo
