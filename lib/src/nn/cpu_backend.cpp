#include "usbpo/nn/cpu_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "usbpo/nn/element_math.hpp"
#include "usbpo/nn/normalizer.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo {
namespace {

// Parameters per task of the element-wise passes (a multiple of every vector width).
constexpr std::size_t kChunk = 16384;

}  // namespace

Status CpuBackend::reserve_device(std::size_t bytes) {
  if (!host_arena_ || host_arena_->measuring()) {
    return Status::error(StatusCode::kFailedPrecondition, "CPU backend: reserve_device needs a host arena with memory");
  }
  void* block = host_arena_->allocate_bytes(bytes);
  if (!block) {
    return Status::error(StatusCode::kOutOfMemory, "CPU backend: the host arena has no room for %zu device bytes",
                         bytes);
  }
  reserved_ = Arena(block, bytes);
  reserved_set_ = true;
  return Status::ok();
}

Arena& CpuBackend::device_arena() {
  if (reserved_set_) return reserved_;
  return host_arena_ ? *host_arena_ : measuring_;
}

void CpuBackend::upload(void* device_dst, const void* host_src, std::size_t bytes) {
  ++counters_.uploads;
  counters_.upload_bytes += static_cast<std::int64_t>(bytes);
  if (device_dst != host_src) std::memcpy(device_dst, host_src, bytes);
}

void CpuBackend::download(void* host_dst, const void* device_src, std::size_t bytes) {
  ++counters_.downloads;
  counters_.download_bytes += static_cast<std::int64_t>(bytes);
  if (host_dst != device_src) std::memcpy(host_dst, device_src, bytes);
}

void CpuBackend::synchronize() { ++counters_.synchronizations; }

void CpuBackend::fill(Scalar* device_dst, Scalar value, std::size_t count) {
  ++counters_.op_calls;
  std::fill(device_dst, device_dst + count, value);
}

void CpuBackend::copy(void* device_dst, const void* device_src, std::size_t bytes) {
  ++counters_.op_calls;
  if (device_dst != device_src) std::memmove(device_dst, device_src, bytes);
}

Status CpuBackend::begin_capture(int) {
  return Status::error(StatusCode::kUnimplemented, "the CPU backend has no graphs: call the ops directly");
}
Status CpuBackend::end_capture(int) {
  return Status::error(StatusCode::kUnimplemented, "the CPU backend has no graphs");
}
Status CpuBackend::replay(int, int) {
  return Status::error(StatusCode::kUnimplemented, "the CPU backend has no graphs");
}

void CpuBackend::mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                             std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                             int member_count) {
  ++counters_.op_calls;
  MlpOps::forward(runner_, net, params, input, input_member_stride, batch, ws, first_member, member_count);
}

void CpuBackend::mlp_backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws, int first_member,
                              int member_count, Scalar* grads, bool accumulate, bool input_grad) {
  ++counters_.op_calls;
  MlpOps::backward(runner_, net, params, ws, first_member, member_count, grads, accumulate, input_grad);
}

void CpuBackend::adam(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n,
                      const AdamConfig& config, const AdamSegment* segments, int segment_count, std::int64_t* step) {
  ++counters_.op_calls;
  ++*step;
  adam_step_segments(runner_, theta, grad, m, v, n, config, segments, segment_count, *step);
}

void CpuBackend::polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) {
  ++counters_.op_calls;
  const Chunks chunks{n, kChunk};
  run_tasks(runner_, chunks.count(), 2.0 * static_cast<double>(n), [&](int i) {
    const std::size_t b = chunks.begin(i);
    ops::polyak(target + b, source + b, chunks.end(i) - b, tau);
  });
}

void CpuBackend::stack_rows(const Scalar* a, int rows_a, const Scalar* b, int rows_b, int n, Scalar* dst) {
  ++counters_.op_calls;
  const int rows = rows_a + rows_b;
  for (int i = 0; i < n; ++i) {
    Scalar* col = dst + static_cast<std::size_t>(i) * rows;
    std::copy(a + static_cast<std::size_t>(i) * rows_a, a + static_cast<std::size_t>(i + 1) * rows_a, col);
    std::copy(b + static_cast<std::size_t>(i) * rows_b, b + static_cast<std::size_t>(i + 1) * rows_b, col + rows_a);
  }
}

void CpuBackend::tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n, Scalar log_std_min,
                                      Scalar log_std_max, Scalar* action, Scalar* log_pi) {
  ++counters_.op_calls;
  ops::tanh_gaussian_sample(output, eps, act, n, log_std_min, log_std_max, action, log_pi);
}

void CpuBackend::tanh_mean(const Scalar* output, int act, int n, Scalar* action) {
  ++counters_.op_calls;
  for (int i = 0; i < n; ++i) {
    const Scalar* col = output + static_cast<std::size_t>(i) * 2 * act;
    for (int d = 0; d < act; ++d) action[static_cast<std::size_t>(i) * act + d] = std::tanh(col[d]);
  }
}

void CpuBackend::sac_td_target(const Scalar* q1_target, const Scalar* q2_target, const Scalar* log_pi,
                               const Scalar* reward, const Scalar* not_done, const Scalar* log_alpha, Scalar gamma,
                               int n, Scalar* y) {
  ++counters_.op_calls;
  const Scalar alpha = std::exp(*log_alpha);
  for (int i = 0; i < n; ++i) {
    y[i] = element::sac_td_target(q1_target[i], q2_target[i], log_pi[i], reward[i], not_done[i], alpha, gamma);
  }
}

void CpuBackend::sac_critic_loss(const Scalar* q1, const Scalar* q2, const Scalar* y, int n, Scalar* dq1,
                                 Scalar* dq2, double* loss) {
  ++counters_.op_calls;
  double total = 0;
  for (int i = 0; i < n; ++i) total += element::critic_error(q1[i], y[i], n, &dq1[i]);
  for (int i = 0; i < n; ++i) total += element::critic_error(q2[i], y[i], n, &dq2[i]);
  *loss = total;
}

void CpuBackend::sac_actor_min_q(const Scalar* q1, const Scalar* q2, const Scalar* log_pi, const Scalar* log_alpha,
                                 int n, int* argmin, Scalar* dq1, Scalar* dq2, double* loss, double* sum_log_pi) {
  ++counters_.op_calls;
  const Scalar alpha = std::exp(*log_alpha);
  double total = 0, log_pi_sum = 0;
  for (int i = 0; i < n; ++i) {
    argmin[i] = element::critic_argmin(q1[i], q2[i]);
    total += element::actor_loss_term(q1[i], q2[i], log_pi[i], alpha, n);
    log_pi_sum += log_pi[i];
    dq1[i] = argmin[i] == 0 ? 1.0f : 0.0f;
    dq2[i] = argmin[i] == 1 ? 1.0f : 0.0f;
  }
  *loss = total;
  *sum_log_pi = log_pi_sum;
}

void CpuBackend::select_action_grad(const Scalar* input_grad0, const Scalar* input_grad1, const int* argmin,
                                    int in_dim, int obs_dim, int act, int n, Scalar* dq_da) {
  ++counters_.op_calls;
  for (int i = 0; i < n; ++i) {
    const Scalar* grad = (argmin[i] == 1 ? input_grad1 : input_grad0) + static_cast<std::size_t>(i) * in_dim + obs_dim;
    std::copy(grad, grad + act, dq_da + static_cast<std::size_t>(i) * act);
  }
}

void CpuBackend::tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act, int n,
                                        Scalar log_std_min, Scalar log_std_max, const Scalar* log_alpha,
                                        Scalar* d_output) {
  ++counters_.op_calls;
  ops::tanh_gaussian_backward(output, eps, dq_da, act, n, log_std_min, log_std_max, std::exp(*log_alpha), d_output);
}

void CpuBackend::sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy, const Scalar* log_alpha,
                                Scalar* grad, double* loss) {
  ++counters_.op_calls;
  // J(alpha) = -mean(log alpha (log pi + target entropy)), log pi held fixed.
  const Scalar weight = static_cast<Scalar>(*sum_log_pi / n) + target_entropy;
  *grad = -weight;
  *loss = -*log_alpha * weight;
}

void CpuBackend::sum(const Scalar* q, int n, double* sum) {
  ++counters_.op_calls;
  double total = 0;
  for (int i = 0; i < n; ++i) total += q[i];
  *sum = total;
}

// ---- Dynamics ensemble --------------------------------------------------------
// Bit for bit the loops GaussianEnsemble ran on the host before the seam: the
// NLL, its bound gradients and the L2 decay are the (vectorised) CPU kernels,
// the rest are loops over the element bodies.

void CpuBackend::transition_batch(const Scalar* raw, int obs_dim, int act_dim, int n, const Scalar* mean,
                                  const Scalar* std, Scalar* inputs, Scalar* targets) {
  ++counters_.op_calls;
  const int in = obs_dim + act_dim, out = obs_dim + 1, width = in + out;
  const Chunks ranges{static_cast<std::size_t>(n), 256};
  run_tasks(runner_, ranges.count(), 4.0 * n * width, [&](int r) {
    for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
      const Scalar* col = raw + i * width;
      Scalar* x = inputs + i * in;
      for (int d = 0; d < in; ++d) x[d] = element::normalise(col[d], mean[d], std[d]);
      Scalar* y = targets + i * out;
      y[0] = col[in];
      for (int d = 0; d < obs_dim; ++d) y[1 + d] = col[in + 1 + d] - col[d];
    }
  });
}

void CpuBackend::ensemble_nll(const EnsembleMlp& net, MlpWorkspace& ws, int members, const Scalar* targets,
                              const Scalar* max_lv, const Scalar* min_lv, int n, bool with_gradients,
                              Scalar* scratch, std::size_t scratch_stride, Scalar* d_max, Scalar* d_min,
                              double* member_loss) {
  ++counters_.op_calls;
  const int out = net.shape().output_dim / 2;
  const Scalar scale = 1.0f / (static_cast<Scalar>(n) * out);
  const std::size_t block = static_cast<std::size_t>(out) * n;
  run_tasks(runner_, members, 20.0 * block * members, [&](int b) {
    member_loss[b] = ops::gaussian_nll(ws.output(b), targets + static_cast<std::size_t>(b) * block, max_lv, min_lv,
                                       out, n, scale, with_gradients ? ws.output_grad(b) : nullptr, nullptr, nullptr,
                                       scratch + scratch_stride * b);
  });
  if (!with_gradients) return;
  std::fill(d_max, d_max + out, 0.0f);
  std::fill(d_min, d_min + out, 0.0f);
  for (int b = 0; b < members; ++b) ops::gaussian_nll_bound_grads(out, n, scratch + scratch_stride * b, d_max, d_min);
}

void CpuBackend::ensemble_regularise(const EnsembleMlp& net, const Scalar* params, Scalar* grads,
                                     const Scalar* decays, Scalar coef, const double* member_loss,
                                     double* decay_terms, double* loss) {
  ++counters_.op_calls;
  const int members = net.shape().members;
  const int out = net.shape().output_dim / 2;
  const std::size_t mlp_params = net.total_params();
  const Scalar* max_lv = params + mlp_params;
  const Scalar* min_lv = max_lv + out;
  double total = 0;
  for (int b = 0; b < members; ++b) total += member_loss[b];
  for (int d = 0; d < out; ++d) {
    total += coef * (static_cast<double>(max_lv[d]) - min_lv[d]);
    if (grads) {
      grads[mlp_params + d] += coef;
      grads[mlp_params + out + d] -= coef;
    }
  }
  const int layers = net.num_layers();
  run_tasks(runner_, members, 2.0 * static_cast<double>(mlp_params), [&](int b) {
    const std::size_t member = net.member_offset(b);
    for (int l = 0; l < layers; ++l) {
      const std::size_t n_w = static_cast<std::size_t>(net.layer_out(l)) * net.layer_in(l);
      const std::size_t offset = member + net.weight_offset(l);
      decay_terms[b * layers + l] = ops::l2_decay(params + offset, grads ? grads + offset : nullptr, n_w, decays[l]);
    }
  });
  for (int i = 0; i < members * layers; ++i) total += decay_terms[i];
  *loss = total;
}

void CpuBackend::ensemble_squared_error(const MlpWorkspace& ws, int members, const Scalar* targets, int out, int n,
                                        bool accumulate, double* sums) {
  ++counters_.op_calls;
  run_tasks(runner_, members, 2.0 * n * out * members, [&](int b) {
    const Scalar* y_hat = ws.output(b);
    double sum = accumulate ? sums[b] : 0.0;
    for (int i = 0; i < n; ++i) {
      const Scalar* col = y_hat + static_cast<std::size_t>(i) * 2 * out;
      const Scalar* target = targets + static_cast<std::size_t>(i) * out;
      for (int d = 0; d < out; ++d) sum += element::squared_error(col[d], target[d]);
    }
    sums[b] = sum;
  });
}

// ---- USB-PO phase 2 -------------------------------------------------------------
// Bit for bit the loops W2FineTune ran on the host before the seam (the soft
// clamp and W2 are the CPU kernels, per sample ranges of 128).

void CpuBackend::normalise_columns(const Scalar* raw, int dim, int n, const Scalar* mean, const Scalar* std,
                                   Scalar* out) {
  ++counters_.op_calls;
  const Chunks ranges{static_cast<std::size_t>(n), 128};
  run_tasks(runner_, ranges.count(), 4.0 * n * dim, [&](int r) {
    for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
      for (int d = 0; d < dim; ++d) out[i * dim + d] = element::normalise(raw[i * dim + d], mean[d], std[d]);
    }
  });
}

void CpuBackend::w2_m1_moments(const MlpWorkspace& ws, const int* k1, const Scalar* max_lv, const Scalar* min_lv,
                               int out, int n, Scalar* p_mu, Scalar* p_sd) {
  ++counters_.op_calls;
  const Chunks ranges{static_cast<std::size_t>(n), 128};
  run_tasks(runner_, ranges.count(), 40.0 * n * out, [&](int r) {
    for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
      const Scalar* col = ws.output(k1[i]) + i * 2 * out;
      ops::soft_clamp_logvar(col, max_lv, min_lv, out, 1, p_sd + i * out);
      for (int d = 0; d < out; ++d) {
        p_mu[i * out + d] = col[d];
        p_sd[i * out + d] = std::exp(0.5f * p_sd[i * out + d]);
      }
    }
  });
}

void CpuBackend::w2_m2_moments(const MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                               int out, int n, bool with_gradients, Scalar* lv, Scalar* sd, Scalar* d_mu,
                               Scalar* d_sd) {
  ++counters_.op_calls;
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  run_tasks(runner_, members, 40.0 * per_member * members, [&](int b) {
    ops::soft_clamp_logvar(ws.output(b), max_lv, min_lv, out, n, lv + b * per_member);
    for (std::size_t k = 0; k < per_member; ++k) sd[b * per_member + k] = std::exp(0.5f * lv[b * per_member + k]);
    if (with_gradients) {
      std::fill(d_mu + b * per_member, d_mu + (b + 1) * per_member, 0.0f);
      std::fill(d_sd + b * per_member, d_sd + (b + 1) * per_member, 0.0f);
    }
  });
}

void CpuBackend::w2_terms(const MlpWorkspace& ws, const Scalar* p_mu, const Scalar* p_sd, const Scalar* sd,
                          const int* k2, int members, int out, int n, Scalar eps, bool use_shift, bool use_bias,
                          bool with_gradients, Scalar* d_mu, Scalar* d_sd, double* sample_shift,
                          double* sample_bias, double* terms) {
  ++counters_.op_calls;
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  auto mu_of = [&](int b, std::size_t i) { return ws.output(b) + i * 2 * out; };
  auto sd_of = [&](int b, std::size_t i) { return sd + b * per_member + i * out; };
  auto dmu = [&](int b, std::size_t i) { return with_gradients ? d_mu + b * per_member + i * out : nullptr; };
  auto dsd = [&](int b, std::size_t i) { return with_gradients ? d_sd + b * per_member + i * out : nullptr; };
  const Scalar w_shift = with_gradients ? 1.0f / n : 0.0f;
  const Scalar w_bias = with_gradients ? 1.0f / (static_cast<Scalar>(n) * (members - 1)) : 0.0f;
  // Each sample writes the gradients of its own columns only.
  const Chunks ranges{static_cast<std::size_t>(n), 128};
  run_tasks(runner_, ranges.count(), 10.0 * n * out * members, [&](int r) {
    for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
      const int k = k2[i];
      sample_shift[i] = 0;
      sample_bias[i] = 0;
      if (use_shift) {
        // Model shift: W2(M1^k1, M2^k2), gradients into M2^k2 only (M1 is fixed).
        sample_shift[i] = ops::w2_diag_gaussian(p_mu + i * out, p_sd + i * out, mu_of(k, i), sd_of(k, i), out, eps,
                                                w_shift, nullptr, nullptr, dmu(k, i), dsd(k, i));
      }
      if (use_bias) {
        // Model bias: mean over b != k2 of W2(M2^k2, M2^b).
        double sum = 0;
        for (int b = 0; b < members; ++b) {
          if (b == k) continue;
          sum += ops::w2_diag_gaussian(mu_of(k, i), sd_of(k, i), mu_of(b, i), sd_of(b, i), out, eps, w_bias,
                                       dmu(k, i), dsd(k, i), dmu(b, i), dsd(b, i));
        }
        sample_bias[i] = sum / (members - 1);
      }
    }
  });
  double shift = 0, bias = 0;
  for (int i = 0; i < n; ++i) {
    if (use_shift) shift += sample_shift[i];
    if (use_bias) bias += sample_bias[i];
  }
  terms[0] = shift / n;
  terms[1] = bias / n;
}

void CpuBackend::w2_backward(MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                             const Scalar* sd, int out, int n, Scalar* d_mu, Scalar* d_sd, Scalar* d_max,
                             Scalar* d_min) {
  ++counters_.op_calls;
  // Each (member, sample range) writes its outputs' gradients and leaves its
  // shares of the bounds' gradients in d_mu / d_sd (read there first), which
  // are then added in member, sample and dimension order.
  const std::size_t per_member = static_cast<std::size_t>(out) * n;
  std::fill(d_max, d_max + out, 0.0f);
  std::fill(d_min, d_min + out, 0.0f);
  const Chunks ranges{static_cast<std::size_t>(n), 128};
  const int range_count = ranges.count();
  run_tasks(runner_, members * range_count, 60.0 * per_member * members, [&](int task) {
    const int b = task / range_count;
    const int r = task % range_count;
    const Scalar* y = ws.output(b);
    Scalar* dy = ws.output_grad(b);
    for (std::size_t i = ranges.begin(r); i < ranges.end(r); ++i) {
      for (int d = 0; d < out; ++d) {
        const std::size_t k = b * per_member + i * out + d;
        dy[i * 2 * out + d] = d_mu[k];
        element::w2_clamp_backward(y[i * 2 * out + out + d], max_lv[d], min_lv[d], d_sd[k], sd[k],
                                   &dy[i * 2 * out + out + d], &d_mu[k], &d_sd[k]);
      }
    }
  });
  for (std::size_t k = 0; k < members * per_member; k += out) {
    for (int d = 0; d < out; ++d) {
      d_max[d] += d_mu[k + d];
      d_min[d] += d_sd[k + d];
    }
  }
}

void CpuBackend::all_finite(const Scalar* x, std::size_t n, double* flag) {
  ++counters_.op_calls;
  *flag = usbpo::all_finite(x, n) ? 1.0 : 0.0;
}

// ---- Replay stores on the device (issue 15) ----------------------------------

void CpuBackend::gather_sac_batch(const StoreColumns& real, const StoreColumns& model, const std::int32_t* header,
                                  const int* slots, const Scalar* noise, int obs_dim, int act_dim, int batch,
                                  const SacBatchColumns& dst) {
  ++counters_.op_calls;
  const std::size_t n = static_cast<std::size_t>(batch), g = static_cast<std::size_t>(header[kUpdateBlockIndex]);
  const std::size_t n_real = static_cast<std::size_t>(header[kUpdateBlockRealCount]);
  const int* update_slots = slots + g * n;
  for (std::size_t i = 0; i < n; ++i) {
    const StoreColumns& s = i < n_real ? real : model;
    element::gather_transition(s.obs, s.act, s.reward, s.next_obs, s.terminal,
                               static_cast<std::size_t>(update_slots[i]), obs_dim, act_dim, i, dst.obs, dst.act,
                               dst.reward, dst.next_obs, dst.not_done);
  }
  const std::size_t eps = n * static_cast<std::size_t>(act_dim);
  const Scalar* update_noise = noise + g * 2 * eps;
  std::copy(update_noise, update_noise + eps, dst.eps_next);
  std::copy(update_noise + eps, update_noise + 2 * eps, dst.eps_actor);
}

void CpuBackend::advance_update_index(std::int32_t* header) {
  ++counters_.op_calls;
  ++header[kUpdateBlockIndex];
}

// ---- The ensemble's data from a store on the device (issue 15) ------------------

void CpuBackend::gather_transitions(const StoreColumns& store, const int* slots, std::size_t slot_stride,
                                    int members, int n, int obs_dim, int act_dim, Scalar* raw) {
  ++counters_.op_calls;
  const std::size_t od = static_cast<std::size_t>(obs_dim), ad = static_cast<std::size_t>(act_dim);
  const std::size_t width = 2 * od + ad + 1;
  run_tasks(runner_, members, 2.0 * n * width * members, [&](int b) {
    const int* member_slots = slots + static_cast<std::size_t>(b) * slot_stride;
    Scalar* block = raw + static_cast<std::size_t>(b) * width * static_cast<std::size_t>(n);
    for (int i = 0; i < n; ++i) {
      const std::size_t slot = static_cast<std::size_t>(member_slots[i]);
      Scalar* col = block + static_cast<std::size_t>(i) * width;
      for (std::size_t r = 0; r < width; ++r) {
        col[r] = element::raw_transition_value(store.obs, store.act, store.reward, store.next_obs, slot, obs_dim,
                                               act_dim, r);
      }
    }
  });
}

void CpuBackend::normalizer_fit(const StoreColumns& store, const int* slots, int n, int obs_dim, int act_dim,
                                Scalar* mean, Scalar* std, Scalar* inv_std) {
  ++counters_.op_calls;
  for (int d = 0; d < obs_dim + act_dim; ++d) {
    auto value = [&](int i) {
      const std::size_t slot = static_cast<std::size_t>(slots[i]);
      return d < obs_dim ? store.obs[slot * obs_dim + d] : store.act[slot * act_dim + (d - obs_dim)];
    };
    fit_feature(value, n, &mean[d], &std[d], &inv_std[d]);
  }
}

// ---- Model rollouts on the device (issue 15) ----------------------------------

void CpuBackend::gather_columns(const Scalar* src, int rows, const int* index, int n, Scalar* dst) {
  ++counters_.op_calls;
  const std::size_t r = static_cast<std::size_t>(rows);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const Scalar* column = src + static_cast<std::size_t>(index[i]) * r;
    std::copy(column, column + r, dst + i * r);
  }
}

void CpuBackend::ensemble_draw(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv, const int* index,
                               int k, const Scalar* noise, const Scalar* obs, int obs_dim, Scalar* logvar,
                               Scalar* next_obs, Scalar* reward) {
  ++counters_.op_calls;
  const int out = obs_dim + 1;
  // By fixed ranges of the samples (the result does not depend on the cut).
  const Chunks ranges{static_cast<std::size_t>(k), 256};
  run_tasks(runner_, ranges.count(), 40.0 * k * out, [&](int r) {
    const std::size_t j0 = ranges.begin(r);
    ops::soft_clamp_logvar(output + j0 * 2 * out, max_lv, min_lv, out, static_cast<int>(ranges.end(r) - j0),
                           logvar + j0 * out);
    for (std::size_t j = j0; j < ranges.end(r); ++j) {
      const std::size_t s = static_cast<std::size_t>(index[j]);
      const Scalar* mu = output + j * 2 * out;
      const Scalar* lv = logvar + j * out;
      const Scalar* z = noise + s * out;
      reward[s] = element::gaussian_reward_draw(mu[0], lv[0], z[0]);
      const Scalar* o = obs + s * obs_dim;
      Scalar* o2 = next_obs + s * obs_dim;
      for (int d = 0; d < obs_dim; ++d) o2[d] = element::gaussian_state_draw(o[d], mu[1 + d], lv[1 + d], z[1 + d]);
    }
  });
}

}  // namespace usbpo
