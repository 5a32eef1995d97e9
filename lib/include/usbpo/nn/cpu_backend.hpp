// CpuBackend: the backend whose device is the host (nn/backend.hpp). Its ops
// are the CPU kernel table (ops.hpp, with its run-time instruction-set
// variants) and MlpOps, cut into tasks for an optional TaskRunner; the SAC
// ops are loops over the per-element bodies of element_math.hpp. Device memory
// is host memory: by default the device arena is the host arena given at
// construction (reserve_device can carve a separate block out of it instead).
// Transfers are plain copies, every op runs when called, and there are no
// graphs (begin_capture returns kUnimplemented; callers then call the ops).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/parallel.hpp"
#include "usbpo/nn/backend.hpp"

namespace usbpo {

class CpuBackend final : public Backend {
 public:
  // Device arena = *host_arena (not owned; may be null until set_host_arena).
  explicit CpuBackend(Arena* host_arena = nullptr, TaskRunner* runner = nullptr)
      : host_arena_(host_arena), runner_(runner) {}
  // The arena device placements come from (until reserve_device carves one).
  void set_host_arena(Arena* host_arena) { host_arena_ = host_arena; }
  // Cut network passes, Adam and Polyak into tasks for runner (null: run
  // here); the results do not depend on it.
  void set_runner(TaskRunner* runner) { runner_ = runner; }
  TaskRunner* runner() const { return runner_; }

  const char* name() const override { return "cpu"; }
  bool device_is_host() const override { return true; }

  // Carves `bytes` out of the host arena as the device arena from now on (a
  // later call carves a new block; kOutOfMemory when the host arena has no
  // room, kFailedPrecondition without one).
  Status reserve_device(std::size_t bytes) override;
  // The reserved block, else the host arena itself (a measuring arena when none
  // was given, so that placements can still be measured).
  Arena& device_arena() override;
  void upload(void* device_dst, const void* host_src, std::size_t bytes) override;
  void download(void* host_dst, const void* device_src, std::size_t bytes) override;
  void synchronize() override;
  void fill(Scalar* device_dst, Scalar value, std::size_t count) override;
  void copy(void* device_dst, const void* device_src, std::size_t bytes) override;

  Status begin_capture(int slot) override;
  Status end_capture(int slot) override;
  Status replay(int slot, int times) override;

  void mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input, std::size_t input_member_stride,
                   int batch, MlpWorkspace& ws, int first_member, int member_count) override;
  void mlp_backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws, int first_member,
                    int member_count, Scalar* grads, bool accumulate, bool input_grad) override;
  void adam(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n, const AdamConfig& config,
            const AdamSegment* segments, int segment_count, std::int64_t* step) override;
  void polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) override;

  void stack_rows(const Scalar* a, int rows_a, const Scalar* b, int rows_b, int n, Scalar* dst) override;
  void tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                            Scalar log_std_max, Scalar* action, Scalar* log_pi) override;
  void tanh_mean(const Scalar* output, int act, int n, Scalar* action) override;
  void sac_td_target(const Scalar* q1_target, const Scalar* q2_target, const Scalar* log_pi, const Scalar* reward,
                     const Scalar* not_done, const Scalar* log_alpha, Scalar gamma, int n, Scalar* y) override;
  void sac_critic_loss(const Scalar* q1, const Scalar* q2, const Scalar* y, int n, Scalar* dq1, Scalar* dq2,
                       double* loss) override;
  void sac_actor_min_q(const Scalar* q1, const Scalar* q2, const Scalar* log_pi, const Scalar* log_alpha, int n,
                       int* argmin, Scalar* dq1, Scalar* dq2, double* loss, double* sum_log_pi) override;
  void select_action_grad(const Scalar* input_grad0, const Scalar* input_grad1, const int* argmin, int in_dim,
                          int obs_dim, int act, int n, Scalar* dq_da) override;
  void tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                              Scalar log_std_min, Scalar log_std_max, const Scalar* log_alpha,
                              Scalar* d_output) override;
  void sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy, const Scalar* log_alpha, Scalar* grad,
                      double* loss) override;
  void sum(const Scalar* q, int n, double* sum) override;

  void transition_batch(const Scalar* raw, int obs_dim, int act_dim, int n, const Scalar* mean, const Scalar* std,
                        Scalar* inputs, Scalar* targets) override;
  void ensemble_nll(const EnsembleMlp& net, MlpWorkspace& ws, int members, const Scalar* targets,
                    const Scalar* max_lv, const Scalar* min_lv, int n, bool with_gradients, Scalar* scratch,
                    std::size_t scratch_stride, Scalar* d_max, Scalar* d_min, double* member_loss) override;
  void ensemble_regularise(const EnsembleMlp& net, const Scalar* params, Scalar* grads, const Scalar* decays,
                           Scalar coef, const double* member_loss, double* decay_terms, double* loss) override;
  void ensemble_squared_error(const MlpWorkspace& ws, int members, const Scalar* targets, int out, int n,
                              bool accumulate, double* sums) override;
  void normalise_columns(const Scalar* raw, int dim, int n, const Scalar* mean, const Scalar* std,
                         Scalar* out) override;
  void w2_m1_moments(const MlpWorkspace& ws, const int* k1, const Scalar* max_lv, const Scalar* min_lv, int out,
                     int n, Scalar* p_mu, Scalar* p_sd) override;
  void w2_m2_moments(const MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv, int out, int n,
                     bool with_gradients, Scalar* lv, Scalar* sd, Scalar* d_mu, Scalar* d_sd) override;
  void w2_terms(const MlpWorkspace& ws, const Scalar* p_mu, const Scalar* p_sd, const Scalar* sd, const int* k2,
                int members, int out, int n, Scalar eps, bool use_shift, bool use_bias, bool with_gradients,
                Scalar* d_mu, Scalar* d_sd, double* sample_shift, double* sample_bias, double* terms) override;
  void w2_backward(MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv, const Scalar* sd,
                   int out, int n, Scalar* d_mu, Scalar* d_sd, Scalar* d_max, Scalar* d_min) override;
  void all_finite(const Scalar* x, std::size_t n, double* flag) override;

  // ---- Replay stores on the device (issue 15) ----
  void gather_sac_batch(const StoreColumns& real, const StoreColumns& model, const std::int32_t* header,
                        const int* slots, const Scalar* noise, int obs_dim, int act_dim, int batch,
                        const SacBatchColumns& dst) override;
  void advance_update_index(std::int32_t* header) override;
  void gather_transitions(const StoreColumns& store, const int* slots, std::size_t slot_stride, int members, int n,
                          int obs_dim, int act_dim, Scalar* raw) override;
  void normalizer_fit(const StoreColumns& store, const int* slots, int n, int obs_dim, int act_dim, Scalar* mean,
                      Scalar* std, Scalar* inv_std) override;
  void gather_columns(const Scalar* src, int rows, const int* index, int n, Scalar* dst) override;
  void ensemble_draw(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, const int* index, int k,
                     const Scalar* noise, const Scalar* obs, int obs_dim, Scalar* logvar, Scalar* next_obs,
                     Scalar* reward) override;

 private:
  Arena* host_arena_ = nullptr;
  TaskRunner* runner_ = nullptr;
  Arena reserved_;        // the carved device block (when reserved)
  bool reserved_set_ = false;
  Arena measuring_;       // device_arena() without any host arena
};

}  // namespace usbpo
