// Model rollouts and the ensemble's data on the GPU (issue 15): the rollout
// ops and the store-mirror ops of phase 1 against the CPU backend (gathers bit
// for bit, the Gaussian draw and the normaliser fit elementwise 1e-6), and a
// rollout of Rollouts::run on the CUDA backend against the same rollout on the
// CPU (same seeds, an env that never terminates so that both keep every
// sample): the stored transitions within 1e-4 relative norm, with one upload
// and one download per rollout step. Skipped, visibly, without a CUDA device.
#include <vector>

#include "gpu_test_support.hpp"
#include "usbpo/model/rollouts.hpp"
#include "usbpo/nn/cpu_backend.hpp"

namespace usbpo::cuda::testing {
namespace {

class CudaRollouts : public GpuTest {};

TEST_F(CudaRollouts, GatherColumnsAndEnsembleDrawMatchTheCpu) {
  Rng rng(3);
  const int obs_dim = 11, out = obs_dim + 1, n = 700, k = 450;
  CpuBackend cpu;
  std::vector<int> index(k);
  for (int j = 0; j < k; ++j) index[j] = (j * 37) % n;  // distinct samples, out of order
  const std::vector<float> src = random_values(rng, static_cast<std::size_t>(obs_dim) * n);
  std::vector<float> gathered(static_cast<std::size_t>(obs_dim) * k);
  cpu.gather_columns(src.data(), obs_dim, index.data(), k, gathered.data());
  const int* d_index = to_device(index);
  float* d_gathered = device_buffer<float>(gathered.size());
  gpu_->gather_columns(to_device(src), obs_dim, d_index, k, d_gathered);
  EXPECT_EQ(to_host(d_gathered, gathered.size()), gathered);

  const std::vector<float> output = random_values(rng, static_cast<std::size_t>(2 * out) * k);
  const std::vector<float> max_lv = random_values(rng, out, 0.2f), min_lv = random_values(rng, out, 0.2f);
  std::vector<float> shifted_min(min_lv);
  for (float& x : shifted_min) x -= 8.0f;
  const std::vector<float> noise = random_values(rng, static_cast<std::size_t>(out) * n);
  std::vector<float> logvar(static_cast<std::size_t>(out) * k), next(src), reward(n, 0.0f);
  cpu.ensemble_draw(output.data(), max_lv.data(), shifted_min.data(), index.data(), k, noise.data(), src.data(),
                    obs_dim, logvar.data(), next.data(), reward.data());
  float* d_logvar = device_buffer<float>(logvar.size());
  float* d_next = to_device(src);
  float* d_reward = to_device(std::vector<float>(n, 0.0f));
  gpu_->ensemble_draw(to_device(output), to_device(max_lv), to_device(shifted_min), d_index, k, to_device(noise),
                      to_device(src), obs_dim, d_logvar, d_next, d_reward);
  EXPECT_TRUE(elementwise_close(to_host(d_logvar, logvar.size()), logvar));
  EXPECT_TRUE(elementwise_close(to_host(d_next, next.size()), next));
  EXPECT_TRUE(elementwise_close(to_host(d_reward, reward.size()), reward));
}

TEST_F(CudaRollouts, GatherTransitionsAndNormalizerFitMatchTheCpu) {
  Rng rng(4);
  const int obs_dim = 11, act_dim = 3, slots_count = 2000, members = 7, n = 256;
  const std::size_t width = 2 * obs_dim + act_dim + 1;
  const std::vector<float> obs = random_values(rng, static_cast<std::size_t>(obs_dim) * slots_count, 3.0f);
  const std::vector<float> act = random_values(rng, static_cast<std::size_t>(act_dim) * slots_count, 0.5f);
  const std::vector<float> reward = random_values(rng, slots_count);
  const std::vector<float> next = random_values(rng, static_cast<std::size_t>(obs_dim) * slots_count);
  std::vector<std::uint8_t> terminal(slots_count, 0);
  std::vector<int> slots(static_cast<std::size_t>(members) * n);
  for (int& s : slots) s = static_cast<int>(rng.uniform_int(slots_count));
  const StoreColumns host{obs.data(), act.data(), reward.data(), next.data(), terminal.data()};
  const StoreColumns device{to_device(obs), to_device(act), to_device(reward), to_device(next), to_device(terminal)};
  const int* d_slots = to_device(slots);
  CpuBackend cpu;
  std::vector<float> raw(width * members * n);
  cpu.gather_transitions(host, slots.data(), n, members, n, obs_dim, act_dim, raw.data());
  float* d_raw = device_buffer<float>(raw.size());
  gpu_->gather_transitions(device, d_slots, n, members, n, obs_dim, act_dim, d_raw);
  EXPECT_EQ(to_host(d_raw, raw.size()), raw);  // copies: bit for bit
  const int in = obs_dim + act_dim, count = members * n;
  std::vector<float> mean(in), sd(in), inv(in);
  cpu.normalizer_fit(host, slots.data(), count, obs_dim, act_dim, mean.data(), sd.data(), inv.data());
  float* d_mean = device_buffer<float>(in);
  float* d_std = device_buffer<float>(in);
  float* d_inv = device_buffer<float>(in);
  gpu_->normalizer_fit(device, d_slots, count, obs_dim, act_dim, d_mean, d_std, d_inv);
  EXPECT_TRUE(elementwise_close(to_host(d_mean, in), mean));
  EXPECT_TRUE(elementwise_close(to_host(d_std, in), sd));
  EXPECT_TRUE(elementwise_close(to_host(d_inv, in), inv));
}

class NeverTerminal : public Env {
 public:
  const char* name() const override { return "never_terminal"; }
  int obs_dim() const override { return 11; }
  int act_dim() const override { return 3; }
  const Scalar* action_low() const override { return low_; }
  const Scalar* action_high() const override { return high_; }
  int max_episode_steps() const override { return 10; }
  Status reset(std::uint64_t, Scalar* obs) override {
    std::fill(obs, obs + 11, 0.0f);
    return Status::ok();
  }
  Status step(const Scalar*, Scalar* next, StepResult* r) override {
    std::fill(next, next + 11, 0.0f);
    *r = StepResult();
    return Status::ok();
  }
  bool can_terminate() const override { return false; }
  bool is_terminal(const Scalar*) const override { return false; }

 private:
  Scalar low_[3] = {-1, -1, -1}, high_[3] = {1, 1, 1};
};

// SAC, a hopper-sized ensemble, a model store and rollouts on one backend.
struct Rig {
  std::vector<unsigned char> memory;
  Arena arena;
  Sac sac;
  GaussianEnsemble model;
  ReplayStore store;
  Rollouts rollouts;

  Status init(Backend& backend, const RolloutShape& shape) {
    EnsembleConfig ec;
    ec.obs_dim = 11, ec.act_dim = 3, ec.max_samples = 64, ec.predict_chunk = 1000;
    SacConfig sc;
    sc.obs_dim = 11, sc.act_dim = 3;
    ReplayConfig rc;
    rc.obs_dim = 11, rc.act_dim = 3, rc.capacity = 20000;
    const bool on_host = backend.device_is_host();
    memory.assign(Sac::host_bytes_needed(sc, on_host) + GaussianEnsemble::host_bytes_needed(ec, on_host) +
                      ReplayStore::bytes_needed(rc) + Rollouts::bytes_needed(shape, on_host) +
                      (on_host ? Sac::device_bytes_needed(sc) + GaussianEnsemble::device_bytes_needed(ec) : 0),
                  0);
    arena = Arena(memory.data(), memory.size());
    if (on_host) static_cast<CpuBackend&>(backend).set_host_arena(&arena);  // device placements from this arena
    if (!on_host) {
      USBPO_RETURN_IF_ERROR(backend.reserve_device(Sac::device_bytes_needed(sc) +
                                                   GaussianEnsemble::device_bytes_needed(ec) +
                                                   Rollouts::device_bytes_needed(shape, false)));
    }
    Rng rng(21);
    USBPO_RETURN_IF_ERROR(sac.init(sc, backend, arena, rng));
    USBPO_RETURN_IF_ERROR(model.init(ec, backend, arena, rng));
    USBPO_RETURN_IF_ERROR(store.place(rc, arena));
    USBPO_RETURN_IF_ERROR(rollouts.place(shape, on_host, arena));
    return rollouts.place_device(backend);
  }
};

TEST_F(CudaRollouts, RunMatchesTheCpuWithOneTransferEachWayPerStep) {
  RolloutShape shape;
  shape.batch = 3000, shape.obs_dim = 11, shape.act_dim = 3, shape.elites = 5, shape.predict_chunk = 1000;
  CpuBackend cpu_backend;
  std::unique_ptr<CudaBackend> gpu = fresh_backend();
  ASSERT_NE(gpu, nullptr);
  Rig cpu, dev;
  ASSERT_TRUE(cpu.init(cpu_backend, shape).is_ok());
  ASSERT_TRUE(dev.init(*gpu, shape).is_ok());
  Rng starts(8);
  for (int i = 0; i < shape.batch * shape.obs_dim; ++i) {
    cpu.rollouts.start_states()[i] = dev.rollouts.start_states()[i] = 0.3f * starts.normal();
  }
  NeverTerminal env;
  Rng rng_a(2), rng_b(2);
  RolloutStats a, b;
  const int length = 4;
  ASSERT_TRUE(cpu.rollouts.run(shape.batch, length, cpu.sac, cpu.model, env, cpu.store, 0, rng_a, &a).is_ok());
  gpu->reset_counters();
  ASSERT_TRUE(dev.rollouts.run(shape.batch, length, dev.sac, dev.model, env, dev.store, 0, rng_b, &b).is_ok());
  EXPECT_TRUE(gpu->error().is_ok()) << gpu->error().message();
  EXPECT_EQ(gpu->counters().uploads, 1 + length);
  EXPECT_EQ(gpu->counters().downloads, length);
  ASSERT_EQ(a.transitions, shape.batch * length);
  ASSERT_EQ(b.transitions, a.transitions);
  ASSERT_EQ(cpu.store.size(), dev.store.size());
  std::vector<float> obs_a, obs_b, act_a, act_b, next_a, next_b, reward_a, reward_b;
  for (int s = 0; s < cpu.store.size(); ++s) {
    obs_a.insert(obs_a.end(), cpu.store.obs(s), cpu.store.obs(s) + 11);
    obs_b.insert(obs_b.end(), dev.store.obs(s), dev.store.obs(s) + 11);
    act_a.insert(act_a.end(), cpu.store.act(s), cpu.store.act(s) + 3);
    act_b.insert(act_b.end(), dev.store.act(s), dev.store.act(s) + 3);
    next_a.insert(next_a.end(), cpu.store.next_obs(s), cpu.store.next_obs(s) + 11);
    next_b.insert(next_b.end(), dev.store.next_obs(s), dev.store.next_obs(s) + 11);
    reward_a.push_back(cpu.store.reward(s));
    reward_b.push_back(dev.store.reward(s));
  }
  EXPECT_TRUE(norm_close(obs_b, obs_a, 1e-4));
  EXPECT_TRUE(norm_close(act_b, act_a, 1e-4));
  EXPECT_TRUE(norm_close(next_b, next_a, 1e-4));
  EXPECT_TRUE(norm_close(reward_b, reward_a, 1e-4));
}

}  // namespace
}  // namespace usbpo::cuda::testing
