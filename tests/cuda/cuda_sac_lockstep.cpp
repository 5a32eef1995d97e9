// SAC on the CUDA backend against SAC on the CPU backend, in lockstep from the
// same seed and batches: one update (max |delta theta| <= 1e-5), 20 updates
// (<= 1e-4); a short Pendulum SAC run on the GPU learns (-250); a run resumed
// from a checkpoint on the GPU continues bit for bit. Skipped, visibly,
// without a CUDA device.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "gpu_test_support.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo::cuda::testing {
namespace {

SacConfig hopper_sac() {
  SacConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.batch = 256;
  return c;
}

// The same Sac twice: on the CPU (its own CPU backend) and on the GPU.
struct Pair {
  SacConfig config;
  std::vector<unsigned char> cpu_memory, gpu_host_memory;
  Arena cpu_arena, gpu_host_arena;
  Sac cpu, gpu;
  std::unique_ptr<CudaBackend> backend;

  explicit Pair(const SacConfig& c) : config(c) {
    cpu_memory.resize(Sac::bytes_needed(c));
    cpu_arena = Arena(cpu_memory.data(), cpu_memory.size());
    Rng rng_cpu(11), rng_gpu(11);
    EXPECT_TRUE(cpu.init(c, cpu_arena, rng_cpu).is_ok());
    backend = fresh_backend();
    EXPECT_TRUE(backend->reserve_device(Sac::device_bytes_needed(c)).is_ok());
    gpu_host_memory.resize(Sac::host_bytes_needed(c, false));
    gpu_host_arena = Arena(gpu_host_memory.data(), gpu_host_memory.size());
    EXPECT_TRUE(gpu.init(c, *backend, gpu_host_arena, rng_gpu).is_ok());
  }
  // The same random minibatch into both.
  void fill_batches(Rng& rng) {
    SacBatch& a = cpu.batch();
    SacBatch& b = gpu.batch();
    const int n = config.batch;
    for (int i = 0; i < n * config.obs_dim; ++i) a.obs[i] = b.obs[i] = rng.normal(), a.next_obs[i] = b.next_obs[i] = rng.normal();
    for (int i = 0; i < n * config.act_dim; ++i) a.act[i] = b.act[i] = rng.uniform(-1, 1);
    for (int i = 0; i < n; ++i) a.reward[i] = b.reward[i] = rng.normal(), a.not_done[i] = b.not_done[i] = i % 13 ? 1.0f : 0.0f;
  }
  // Largest |cpu - gpu| over actor, critics, targets and log alpha.
  double max_delta() {
    gpu.pull_state();
    double worst = 0;
    auto compare = [&](const Scalar* x, const Scalar* y, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(static_cast<double>(x[i]) - y[i]));
    };
    compare(cpu.actor_params(), gpu.actor_params(), cpu.actor_network().total_params());
    compare(cpu.critic_params(), gpu.critic_params(), cpu.critic_network().total_params());
    compare(cpu.target_critic_params(), gpu.target_critic_params(), cpu.critic_network().total_params());
    worst = std::max(worst, std::fabs(static_cast<double>(cpu.log_alpha()) - gpu.log_alpha()));
    return worst;
  }
  void updates(int count) {
    Rng data(5), noise_cpu(9), noise_gpu(9);
    for (int u = 0; u < count; ++u) {
      fill_batches(data);
      SacStats cpu_stats, gpu_stats;
      ASSERT_TRUE(cpu.update(noise_cpu, &cpu_stats).is_ok());
      ASSERT_TRUE(gpu.update(noise_gpu, &gpu_stats).is_ok());
      EXPECT_TRUE(scalar_close(gpu_stats.critic_loss, cpu_stats.critic_loss, 1e-4)) << "update " << u;
    }
    ASSERT_TRUE(backend->error().is_ok()) << backend->error().message();
  }
};

TEST(CudaSacLockstep, OneUpdateWithin1e5) {
  USBPO_REQUIRE_GPU();
  Pair p(hopper_sac());
  EXPECT_EQ(p.max_delta(), 0.0) << "the same seed must give the same initial weights";
  p.updates(1);
  const double delta = p.max_delta();
  std::printf("max |delta theta| after 1 update: %.3g\n", delta);
  EXPECT_LE(delta, 1e-5);
}

TEST(CudaSacLockstep, TwentyUpdatesWithin1e4) {
  USBPO_REQUIRE_GPU();
  Pair p(hopper_sac());
  p.updates(20);
  const double delta = p.max_delta();
  std::printf("max |delta theta| after 20 updates: %.3g\n", delta);
  EXPECT_LE(delta, 1e-4);
}

// The learning tests' Pendulum configuration (tests/core/learning_test.cpp).
TrainerConfig pendulum_config(Backend* backend) {
  TrainerConfig c;
  c.backend = backend;
  c.seed = 1;
  c.start_steps = 1000;
  c.update_after = 1000;
  c.updates_per_step = 1;
  c.replay_capacity = 20000;
  c.sac.hidden_width = 64;
  c.sac.batch = 100;
  c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = 1e-3f;
  c.sac.initial_alpha = 0.5f;
  c.sac.target_entropy = -1.0f;
  return c;
}

// A trainer on its own GPU backend.
struct GpuTrainer {
  std::unique_ptr<CudaBackend> backend = fresh_backend();
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  GpuTrainer() {
    const TrainerConfig c = pendulum_config(backend.get());
    memory.resize(Trainer::bytes_needed(c, env));
    arena = Arena(memory.data(), memory.size());
    EXPECT_TRUE(trainer.init(c, env, eval_env, arena).is_ok());
  }
  void steps(int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(trainer.step(nullptr).is_ok());
    ASSERT_TRUE(backend->error().is_ok()) << backend->error().message();
  }
  std::vector<unsigned char> checkpoint() {
    std::vector<unsigned char> bytes;
    EXPECT_TRUE(serialize_checkpoint(trainer, nullptr, 0, &bytes).is_ok());
    return bytes;
  }
};

TEST(CudaSacLearning, PendulumReachesMinus250On15000Steps) {
  USBPO_REQUIRE_GPU();
  GpuTrainer t;
  EXPECT_GT(t.backend->counters().uploads, 0) << "the trainer placed nothing on the GPU";
  t.steps(15000);
  Scalar mean_return = 0;
  ASSERT_TRUE(t.trainer.evaluate(10, &mean_return).is_ok());
  std::printf("Pendulum SAC on the GPU: final evaluation return %.1f\n", mean_return);
  EXPECT_GT(mean_return, -250.0f);
}

TEST(CudaSacResume, GpuToGpuBitExact) {
  USBPO_REQUIRE_GPU();
  GpuTrainer straight, first;
  straight.steps(1500);
  first.steps(1000);
  CheckpointFile file;
  ASSERT_TRUE(file.from_bytes(first.checkpoint()).is_ok());
  GpuTrainer resumed;
  ASSERT_TRUE(restore_checkpoint(file, resumed.trainer).is_ok());
  resumed.steps(500);
  EXPECT_TRUE(straight.checkpoint() == resumed.checkpoint()) << "a resumed GPU run differs from a straight one";
}

}  // namespace
}  // namespace usbpo::cuda::testing
