#include "checked_cpu_backend.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace usbpo {
namespace testing_support {

CheckedCpuBackend::~CheckedCpuBackend() {
  if (base_) munmap(base_, mapped_);
}

Status CheckedCpuBackend::reserve_device(std::size_t bytes) {
  if (base_) munmap(base_, mapped_);
  base_ = nullptr;
  arena_ = Arena();
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  mapped_ = (bytes + page - 1) / page * page;
  if (mapped_ == 0) mapped_ = page;
  void* p = mmap(nullptr, mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return Status::error(StatusCode::kOutOfMemory, "checked backend: mmap of %zu bytes failed", mapped_);
  }
  base_ = static_cast<unsigned char*>(p);
  arena_ = Arena(base_, bytes);
  return Status::ok();
}

bool CheckedCpuBackend::on_device(const void* p) const {
  const unsigned char* c = static_cast<const unsigned char*>(p);
  return base_ && c >= base_ && c < base_ + mapped_;
}

void CheckedCpuBackend::expect_device(const char* op, std::initializer_list<const void*> pointers) const {
  for (const void* p : pointers) {
    if (p && !on_device(p)) {
      std::fprintf(stderr, "checked backend: %s got %p, which is not device memory\n", op, p);
      std::abort();
    }
  }
}

CheckedCpuBackend::Open::Open(CheckedCpuBackend& backend, bool op) : backend_(backend) {
  if (op) ++backend_.counters_.op_calls;
  if (backend_.base_ && mprotect(backend_.base_, backend_.mapped_, PROT_READ | PROT_WRITE) != 0) std::abort();
}

CheckedCpuBackend::Open::~Open() {
  if (backend_.base_ && mprotect(backend_.base_, backend_.mapped_, PROT_NONE) != 0) std::abort();
}

void CheckedCpuBackend::upload(void* device_dst, const void* host_src, std::size_t bytes) {
  expect_device("upload", {device_dst, bytes ? static_cast<const unsigned char*>(device_dst) + bytes - 1 : nullptr});
  if (on_device(host_src)) {
    std::fprintf(stderr, "checked backend: upload from device memory\n");
    std::abort();
  }
  ++counters_.uploads;
  counters_.upload_bytes += static_cast<std::int64_t>(bytes);
  Open open(*this, false);
  std::memcpy(device_dst, host_src, bytes);
}

void CheckedCpuBackend::download(void* host_dst, const void* device_src, std::size_t bytes) {
  expect_device("download", {device_src, bytes ? static_cast<const unsigned char*>(device_src) + bytes - 1 : nullptr});
  if (on_device(host_dst)) {
    std::fprintf(stderr, "checked backend: download into device memory\n");
    std::abort();
  }
  ++counters_.downloads;
  counters_.download_bytes += static_cast<std::int64_t>(bytes);
  Open open(*this, false);
  std::memcpy(host_dst, device_src, bytes);
}

void CheckedCpuBackend::synchronize() { ++counters_.synchronizations; }

void CheckedCpuBackend::fill(Scalar* device_dst, Scalar value, std::size_t count) {
  expect_device("fill", {device_dst});
  Open open(*this, true);
  inner_.fill(device_dst, value, count);
}

void CheckedCpuBackend::copy(void* device_dst, const void* device_src, std::size_t bytes) {
  expect_device("copy", {device_dst, device_src});
  Open open(*this, true);
  inner_.copy(device_dst, device_src, bytes);
}

void CheckedCpuBackend::mlp_forward(const EnsembleMlp& net, const Scalar* params, const Scalar* input,
                                    std::size_t input_member_stride, int batch, MlpWorkspace& ws, int first_member,
                                    int member_count) {
  expect_device("mlp_forward", {params, input, ws.output(first_member)});
  Open open(*this, true);
  inner_.mlp_forward(net, params, input, input_member_stride, batch, ws, first_member, member_count);
}

void CheckedCpuBackend::mlp_backward(const EnsembleMlp& net, const Scalar* params, MlpWorkspace& ws,
                                     int first_member, int member_count, Scalar* grads, bool accumulate,
                                     bool input_grad) {
  expect_device("mlp_backward", {params, grads, ws.output_grad(first_member)});
  Open open(*this, true);
  inner_.mlp_backward(net, params, ws, first_member, member_count, grads, accumulate, input_grad);
}

void CheckedCpuBackend::adam(Scalar* theta, const Scalar* grad, Scalar* m, Scalar* v, std::size_t n,
                             const AdamConfig& config, const AdamSegment* segments, int segment_count,
                             std::int64_t* step) {
  expect_device("adam", {theta, grad, m, v, step});
  Open open(*this, true);
  inner_.adam(theta, grad, m, v, n, config, segments, segment_count, step);
}

void CheckedCpuBackend::polyak(Scalar* target, const Scalar* source, std::size_t n, Scalar tau) {
  expect_device("polyak", {target, source});
  Open open(*this, true);
  inner_.polyak(target, source, n, tau);
}

void CheckedCpuBackend::stack_rows(const Scalar* a, int rows_a, const Scalar* b, int rows_b, int n, Scalar* dst) {
  expect_device("stack_rows", {a, b, dst});
  Open open(*this, true);
  inner_.stack_rows(a, rows_a, b, rows_b, n, dst);
}

void CheckedCpuBackend::tanh_gaussian_sample(const Scalar* output, const Scalar* eps, int act, int n,
                                             Scalar log_std_min, Scalar log_std_max, Scalar* action,
                                             Scalar* log_pi) {
  expect_device("tanh_gaussian_sample", {output, eps, action, log_pi});
  Open open(*this, true);
  inner_.tanh_gaussian_sample(output, eps, act, n, log_std_min, log_std_max, action, log_pi);
}

void CheckedCpuBackend::tanh_mean(const Scalar* output, int act, int n, Scalar* action) {
  expect_device("tanh_mean", {output, action});
  Open open(*this, true);
  inner_.tanh_mean(output, act, n, action);
}

void CheckedCpuBackend::sac_td_target(const Scalar* q1_target, const Scalar* q2_target, const Scalar* log_pi,
                                      const Scalar* reward, const Scalar* not_done, const Scalar* log_alpha,
                                      Scalar gamma, int n, Scalar* y) {
  expect_device("sac_td_target", {q1_target, q2_target, log_pi, reward, not_done, log_alpha, y});
  Open open(*this, true);
  inner_.sac_td_target(q1_target, q2_target, log_pi, reward, not_done, log_alpha, gamma, n, y);
}

void CheckedCpuBackend::sac_critic_loss(const Scalar* q1, const Scalar* q2, const Scalar* y, int n, Scalar* dq1,
                                        Scalar* dq2, double* loss) {
  expect_device("sac_critic_loss", {q1, q2, y, dq1, dq2, loss});
  Open open(*this, true);
  inner_.sac_critic_loss(q1, q2, y, n, dq1, dq2, loss);
}

void CheckedCpuBackend::sac_actor_min_q(const Scalar* q1, const Scalar* q2, const Scalar* log_pi,
                                        const Scalar* log_alpha, int n, int* argmin, Scalar* dq1, Scalar* dq2,
                                        double* loss, double* sum_log_pi) {
  expect_device("sac_actor_min_q", {q1, q2, log_pi, log_alpha, argmin, dq1, dq2, loss, sum_log_pi});
  Open open(*this, true);
  inner_.sac_actor_min_q(q1, q2, log_pi, log_alpha, n, argmin, dq1, dq2, loss, sum_log_pi);
}

void CheckedCpuBackend::select_action_grad(const Scalar* input_grad0, const Scalar* input_grad1, const int* argmin,
                                           int in_dim, int obs_dim, int act, int n, Scalar* dq_da) {
  expect_device("select_action_grad", {input_grad0, input_grad1, argmin, dq_da});
  Open open(*this, true);
  inner_.select_action_grad(input_grad0, input_grad1, argmin, in_dim, obs_dim, act, n, dq_da);
}

void CheckedCpuBackend::tanh_gaussian_backward(const Scalar* output, const Scalar* eps, const Scalar* dq_da, int act,
                                               int n, Scalar log_std_min, Scalar log_std_max,
                                               const Scalar* log_alpha, Scalar* d_output) {
  expect_device("tanh_gaussian_backward", {output, eps, dq_da, log_alpha, d_output});
  Open open(*this, true);
  inner_.tanh_gaussian_backward(output, eps, dq_da, act, n, log_std_min, log_std_max, log_alpha, d_output);
}

void CheckedCpuBackend::sac_alpha_grad(const double* sum_log_pi, int n, Scalar target_entropy,
                                       const Scalar* log_alpha, Scalar* grad, double* loss) {
  expect_device("sac_alpha_grad", {sum_log_pi, log_alpha, grad, loss});
  Open open(*this, true);
  inner_.sac_alpha_grad(sum_log_pi, n, target_entropy, log_alpha, grad, loss);
}

void CheckedCpuBackend::sum(const Scalar* q, int n, double* sum) {
  expect_device("sum", {q, sum});
  Open open(*this, true);
  inner_.sum(q, n, sum);
}

void CheckedCpuBackend::transition_batch(const Scalar* raw, int obs_dim, int act_dim, int n, const Scalar* mean,
                                         const Scalar* std, Scalar* inputs, Scalar* targets) {
  expect_device("transition_batch", {raw, mean, std, inputs, targets});
  Open open(*this, true);
  inner_.transition_batch(raw, obs_dim, act_dim, n, mean, std, inputs, targets);
}

void CheckedCpuBackend::ensemble_nll(const EnsembleMlp& net, MlpWorkspace& ws, int members, const Scalar* targets,
                                     const Scalar* max_lv, const Scalar* min_lv, int n, bool with_gradients,
                                     Scalar* scratch, std::size_t scratch_stride, Scalar* d_max, Scalar* d_min,
                                     double* member_loss) {
  expect_device("ensemble_nll", {ws.output(0), ws.output_grad(0), targets, max_lv, min_lv, scratch, d_max, d_min,
                                 member_loss});
  Open open(*this, true);
  inner_.ensemble_nll(net, ws, members, targets, max_lv, min_lv, n, with_gradients, scratch, scratch_stride, d_max,
                      d_min, member_loss);
}

void CheckedCpuBackend::ensemble_regularise(const EnsembleMlp& net, const Scalar* params, Scalar* grads,
                                            const Scalar* decays, Scalar coef, const double* member_loss,
                                            double* decay_terms, double* loss) {
  // decays: host configuration values, read by value.
  expect_device("ensemble_regularise", {params, grads, member_loss, decay_terms, loss});
  Open open(*this, true);
  inner_.ensemble_regularise(net, params, grads, decays, coef, member_loss, decay_terms, loss);
}

void CheckedCpuBackend::ensemble_squared_error(const MlpWorkspace& ws, int members, const Scalar* targets, int out,
                                               int n, bool accumulate, double* sums) {
  expect_device("ensemble_squared_error", {ws.output(0), targets, sums});
  Open open(*this, true);
  inner_.ensemble_squared_error(ws, members, targets, out, n, accumulate, sums);
}

void CheckedCpuBackend::normalise_columns(const Scalar* raw, int dim, int n, const Scalar* mean, const Scalar* std,
                                          Scalar* out) {
  expect_device("normalise_columns", {raw, mean, std, out});
  Open open(*this, true);
  inner_.normalise_columns(raw, dim, n, mean, std, out);
}

void CheckedCpuBackend::w2_m1_moments(const MlpWorkspace& ws, const int* k1, const Scalar* max_lv,
                                      const Scalar* min_lv, int out, int n, Scalar* p_mu, Scalar* p_sd) {
  expect_device("w2_m1_moments", {ws.output(0), k1, max_lv, min_lv, p_mu, p_sd});
  Open open(*this, true);
  inner_.w2_m1_moments(ws, k1, max_lv, min_lv, out, n, p_mu, p_sd);
}

void CheckedCpuBackend::w2_m2_moments(const MlpWorkspace& ws, int members, const Scalar* max_lv,
                                      const Scalar* min_lv, int out, int n, bool with_gradients, Scalar* lv,
                                      Scalar* sd, Scalar* d_mu, Scalar* d_sd) {
  expect_device("w2_m2_moments", {ws.output(0), max_lv, min_lv, lv, sd, d_mu, d_sd});
  Open open(*this, true);
  inner_.w2_m2_moments(ws, members, max_lv, min_lv, out, n, with_gradients, lv, sd, d_mu, d_sd);
}

void CheckedCpuBackend::w2_terms(const MlpWorkspace& ws, const Scalar* p_mu, const Scalar* p_sd, const Scalar* sd,
                                 const int* k2, int members, int out, int n, Scalar eps, bool use_shift,
                                 bool use_bias, bool with_gradients, Scalar* d_mu, Scalar* d_sd,
                                 double* sample_shift, double* sample_bias, double* terms) {
  expect_device("w2_terms", {ws.output(0), p_mu, p_sd, sd, k2, d_mu, d_sd, sample_shift, sample_bias, terms});
  Open open(*this, true);
  inner_.w2_terms(ws, p_mu, p_sd, sd, k2, members, out, n, eps, use_shift, use_bias, with_gradients, d_mu, d_sd,
                  sample_shift, sample_bias, terms);
}

void CheckedCpuBackend::w2_backward(MlpWorkspace& ws, int members, const Scalar* max_lv, const Scalar* min_lv,
                                    const Scalar* sd, int out, int n, Scalar* d_mu, Scalar* d_sd, Scalar* d_max,
                                    Scalar* d_min) {
  expect_device("w2_backward", {ws.output(0), ws.output_grad(0), max_lv, min_lv, sd, d_mu, d_sd, d_max, d_min});
  Open open(*this, true);
  inner_.w2_backward(ws, members, max_lv, min_lv, sd, out, n, d_mu, d_sd, d_max, d_min);
}

void CheckedCpuBackend::all_finite(const Scalar* x, std::size_t n, double* flag) {
  expect_device("all_finite", {x, flag});
  Open open(*this, true);
  inner_.all_finite(x, n, flag);
}

// ---- Replay stores on the device (issue 15) ----------------------------------

void CheckedCpuBackend::gather_sac_batch(const StoreColumns& real, const StoreColumns& model,
                                         const std::int32_t* header, const int* slots, const Scalar* noise,
                                         int obs_dim, int act_dim, int batch, const SacBatchColumns& dst) {
  expect_device("gather_sac_batch", {real.obs, real.act, real.reward, real.next_obs, real.terminal, model.obs,
                                     model.act, model.reward, model.next_obs, model.terminal, header, slots, noise,
                                     dst.obs, dst.act, dst.reward, dst.next_obs, dst.not_done, dst.eps_next,
                                     dst.eps_actor});
  Open open(*this, true);
  inner_.gather_sac_batch(real, model, header, slots, noise, obs_dim, act_dim, batch, dst);
}

void CheckedCpuBackend::advance_update_index(std::int32_t* header) {
  expect_device("advance_update_index", {header});
  Open open(*this, true);
  inner_.advance_update_index(header);
}

// ---- The ensemble's data from a store on the device (issue 15) ------------------

void CheckedCpuBackend::gather_transitions(const StoreColumns& store, const int* slots, std::size_t slot_stride,
                                           int members, int n, int obs_dim, int act_dim, Scalar* raw) {
  expect_device("gather_transitions", {store.obs, store.act, store.reward, store.next_obs, slots, raw});
  Open open(*this, true);
  inner_.gather_transitions(store, slots, slot_stride, members, n, obs_dim, act_dim, raw);
}

void CheckedCpuBackend::normalizer_fit(const StoreColumns& store, const int* slots, int n, int obs_dim, int act_dim,
                                       Scalar* mean, Scalar* std, Scalar* inv_std) {
  expect_device("normalizer_fit", {store.obs, store.act, slots, mean, std, inv_std});
  Open open(*this, true);
  inner_.normalizer_fit(store, slots, n, obs_dim, act_dim, mean, std, inv_std);
}

// ---- Model rollouts on the device (issue 15) ----------------------------------

void CheckedCpuBackend::gather_columns(const Scalar* src, int rows, const int* index, int n, Scalar* dst) {
  expect_device("gather_columns", {src, index, dst});
  Open open(*this, true);
  inner_.gather_columns(src, rows, index, n, dst);
}

void CheckedCpuBackend::ensemble_draw(const Scalar* output, const Scalar* max_lv, const Scalar* min_lv,
                                      const int* index, int k, const Scalar* noise, const Scalar* obs, int obs_dim,
                                      Scalar* logvar, Scalar* next_obs, Scalar* reward) {
  expect_device("ensemble_draw", {output, max_lv, min_lv, index, noise, obs, logvar, next_obs, reward});
  Open open(*this, true);
  inner_.ensemble_draw(output, max_lv, min_lv, index, k, noise, obs, obs_dim, logvar, next_obs, reward);
}

}  // namespace testing_support
}  // namespace usbpo
