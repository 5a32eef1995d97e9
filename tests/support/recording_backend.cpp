#include "recording_backend.hpp"

#include <array>
#include <utility>

#include "usbpo/nn/ensemble_mlp.hpp"

namespace usbpo {
namespace testing_support {

void RecordingBackend::upload(void* device_dst, const void* host_src, std::size_t bytes) {
  if (capturing_ >= 0) {
    capture_broken_ = true;
    return;
  }
  ++counters_.uploads;
  counters_.upload_bytes += static_cast<std::int64_t>(bytes);
  inner_.upload(device_dst, host_src, bytes);
}

void RecordingBackend::download(void* host_dst, const void* device_src, std::size_t bytes) {
  if (capturing_ >= 0) {
    capture_broken_ = true;
    return;
  }
  ++counters_.downloads;
  counters_.download_bytes += static_cast<std::int64_t>(bytes);
  inner_.download(host_dst, device_src, bytes);
}

void RecordingBackend::synchronize() {
  ++counters_.synchronizations;
  inner_.synchronize();
}

Status RecordingBackend::begin_capture(int slot) {
  if (slot < 0 || slot >= kMaxGraphs || capturing_ >= 0) {
    return Status::error(StatusCode::kInvalidArgument, "recording backend: cannot capture slot %d now", slot);
  }
  graphs_[slot].clear();
  captured_[slot] = false;
  capturing_ = slot;
  capture_broken_ = false;
  return Status::ok();
}

Status RecordingBackend::end_capture(int slot) {
  if (slot != capturing_) {
    return Status::error(StatusCode::kInvalidArgument, "recording backend: slot %d is not being captured", slot);
  }
  capturing_ = -1;
  if (capture_broken_) {
    graphs_[slot].clear();
    return Status::error(StatusCode::kFailedPrecondition, "recording backend: a transfer while capturing slot %d",
                         slot);
  }
  captured_[slot] = true;
  return Status::ok();
}

Status RecordingBackend::replay(int slot, int times) {
  if (slot < 0 || slot >= kMaxGraphs || !captured_[slot] || capturing_ >= 0) {
    return Status::error(StatusCode::kFailedPrecondition, "recording backend: nothing captured in slot %d", slot);
  }
  for (int t = 0; t < times; ++t) {
    for (const Call& call : graphs_[slot]) call(inner_);
  }
  counters_.graph_replays += times;
  return Status::ok();
}

void RecordingBackend::fill(Scalar* device_dst, Scalar value, std::size_t count) {
  issue([=](Backend& b) { b.fill(device_dst, value, count); });
}

void RecordingBackend::copy(void* device_dst, const void* device_src, std::size_t bytes) {
  issue([=](Backend& b) { b.copy(device_dst, device_src, bytes); });
}

void RecordingBackend::mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                                   std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                                   int member_count) {
  const EnsembleMlp* network = &net;
  MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) {
    b.mlp_forward(*network, params, input, input_member_stride, batch, *workspace, first_member, member_count);
  });
}

void RecordingBackend::mlp_backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws, int first_member,
                                    int member_count, Scalar* grads, bool accumulate, bool input_grad) {
  const EnsembleMlp* network = &net;
  MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) {
    b.mlp_backward(*network, params, *workspace, first_member, member_count, grads, accumulate, input_grad);
  });
}

void RecordingBackend::adam(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n,
                            const AdamConfig& config, const AdamSegment* segments, int segment_count,
                            std::int64_t* step) {
  std::array<AdamSegment, Adam::kMaxSegments> spans{};
  for (int s = 0; s < segment_count && s < Adam::kMaxSegments; ++s) spans[s] = segments[s];
  issue([=](Backend& b) { b.adam(theta, grad, m, v, n, config, spans.data(), segment_count, step); });
}

void RecordingBackend::polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) {
  issue([=](Backend& b) { b.polyak(target, source, n, tau); });
}

void RecordingBackend::stack_rows(const Scalar* a, int rows_a, const Scalar* b_rows, int rows_b, int n, Scalar* dst) {
  issue([=](Backend& b) { b.stack_rows(a, rows_a, b_rows, rows_b, n, dst); });
}

void RecordingBackend::tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n,
                                            Scalar log_std_min, Scalar log_std_max, Scalar* action, Scalar* log_pi) {
  issue([=](Backend& b) { b.tanh_gaussian_sample(output, eps, act, n, log_std_min, log_std_max, action, log_pi); });
}

void RecordingBackend::tanh_mean(const Scalar* output, int act, int n, Scalar* action) {
  issue([=](Backend& b) { b.tanh_mean(output, act, n, action); });
}

void RecordingBackend::sac_td_target(const Scalar* q1_target, const Scalar* q2_target, const Scalar* log_pi,
                                     const Scalar* reward, const Scalar* not_done, const Scalar* log_alpha,
                                     Scalar gamma, int n, Scalar* y) {
  issue([=](Backend& b) { b.sac_td_target(q1_target, q2_target, log_pi, reward, not_done, log_alpha, gamma, n, y); });
}

void RecordingBackend::sac_critic_loss(const Scalar* q1, const Scalar* q2, const Scalar* y, int n, Scalar* dq1,
                                       Scalar* dq2, double* loss) {
  issue([=](Backend& b) { b.sac_critic_loss(q1, q2, y, n, dq1, dq2, loss); });
}

void RecordingBackend::sac_actor_min_q(const Scalar* q1, const Scalar* q2, const Scalar* log_pi,
                                       const Scalar* log_alpha, int n, int* argmin, Scalar* dq1, Scalar* dq2,
                                       double* loss, double* sum_log_pi) {
  issue([=](Backend& b) { b.sac_actor_min_q(q1, q2, log_pi, log_alpha, n, argmin, dq1, dq2, loss, sum_log_pi); });
}

void RecordingBackend::select_action_grad(const Scalar* input_grad0, const Scalar* input_grad1, const int* argmin,
                                          int in_dim, int obs_dim, int act, int n, Scalar* dq_da) {
  issue([=](Backend& b) { b.select_action_grad(input_grad0, input_grad1, argmin, in_dim, obs_dim, act, n, dq_da); });
}

void RecordingBackend::tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act,
                                              int n, Scalar log_std_min, Scalar log_std_max,
                                              const Scalar* log_alpha, Scalar* d_output) {
  issue([=](Backend& b) {
    b.tanh_gaussian_backward(output, eps, dq_da, act, n, log_std_min, log_std_max, log_alpha, d_output);
  });
}

void RecordingBackend::sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy,
                                      const Scalar* log_alpha, Scalar* grad, double* loss) {
  issue([=](Backend& b) { b.sac_alpha_grad(sum_log_pi, n, target_entropy, log_alpha, grad, loss); });
}

void RecordingBackend::sum(const Scalar* q, int n, double* total) {
  issue([=](Backend& b) { b.sum(q, n, total); });
}

void RecordingBackend::transition_batch(const Scalar* raw, int obs_dim, int act_dim, int n, const Scalar* mean,
                                        const Scalar* std, Scalar* inputs, Scalar* targets) {
  issue([=](Backend& b) { b.transition_batch(raw, obs_dim, act_dim, n, mean, std, inputs, targets); });
}

void RecordingBackend::ensemble_nll(const EnsembleMlp& net, MlpWorkspace& ws, int members, const Scalar* targets,
                                    const Scalar* max_lv, const Scalar* min_lv, int n, bool with_gradients,
                                    Scalar* scratch, std::size_t scratch_stride, Scalar* d_max, Scalar* d_min,
                                    double* member_loss) {
  const EnsembleMlp* network = &net;
  MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) {
    b.ensemble_nll(*network, *workspace, members, targets, max_lv, min_lv, n, with_gradients, scratch, scratch_stride,
                   d_max, d_min, member_loss);
  });
}

void RecordingBackend::ensemble_regularise(const EnsembleMlp& net, const Scalar* params, Scalar* grads,
                                           const Scalar* decays, Scalar coef, const double* member_loss,
                                           double* decay_terms, double* loss) {
  const EnsembleMlp* network = &net;
  issue([=](Backend& b) {
    b.ensemble_regularise(*network, params, grads, decays, coef, member_loss, decay_terms, loss);
  });
}

void RecordingBackend::ensemble_squared_error(const MlpWorkspace& ws, int members, const Scalar* targets, int out,
                                              int n, bool accumulate, double* sums) {
  const MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) { b.ensemble_squared_error(*workspace, members, targets, out, n, accumulate, sums); });
}

void RecordingBackend::normalise_columns(const Scalar* raw, int dim, int n, const Scalar* mean, const Scalar* std,
                                         Scalar* out) {
  issue([=](Backend& b) { b.normalise_columns(raw, dim, n, mean, std, out); });
}

void RecordingBackend::w2_m1_moments(const MlpWorkspace& ws, const int* k1, const Scalar* max_lv,
                                     const Scalar* min_lv, int out, int n, Scalar* p_mu, Scalar* p_sd) {
  const MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) { b.w2_m1_moments(*workspace, k1, max_lv, min_lv, out, n, p_mu, p_sd); });
}

void RecordingBackend::w2_m2_moments(const MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                                     int out, int n, bool with_gradients, Scalar* lv, Scalar* sd, Scalar* d_mu,
                                     Scalar* d_sd) {
  const MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) {
    b.w2_m2_moments(*workspace, members, max_lv, min_lv, out, n, with_gradients, lv, sd, d_mu, d_sd);
  });
}

void RecordingBackend::w2_terms(const MlpWorkspace& ws, const Scalar* p_mu, const Scalar* p_sd, const Scalar* sd,
                                const int* k2, int members, int out, int n, Scalar eps, bool use_shift, bool use_bias,
                                bool with_gradients, Scalar* d_mu, Scalar* d_sd, double* sample_shift,
                                double* sample_bias, double* terms) {
  const MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) {
    b.w2_terms(*workspace, p_mu, p_sd, sd, k2, members, out, n, eps, use_shift, use_bias, with_gradients, d_mu, d_sd,
               sample_shift, sample_bias, terms);
  });
}

void RecordingBackend::w2_backward(MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                                   const Scalar* sd, int out, int n, Scalar* d_mu, Scalar* d_sd, Scalar* d_max,
                                   Scalar* d_min) {
  MlpWorkspace* workspace = &ws;
  issue([=](Backend& b) { b.w2_backward(*workspace, members, max_lv, min_lv, sd, out, n, d_mu, d_sd, d_max, d_min); });
}

void RecordingBackend::all_finite(const Scalar* x, std::size_t n, double* flag) {
  issue([=](Backend& b) { b.all_finite(x, n, flag); });
}

// ---- Replay stores on the device (issue 15) ----------------------------------
// (The store and batch descriptors are copied by value: their device addresses
// are fixed at placement, as a graph bakes them in; the update index is read
// from device memory on every replay.)

void RecordingBackend::gather_sac_batch(const StoreColumns& real, const StoreColumns& model,
                                        const std::int32_t* header, const int* slots, const Scalar* noise,
                                        int obs_dim, int act_dim, int batch, const SacBatchColumns& dst) {
  issue([=](Backend& b) { b.gather_sac_batch(real, model, header, slots, noise, obs_dim, act_dim, batch, dst); });
}

void RecordingBackend::advance_update_index(std::int32_t* header) {
  issue([=](Backend& b) { b.advance_update_index(header); });
}

void RecordingBackend::gather_transitions(const StoreColumns& store, const int* slots, std::size_t slot_stride,
                                          int members, int n, int obs_dim, int act_dim, Scalar* raw) {
  issue([=](Backend& b) { b.gather_transitions(store, slots, slot_stride, members, n, obs_dim, act_dim, raw); });
}

void RecordingBackend::normalizer_fit(const StoreColumns& store, const int* slots, int n, int obs_dim, int act_dim,
                                      Scalar* mean, Scalar* std, Scalar* inv_std) {
  issue([=](Backend& b) { b.normalizer_fit(store, slots, n, obs_dim, act_dim, mean, std, inv_std); });
}

void RecordingBackend::gather_columns(const Scalar* src, int rows, const int* index, int n, Scalar* dst) {
  issue([=](Backend& b) { b.gather_columns(src, rows, index, n, dst); });
}

void RecordingBackend::ensemble_draw(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv,
                                     const int* index, int k, const Scalar* noise, const Scalar* obs, int obs_dim,
                                     Scalar* logvar, Scalar* next_obs, Scalar* reward) {
  issue([=](Backend& b) {
    b.ensemble_draw(output, max_lv, min_lv, index, k, noise, obs, obs_dim, logvar, next_obs, reward);
  });
}

}  // namespace testing_support
}  // namespace usbpo
