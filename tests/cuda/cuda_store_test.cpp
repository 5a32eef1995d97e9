// Replay stores on the GPU and block-ahead SAC updates (issue 15): the store
// mirror on the CUDA backend equals the host store after stores, a wrapped
// store_batch and set_capacity; the gather op (direct and replayed from a
// captured graph with its index advancing on the device) equals the CPU's bit
// for bit (it only copies); a trainer on the GPU makes exactly two uploads, two
// downloads and one replay call of G updates per training env step, and its
// first block of updates matches the CPU within the lockstep tolerance.
// Skipped, visibly, without a CUDA device.
#include <cstring>
#include <memory>
#include <vector>

#include "gpu_test_support.hpp"
#include "usbpo/agent/device_store_mirror.hpp"
#include "usbpo/agent/sac_update_block.hpp"
#include "usbpo/nn/cpu_backend.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo::cuda::testing {
namespace {

class CudaStores : public GpuTest {};

ReplayConfig store_config(int capacity) {
  ReplayConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.capacity = capacity;
  return c;
}

void store_random(ReplayStore& store, int count, Rng& rng) {
  const int od = store.config().obs_dim, ad = store.config().act_dim;
  const std::vector<float> obs = random_values(rng, static_cast<std::size_t>(count) * od);
  const std::vector<float> act = random_values(rng, static_cast<std::size_t>(count) * ad, 0.5f);
  const std::vector<float> reward = random_values(rng, count);
  const std::vector<float> next = random_values(rng, static_cast<std::size_t>(count) * od);
  std::vector<std::uint8_t> terminal(count);
  for (int i = 0; i < count; ++i) terminal[i] = i % 7 == 3 ? 1 : 0;
  ASSERT_TRUE(store.store_batch(count, obs.data(), act.data(), reward.data(), next.data(), terminal.data(), 0).is_ok());
}

// Every live slot of the mirror equals the host store's, bit for bit.
void expect_mirror_equals(CudaStores& t, const DeviceStoreMirror& mirror, const ReplayStore& store) {
  const std::size_t n = static_cast<std::size_t>(store.config().capacity);
  const std::size_t od = store.config().obs_dim, ad = store.config().act_dim;
  const std::vector<float> obs = t.to_host(mirror.columns().obs, n * od);
  const std::vector<float> act = t.to_host(mirror.columns().act, n * ad);
  const std::vector<float> reward = t.to_host(mirror.columns().reward, n);
  const std::vector<float> next = t.to_host(mirror.columns().next_obs, n * od);
  const std::vector<std::uint8_t> terminal = t.to_host(mirror.columns().terminal, n);
  std::vector<int> live(static_cast<std::size_t>(store.size()));
  store.live_slots(live.data());
  for (int s : live) {
    ASSERT_EQ(std::memcmp(&obs[s * od], store.obs(s), od * sizeof(float)), 0) << "slot " << s;
    ASSERT_EQ(std::memcmp(&act[s * ad], store.act(s), ad * sizeof(float)), 0) << "slot " << s;
    ASSERT_EQ(reward[s], store.reward(s)) << "slot " << s;
    ASSERT_EQ(std::memcmp(&next[s * od], store.next_obs(s), od * sizeof(float)), 0) << "slot " << s;
    ASSERT_EQ(terminal[s] != 0, store.terminal(s)) << "slot " << s;
  }
}

TEST_F(CudaStores, MirrorFollowsTheHostStore) {
  const ReplayConfig config = store_config(1000);
  std::vector<unsigned char> memory(ReplayStore::bytes_needed(config));
  Arena arena(memory.data(), memory.size());
  ReplayStore store;
  ASSERT_TRUE(store.place(config, arena).is_ok());
  DeviceStoreMirror mirror;
  ASSERT_TRUE(mirror.place(store, *gpu_).is_ok());
  Rng rng(1);
  store_random(store, 700, rng);
  EXPECT_EQ(mirror.sync(), 5);
  expect_mirror_equals(*this, mirror, store);
  store_random(store, 600, rng);  // wraps
  EXPECT_EQ(mirror.sync(), 10);
  expect_mirror_equals(*this, mirror, store);
  ASSERT_TRUE(store.set_capacity(400).is_ok());
  EXPECT_EQ(mirror.sync(), 5);
  expect_mirror_equals(*this, mirror, store);
}

TEST_F(CudaStores, GatherDirectAndReplayedEqualsTheCpuBitForBit) {
  const ReplayConfig config = store_config(3000);
  std::vector<unsigned char> memory(2 * ReplayStore::bytes_needed(config));
  Arena arena(memory.data(), memory.size());
  ReplayStore real, model;
  ASSERT_TRUE(real.place(config, arena).is_ok());
  ASSERT_TRUE(model.place(config, arena).is_ok());
  Rng rng(2);
  store_random(real, 2000, rng);
  store_random(model, 4000, rng);
  DeviceStoreMirror real_mirror, model_mirror;
  ASSERT_TRUE(real_mirror.place(real, *gpu_).is_ok());
  ASSERT_TRUE(model_mirror.place(model, *gpu_).is_ok());
  real_mirror.sync();
  model_mirror.sync();
  const int batch = 256, n_real = 12, updates = 3, od = 11, ad = 3;
  std::vector<int> slots(static_cast<std::size_t>(updates) * batch);
  for (int g = 0; g < updates; ++g) {
    ASSERT_TRUE(real.sample_uniform(rng, n_real, &slots[g * batch]).is_ok());
    ASSERT_TRUE(model.sample_uniform(rng, batch - n_real, &slots[g * batch + n_real]).is_ok());
  }
  const std::vector<float> noise = random_values(rng, static_cast<std::size_t>(updates) * 2 * ad * batch);
  const std::vector<std::int32_t> start = {0, n_real};
  const std::size_t sizes[7] = {static_cast<std::size_t>(batch) * od, static_cast<std::size_t>(batch) * ad,
                                static_cast<std::size_t>(batch),      static_cast<std::size_t>(batch) * od,
                                static_cast<std::size_t>(batch),      static_cast<std::size_t>(batch) * ad,
                                static_cast<std::size_t>(batch) * ad};
  // CPU reference, all three updates.
  CpuBackend cpu;
  std::vector<std::int32_t> header = start;
  const StoreColumns real_host{real.obs_data(), real.act_data(), real.reward_data(), real.next_obs_data(),
                               real.terminal_data()};
  const StoreColumns model_host{model.obs_data(), model.act_data(), model.reward_data(), model.next_obs_data(),
                                model.terminal_data()};
  std::vector<std::vector<std::vector<float>>> expected(updates, std::vector<std::vector<float>>(7));
  for (int g = 0; g < updates; ++g) {
    for (int p = 0; p < 7; ++p) expected[g][p].assign(sizes[p], 0.0f);
    auto& e = expected[g];
    cpu.gather_sac_batch(real_host, model_host, header.data(), slots.data(), noise.data(), od, ad, batch,
                         SacBatchColumns{e[0].data(), e[1].data(), e[2].data(), e[3].data(), e[4].data(), e[5].data(),
                                         e[6].data()});
    cpu.advance_update_index(header.data());
  }
  // GPU: update 0 directly, updates 1 and 2 from a captured gather + advance.
  std::int32_t* d_header = to_device(start);
  const int* d_slots = to_device(slots);
  const float* d_noise = to_device(noise);
  float* out[7];
  for (int p = 0; p < 7; ++p) out[p] = device_buffer<float>(sizes[p]);
  const SacBatchColumns dst{out[0], out[1], out[2], out[3], out[4], out[5], out[6]};
  auto expect_update = [&](int g) {
    for (int p = 0; p < 7; ++p) EXPECT_EQ(to_host(out[p], sizes[p]), expected[g][p]) << "update " << g << " part " << p;
  };
  gpu_->gather_sac_batch(real_mirror.columns(), model_mirror.columns(), d_header, d_slots, d_noise, od, ad, batch, dst);
  gpu_->advance_update_index(d_header);
  expect_update(0);
  ASSERT_TRUE(gpu_->begin_capture(3).is_ok());
  gpu_->gather_sac_batch(real_mirror.columns(), model_mirror.columns(), d_header, d_slots, d_noise, od, ad, batch, dst);
  gpu_->advance_update_index(d_header);
  ASSERT_TRUE(gpu_->end_capture(3).is_ok());
  for (int g = 1; g < updates; ++g) {
    ASSERT_TRUE(gpu_->replay(3, 1).is_ok());
    expect_update(g);
  }
  EXPECT_EQ(to_host(d_header, 2), (std::vector<std::int32_t>{updates, n_real}));
}

TrainerConfig small_trainer(Algorithm algorithm, Backend* backend) {
  TrainerConfig c;
  c.algorithm = algorithm;
  c.backend = backend;
  c.seed = 5;
  c.start_steps = c.update_after = 300;
  c.updates_per_step = 5;
  c.epoch_length = 300;
  c.replay_capacity = 5000;
  c.sac.hidden_width = 64;
  c.sac.batch = 128;
  c.model.members = 3;
  c.model.elites = 2;
  c.model.hidden_width = 32;
  c.model.batch = 64;
  c.model.max_epochs = 2;
  c.model_train_freq = 100;
  c.rollout_batch = 300;
  c.w2.batch = 64;
  c.w2.max_steps = 3;
  return c;
}

struct TrainingRun {
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  Status init(const TrainerConfig& c) {
    memory.assign(Trainer::bytes_needed(c, env), 0);
    arena = Arena(memory.data(), memory.size());
    return trainer.init(c, env, eval_env, arena);
  }
};

class CudaBlockAhead : public ::testing::TestWithParam<Algorithm> {};

TEST_P(CudaBlockAhead, TwoUploadsTwoDownloadsOneReplayOfGPerTrainingStep) {
  USBPO_REQUIRE_GPU();
  std::unique_ptr<CudaBackend> gpu = fresh_backend();
  ASSERT_TRUE(gpu);
  const TrainerConfig config = small_trainer(GetParam(), gpu.get());
  TrainerConfig on_cpu = config;
  on_cpu.backend = nullptr;
  TrainingRun dev, cpu;
  ASSERT_TRUE(dev.init(config).is_ok());
  ASSERT_TRUE(cpu.init(on_cpu).is_ok());
  TrainerProgress pd, pc;
  int counted = 0;
  bool compared_first = false;
  for (int i = 0; i < 500; ++i) {
    gpu->reset_counters();
    const std::int64_t before = pd.gradient_updates;
    ASSERT_TRUE(dev.trainer.step(&pd).is_ok());
    ASSERT_TRUE(cpu.trainer.step(&pc).is_ok());
    ASSERT_TRUE(gpu->error().is_ok()) << gpu->error().message();
    if (pd.gradient_updates > before && !compared_first && !uses_model(GetParam())) {
      // The first block (same slots and noise; random actions so far): the lockstep tolerance.
      compared_first = true;
      EXPECT_TRUE(scalar_close(pd.sac.critic_loss, pc.sac.critic_loss, 1e-4));
      EXPECT_TRUE(scalar_close(pd.sac.actor_loss, pc.sac.actor_loss, 1e-4));
    }
    if (before == 0 || pd.gradient_updates == before || pd.model_round) continue;
    ++counted;
    EXPECT_EQ(gpu->counters().uploads, 2);
    EXPECT_EQ(gpu->counters().downloads, 2);
    EXPECT_EQ(gpu->counters().graph_replays, config.updates_per_step);
    EXPECT_EQ(gpu->counters().synchronizations, 0);
  }
  EXPECT_GT(counted, 100);
  if (!uses_model(GetParam())) {
    EXPECT_TRUE(compared_first);
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, CudaBlockAhead, ::testing::Values(Algorithm::kSac, Algorithm::kMbpo),
                         [](const ::testing::TestParamInfo<Algorithm>& info) {
                           return std::string(algorithm_name(info.param));
                         });

}  // namespace
}  // namespace usbpo::cuda::testing
