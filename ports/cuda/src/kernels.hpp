// The CUDA kernels of the backend, each behind a launch function that takes
// the stream first (as the core's op names, STYLE.md). Pointers are device
// pointers; values that change between graph replays are read through them.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "usbpo/nn/activation.hpp"
#include "usbpo/nn/element_math.hpp"

namespace usbpo::cuda::kernels {

// Adam's decayed spans (usbpo::AdamSegment), passed by value: they never
// change after init. (This header stays free of Eigen, which nvcc need not see.)
struct AdamSpan {
  std::size_t begin, count, member_stride;
  int members;
  float decay;
};
struct AdamSegments {
  static constexpr int kMax = 16;
  AdamSpan items[kMax];
  int count;
};

// dst[i] = value, i < n.
void fill(cudaStream_t stream, float* dst, float value, std::size_t n);
// target = (1 - tau) target + tau source.
void polyak(cudaStream_t stream, float* target, const float* source, std::size_t n, float tau);
// *step += 1 and *factors = element::adam_factors(..., *step) (one thread).
void adam_prepare(cudaStream_t stream, std::int64_t* step, float lr, float beta1, float beta2, float eps,
                  element::AdamFactors* factors);
// One Adam step over n parameters with the factors adam_prepare left.
void adam(cudaStream_t stream, float* theta, const float* grad, float* m, float* v, std::size_t n, float beta1,
          float beta2, const AdamSegments& segments, const element::AdamFactors* factors);

// Layer epilogue for `members` members side by side: z (rows x batch, ld rows)
// += bias (rows), then a = act(z) when act_output (a may be z).
void bias_activation(cudaStream_t stream, float* z, float* a, std::size_t z_member_stride, const float* bias,
                     std::size_t bias_member_stride, int rows, int batch, int members, Activation act,
                     bool act_output);
// Backward epilogue: d (rows x batch) = d act'(z) in place (z may be null for
// the identity), and, when d_bias is non-null, d_bias (rows) (+)= the sum of d
// over the batch in a fixed order (no atomics).
void activation_backward_bias(cudaStream_t stream, const float* z, std::size_t z_member_stride, float* d,
                              std::size_t d_member_stride, int rows, int batch, int members, Activation act,
                              float* d_bias, std::size_t bias_member_stride, bool accumulate);

// The SAC ops of nn/backend.hpp, one launch each.
void stack_rows(cudaStream_t stream, const float* a, int rows_a, const float* b, int rows_b, int n, float* dst);
void tanh_gaussian_sample(cudaStream_t stream, const float* output, const float* eps, int act, int n,
                          float log_std_min, float log_std_max, float* action, float* log_pi);
void tanh_mean(cudaStream_t stream, const float* output, int act, int n, float* action);
void sac_td_target(cudaStream_t stream, const float* q1_target, const float* q2_target, const float* log_pi,
                   const float* reward, const float* not_done, const float* log_alpha, float gamma, int n, float* y);
void select_action_grad(cudaStream_t stream, const float* input_grad0, const float* input_grad1, const int* argmin,
                        int in_dim, int obs_dim, int act, int n, float* dq_da);
void tanh_gaussian_backward(cudaStream_t stream, const float* output, const float* eps, const float* dq_da, int act,
                            int n, float log_std_min, float log_std_max, const float* log_alpha, float* d_output);

// Reductions: one block, a fixed per-thread order and a fixed tree, FP64.
void sac_critic_loss(cudaStream_t stream, const float* q1, const float* q2, const float* y, int n, float* dq1,
                     float* dq2, double* loss);
void sac_actor_min_q(cudaStream_t stream, const float* q1, const float* q2, const float* log_pi,
                     const float* log_alpha, int n, int* argmin, float* dq1, float* dq2, double* loss,
                     double* sum_log_pi);
void sac_alpha_grad(cudaStream_t stream, const double* sum_log_pi, int n, float target_entropy,
                    const float* log_alpha, float* grad, double* loss);
void sum(cudaStream_t stream, const float* q, int n, double* out);

// The dynamics ensemble's layers as the decay kernel needs them (by value:
// they never change after init): weight offset in a member block, weight
// count and L2 decay per layer.
struct EnsembleLayers {
  static constexpr int kMax = 9;
  std::size_t weight_offset[kMax];
  std::size_t weights[kMax];
  float decay[kMax];
  int count;
};

// Ensemble MLE ops (backend.hpp); member blocks of ws outputs and their
// gradients are output_stride / d_output_stride floats apart.
void transition_batch(cudaStream_t stream, const float* raw, int obs_dim, int act_dim, int n, const float* mean,
                      const float* std, float* inputs, float* targets);
void ensemble_nll(cudaStream_t stream, const float* outputs, std::size_t output_stride, const float* targets,
                  const float* max_lv, const float* min_lv, int members, int out, int n, bool with_gradients,
                  float* d_outputs, std::size_t d_output_stride, float* scratch, std::size_t scratch_stride,
                  float* d_max, float* d_min, double* member_loss);
void ensemble_regularise(cudaStream_t stream, const float* params, float* grads, const EnsembleLayers& layers,
                         std::size_t member_params, std::size_t mlp_params, int members, int out, float coef,
                         const double* member_loss, double* decay_terms, double* loss);
void ensemble_squared_error(cudaStream_t stream, const float* outputs, std::size_t output_stride,
                            const float* targets, int members, int out, int n, bool accumulate, double* sums);

// USB-PO phase 2 ops (backend.hpp), member blocks output_stride floats apart.
void normalise_columns(cudaStream_t stream, const float* raw, int dim, int n, const float* mean, const float* std,
                       float* out);
void w2_m1_moments(cudaStream_t stream, const float* outputs, std::size_t output_stride, const int* k1,
                   const float* max_lv, const float* min_lv, int out, int n, float* p_mu, float* p_sd);
void w2_m2_moments(cudaStream_t stream, const float* outputs, std::size_t output_stride, int members,
                   const float* max_lv, const float* min_lv, int out, int n, bool with_gradients, float* lv,
                   float* sd, float* d_mu, float* d_sd);
void w2_terms(cudaStream_t stream, const float* outputs, std::size_t output_stride, const float* p_mu,
              const float* p_sd, const float* sd, const int* k2, int members, int out, int n, float eps,
              bool use_shift, bool use_bias, bool with_gradients, float* d_mu, float* d_sd, double* sample_shift,
              double* sample_bias, double* terms);
void w2_backward(cudaStream_t stream, const float* outputs, std::size_t output_stride, float* d_outputs,
                 std::size_t d_output_stride, int members, const float* max_lv, const float* min_lv, const float* sd,
                 int out, int n, float* d_mu, float* d_sd, float* d_max, float* d_min);
void all_finite(cudaStream_t stream, const float* x, std::size_t n, double* flag);

// ---- Replay stores on the device (issue 15) ----------------------------------
// A store's per-transition arrays (usbpo::StoreColumns) and a SAC minibatch
// with its noise (usbpo::SacBatchColumns), by value: fixed after placement.
struct StoreArrays {
  const float* obs;
  const float* act;
  const float* reward;
  const float* next_obs;
  const std::uint8_t* terminal;
};
struct SacBatchArrays {
  float* obs;
  float* act;
  float* reward;
  float* next_obs;
  float* not_done;
  float* eps_next;
  float* eps_actor;
};
// The update block's int32 header (usbpo::kUpdateBlockIndex, kUpdateBlockRealCount).
constexpr int kHeaderIndex = 0;
constexpr int kHeaderRealCount = 1;
// Backend::gather_sac_batch: update header[0]'s batch from the two stores
// (real columns below header[1]) and its noise; one launch.
void gather_sac_batch(cudaStream_t stream, const StoreArrays& real, const StoreArrays& model,
                      const std::int32_t* header, const int* slots, const float* noise, int obs_dim, int act_dim,
                      int batch, const SacBatchArrays& dst);
// header[0] += 1 (one thread).
void advance_update_index(cudaStream_t stream, std::int32_t* header);

// Backend::gather_transitions and Backend::normalizer_fit (the ensemble's data from a store mirror).
void gather_transitions(cudaStream_t stream, const StoreArrays& store, const int* slots, std::size_t slot_stride,
                        int members, int n, int obs_dim, int act_dim, float* raw);
void normalizer_fit(cudaStream_t stream, const StoreArrays& store, const int* slots, int n, int obs_dim, int act_dim,
                    float* mean, float* std, float* inv_std);

// Backend::gather_columns and Backend::ensemble_draw (model rollouts).
void gather_columns(cudaStream_t stream, const float* src, int rows, const int* index, int n, float* dst);
void ensemble_draw(cudaStream_t stream, const float* output, const float* max_lv, const float* min_lv,
                   const int* index, int k, const float* noise, const float* obs, int obs_dim, float* logvar,
                   float* next_obs, float* reward);

}  // namespace usbpo::cuda::kernels
