// Every op of the CUDA backend against the CPU's computation of it (the CPU
// kernels of nn/ops.hpp, MlpOps, Adam, and the shared per-element bodies):
// elementwise results within 1e-6 relative, GEMMs and sums within 1e-5
// relative norm (issue 15). Skipped, visibly, without a CUDA device.
#include <cmath>
#include <vector>

#include "gpu_test_support.hpp"
#include "usbpo/nn/adam.hpp"
#include "usbpo/nn/element_math.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/nn/ops.hpp"

namespace usbpo::cuda::testing {
namespace {

constexpr float kLogStdMin = -20, kLogStdMax = 2;

class CudaOps : public GpuTest {};

// A network, its parameters and an input, on the host and on the device.
struct NetCase {
  EnsembleMlp net;
  std::vector<float> params, input;
  std::size_t input_stride = 0;
  int batch = 0;
};

NetCase make_net(const MlpShape& shape, int batch, bool per_member_input, Rng& rng) {
  NetCase c;
  EXPECT_TRUE(c.net.configure(shape).is_ok());
  c.params.resize(c.net.total_params());
  c.net.init_params(c.params.data(), MlpInit::kUniformFanIn, rng);
  // Non-zero biases, so a missing bias shows.
  for (float& p : c.params) p += 0.01f * rng.normal();
  c.batch = batch;
  c.input_stride = per_member_input ? static_cast<std::size_t>(shape.input_dim) * batch : 0;
  c.input = random_values(rng, static_cast<std::size_t>(shape.input_dim) * batch * (per_member_input ? shape.members : 1));
  return c;
}

// Forward, then backward of a random output gradient, on both; compares the
// outputs, the parameter gradients (accumulated onto `grad_start` when
// accumulate) and the input gradients.
void check_network(CudaOps& t, const MlpShape& shape, int batch, bool per_member_input, bool accumulate,
                   bool one_member_at_a_time, int first, int count) {
  Rng rng(7);
  NetCase c = make_net(shape, batch, per_member_input, rng);
  const EnsembleMlp& net = c.net;
  const std::size_t out_n = static_cast<std::size_t>(shape.output_dim) * batch;
  const std::size_t in_n = static_cast<std::size_t>(shape.input_dim) * batch;
  std::vector<std::vector<float>> d_out(shape.members);
  for (auto& d : d_out) d = random_values(rng, out_n, 0.1f);
  const std::vector<float> grad_start = random_values(rng, net.total_params(), 0.01f);

  // CPU.
  std::vector<unsigned char> memory(MlpWorkspace::bytes_needed(net, batch, true, one_member_at_a_time));
  Arena arena(memory.data(), memory.size());
  MlpWorkspace cpu_ws;
  ASSERT_TRUE(cpu_ws.place(net, batch, true, arena, one_member_at_a_time).is_ok());
  std::vector<float> cpu_grads = grad_start;
  std::vector<std::vector<float>> cpu_out(shape.members), cpu_in_grad(shape.members);
  // With one member at a time, each member runs its own pass (as callers do).
  const int group = one_member_at_a_time ? 1 : count;
  for (int b = first; b < first + count; b += group) {
    MlpOps::forward(net, c.params.data(), c.input.data(), c.input_stride, batch, cpu_ws, b, group);
    for (int m = b; m < b + group; ++m) {
      cpu_out[m].assign(cpu_ws.output(m), cpu_ws.output(m) + out_n);
      std::copy(d_out[m].begin(), d_out[m].end(), cpu_ws.output_grad(m));
    }
    MlpOps::backward(net, c.params.data(), cpu_ws, b, group, cpu_grads.data(), accumulate, true);
    for (int m = b; m < b + group; ++m) cpu_in_grad[m].assign(cpu_ws.input_grad(m), cpu_ws.input_grad(m) + in_n);
  }

  // GPU.
  CudaBackend& gpu = *t.gpu_;
  MlpWorkspace gpu_ws;
  ASSERT_TRUE(gpu_ws.place(net, batch, true, gpu.device_arena(), one_member_at_a_time).is_ok());
  const float* params = t.to_device(c.params);
  const float* input = t.to_device(c.input);
  float* grads = t.to_device(grad_start);
  for (int b = first; b < first + count; b += group) {
    gpu.mlp_forward(net, params, input, c.input_stride, batch, gpu_ws, b, group);
    for (int m = b; m < b + group; ++m) {
      EXPECT_TRUE(norm_close(t.to_host(gpu_ws.output(m), out_n), cpu_out[m])) << "output of member " << m;
      gpu.upload(gpu_ws.output_grad(m), d_out[m].data(), out_n * sizeof(float));
    }
    gpu.mlp_backward(net, params, gpu_ws, b, group, grads, accumulate, true);
    for (int m = b; m < b + group; ++m) {
      EXPECT_TRUE(norm_close(t.to_host(gpu_ws.input_grad(m), in_n), cpu_in_grad[m])) << "input grad of member " << m;
    }
  }
  const std::vector<float> gpu_grads = t.to_host(grads, net.total_params());
  // Per member and layer: weights and biases separately, so a wrong bias sum shows.
  for (int m = first; m < first + count; ++m) {
    for (int l = 0; l < net.num_layers(); ++l) {
      const std::size_t w = net.member_offset(m) + net.weight_offset(l), bias = net.member_offset(m) + net.bias_offset(l);
      const std::size_t n_w = static_cast<std::size_t>(net.layer_out(l)) * net.layer_in(l);
      auto slice = [](const std::vector<float>& v, std::size_t at, std::size_t n) {
        return std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(at), v.begin() + static_cast<std::ptrdiff_t>(at + n));
      };
      EXPECT_TRUE(norm_close(slice(gpu_grads, w, n_w), slice(cpu_grads, w, n_w))) << "dW member " << m << " layer " << l;
      EXPECT_TRUE(norm_close(slice(gpu_grads, bias, net.layer_out(l)), slice(cpu_grads, bias, net.layer_out(l))))
          << "db member " << m << " layer " << l;
    }
  }
  // Members outside the range keep their gradients.
  for (int m = 0; m < shape.members; ++m) {
    if (m >= first && m < first + count) continue;
    for (std::size_t i = 0; i < net.member_params(); ++i) {
      ASSERT_EQ(gpu_grads[net.member_offset(m) + i], grad_start[net.member_offset(m) + i]) << "member " << m;
    }
  }
}

MlpShape shape_of(int members, int in, int out, int layers, int width, Activation act) {
  MlpShape s;
  s.members = members, s.input_dim = in, s.output_dim = out, s.hidden_layers = layers, s.hidden_width = width;
  s.activation = act;
  return s;
}

TEST_F(CudaOps, TwinCriticsShareTheInput) {
  check_network(*this, shape_of(2, 14, 1, 2, 256, Activation::kRelu), 256, false, false, false, 0, 2);
}

TEST_F(CudaOps, ActorAccumulatesGradients) {
  check_network(*this, shape_of(1, 11, 6, 2, 256, Activation::kRelu), 256, false, true, false, 0, 1);
}

TEST_F(CudaOps, EnsembleOfSevenSwishPerMemberInputs) {
  check_network(*this, shape_of(7, 14, 24, 4, 200, Activation::kSwish), 256, true, false, false, 0, 7);
}

TEST_F(CudaOps, MemberRangeAndOddSizes) {
  check_network(*this, shape_of(5, 9, 7, 3, 33, Activation::kSwish), 37, true, true, false, 1, 3);
}

TEST_F(CudaOps, OneMemberAtATimeWorkspace) {
  check_network(*this, shape_of(3, 14, 24, 2, 64, Activation::kSwish), 50, true, false, true, 0, 3);
}

TEST_F(CudaOps, NoHiddenLayer) {
  check_network(*this, shape_of(2, 5, 3, 0, 1, Activation::kRelu), 19, false, false, false, 0, 2);
}

TEST_F(CudaOps, AdamWithSegmentsAndStepOnDevice) {
  Rng rng(3);
  const std::size_t n = 70001;
  std::vector<float> theta = random_values(rng, n), grad = random_values(rng, n, 0.1f);
  AdamConfig config;
  config.learning_rate = 1e-3f;
  // CPU: usbpo::Adam with two decayed spans repeated over 3 "members".
  std::vector<unsigned char> memory(Adam::bytes_needed(n));
  Arena arena(memory.data(), memory.size());
  Adam cpu;
  ASSERT_TRUE(cpu.place(n, config, arena).is_ok());
  const std::size_t stride = 20000;
  ASSERT_TRUE(cpu.add_decay(100, 5000, stride, 3, 2.5e-3f).is_ok());
  ASSERT_TRUE(cpu.add_decay(9000, 777, stride, 3, 1e-2f).is_ok());
  const AdamSegment segments[2] = {{100, 5000, stride, 3, 2.5e-3f}, {9000, 777, stride, 3, 1e-2f}};
  std::vector<float> cpu_theta = theta;
  float* d_theta = to_device(theta);
  const float* d_grad = to_device(grad);
  float* d_m = to_device(std::vector<float>(n, 0.0f));
  float* d_v = to_device(std::vector<float>(n, 0.0f));
  std::int64_t* d_step = to_device(std::vector<std::int64_t>{0});
  for (int step = 0; step < 3; ++step) {
    cpu.step(cpu_theta.data(), grad.data());
    gpu_->adam(d_theta, d_grad, d_m, d_v, n, config, segments, 2, d_step);
  }
  EXPECT_EQ(to_host(d_step, 1)[0], 3);
  EXPECT_TRUE(elementwise_close(to_host(d_theta, n), cpu_theta));
  EXPECT_TRUE(elementwise_close(to_host(d_m, n), std::vector<float>(cpu.first_moment(), cpu.first_moment() + n)));
  EXPECT_TRUE(elementwise_close(to_host(d_v, n), std::vector<float>(cpu.second_moment(), cpu.second_moment() + n)));
}

TEST_F(CudaOps, PolyakFillCopy) {
  Rng rng(4);
  const std::size_t n = 1000;
  std::vector<float> target = random_values(rng, n), source = random_values(rng, n);
  float* d_target = to_device(target);
  const float* d_source = to_device(source);
  ops::polyak(target.data(), source.data(), n, 5e-3f);
  gpu_->polyak(d_target, d_source, n, 5e-3f);
  EXPECT_TRUE(elementwise_close(to_host(d_target, n), target));
  float* d_fill = device_buffer<float>(n);
  gpu_->fill(d_fill, 0.25f, n - 1);
  std::vector<float> filled = to_host(d_fill, n);
  EXPECT_EQ(filled[0], 0.25f);
  EXPECT_EQ(filled[n - 2], 0.25f);
  EXPECT_EQ(filled[n - 1], -12345.0f);  // count respected
  float* d_copy = device_buffer<float>(n);
  gpu_->copy(d_copy, d_source, n * sizeof(float));
  EXPECT_EQ(to_host(d_copy, n), source);
}

TEST_F(CudaOps, StackRowsAndTanhMean) {
  Rng rng(5);
  const int n = 300, ra = 11, rb = 3, act = 3;
  std::vector<float> a = random_values(rng, ra * n), b = random_values(rng, rb * n);
  float* d_dst = device_buffer<float>((ra + rb) * n);
  gpu_->stack_rows(to_device(a), ra, to_device(b), rb, n, d_dst);
  const std::vector<float> dst = to_host(d_dst, (ra + rb) * n);
  for (int i = 0; i < n; ++i) {
    for (int r = 0; r < ra + rb; ++r) {
      ASSERT_EQ(dst[i * (ra + rb) + r], r < ra ? a[i * ra + r] : b[i * rb + r - ra]) << i << " " << r;
    }
  }
  std::vector<float> output = random_values(rng, 2 * act * n);
  float* d_action = device_buffer<float>(act * n);
  gpu_->tanh_mean(to_device(output), act, n, d_action);
  std::vector<float> expected(act * n);
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < act; ++d) expected[i * act + d] = std::tanh(output[i * 2 * act + d]);
  }
  EXPECT_TRUE(elementwise_close(to_host(d_action, act * n), expected));
}

TEST_F(CudaOps, TanhGaussianSampleAndBackward) {
  Rng rng(6);
  const int n = 256, act = 3;
  std::vector<float> output = random_values(rng, 2 * act * n);
  // Some log-stds outside [-20, 2], so the clipping shows.
  for (int i = 0; i < n; i += 7) output[i * 2 * act + act] = 3.5f;
  for (int i = 3; i < n; i += 11) output[i * 2 * act + act + 1] = -25.0f;
  const std::vector<float> eps = random_values(rng, act * n), dq_da = random_values(rng, act * n);
  const float log_alpha = -1.3f;
  std::vector<float> action(act * n), log_pi(n), d_output(2 * act * n);
  ops::tanh_gaussian_sample(output.data(), eps.data(), act, n, kLogStdMin, kLogStdMax, action.data(), log_pi.data());
  ops::tanh_gaussian_backward(output.data(), eps.data(), dq_da.data(), act, n, kLogStdMin, kLogStdMax,
                              std::exp(log_alpha), d_output.data());
  const float* d_out = to_device(output);
  const float* d_eps = to_device(eps);
  float* g_action = device_buffer<float>(act * n);
  float* g_log_pi = device_buffer<float>(n);
  float* g_d_output = device_buffer<float>(2 * act * n);
  gpu_->tanh_gaussian_sample(d_out, d_eps, act, n, kLogStdMin, kLogStdMax, g_action, g_log_pi);
  gpu_->tanh_gaussian_backward(d_out, d_eps, to_device(dq_da), act, n, kLogStdMin, kLogStdMax,
                               to_device(std::vector<float>{log_alpha}), g_d_output);
  EXPECT_TRUE(elementwise_close(to_host(g_action, act * n), action));
  EXPECT_TRUE(elementwise_close(to_host(g_log_pi, n), log_pi));
  EXPECT_TRUE(elementwise_close(to_host(g_d_output, 2 * act * n), d_output));
  // Without log pi only the action is written.
  float* g_action2 = device_buffer<float>(act * n);
  gpu_->tanh_gaussian_sample(d_out, d_eps, act, n, kLogStdMin, kLogStdMax, g_action2, nullptr);
  EXPECT_EQ(to_host(g_action2, act * n), to_host(g_action, act * n));
}

TEST_F(CudaOps, SacTargetLossesAndGradients) {
  Rng rng(8);
  const int n = 1000, act = 3, obs = 11, in_dim = obs + act;
  const std::vector<float> q1 = random_values(rng, n), q2 = random_values(rng, n), log_pi = random_values(rng, n);
  const std::vector<float> reward = random_values(rng, n), y_in = random_values(rng, n);
  std::vector<float> not_done(n);
  for (int i = 0; i < n; ++i) not_done[i] = i % 9 == 0 ? 0.0f : 1.0f;
  const float log_alpha = -0.7f, alpha = std::exp(log_alpha), gamma = 0.99f;
  const float* d_q1 = to_device(q1);
  const float* d_q2 = to_device(q2);
  const float* d_log_pi = to_device(log_pi);
  const float* d_log_alpha = to_device(std::vector<float>{log_alpha});

  // TD target.
  std::vector<float> y(n);
  for (int i = 0; i < n; ++i) y[i] = element::sac_td_target(q1[i], q2[i], log_pi[i], reward[i], not_done[i], alpha, gamma);
  float* g_y = device_buffer<float>(n);
  gpu_->sac_td_target(d_q1, d_q2, d_log_pi, to_device(reward), to_device(not_done), d_log_alpha, gamma, n, g_y);
  EXPECT_TRUE(elementwise_close(to_host(g_y, n), y));

  // Critic loss: sum_j 0.5 mean_i (q_j - y)^2 and dq_j.
  std::vector<float> dq1(n), dq2(n);
  double loss = 0;
  for (int i = 0; i < n; ++i) loss += element::critic_error(q1[i], y_in[i], n, &dq1[i]);
  for (int i = 0; i < n; ++i) loss += element::critic_error(q2[i], y_in[i], n, &dq2[i]);
  float* g_dq1 = device_buffer<float>(n);
  float* g_dq2 = device_buffer<float>(n);
  double* g_loss = to_device(std::vector<double>{0.0});
  gpu_->sac_critic_loss(d_q1, d_q2, to_device(y_in), n, g_dq1, g_dq2, g_loss);
  EXPECT_TRUE(elementwise_close(to_host(g_dq1, n), dq1));
  EXPECT_TRUE(elementwise_close(to_host(g_dq2, n), dq2));
  EXPECT_TRUE(scalar_close(to_host(g_loss, 1)[0], loss));

  // Actor's min over the critics.
  std::vector<int> argmin(n);
  std::vector<float> a_dq1(n), a_dq2(n);
  double actor_loss = 0, sum_log_pi = 0;
  for (int i = 0; i < n; ++i) {
    argmin[i] = element::critic_argmin(q1[i], q2[i]);
    a_dq1[i] = argmin[i] == 0 ? 1.0f : 0.0f;
    a_dq2[i] = argmin[i] == 1 ? 1.0f : 0.0f;
    actor_loss += element::actor_loss_term(q1[i], q2[i], log_pi[i], alpha, n);
    sum_log_pi += log_pi[i];
  }
  int* g_argmin = device_buffer<int>(n);
  double* g_actor_loss = to_device(std::vector<double>{0.0});
  double* g_sum_log_pi = to_device(std::vector<double>{0.0});
  gpu_->sac_actor_min_q(d_q1, d_q2, d_log_pi, d_log_alpha, n, g_argmin, g_dq1, g_dq2, g_actor_loss, g_sum_log_pi);
  EXPECT_EQ(to_host(g_argmin, n), argmin);
  EXPECT_EQ(to_host(g_dq1, n), a_dq1);
  EXPECT_EQ(to_host(g_dq2, n), a_dq2);
  EXPECT_TRUE(scalar_close(to_host(g_actor_loss, 1)[0], actor_loss));
  EXPECT_TRUE(scalar_close(to_host(g_sum_log_pi, 1)[0], sum_log_pi));

  // The action gradient of the critic holding the minimum.
  const std::vector<float> in_grad0 = random_values(rng, in_dim * n), in_grad1 = random_values(rng, in_dim * n);
  float* g_dq_da = device_buffer<float>(act * n);
  gpu_->select_action_grad(to_device(in_grad0), to_device(in_grad1), g_argmin, in_dim, obs, act, n, g_dq_da);
  const std::vector<float> dq_da = to_host(g_dq_da, act * n);
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < act; ++d) {
      const std::vector<float>& from = argmin[i] ? in_grad1 : in_grad0;
      ASSERT_EQ(dq_da[i * act + d], from[i * in_dim + obs + d]);
    }
  }

  // Temperature gradient, from the device's sum of log pi.
  const float target_entropy = -3.0f;
  const double w = to_host(g_sum_log_pi, 1)[0] / n + target_entropy;
  float* g_grad = device_buffer<float>(1);
  double* g_alpha_loss = to_device(std::vector<double>{0.0});
  gpu_->sac_alpha_grad(g_sum_log_pi, n, target_entropy, d_log_alpha, g_grad, g_alpha_loss);
  EXPECT_TRUE(elementwise_close(to_host(g_grad, 1), {static_cast<float>(-w)}));
  EXPECT_TRUE(scalar_close(to_host(g_alpha_loss, 1)[0], -static_cast<double>(log_alpha) * w));
}

TEST_F(CudaOps, SumIsDeterministic) {
  Rng rng(9);
  const int n = 100003;
  const std::vector<float> q = random_values(rng, n);
  double expected = 0;
  for (float x : q) expected += x;
  const float* d_q = to_device(q);
  double* d_sum = to_device(std::vector<double>{0.0});
  gpu_->sum(d_q, n, d_sum);
  const double first = to_host(d_sum, 1)[0];
  EXPECT_TRUE(scalar_close(first, expected, 1e-9));
  for (int repeat = 0; repeat < 5; ++repeat) {
    gpu_->sum(d_q, n, d_sum);
    ASSERT_EQ(to_host(d_sum, 1)[0], first);  // the same bits every time
  }
}

}  // namespace
}  // namespace usbpo::cuda::testing
