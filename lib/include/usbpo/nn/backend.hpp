// Backend: where the numbers of training live and where they are computed.
//
// One algorithm code path, several backends. A component (SAC today) places
// its numeric state (parameters, gradients, optimiser moments, batches,
// workspaces) in the backend's *device* arena and its configuration and
// counters read by host logic in the *host* arena. After that:
//   - algorithm code never reads or writes device memory directly: data moves
//     only through upload() and download(), numbers change only through ops;
//   - every op is enqueued on the backend's single stream in call order, so a
//     download after an op sees its result (download synchronises);
//   - values that change from one call to the next and that an op needs (Adam's
//     step count, the temperature) are read by the op from device memory, never
//     passed by value, so that a captured sequence of ops (a CUDA graph) can be
//     replayed and still see them change.
//
// Backends: CpuBackend (nn/cpu_backend.hpp: the kernel table, device memory is
// host memory), the CUDA backend (ports/cuda, usbpo::cuda), and two test
// instruments (tests/support): a checked CPU backend whose device memory is
// inaccessible outside op calls, and a recording backend that captures and
// replays op sequences like a graph.
//
// Precision: FP32 values, FP64 for the few scalar sums reported as statistics
// (summed in a fixed order, so every backend reports the same bits on the CPU).
#pragma once

#include <cstddef>
#include <cstdint>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/nn/adam.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"

namespace usbpo {

// Transfers and synchronisations a backend has done (tests check the counts
// per update: one small upload per update block, one download per env step).
struct BackendCounters {
  std::int64_t uploads = 0;
  std::int64_t upload_bytes = 0;
  std::int64_t downloads = 0;
  std::int64_t download_bytes = 0;
  std::int64_t synchronizations = 0;
  std::int64_t op_calls = 0;
  std::int64_t graph_replays = 0;
};

// (AdamSegment, one decayed span of an Adam buffer, is in nn/adam.hpp.)

// ---- Replay stores on the device (issue 15) --------------------------------
// The per-transition arrays of a replay store in device memory (slot i is
// column i of each; terminal is 0 or 1 per slot).
struct StoreColumns {
  const Scalar* obs = nullptr;       // (obs_dim x slots)
  const Scalar* act = nullptr;       // (act_dim x slots)
  const Scalar* reward = nullptr;    // (slots)
  const Scalar* next_obs = nullptr;  // (obs_dim x slots)
  const std::uint8_t* terminal = nullptr;  // (slots)
};
// A SAC minibatch in device memory, column-major, and its two noise blocks.
struct SacBatchColumns {
  Scalar* obs = nullptr;        // (obs_dim x batch)
  Scalar* act = nullptr;        // (act_dim x batch)
  Scalar* reward = nullptr;     // (batch)
  Scalar* next_obs = nullptr;   // (obs_dim x batch)
  Scalar* not_done = nullptr;   // (batch)
  Scalar* eps_next = nullptr;   // (act_dim x batch)
  Scalar* eps_actor = nullptr;  // (act_dim x batch)
};
// The int32 header of an update block in device memory (gather_sac_batch).
constexpr int kUpdateBlockIndex = 0;      // the update the next gather builds
constexpr int kUpdateBlockRealCount = 1;  // real columns of each batch (the rest are model columns)


class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu", "cuda", "checked-cpu", "recording".
  virtual const char* name() const = 0;
  // True when device memory is host memory that host code may touch (the CPU
  // backend): components may then skip host mirrors of their state.
  virtual bool device_is_host() const = 0;

  // ---- Memory -------------------------------------------------------------
  // Reserve the device block once, at init, sized by a measuring pass
  // (components place into a measuring Arena first). The arena returned by
  // device_arena() hands out device pointers from that block; for the CPU
  // backend it is the caller's host arena.
  virtual Status reserve_device(std::size_t bytes) = 0;
  virtual Arena& device_arena() = 0;
  // Host <-> device copies. upload may return before the copy is done but the
  // source may be reused at once (it is staged); download waits for all
  // earlier ops and the copy.
  virtual void upload(void* device_dst, const void* host_src, std::size_t bytes) = 0;
  virtual void download(void* host_dst, const void* device_src, std::size_t bytes) = 0;
  // Wait until every enqueued op is done.
  virtual void synchronize() = 0;
  // device_dst = value, count floats (e.g. zeroing gradients).
  virtual void fill(Scalar* device_dst, Scalar value, std::size_t count) = 0;
  // Device-to-device copy.
  virtual void copy(void* device_dst, const void* device_src, std::size_t bytes) = 0;

  // ---- Graphs ---------------------------------------------------------------
  // Record the ops called between begin_capture and end_capture as graph
  // `slot` (0 <= slot < kMaxGraphs) instead of running them; replay(slot, n)
  // runs that sequence n times. Uploads and downloads are not allowed while
  // capturing. A backend without graphs returns kUnimplemented from
  // begin_capture and callers then call the ops directly.
  static constexpr int kMaxGraphs = 4;
  virtual Status begin_capture(int slot) = 0;
  virtual Status end_capture(int slot) = 0;
  virtual Status replay(int slot, int times) = 0;

  const BackendCounters& counters() const { return counters_; }
  void reset_counters() { counters_ = BackendCounters(); }

  // ---- Networks -------------------------------------------------------------
  // MlpOps::forward / backward (ensemble_mlp.hpp) with every buffer on the
  // device: params, input, ws's buffers and grads. The CUDA backend runs each
  // layer of all members as one strided-batched GEMM with fused bias and
  // activation.
  virtual void mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                           std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                           int member_count) = 0;
  virtual void mlp_backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws, int first_member,
                            int member_count, Scalar* grads, bool accumulate, bool input_grad) = 0;

  // ---- Optimisation ---------------------------------------------------------
  // *step += 1, then one Adam step (ops::adam_step) over n parameters with the
  // bias correction of the new *step; spans in `segments` get their L2 decay.
  // step lives in device memory.
  virtual void adam(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n, const AdamConfig& config,
                    const AdamSegment* segments, int segment_count, std::int64_t* step) = 0;
  // target = (1 - tau) target + tau source over n values.
  virtual void polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) = 0;

  // ---- SAC -----------------------------------------------------------------
  // dst (rows_a + rows_b x n) = [a; b], column-major.
  virtual void stack_rows(const Scalar* a, int rows_a, const Scalar* b, int rows_b, int n, Scalar* dst) = 0;
  // ops::tanh_gaussian_sample over the actor output (2 act x n) and noise (act x n).
  virtual void tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                                    Scalar log_std_max, Scalar* action, Scalar* log_pi) = 0;
  // action (act x n) = tanh(mean rows of output (2 act x n)): the deterministic policy.
  virtual void tanh_mean(const Scalar* output, int act, int n, Scalar* action) = 0;
  // Soft TD target (n): y = r + gamma not_done (min(q1t, q2t) - exp(*log_alpha) log_pi).
  virtual void sac_td_target(const Scalar* q1_target, const Scalar* q2_target, const Scalar* log_pi,
                             const Scalar* reward, const Scalar* not_done, const Scalar* log_alpha, Scalar gamma,
                             int n, Scalar* y) = 0;
  // Twin-critic loss sum_j 0.5 mean_i (q_j - y)^2 into *loss (FP64, summed j
  // then i), and dq_j = (q_j - y) / n.
  virtual void sac_critic_loss(const Scalar* q1, const Scalar* q2, const Scalar* y, int n, Scalar* dq1,
                               Scalar* dq2, double* loss) = 0;
  // Actor side of SAC at the sampled actions: argmin (n) = 1 where q2 < q1
  // else 0; dq_j = 1 where critic j holds the minimum, else 0; *loss =
  // sum_i (exp(*log_alpha) log_pi - min q) / n and *sum_log_pi = sum_i log_pi
  // (FP64, in i order).
  virtual void sac_actor_min_q(const Scalar* q1, const Scalar* q2, const Scalar* log_pi, const Scalar* log_alpha,
                               int n, int* argmin, Scalar* dq1, Scalar* dq2, double* loss, double* sum_log_pi) = 0;
  // dq_da (act x n): rows [obs_dim, obs_dim + act) of column i of the input
  // gradient (in_dim x n) of the critic argmin[i] (input_grad1 for 1).
  virtual void select_action_grad(const Scalar* input_grad0, const Scalar* input_grad1, const int* argmin,
                                  int in_dim, int obs_dim, int act, int n, Scalar* dq_da) = 0;
  // ops::tanh_gaussian_backward with alpha = exp(*log_alpha).
  virtual void tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                                      Scalar log_std_min, Scalar log_std_max, const Scalar* log_alpha,
                                      Scalar* d_output) = 0;
  // Temperature gradient and loss from the actor's log pi:
  // w = *sum_log_pi / n + target_entropy; *grad = -w; *loss = -(*log_alpha) w.
  virtual void sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy, const Scalar* log_alpha,
                              Scalar* grad, double* loss) = 0;
  // *sum = sum_i q[i] (FP64, in i order).
  virtual void sum(const Scalar* q, int n, double* sum) = 0;

  // ---- Dynamics ensemble (MLE) ------------------------------------------------
  // Columns of transitions into a network batch: raw column i (n columns of
  // obs_dim + act_dim + 1 + obs_dim values: obs, act, reward, next_obs) gives
  // inputs column i (obs_dim + act_dim) = ([obs; act] - mean) / std and targets
  // column i (1 + obs_dim) = [reward; next_obs - obs].
  virtual void transition_batch(const Scalar* raw, int obs_dim, int act_dim, int n, const Scalar* mean,
                                const Scalar* std, Scalar* inputs, Scalar* targets) = 0;
  // MBPO's Gaussian NLL of members [0, members) of ws's outputs (2 out x n per
  // member; mean rows, then raw log-variance rows soft-clamped between max_lv
  // and min_lv, out each) against targets (out x n per member, member stride
  // out n): member_loss[b] (FP64) = sum((mu - y)^2 e^-lv + lv) / (out n). With
  // gradients: ws's output gradients, and d_max, d_min (out) overwritten with
  // the members' bound gradients added in member order. scratch: 5 out n
  // floats per member, scratch_stride apart.
  virtual void ensemble_nll(const EnsembleMlp& net, MlpWorkspace& ws, int members, const Scalar* targets,
                            const Scalar* max_lv, const Scalar* min_lv, int n, bool with_gradients, Scalar* scratch,
                            std::size_t scratch_stride, Scalar* d_max, Scalar* d_min, double* member_loss) = 0;
  // The rest of the ensemble's loss, after ensemble_nll and the network's
  // backward pass: *loss (FP64) = sum_b member_loss[b] + coef sum_d (max_lv -
  // min_lv) + sum_b,l decays[l] / 2 ||W_l of member b||^2 (each part summed in
  // that order; decay_terms: members x layers FP64 scratch). With grads
  // (non-null): d_max += coef, d_min -= coef, and decays[l] W_l added to the
  // weight gradients. params, grads: the network block, then max_lv, min_lv.
  virtual void ensemble_regularise(const EnsembleMlp& net, const Scalar* params, Scalar* grads,
                                   const Scalar* decays, Scalar coef, const double* member_loss, double* decay_terms,
                                   double* loss) = 0;
  // Squared errors of the mean rows of ws's outputs (members [0, members),
  // 2 out x n each) against one targets block (out x n) shared by all members:
  // sums[b] (FP64) = (accumulate ? sums[b] : 0) + sum_i sum_d (mu - y)^2, in i then d order.
  virtual void ensemble_squared_error(const MlpWorkspace& ws, int members, const Scalar* targets, int out, int n,
                                      bool accumulate, double* sums) = 0;

  // ---- USB-PO phase 2 (W2 fine-tuning) -----------------------------------------
  // out (dim x n) = (raw - mean) / std, column by column.
  virtual void normalise_columns(const Scalar* raw, int dim, int n, const Scalar* mean, const Scalar* std,
                                 Scalar* out) = 0;
  // M1's Gaussian per sample: column i of ws's output of member k1[i] (2 out x
  // n per member) gives p_mu (out x n) = its mean rows and p_sd = exp(lv / 2)
  // with lv soft-clamped between max_lv and min_lv.
  virtual void w2_m1_moments(const MlpWorkspace& ws, const int* k1, const Scalar* max_lv, const Scalar* min_lv,
                             int out, int n, Scalar* p_mu, Scalar* p_sd) = 0;
  // M2's Gaussians: lv, sd (members x out x n) of every member's output; with
  // gradients d_mu and d_sd (alike) zeroed.
  virtual void w2_m2_moments(const MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                             int out, int n, bool with_gradients, Scalar* lv, Scalar* sd, Scalar* d_mu,
                             Scalar* d_sd) = 0;
  // The per-sample W2 loop of USB-PO's objective (model/w2_fine_tune.cpp):
  // sample_shift[i] = W2(M1^k1, M2^k2[i]) (use_shift), sample_bias[i] = mean
  // over b != k2[i] of W2(M2^k2, M2^b) (use_bias), FP64; with gradients their
  // derivatives (weights 1 / n and 1 / (n (members - 1))) added into d_mu,
  // d_sd (each sample into its own columns); terms[0], terms[1] = the means of
  // sample_shift and sample_bias (summed in sample order).
  virtual void w2_terms(const MlpWorkspace& ws, const Scalar* p_mu, const Scalar* p_sd, const Scalar* sd,
                        const int* k2, int members, int out, int n, Scalar eps, bool use_shift, bool use_bias,
                        bool with_gradients, Scalar* d_mu, Scalar* d_sd, double* sample_shift, double* sample_bias,
                        double* terms) = 0;
  // Through sd = exp(lv / 2) and the soft clamp: ws's output gradients from
  // d_mu and d_sd, and d_max, d_min (out) overwritten with the bounds'
  // gradients added in member, sample and dimension order (d_mu and d_sd are
  // used as scratch).
  virtual void w2_backward(MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                           const Scalar* sd, int out, int n, Scalar* d_mu, Scalar* d_sd, Scalar* d_max,
                           Scalar* d_min) = 0;
  // *flag = 1 when all n values are finite, else 0.
  virtual void all_finite(const Scalar* x, std::size_t n, double* flag) = 0;

  // ---- Replay stores on the device (issue 15) --------------------------------
  // Minibatch g = header[kUpdateBlockIndex] of an update block: column i < r =
  // header[kUpdateBlockRealCount] is real slot slots[g batch + i], column i >= r
  // model slot slots[g batch + i] (obs, act, reward, next_obs, not_done = 1 -
  // terminal); eps_next and eps_actor are the 2 act_dim batch floats at
  // noise + g 2 act_dim batch (the next-state sample's, then the actor's). The
  // index is read from device memory, so a captured gather sees it advance.
  virtual void gather_sac_batch(const StoreColumns& real, const StoreColumns& model, const std::int32_t* header,
                                const int* slots, const Scalar* noise, int obs_dim, int act_dim, int batch,
                                const SacBatchColumns& dst) = 0;
  // header[kUpdateBlockIndex] += 1 (after an update of the block).
  virtual void advance_update_index(std::int32_t* header) = 0;

  // ---- The ensemble's data from a store on the device (issue 15) ----------------
  // Raw columns (obs_dim + act_dim + 1 + obs_dim: obs, act, reward, next_obs,
  // as transition_batch reads them) of `members` blocks of n columns, member b
  // at raw + b (width n): column i is the transition in slot slots[b slot_stride + i].
  virtual void gather_transitions(const StoreColumns& store, const int* slots, std::size_t slot_stride,
                                  int members, int n, int obs_dim, int act_dim, Scalar* raw) = 0;
  // The input normaliser's fit on the [obs; act] of slots[0..n) (n >= 1), in
  // FP64, two passes (the mean, then the squared deviations): mean, std =
  // sqrt(mean square deviation) (1 where that is below 1e-12) and inv_std =
  // 1 / std, each rounded to FP32 (obs_dim + act_dim values each).
  virtual void normalizer_fit(const StoreColumns& store, const int* slots, int n, int obs_dim, int act_dim,
                              Scalar* mean, Scalar* std, Scalar* inv_std) = 0;

  // ---- Model rollouts on the device (issue 15) -------------------------------
  // dst column i (rows values) = src column index[i], i < n (src and dst must not overlap).
  virtual void gather_columns(const Scalar* src, int rows, const int* index, int n, Scalar* dst) = 0;
  // One Gaussian draw per sample from one member's output (2 out x k: mean
  // rows, then raw log-variance rows; out = obs_dim + 1): for j < k and sample
  // s = index[j], lv = the soft clamp between max_lv and min_lv (written to
  // logvar, out x k), reward[s] = mu_0 + exp(lv_0 / 2) noise_0 and
  // next_obs[:, s] = obs[:, s] + mu_1.. + exp(lv_1.. / 2) noise_1.., with
  // noise the out values at noise + s out (MBPO's model step y ~ N(mu, e^lv)).
  virtual void ensemble_draw(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, const int* index,
                             int k, const Scalar* noise, const Scalar* obs, int obs_dim, Scalar* logvar,
                             Scalar* next_obs, Scalar* reward) = 0;

 protected:
  BackendCounters counters_;
};

}  // namespace usbpo
