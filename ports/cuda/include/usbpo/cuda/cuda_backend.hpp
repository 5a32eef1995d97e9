// usbpo::cuda — the training ops of nn/backend.hpp on an NVIDIA GPU.
//
// One stream, one device block (reserve_device: a single cudaMalloc carved by
// the device arena), a pinned staging buffer for uploads and downloads, and a
// fixed cuBLAS workspace: all allocated when the backend is created or the
// block reserved, nothing afterwards. Each layer of all ensemble members is one
// strided-batched SGEMM; bias + activation, activation backward + bias
// gradient, Adam over a whole buffer and the SAC steps are fused kernels whose
// per-element bodies are nn/element_math.hpp's. FP32 throughout (no TF32, no
// fast math); the few FP64 sums use a fixed-order tree, so a run on one GPU
// repeats bit for bit. CUDA types stay out of this header.
#pragma once

#include <cstddef>
#include <memory>

#include "usbpo/base/status.hpp"
#include "usbpo/nn/backend.hpp"

struct CUstream_st;
struct CUgraphExec_st;
struct cublasContext;

namespace usbpo::cuda {

// What create() sets up once.
struct CudaBackendOptions {
  int device = 0;                                   // CUDA device index
  std::size_t staging_bytes = std::size_t(8) << 20;  // pinned host buffer for transfers
  std::size_t cublas_workspace_bytes = std::size_t(32) << 20;  // cuBLAS's fixed workspace
  // The device must have at least this much free memory at creation, or
  // create() refuses it ("too little memory").
  std::size_t min_free_bytes = std::size_t(256) << 20;
};

class CudaBackend final : public Backend {
 public:
  // Open the device and set up the stream, cuBLAS, staging and workspace. On
  // failure *out stays empty and the message starts with "no CUDA device: "
  // followed by the driver's reason (no driver, no device, too little memory).
  static Status create(const CudaBackendOptions& options, std::unique_ptr<CudaBackend>* out);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  // The device's name, e.g. "NVIDIA H200" (empty before create()).
  const char* device_name() const { return device_name_; }
  // First CUDA or cuBLAS error seen by any call (ops return no Status); ok when none.
  const Status& error() const { return error_; }
  // Bytes of the device block (0 before reserve_device).
  std::size_t device_bytes() const { return device_bytes_; }

  const char* name() const override { return "cuda"; }
  bool device_is_host() const override { return false; }

  Status reserve_device(std::size_t bytes) override;
  Arena& device_arena() override { return arena_; }
  void upload(void* device_dst, const void* host_src, std::size_t bytes) override;
  void download(void* host_dst, const void* device_src, std::size_t bytes) override;
  void synchronize() override;
  void fill(Scalar* device_dst, Scalar value, std::size_t count) override;
  void copy(void* device_dst, const void* device_src, std::size_t bytes) override;

  Status begin_capture(int slot) override;
  Status end_capture(int slot) override;
  Status replay(int slot, int times) override;

  void mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                   std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                   int member_count) override;
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
  void sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy, const Scalar* log_alpha,
                      Scalar* grad, double* loss) override;
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
  CudaBackend() = default;
  // Keep the first failure; true when `ok`.
  bool check(bool ok, const char* what, const char* reason);
  bool check_cuda(int cuda_error, const char* what);
  bool check_cublas(int cublas_status, const char* what);
  // Count an op call and check that its launch went through.
  void launched(const char* what);
  // Wait until the staging buffer is free again (all copies from it are done).
  void drain_staging();

  CudaBackendOptions options_;
  char device_name_[96] = {};
  Status error_;
  CUstream_st* stream_ = nullptr;
  cublasContext* cublas_ = nullptr;
  // Init block: cuBLAS workspace, then the backend's own device scratch (Adam's
  // factors of the current step).
  void* init_block_ = nullptr;
  void* adam_factors_ = nullptr;
  unsigned char* staging_ = nullptr;  // pinned
  std::size_t staging_used_ = 0;      // bytes of staging with copies that may still be pending
  void* device_block_ = nullptr;
  std::size_t device_bytes_ = 0;
  Arena arena_;
  bool capturing_ = false;
  int capture_slot_ = -1;
  CUgraphExec_st* graphs_[kMaxGraphs] = {};
};

// The backend as the core sees it (for TrainerConfig::backend), with the same
// failure messages as CudaBackend::create.
Status make_cuda_backend(const CudaBackendOptions& options, std::unique_ptr<Backend>* out);

}  // namespace usbpo::cuda
