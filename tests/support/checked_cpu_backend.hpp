// CheckedCpuBackend: the CPU backend with device memory the host cannot touch.
// Its device block is an mmap'd region kept PROT_NONE except while one of its
// ops, upload or download runs, so any host access to device memory (the one
// rule of nn/backend.hpp broken) crashes the test at the access. Ops also
// refuse (abort with a message) pointers outside the block, uploads from it and
// downloads into it. It counts transfers and synchronisations like any backend.
// Test instrument (tests/support): POSIX, not part of the library.
#pragma once

#include <cstddef>
#include <initializer_list>

#include "usbpo/nn/cpu_backend.hpp"

namespace usbpo {
namespace testing_support {

class CheckedCpuBackend final : public Backend {
 public:
  CheckedCpuBackend() = default;
  ~CheckedCpuBackend() override;
  CheckedCpuBackend(const CheckedCpuBackend&) = delete;
  CheckedCpuBackend& operator=(const CheckedCpuBackend&) = delete;

  const char* name() const override { return "checked-cpu"; }
  bool device_is_host() const override { return false; }
  // A fresh inaccessible block of `bytes` (an earlier one is unmapped).
  Status reserve_device(std::size_t bytes) override;
  Arena& device_arena() override { return arena_; }
  void upload(void* device_dst, const void* host_src, std::size_t bytes) override;
  void download(void* host_dst, const void* device_src, std::size_t bytes) override;
  void synchronize() override;
  void fill(Scalar* device_dst, Scalar value, std::size_t count) override;
  void copy(void* device_dst, const void* device_src, std::size_t bytes) override;
  Status begin_capture(int slot) override { return inner_.begin_capture(slot); }
  Status end_capture(int slot) override { return inner_.end_capture(slot); }
  Status replay(int slot, int times) override { return inner_.replay(slot, times); }

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

  // True when p lies inside the device block.
  bool on_device(const void* p) const;

 private:
  // Device memory readable and writable for the lifetime of one Open (op:
  // counted as an op call, else a transfer).
  class Open {
   public:
    Open(CheckedCpuBackend& backend, bool op);
    ~Open();

   private:
    CheckedCpuBackend& backend_;
  };
  // Abort unless every non-null pointer lies inside the device block.
  void expect_device(const char* op, std::initializer_list<const void*> pointers) const;

  CpuBackend inner_;
  unsigned char* base_ = nullptr;
  std::size_t mapped_ = 0;
  Arena arena_;
};

}  // namespace testing_support
}  // namespace usbpo
