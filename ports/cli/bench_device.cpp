#include "bench_device.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "timing.hpp"
#include "usbpo/base/rng.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/nn/adam.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo::cli {
namespace {

// One network's training step, forward + backward + Adam, on both sides.
struct NetStep {
  const char* name;
  const char* note;
  MlpShape shape;
  int batch;
  bool per_member_input;
};

// Host: MlpOps and Adam over host memory, as the CPU trains.
double cpu_step_us(const NetStep& s, const EnsembleMlp& net, Rng& rng, double seconds) {
  const std::size_t n = net.total_params();
  const std::size_t inputs =
      static_cast<std::size_t>(s.shape.input_dim) * s.batch * (s.per_member_input ? s.shape.members : 1);
  std::vector<Scalar> params(n), grads(n, 0.0f), input(inputs);
  net.init_params(params.data(), MlpInit::kTruncatedNormal, rng);
  for (Scalar& x : input) x = rng.normal();
  std::vector<unsigned char> memory(MlpWorkspace::bytes_needed(net, s.batch, false) + Adam::bytes_needed(n));
  Arena arena(memory.data(), memory.size());
  MlpWorkspace ws;
  Adam adam;
  (void)ws.place(net, s.batch, false, arena);
  (void)adam.place(n, AdamConfig(), arena);
  const std::size_t stride = s.per_member_input ? static_cast<std::size_t>(s.shape.input_dim) * s.batch : 0;
  const std::size_t out = static_cast<std::size_t>(s.shape.output_dim) * s.batch;
  for (int b = 0; b < s.shape.members; ++b) {
    for (std::size_t i = 0; i < out; ++i) ws.output_grad(b)[i] = 0.01f * rng.normal();
  }
  return time_calls(
             [&] {
               MlpOps::forward(net, params.data(), input.data(), stride, s.batch, ws, 0, s.shape.members);
               MlpOps::backward(net, params.data(), ws, 0, s.shape.members, grads.data(), false, false);
               adam.step(params.data(), grads.data());
             },
             seconds)
      .median_us;
}

// Device: the same step through the backend, captured once and replayed; the
// time per step includes the wait for the device.
double device_step_us(const NetStep& s, const EnsembleMlp& net, Backend& backend, Rng& rng, double seconds) {
  const std::size_t n = net.total_params();
  const std::size_t inputs =
      static_cast<std::size_t>(s.shape.input_dim) * s.batch * (s.per_member_input ? s.shape.members : 1);
  Arena& arena = backend.device_arena();
  const std::size_t mark = arena.mark();
  Scalar* params = arena.allocate<Scalar>(n);
  Scalar* grads = arena.allocate<Scalar>(n);
  Scalar* m = arena.allocate<Scalar>(n);
  Scalar* v = arena.allocate<Scalar>(n);
  Scalar* input = arena.allocate<Scalar>(inputs);
  std::int64_t* step = arena.allocate<std::int64_t>(1);
  MlpWorkspace ws;
  if (!ws.place(net, s.batch, false, arena).is_ok() || !step) {
    arena.release(mark);
    return NAN;
  }
  std::vector<Scalar> host(n);
  net.init_params(host.data(), MlpInit::kTruncatedNormal, rng);
  backend.upload(params, host.data(), n * sizeof(Scalar));
  backend.fill(m, 0, n);
  backend.fill(v, 0, n);
  std::vector<Scalar> host_input(inputs);
  for (Scalar& x : host_input) x = rng.normal();
  backend.upload(input, host_input.data(), inputs * sizeof(Scalar));
  const std::int64_t zero = 0;
  backend.upload(step, &zero, sizeof(zero));
  const std::size_t out = static_cast<std::size_t>(s.shape.output_dim) * s.batch;
  std::vector<Scalar> d_out(out);
  for (int b = 0; b < s.shape.members; ++b) {
    for (Scalar& x : d_out) x = 0.01f * rng.normal();
    backend.upload(ws.output_grad(b), d_out.data(), out * sizeof(Scalar));
  }
  const std::size_t stride = s.per_member_input ? static_cast<std::size_t>(s.shape.input_dim) * s.batch : 0;
  auto one_step = [&] {
    backend.mlp_forward(net, params, input, stride, s.batch, ws, 0, s.shape.members);
    backend.mlp_backward(net, params, ws, 0, s.shape.members, grads, false, false);
    backend.adam(params, grads, m, v, n, AdamConfig(), nullptr, 0, step);
  };
  const bool graphed = backend.begin_capture(0).is_ok();
  one_step();
  if (graphed && !backend.end_capture(0).is_ok()) {
    arena.release(mark);
    return NAN;
  }
  const int per_call = 20;  // replays per timed call, as G updates per env step
  const double us = time_calls(
                        [&] {
                          if (graphed) {
                            (void)backend.replay(0, per_call);
                          } else {
                            for (int i = 0; i < per_call; ++i) one_step();
                          }
                          backend.synchronize();
                        },
                        seconds)
                        .median_us /
                    per_call;
  arena.release(mark);
  return us;
}

// Pendulum SAC through TrainerConfig::backend, as bench's pendulum_sac_train.
double pendulum_seconds(Backend* backend, int steps, double* final_return, bool* on_backend) {
  TrainerConfig c;
  c.backend = backend;
  c.start_steps = 100;
  c.update_after = 100;
  c.updates_per_step = 1;
  c.replay_capacity = 10000;
  c.epoch_length = 1000;
  c.sac.hidden_layers = 2;
  c.sac.hidden_width = 64;
  c.sac.batch = 100;
  c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = 1e-3f;
  c.sac.initial_alpha = 0.5f;
  c.sac.target_entropy = -1.0f;
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  if (!trainer.init(c, env, eval_env, arena).is_ok()) return NAN;
  *on_backend = backend == nullptr || backend->counters().uploads > 0;
  if (!*on_backend) return NAN;
  const double t0 = now_seconds();
  for (int i = 0; i < steps; ++i) {
    if (!trainer.step(nullptr).is_ok()) return NAN;
  }
  const double elapsed = now_seconds() - t0;
  Scalar mean_return = 0;
  (void)trainer.evaluate(10, &mean_return);
  *final_return = mean_return;
  return elapsed;
}

// MBPO's Hopper ensemble MLE step (7 members 4x200 swish, batch 256 each:
// forward, Gaussian NLL with the bound gradients, backward, decay, Adam) on
// backend, or on the internal CPU backend when null; the minibatch is already
// on the device (the trainer adds one upload per step). NAN when it does not fit.
double ensemble_mle_step_us(Backend* backend, double seconds) {
  EnsembleConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.max_samples = 1000;
  const int in = 14, out = 12, members = 7, batch = 256;
  Rng rng(0);
  std::vector<unsigned char> memory(backend ? GaussianEnsemble::host_bytes_needed(c, backend->device_is_host())
                                            : GaussianEnsemble::bytes_needed(c));
  Arena host(memory.data(), memory.size());
  GaussianEnsemble model;
  std::vector<Scalar> inputs(static_cast<std::size_t>(in) * batch * members);
  std::vector<Scalar> targets(static_cast<std::size_t>(out) * batch * members);
  for (auto& x : inputs) x = rng.normal();
  for (auto& y : targets) y = 0.1f * rng.normal();
  if (!backend) {
    if (!model.init(c, host, rng).is_ok()) return NAN;
    return time_calls([&] { model.mle_step(inputs.data(), targets.data(), batch); }, seconds).median_us;
  }
  Arena& device = backend->device_arena();
  const std::size_t mark = device.mark();
  Scalar* d_inputs = device.allocate<Scalar>(inputs.size());
  Scalar* d_targets = device.allocate<Scalar>(targets.size());
  if (!d_inputs || !d_targets || !model.init(c, *backend, host, rng).is_ok()) {
    device.release(mark);
    return NAN;
  }
  backend->upload(d_inputs, inputs.data(), inputs.size() * sizeof(Scalar));
  backend->upload(d_targets, targets.data(), targets.size() * sizeof(Scalar));
  const double us = time_calls(
                        [&] {
                          model.mle_step(d_inputs, d_targets, batch);
                          backend->synchronize();
                        },
                        seconds)
                        .median_us;
  device.release(mark);
  return us;
}

}  // namespace

int bench_device(Backend& backend, Backend& trainer_backend, const char* device_name, bool quick) {
  const double seconds = quick ? 0.3 : 2.0;
  // Room for the largest network step below.
  if (!backend.reserve_device(std::size_t(64) << 20).is_ok()) {
    std::fprintf(stderr, "usbpo bench: cannot reserve 64 MiB on %s\n", device_name);
    return 1;
  }
  auto shape = [](int members, int in, int out, int layers, int width, Activation act) {
    MlpShape s;
    s.members = members, s.input_dim = in, s.output_dim = out, s.hidden_layers = layers, s.hidden_width = width;
    s.activation = act;
    return s;
  };
  const NetStep steps[] = {
      {"ensemble_net_step", "7 members 4x200 swish, batch 256 each: forward, backward, Adam (no NLL)",
       shape(7, 14, 24, 4, 200, Activation::kSwish), 256, true},
      {"critics_net_step", "twin critics 2x256 ReLU, batch 256: forward, backward, Adam",
       shape(2, 14, 1, 2, 256, Activation::kRelu), 256, false},
      {"actor_net_step", "actor 2x256 ReLU, batch 256: forward, backward, Adam",
       shape(1, 11, 6, 2, 256, Activation::kRelu), 256, false},
  };
  std::printf("usbpo bench --device cuda (%s) on %s\n", quick ? "quick" : "full", device_name);
  std::printf("| benchmark | cpu, 1 thread | %s | speed-up | notes |\n|---|---:|---:|---:|---|\n", "cuda");
  for (const NetStep& s : steps) {
    EnsembleMlp net;
    if (!net.configure(s.shape).is_ok()) continue;
    Rng rng(0);
    const double cpu = cpu_step_us(s, net, rng, seconds);
    const double gpu = device_step_us(s, net, backend, rng, seconds);
    std::printf("| %s | %.4g us | %.4g us | %.1fx | %s |\n", s.name, cpu, gpu, cpu / gpu, s.note);
  }
  {
    const double cpu = ensemble_mle_step_us(nullptr, seconds);
    const double gpu = ensemble_mle_step_us(&backend, seconds);
    std::printf("| ensemble_mle_step | %.4g us | %.4g us | %.1fx | 7 members 4x200 swish, batch 256 each: forward, "
                "NLL, backward, decay, Adam (minibatch on the device) |\n",
                cpu, gpu, cpu / gpu);
  }
  const int pendulum_steps = quick ? 2000 : 10000;
  double cpu_return = NAN, gpu_return = NAN;
  bool cpu_ok = false, gpu_ok = false;
  const double cpu_s = pendulum_seconds(nullptr, pendulum_steps, &cpu_return, &cpu_ok);
  const double gpu_s = pendulum_seconds(&trainer_backend, pendulum_steps, &gpu_return, &gpu_ok);
  if (gpu_ok) {
    std::printf("| pendulum_sac_train | %.4g s | %.4g s | %.1fx | %d env steps, 2x64, batch 100; final eval return "
                "%.1f (cpu) and %.1f (cuda) |\n",
                cpu_s, gpu_s, cpu_s / gpu_s, pendulum_steps, cpu_return, gpu_return);
  } else {
    std::printf("| pendulum_sac_train | %.4g s | - | - | the Trainer does not run on a backend yet |\n", cpu_s);
  }
  return 0;
}

}  // namespace usbpo::cli
