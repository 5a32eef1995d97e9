// The dynamics ensemble's MLE ops and USB-PO's phase 2 ops on the CUDA backend
// against the CPU backend (elementwise 1e-6 relative where the op is one
// expression per element, 1e-5 through exp and the soft clamp, sums 1e-5
// relative norm), and one ensemble MLE step (7 members
// of 4 x 200, batch 256) in lockstep with the CPU: max |delta theta| <= 1e-5.
// Skipped, visibly, without a CUDA device.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "gpu_test_support.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/model/w2_fine_tune.hpp"
#include "usbpo/nn/cpu_backend.hpp"

namespace usbpo::cuda::testing {
namespace {

class CudaEnsembleOps : public GpuTest {};

MlpShape ensemble_shape(int obs_dim, int act_dim) {
  MlpShape s;
  s.members = 3;
  s.input_dim = obs_dim + act_dim;
  s.output_dim = 2 * (obs_dim + 1);
  s.hidden_layers = 2;
  s.hidden_width = 32;
  s.activation = Activation::kSwish;
  return s;
}

TEST_F(CudaEnsembleOps, TransitionBatch) {
  Rng rng(1);
  const int obs = 4, act = 2, n = 300, in = obs + act, out = obs + 1;
  const std::vector<float> raw = random_values(rng, static_cast<std::size_t>(in + out) * n);
  std::vector<float> mean = random_values(rng, in), std = random_values(rng, in);
  for (float& s : std) s = 0.5f + std::fabs(s);
  CpuBackend cpu;
  std::vector<float> cpu_x(in * n), cpu_y(out * n);
  cpu.transition_batch(raw.data(), obs, act, n, mean.data(), std.data(), cpu_x.data(), cpu_y.data());
  float* x = device_buffer<float>(cpu_x.size());
  float* y = device_buffer<float>(cpu_y.size());
  gpu_->transition_batch(to_device(raw), obs, act, n, to_device(mean), to_device(std), x, y);
  EXPECT_TRUE(elementwise_close(to_host(x, cpu_x.size()), cpu_x));
  EXPECT_TRUE(elementwise_close(to_host(y, cpu_y.size()), cpu_y));
}

TEST_F(CudaEnsembleOps, NllRegulariseAndSquaredError) {
  Rng rng(2);
  const int obs = 4, act = 2, n = 70, out = obs + 1;
  const MlpShape shape = ensemble_shape(obs, act);
  EnsembleMlp net;
  ASSERT_TRUE(net.configure(shape).is_ok());
  std::vector<float> params(net.total_params() + 2 * out);
  net.init_params(params.data(), MlpInit::kTruncatedNormal, rng);
  for (int d = 0; d < out; ++d) {
    params[net.total_params() + d] = 0.5f;
    params[net.total_params() + out + d] = -1.0f - d;  // tight, so both clamps act
  }
  const std::vector<float> input = random_values(rng, static_cast<std::size_t>(shape.input_dim) * n * shape.members);
  const std::vector<float> targets = random_values(rng, static_cast<std::size_t>(out) * n * shape.members);
  const std::vector<float> grad_start = random_values(rng, params.size(), 0.01f);
  const float decays[EnsembleMlp::kMaxLayers] = {1e-2f, 2e-2f, 3e-2f, 4e-2f};
  const std::size_t stride = 5 * static_cast<std::size_t>(out) * n + 16;
  const std::size_t in_stride = static_cast<std::size_t>(shape.input_dim) * n;

  // CPU.
  CpuBackend cpu;
  std::vector<unsigned char> memory(MlpWorkspace::bytes_needed(net, n, false, false));
  Arena arena(memory.data(), memory.size());
  MlpWorkspace cpu_ws;
  ASSERT_TRUE(cpu_ws.place(net, n, false, arena).is_ok());
  std::vector<float> cpu_grads = grad_start, scratch(stride * shape.members);
  std::vector<double> cpu_member(shape.members), cpu_terms(shape.members * net.num_layers()), cpu_sums(shape.members);
  double cpu_loss = 0;
  const std::size_t mlp = net.total_params();
  cpu.mlp_forward(net, params.data(), input.data(), in_stride, n, cpu_ws, 0, shape.members);
  cpu.ensemble_nll(net, cpu_ws, shape.members, targets.data(), params.data() + mlp, params.data() + mlp + out, n, true,
                   scratch.data(), stride, cpu_grads.data() + mlp, cpu_grads.data() + mlp + out, cpu_member.data());
  std::vector<std::vector<float>> cpu_d_out(shape.members);
  for (int b = 0; b < shape.members; ++b) {
    cpu_d_out[b].assign(cpu_ws.output_grad(b), cpu_ws.output_grad(b) + 2 * out * n);
  }
  cpu.ensemble_regularise(net, params.data(), cpu_grads.data(), decays, 0.3f, cpu_member.data(), cpu_terms.data(),
                          &cpu_loss);
  cpu.ensemble_squared_error(cpu_ws, shape.members, targets.data(), out, n, false, cpu_sums.data());
  cpu.ensemble_squared_error(cpu_ws, shape.members, targets.data(), out, n, true, cpu_sums.data());

  // GPU.
  MlpWorkspace gpu_ws;
  ASSERT_TRUE(gpu_ws.place(net, n, false, gpu_->device_arena()).is_ok());
  const float* d_params = to_device(params);
  float* d_grads = to_device(grad_start);
  float* d_scratch = device_buffer<float>(stride * shape.members);
  double* d_member = device_buffer<double>(shape.members);
  double* d_terms = device_buffer<double>(shape.members * net.num_layers());
  double* d_sums = device_buffer<double>(shape.members);
  double* d_loss = device_buffer<double>(1);
  const float* d_targets = to_device(targets);
  gpu_->mlp_forward(net, d_params, to_device(input), in_stride, n, gpu_ws, 0, shape.members);
  gpu_->ensemble_nll(net, gpu_ws, shape.members, d_targets, d_params + mlp, d_params + mlp + out, n, true, d_scratch,
                     stride, d_grads + mlp, d_grads + mlp + out, d_member);
  for (int b = 0; b < shape.members; ++b) {
    EXPECT_TRUE(elementwise_close(to_host(gpu_ws.output_grad(b), 2 * out * n), cpu_d_out[b])) << "member " << b;
  }
  gpu_->ensemble_regularise(net, d_params, d_grads, decays, 0.3f, d_member, d_terms, d_loss);
  gpu_->ensemble_squared_error(gpu_ws, shape.members, d_targets, out, n, false, d_sums);
  gpu_->ensemble_squared_error(gpu_ws, shape.members, d_targets, out, n, true, d_sums);
  const std::vector<double> member = to_host(d_member, shape.members), sums = to_host(d_sums, shape.members);
  for (int b = 0; b < shape.members; ++b) {
    EXPECT_TRUE(scalar_close(member[b], cpu_member[b])) << "member loss " << b;
    EXPECT_TRUE(scalar_close(sums[b], cpu_sums[b])) << "squared errors " << b;
  }
  EXPECT_TRUE(scalar_close(to_host(d_loss, 1)[0], cpu_loss));
  // Weight gradients with the decay added elementwise; the bound gradients are sums.
  const std::vector<float> grads = to_host(d_grads, params.size());
  EXPECT_TRUE(elementwise_close(std::vector<float>(grads.begin(), grads.begin() + mlp),
                                std::vector<float>(cpu_grads.begin(), cpu_grads.begin() + mlp)));
  EXPECT_TRUE(norm_close(std::vector<float>(grads.begin() + mlp, grads.end()),
                         std::vector<float>(cpu_grads.begin() + mlp, cpu_grads.end())));
}

TEST_F(CudaEnsembleOps, PhaseTwoOps) {
  Rng rng(6);
  const int obs = 4, act = 2, n = 90, in = obs + act, out = obs + 1;
  const MlpShape shape = ensemble_shape(obs, act);
  const int members = shape.members;
  EnsembleMlp net;
  ASSERT_TRUE(net.configure(shape).is_ok());
  const std::size_t mlp = net.total_params();
  std::vector<float> params(mlp + 2 * out);
  net.init_params(params.data(), MlpInit::kTruncatedNormal, rng);
  for (int d = 0; d < out; ++d) params[mlp + d] = 0.5f, params[mlp + out + d] = -2.0f - d;
  const std::vector<float> raw = random_values(rng, static_cast<std::size_t>(in) * n);
  std::vector<float> mean = random_values(rng, in), std = random_values(rng, in);
  for (float& x : std) x = 0.5f + std::fabs(x);
  std::vector<int> k1(n), k2(n);
  for (int i = 0; i < n; ++i) k1[i] = i % members, k2[i] = (i / 2) % members;
  const std::size_t block = static_cast<std::size_t>(members) * out * n;

  // CPU.
  CpuBackend cpu;
  std::vector<unsigned char> memory(MlpWorkspace::bytes_needed(net, n, false, false));
  Arena arena(memory.data(), memory.size());
  MlpWorkspace cpu_ws;
  ASSERT_TRUE(cpu_ws.place(net, n, false, arena).is_ok());
  std::vector<float> x(in * n), p_mu(out * n), p_sd(out * n), lv(block), sd(block), d_mu(block), d_sd(block);
  std::vector<float> bounds(2 * out);
  std::vector<double> shift(n), bias(n), terms(2), flag(1);
  cpu.normalise_columns(raw.data(), in, n, mean.data(), std.data(), x.data());
  cpu.mlp_forward(net, params.data(), x.data(), 0, n, cpu_ws, 0, members);
  cpu.w2_m1_moments(cpu_ws, k1.data(), params.data() + mlp, params.data() + mlp + out, out, n, p_mu.data(),
                    p_sd.data());
  cpu.w2_m2_moments(cpu_ws, members, params.data() + mlp, params.data() + mlp + out, out, n, true, lv.data(),
                    sd.data(), d_mu.data(), d_sd.data());
  cpu.w2_terms(cpu_ws, p_mu.data(), p_sd.data(), sd.data(), k2.data(), members, out, n, 1e-8f, true, true, true,
               d_mu.data(), d_sd.data(), shift.data(), bias.data(), terms.data());
  const std::vector<float> cpu_d_mu = d_mu, cpu_d_sd = d_sd;
  cpu.w2_backward(cpu_ws, members, params.data() + mlp, params.data() + mlp + out, sd.data(), out, n, d_mu.data(),
                  d_sd.data(), bounds.data(), bounds.data() + out);
  cpu.all_finite(params.data(), params.size(), flag.data());

  // GPU.
  MlpWorkspace gpu_ws;
  ASSERT_TRUE(gpu_ws.place(net, n, false, gpu_->device_arena()).is_ok());
  const float* g_params = to_device(params);
  float* g_x = device_buffer<float>(x.size());
  float* g_p_mu = device_buffer<float>(p_mu.size());
  float* g_p_sd = device_buffer<float>(p_sd.size());
  float* g_lv = device_buffer<float>(block);
  float* g_sd = device_buffer<float>(block);
  float* g_d_mu = device_buffer<float>(block);
  float* g_d_sd = device_buffer<float>(block);
  float* g_bounds = device_buffer<float>(2 * out);
  double* g_shift = device_buffer<double>(n);
  double* g_bias = device_buffer<double>(n);
  double* g_terms = device_buffer<double>(2);
  double* g_flag = device_buffer<double>(1);
  gpu_->normalise_columns(to_device(raw), in, n, to_device(mean), to_device(std), g_x);
  EXPECT_TRUE(elementwise_close(to_host(g_x, x.size()), x));
  gpu_->upload(g_x, x.data(), x.size() * sizeof(float));  // the network pass on the CPU's inputs
  gpu_->mlp_forward(net, g_params, g_x, 0, n, gpu_ws, 0, members);
  gpu_->w2_m1_moments(gpu_ws, to_device(k1), g_params + mlp, g_params + mlp + out, out, n, g_p_mu, g_p_sd);
  EXPECT_TRUE(elementwise_close(to_host(g_p_mu, p_mu.size()), p_mu, 1e-5));
  EXPECT_TRUE(elementwise_close(to_host(g_p_sd, p_sd.size()), p_sd, 1e-5));
  gpu_->w2_m2_moments(gpu_ws, members, g_params + mlp, g_params + mlp + out, out, n, true, g_lv, g_sd, g_d_mu,
                      g_d_sd);
  EXPECT_TRUE(elementwise_close(to_host(g_sd, block), sd, 1e-5));
  gpu_->w2_terms(gpu_ws, g_p_mu, g_p_sd, g_sd, to_device(k2), members, out, n, 1e-8f, true, true, true, g_d_mu,
                 g_d_sd, g_shift, g_bias, g_terms);
  EXPECT_TRUE(norm_close(to_host(g_d_mu, block), cpu_d_mu));
  EXPECT_TRUE(norm_close(to_host(g_d_sd, block), cpu_d_sd));
  const std::vector<double> gpu_terms = to_host(g_terms, 2);
  EXPECT_TRUE(scalar_close(gpu_terms[0], terms[0]));
  EXPECT_TRUE(scalar_close(gpu_terms[1], terms[1]));
  gpu_->w2_backward(gpu_ws, members, g_params + mlp, g_params + mlp + out, g_sd, out, n, g_d_mu, g_d_sd, g_bounds,
                    g_bounds + out);
  for (int b = 0; b < members; ++b) {
    EXPECT_TRUE(norm_close(to_host(gpu_ws.output_grad(b), 2 * out * n),
                           std::vector<float>(cpu_ws.output_grad(b), cpu_ws.output_grad(b) + 2 * out * n)))
        << "member " << b;
  }
  EXPECT_TRUE(norm_close(to_host(g_bounds, 2 * out), bounds));
  gpu_->all_finite(g_params, params.size(), g_flag);
  EXPECT_EQ(to_host(g_flag, 1)[0], flag[0]);
  EXPECT_EQ(flag[0], 1.0);
}

TEST(CudaEnsembleLockstep, OneMleStepWithin1e5) {
  std::string reason;
  if (!shared_backend(&reason)) {
    std::printf("SKIPPED: %s\n", reason.c_str());
    GTEST_SKIP() << reason;
  }
  // Hopper's ensemble: 7 members of 4 x 200, batch 256. 320 transitions with
  // a holdout of 64 leave 256 to train on: one epoch is one gradient step.
  EnsembleConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.max_samples = 320;
  c.max_epochs = 1;
  std::unique_ptr<CudaBackend> backend;
  CudaBackendOptions options;
  options.min_free_bytes = 0;
  ASSERT_TRUE(CudaBackend::create(options, &backend).is_ok());
  ASSERT_TRUE(backend->reserve_device(GaussianEnsemble::device_bytes_needed(c)).is_ok());
  std::vector<unsigned char> cpu_memory(GaussianEnsemble::bytes_needed(c));
  std::vector<unsigned char> gpu_memory(GaussianEnsemble::host_bytes_needed(c, false));
  Arena cpu_arena(cpu_memory.data(), cpu_memory.size()), gpu_arena(gpu_memory.data(), gpu_memory.size());
  GaussianEnsemble cpu, gpu;
  Rng init_cpu(3), init_gpu(3);
  ASSERT_TRUE(cpu.init(c, cpu_arena, init_cpu).is_ok());
  ASSERT_TRUE(gpu.init(c, *backend, gpu_arena, init_gpu).is_ok());
  const int n = 320;
  Rng data(4);
  std::vector<float> obs = random_values(data, 11 * n), act = random_values(data, 3 * n);
  std::vector<float> reward = random_values(data, n), next = random_values(data, 11 * n);
  for (int i = 0; i < 11 * n; ++i) next[i] = obs[i] + 0.1f * next[i];
  std::vector<int> slots(n);
  for (int i = 0; i < n; ++i) slots[i] = i;
  const TransitionView view{obs.data(), act.data(), reward.data(), next.data()};
  Rng ra(5), rb(5);
  EnsembleTrainReport a, b;
  ASSERT_TRUE(cpu.train(view, slots.data(), n, ra, &a).is_ok());
  ASSERT_TRUE(gpu.train(view, slots.data(), n, rb, &b).is_ok());
  ASSERT_TRUE(backend->error().is_ok()) << backend->error().message();
  ASSERT_EQ(a.gradient_steps, 1);
  ASSERT_EQ(b.gradient_steps, 1);
  double worst = 0;
  for (std::size_t i = 0; i < cpu.param_count(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(cpu.params()[i]) - gpu.params()[i]));
  }
  std::printf("ensemble MLE step: max |delta theta| = %.3g\n", worst);
  EXPECT_LE(worst, 1e-5);
  EXPECT_TRUE(scalar_close(b.last_train_loss, a.last_train_loss, 1e-5));
}

TEST(CudaPhaseTwoLockstep, OneFineTuneStepWithin1e5) {
  std::string reason;
  if (!shared_backend(&reason)) {
    std::printf("SKIPPED: %s\n", reason.c_str());
    GTEST_SKIP() << reason;
  }
  // Hopper's ensemble and phase 2 (batch 256), one fine-tuning step from the
  // same M1 and batches on the CPU and the GPU.
  EnsembleConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.max_samples = 320;
  W2FineTuneConfig w;
  w.batch = 256;
  w.max_steps = 1;
  std::unique_ptr<CudaBackend> backend;
  CudaBackendOptions options;
  options.min_free_bytes = 0;
  ASSERT_TRUE(CudaBackend::create(options, &backend).is_ok());
  ASSERT_TRUE(backend
                  ->reserve_device(GaussianEnsemble::device_bytes_needed(c) + W2FineTune::device_bytes_needed(w, c))
                  .is_ok());
  std::vector<unsigned char> cpu_memory(GaussianEnsemble::bytes_needed(c) + W2FineTune::bytes_needed(w, c));
  std::vector<unsigned char> gpu_memory(GaussianEnsemble::host_bytes_needed(c, false) +
                                        W2FineTune::host_bytes_needed(w, c, false));
  Arena cpu_arena(cpu_memory.data(), cpu_memory.size()), gpu_arena(gpu_memory.data(), gpu_memory.size());
  GaussianEnsemble cpu, gpu;
  W2FineTune cpu_w2, gpu_w2;
  Rng init_cpu(3), init_gpu(3);
  ASSERT_TRUE(cpu.init(c, cpu_arena, init_cpu).is_ok());
  ASSERT_TRUE(gpu.init(c, *backend, gpu_arena, init_gpu).is_ok());
  ASSERT_TRUE(cpu_w2.init(w, cpu, cpu_arena).is_ok());
  ASSERT_TRUE(gpu_w2.init(w, gpu, gpu_arena).is_ok());
  cpu_w2.backup(cpu);
  gpu_w2.backup(gpu);
  // Make M2 differ from M1 so both terms have gradients.
  for (GaussianEnsemble* m : {&cpu, &gpu}) {
    for (std::size_t i = 0; i < m->network().total_params(); i += 5) m->params()[i] *= 1.05f;
    m->push_params();
  }
  Rng data(8);
  const int n = 256;
  const std::vector<float> obs = random_values(data, 11 * n), act = random_values(data, 3 * n);
  const std::vector<float> val_obs = random_values(data, 11 * n), val_act = random_values(data, 3 * n);
  std::vector<int> k1(n), k2(n);
  Rng draws(9);
  cpu_w2.draw_members(n, draws, k1.data(), k2.data());
  const W2Batch validation{val_obs.data(), val_act.data(), k1.data(), k2.data(), n};
  auto sample = [&](W2Batch* out) {
    *out = W2Batch{obs.data(), act.data(), nullptr, nullptr, n};
    return Status::ok();
  };
  Rng ra(10), rb(10);
  W2Report a, b;
  ASSERT_TRUE(cpu_w2.run(cpu, sample, validation, ra, &a).is_ok());
  ASSERT_TRUE(gpu_w2.run(gpu, sample, validation, rb, &b).is_ok());
  ASSERT_TRUE(backend->error().is_ok()) << backend->error().message();
  EXPECT_TRUE(scalar_close(b.j_before, a.j_before, 1e-5));
  ASSERT_EQ(a.steps, 1);
  ASSERT_EQ(b.steps, 1);
  // Both kept the same parameters (the step, or M2 as it was).
  ASSERT_EQ(a.best_step, b.best_step);
  double worst = 0;
  for (std::size_t i = 0; i < cpu.param_count(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(cpu.params()[i]) - gpu.params()[i]));
  }
  std::printf("phase 2 step: max |delta theta| = %.3g (step kept: %d)\n", worst, a.best_step);
  EXPECT_LE(worst, 1e-5);
}

}  // namespace
}  // namespace usbpo::cuda::testing
