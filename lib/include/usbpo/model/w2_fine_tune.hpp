// W2FineTune: USB-PO's phase 2 (Zhang et al. 2023). After the MLE update
// (phase 1) turned the backed-up model M1 into M2, fine-tune M2 by minimising
//   J = mean_i [ W2(M1^k1(x_i), M2^k2(x_i)) + 1/(B-1) sum_{b != k2} W2(M2^k2(x_i), M2^b(x_i)) ]
// (model shift + model bias, Eq. 3 with Eq. 11 per sample), k1, k2 drawn per
// sample from all B members, on (s, a) batches from the model store; validate
// J on fixed real pairs after every step, keep the best, stop once more than
// `patience` steps in a row brought no relative improvement, restore the best.
// One Adam for the whole run: its moments carry over from round to round, as
// in USB-PO's code.
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
struct W2Batch {
  const Scalar* obs = nullptr;  // (obs_dim x n)
  const Scalar* act = nullptr;  // (act_dim x n)
  const int* k1 = nullptr;      // (n) members of M1
  const int* k2 = nullptr;      // (n) members of M2
  int n = 0;
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
  // Carve the backup M1, the optimiser and the workspace for `model`.
  Status init(const W2FineTuneConfig& config, const GaussianEnsemble& model, Arena& arena);
  // Why `config` (with `model`) cannot be used, or ok.
  static Status check_config(const W2FineTuneConfig& config, const EnsembleConfig& model);
  static std::size_t bytes_needed(const W2FineTuneConfig& config, const EnsembleConfig& model);
  // Cut phase 2 into tasks for runner (null: run here), by member and by
  // sample range; the results do not depend on it.
  void set_runner(TaskRunner* runner) {
    runner_ = runner;
    adam_.set_runner(runner);
  }

  // Back up the whole ensemble (weights, log-variance bounds, normaliser) as M1.
  void backup(const GaussianEnsemble& model);
  bool has_backup() const { return has_backup_; }

  // J on a batch for the current M2 (model); with gradients, dJ/dparams into
  // gradients() (param_count). shift/bias receive the two terms when non-null.
  Scalar objective(GaussianEnsemble& model, const W2Batch& batch, bool with_gradients, Scalar* shift, Scalar* bias);

  // Phase 2: sample_batch fills training batches of `config.batch` (s, a) pairs
  // (from the model store); validation is fixed (real pairs phase 1 did not
  // train on). Restores the best parameters; the caller recomputes elites.
  // The optimiser continues from the last run (reset it with optimizer().reset()).
  template <typename SampleBatch>
  Status run(GaussianEnsemble& model, SampleBatch&& sample_batch, const W2Batch& validation, Rng& rng,
             W2Report* report);

  Scalar* gradients() { return grads_; }
  const W2FineTuneConfig& config() const { return config_; }
  // Draw member indices for n samples (k1 and k2 uniformly from all B members).
  void draw_members(int n, Rng& rng, int* k1, int* k2) const;
  int* scratch_k1() { return k1_; }
  int* scratch_k2() { return k2_; }
  // Phase 2's Adam (moments carried across rounds; checkpointed by the trainer
  // when the algorithm runs phase 2).
  Adam& optimizer() { return adam_; }
  // The backup M1.
  void visit_state(StateVisitor& v) {
    v.value("w2", "has_backup", &has_backup_);
    v.value("w2", "m1_params", m1_params_, param_count_);
    v.value("w2", "m1_mean", m1_mean_, static_cast<std::size_t>(in_));
    v.value("w2", "m1_std", m1_std_, static_cast<std::size_t>(in_));
  }

 private:
  Status place(const W2FineTuneConfig& config, const EnsembleConfig& model, Arena& arena);
  Status step_once(GaussianEnsemble& model, const W2Batch& batch);
  Scalar validate(GaussianEnsemble& model, const W2Batch& validation, Scalar* shift, Scalar* bias);

  W2FineTuneConfig config_;
  EnsembleMlp net_;              // the model's shape (the workspace points to it)
  int members_ = 0, out_ = 0, in_ = 0, obs_dim_ = 0, act_dim_ = 0;
  std::size_t param_count_ = 0;
  Adam adam_;
  MlpWorkspace ws_;              // all members, `batch` columns, shared input
  Scalar* m1_params_ = nullptr;  // (param_count) backup M1
  Scalar* m1_mean_ = nullptr;    // (in) M1's normaliser
  Scalar* m1_std_ = nullptr;
  Scalar* best_ = nullptr;       // (param_count)
  Scalar* grads_ = nullptr;      // (param_count)
  Scalar* inputs_ = nullptr;     // (in x batch)
  Scalar* p_mu_ = nullptr;       // (out x batch) M1^k1 mean
  Scalar* p_sd_ = nullptr;       // (out x batch) M1^k1 std
  Scalar* lv_ = nullptr;         // (B x out x batch) M2 clamped log-variance
  Scalar* sd_ = nullptr;         // (B x out x batch) M2 std
  Scalar* d_mu_ = nullptr;       // (B x out x batch)
  Scalar* d_sd_ = nullptr;       // (B x out x batch)
  int* k1_ = nullptr;            // (batch) scratch draws
  int* k2_ = nullptr;
  double* sample_shift_ = nullptr;  // (batch) shift term per sample
  double* sample_bias_ = nullptr;   // (batch) bias term per sample
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
  for (std::size_t i = 0; i < param_count_; ++i) best_[i] = model.params()[i];
  int since_best = 0;
  for (int step = 1; step <= config_.max_steps; ++step) {
    W2Batch batch;
    USBPO_RETURN_IF_ERROR(sample_batch(&batch));
    draw_members(batch.n, rng, k1_, k2_);
    batch.k1 = k1_;
    batch.k2 = k2_;
    USBPO_RETURN_IF_ERROR(step_once(model, batch));
    r.steps = step;
    const Scalar j = validate(model, validation, &shift, &bias);
    if ((best - j) / best > config_.min_improvement) {
      best = j;
      r.j_after = j;
      r.shift = shift;
      r.bias = bias;
      r.best_step = step;
      for (std::size_t i = 0; i < param_count_; ++i) best_[i] = model.params()[i];
      since_best = 0;
    } else if (++since_best > config_.patience) {  // USB-PO's _union_save_best
      break;
    }
  }
  for (std::size_t i = 0; i < param_count_; ++i) model.params()[i] = best_[i];
  if (report) *report = r;
  return Status::ok();
}

}  // namespace usbpo
