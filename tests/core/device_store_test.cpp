// Replay stores on the device and block-ahead SAC updates (issue 15): a
// store's device mirror equals the host store after every kind of change
// (single stores, store_batch across the ring's end, oversized batches,
// set_capacity, clear, a checkpoint load), with exactly the uploads stated;
// the gather op against ReplayStore::gather; an update block draws what
// fill_mixed_batch + Sac::update drew and its updates equal theirs bit for bit,
// on the CPU, on the checked backend, and on the recording backend where the
// G updates are one captured sequence replayed G times by one replay call.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "checked_cpu_backend.hpp"
#include "recording_backend.hpp"
#include "usbpo/agent/device_store_mirror.hpp"
#include "usbpo/agent/mixed_batch.hpp"
#include "usbpo/agent/sac_update_block.hpp"
#include "usbpo/nn/cpu_backend.hpp"

namespace usbpo {
namespace {

using testing_support::CheckedCpuBackend;
using testing_support::RecordingBackend;

ReplayConfig store_config(int capacity) {
  ReplayConfig c;
  c.obs_dim = 3;
  c.act_dim = 2;
  c.capacity = capacity;
  return c;
}

// count random transitions (one in five terminal), one by one or as one batch.
void store_random(ReplayStore& store, int count, Rng& rng, bool as_batch, std::int32_t epoch = 0) {
  const int od = store.config().obs_dim, ad = store.config().act_dim;
  std::vector<Scalar> obs(static_cast<std::size_t>(count) * od), act(static_cast<std::size_t>(count) * ad),
      reward(count), next(static_cast<std::size_t>(count) * od);
  std::vector<std::uint8_t> terminal(count);
  for (Scalar& x : obs) x = rng.normal();
  for (Scalar& x : act) x = rng.uniform(-1, 1);
  for (Scalar& x : reward) x = rng.normal();
  for (Scalar& x : next) x = rng.normal();
  for (int i = 0; i < count; ++i) terminal[i] = rng.uniform_int(5) == 0 ? 1 : 0;
  if (as_batch) {
    ASSERT_TRUE(store.store_batch(count, obs.data(), act.data(), reward.data(), next.data(), terminal.data(), epoch)
                    .is_ok());
    return;
  }
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(store.store(&obs[i * od], &act[i * ad], reward[i], &next[i * od], terminal[i] != 0, epoch).is_ok());
  }
}

// Every live slot of the mirror (downloaded) equals the host store's, bit for bit.
::testing::AssertionResult mirror_equals_store(Backend& backend, const DeviceStoreMirror& mirror,
                                               const ReplayStore& store) {
  const std::size_t n = static_cast<std::size_t>(store.config().capacity);
  const std::size_t od = static_cast<std::size_t>(store.config().obs_dim), ad = store.config().act_dim;
  std::vector<Scalar> obs(n * od), act(n * ad), reward(n), next(n * od);
  std::vector<std::uint8_t> terminal(n);
  const StoreColumns& c = mirror.columns();
  backend.download(obs.data(), c.obs, obs.size() * sizeof(Scalar));
  backend.download(act.data(), c.act, act.size() * sizeof(Scalar));
  backend.download(reward.data(), c.reward, reward.size() * sizeof(Scalar));
  backend.download(next.data(), c.next_obs, next.size() * sizeof(Scalar));
  backend.download(terminal.data(), c.terminal, terminal.size());
  std::vector<int> live(static_cast<std::size_t>(store.size()));
  store.live_slots(live.data());
  for (int s : live) {
    const bool same = std::memcmp(&obs[s * od], store.obs(s), od * sizeof(Scalar)) == 0 &&
                      std::memcmp(&act[s * ad], store.act(s), ad * sizeof(Scalar)) == 0 &&
                      std::memcmp(&reward[s], &store.reward_data()[s], sizeof(Scalar)) == 0 &&
                      std::memcmp(&next[s * od], store.next_obs(s), od * sizeof(Scalar)) == 0 &&
                      (terminal[s] != 0) == store.terminal(s);
    if (!same) return ::testing::AssertionFailure() << "slot " << s << " differs";
  }
  return ::testing::AssertionSuccess() << live.size() << " live slots equal";
}

// A trainer's checkpoint visit in memory: save copies out, load copies back in.
class MemoryState : public StateVisitor {
 public:
  bool loading = false;
  std::map<std::string, std::vector<unsigned char>> arrays;
  void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) override {
    std::vector<unsigned char>& bytes = arrays[std::string(prefix) + "/" + name];
    const std::size_t size = count * state_type_size(type);
    if (loading) {
      if (bytes.size() != size) failed_ = true;
      else std::memcpy(data, bytes.data(), size);
    } else {
      const unsigned char* p = static_cast<const unsigned char*>(data);
      bytes.assign(p, p + size);
    }
  }
  bool check(bool condition, const char*, const char*) override {
    if (!condition) failed_ = true;
    return condition;
  }
  bool ok() const override { return !failed_; }

 private:
  bool failed_ = false;
};

TEST(DeviceStoreMirror, FollowsTheHostStoreWithExactlyTheChangedSlots) {
  const ReplayConfig config = store_config(10);
  std::vector<unsigned char> memory(2 * ReplayStore::bytes_needed(config));
  Arena arena(memory.data(), memory.size());
  ReplayStore store, other;
  ASSERT_TRUE(store.place(config, arena).is_ok());
  ASSERT_TRUE(other.place(config, arena).is_ok());
  CheckedCpuBackend checked;
  ASSERT_TRUE(checked.reserve_device(DeviceStoreMirror::device_bytes_needed(config, false)).is_ok());
  DeviceStoreMirror mirror;
  ASSERT_TRUE(mirror.place(store, checked).is_ok());
  EXPECT_EQ(DeviceStoreMirror::device_bytes_needed(config, true), 0u);
  Rng rng(1);
  auto sync = [&](int expected_uploads) {
    checked.reset_counters();
    EXPECT_EQ(mirror.sync(), expected_uploads);
    EXPECT_EQ(checked.counters().uploads, expected_uploads);
    EXPECT_TRUE(mirror_equals_store(checked, mirror, store));
  };
  store_random(store, 4, rng, false);
  sync(5);  // one range, five arrays
  store_random(store, 1, rng, false);
  EXPECT_TRUE(mirror.behind_by_one());
  sync(5);
  EXPECT_FALSE(mirror.behind_by_one());
  sync(0);  // nothing new
  store_random(store, 8, rng, true);  // slots 5..9 and 0..2: the ring wraps
  sync(10);
  store_random(store, 3, rng, false);
  store_random(store, 4, rng, true);  // seven since the last sync, one range (slots 3..9)
  sync(5);
  store_random(store, 25, rng, true);  // more than the capacity: the last 10 survive, two ranges
  sync(10);
  ASSERT_TRUE(store.set_capacity(6).is_ok());  // rotates: all live slots again
  sync(5);
  store_random(store, 4, rng, true);  // slots 0..3 of the smaller ring
  sync(5);
  store_random(store, 4, rng, true);  // slots 4, 5, 0, 1: it wraps at 6
  sync(10);
  ASSERT_TRUE(store.set_capacity(10).is_ok());
  sync(5);
  store.clear();
  sync(0);
  store_random(store, 3, rng, false);
  sync(5);
  // A checkpoint load replaces everything; a save (which moves data into the file layout) too.
  store_random(other, 17, rng, true);
  MemoryState state;
  other.visit_state(state, "store");
  ASSERT_TRUE(state.ok());
  state.loading = true;
  store.visit_state(state, "store");
  ASSERT_TRUE(state.ok());
  sync(5);
  store_random(store, 5, rng, false);
  MemoryState saved;
  store.visit_state(saved, "store");
  sync(5);
}

TEST(DeviceStoreMirror, IsTheStoreItselfWhereTheDeviceIsTheHost) {
  const ReplayConfig config = store_config(10);
  std::vector<unsigned char> memory(ReplayStore::bytes_needed(config));
  Arena arena(memory.data(), memory.size());
  ReplayStore store;
  ASSERT_TRUE(store.place(config, arena).is_ok());
  CpuBackend cpu;
  DeviceStoreMirror mirror;
  ASSERT_TRUE(mirror.place(store, cpu).is_ok());
  EXPECT_EQ(mirror.columns().obs, store.obs_data());
  EXPECT_EQ(mirror.columns().terminal, store.terminal_data());
  Rng rng(2);
  store_random(store, 13, rng, true);
  EXPECT_FALSE(mirror.behind_by_one());
  EXPECT_EQ(mirror.sync(), 0);
  EXPECT_EQ(cpu.counters().uploads, 0);
}

// The gather op on the CPU against ReplayStore::gather, and on the checked
// backend from mirrors against the CPU, bit for bit; the index advances.
TEST(GatherSacBatch, EqualsTheHostGatherAndAdvances) {
  const ReplayConfig config = store_config(50);
  std::vector<unsigned char> memory(2 * ReplayStore::bytes_needed(config));
  Arena arena(memory.data(), memory.size());
  ReplayStore real, model;
  ASSERT_TRUE(real.place(config, arena).is_ok());
  ASSERT_TRUE(model.place(config, arena).is_ok());
  Rng rng(3);
  store_random(real, 40, rng, false);
  store_random(model, 70, rng, true);  // wrapped
  const int batch = 9, n_real = 4, updates = 3, od = 3, ad = 2;
  std::vector<int> slots(static_cast<std::size_t>(updates) * batch);
  for (int g = 0; g < updates; ++g) {
    ASSERT_TRUE(real.sample_uniform(rng, n_real, &slots[g * batch]).is_ok());
    ASSERT_TRUE(model.sample_uniform(rng, batch - n_real, &slots[g * batch + n_real]).is_ok());
  }
  std::vector<Scalar> noise(static_cast<std::size_t>(updates) * 2 * ad * batch);
  for (Scalar& x : noise) x = rng.normal();
  // The batch and noise as the host gather and the noise block lay them out.
  struct Out {
    std::vector<Scalar> obs, act, reward, next, not_done, eps_next, eps_actor;
    explicit Out(int n) : obs(n * od), act(n * ad), reward(n), next(n * od), not_done(n), eps_next(n * ad), eps_actor(n * ad) {}
    SacBatchColumns columns() {
      return SacBatchColumns{obs.data(), act.data(), reward.data(), next.data(), not_done.data(), eps_next.data(),
                             eps_actor.data()};
    }
    bool operator==(const Out& o) const {
      return obs == o.obs && act == o.act && reward == o.reward && next == o.next && not_done == o.not_done &&
             eps_next == o.eps_next && eps_actor == o.eps_actor;
    }
  };
  CpuBackend cpu;
  std::int32_t header[2] = {0, n_real};
  const StoreColumns real_columns{real.obs_data(), real.act_data(), real.reward_data(), real.next_obs_data(),
                                  real.terminal_data()};
  const StoreColumns model_columns{model.obs_data(), model.act_data(), model.reward_data(), model.next_obs_data(),
                                   model.terminal_data()};
  std::vector<Out> cpu_out;
  for (int g = 0; g < updates; ++g) {
    Out expected(batch), got(batch);
    const int* s = &slots[g * batch];
    real.gather(s, n_real, expected.obs.data(), expected.act.data(), expected.reward.data(), expected.next.data(),
                expected.not_done.data());
    model.gather(s + n_real, batch - n_real, &expected.obs[n_real * od], &expected.act[n_real * ad],
                 &expected.reward[n_real], &expected.next[n_real * od], &expected.not_done[n_real]);
    const Scalar* eps = &noise[static_cast<std::size_t>(g) * 2 * ad * batch];
    expected.eps_next.assign(eps, eps + ad * batch);
    expected.eps_actor.assign(eps + ad * batch, eps + 2 * ad * batch);
    cpu.gather_sac_batch(real_columns, model_columns, header, slots.data(), noise.data(), od, ad, batch,
                         got.columns());
    EXPECT_TRUE(got == expected) << "update " << g;
    cpu.advance_update_index(header);
    EXPECT_EQ(header[kUpdateBlockIndex], g + 1);
    cpu_out.push_back(got);
  }

  // The checked backend, gathering from the stores' mirrors.
  CheckedCpuBackend checked;
  const std::size_t out_floats = static_cast<std::size_t>(batch) * (2 * od + 3 * ad + 2);
  ASSERT_TRUE(checked
                  .reserve_device(2 * DeviceStoreMirror::device_bytes_needed(config, false) +
                                  Arena::padded(slots.size() * sizeof(int)) +
                                  Arena::padded(noise.size() * sizeof(Scalar)) + Arena::padded(2 * sizeof(std::int32_t)) +
                                  7 * Arena::padded(out_floats * sizeof(Scalar)))
                  .is_ok());
  DeviceStoreMirror real_mirror, model_mirror;
  ASSERT_TRUE(real_mirror.place(real, checked).is_ok());
  ASSERT_TRUE(model_mirror.place(model, checked).is_ok());
  real_mirror.sync();
  model_mirror.sync();
  Arena& device = checked.device_arena();
  int* d_slots = device.allocate<int>(slots.size());
  Scalar* d_noise = device.allocate<Scalar>(noise.size());
  std::int32_t* d_header = device.allocate<std::int32_t>(2);
  Out host(batch);
  SacBatchColumns d_out;
  Scalar** parts[] = {&d_out.obs, &d_out.act, &d_out.reward, &d_out.next_obs, &d_out.not_done, &d_out.eps_next,
                      &d_out.eps_actor};
  for (Scalar** part : parts) *part = device.allocate<Scalar>(out_floats);
  ASSERT_FALSE(device.exhausted());
  const std::int32_t start[2] = {0, n_real};
  checked.upload(d_slots, slots.data(), slots.size() * sizeof(int));
  checked.upload(d_noise, noise.data(), noise.size() * sizeof(Scalar));
  checked.upload(d_header, start, sizeof start);
  for (int g = 0; g < updates; ++g) {
    checked.gather_sac_batch(real_mirror.columns(), model_mirror.columns(), d_header, d_slots, d_noise, od, ad,
                             batch, d_out);
    checked.advance_update_index(d_header);
    checked.download(host.obs.data(), d_out.obs, host.obs.size() * sizeof(Scalar));
    checked.download(host.act.data(), d_out.act, host.act.size() * sizeof(Scalar));
    checked.download(host.reward.data(), d_out.reward, host.reward.size() * sizeof(Scalar));
    checked.download(host.next.data(), d_out.next_obs, host.next.size() * sizeof(Scalar));
    checked.download(host.not_done.data(), d_out.not_done, host.not_done.size() * sizeof(Scalar));
    checked.download(host.eps_next.data(), d_out.eps_next, host.eps_next.size() * sizeof(Scalar));
    checked.download(host.eps_actor.data(), d_out.eps_actor, host.eps_actor.size() * sizeof(Scalar));
    EXPECT_TRUE(host == cpu_out[g]) << "update " << g << " on the checked backend";
  }
}

SacConfig small_sac() {
  SacConfig c;
  c.obs_dim = 3;
  c.act_dim = 2;
  c.hidden_width = 16;
  c.batch = 32;
  return c;
}

// SAC with the two stores, their mirrors and an update block, on one backend
// (null: SAC's internal CPU backend), all in memory of its own. The stores get
// the same transitions in every rig.
struct Rig {
  SacConfig config = small_sac();
  ReplayConfig store = store_config(200);
  int max_updates = 5;
  std::unique_ptr<CheckedCpuBackend> checked;
  std::unique_ptr<RecordingBackend> recording;
  Backend* backend = nullptr;
  std::vector<unsigned char> memory;
  Arena arena;
  Sac sac;
  ReplayStore real, model;
  DeviceStoreMirror real_mirror, model_mirror;
  SacUpdateBlock block;

  // kind: "cpu", "checked" or "recording" (on a checked backend).
  void init(const std::string& kind) {
    if (kind != "cpu") {
      checked = std::make_unique<CheckedCpuBackend>();
      backend = checked.get();
      if (kind == "recording") {
        recording = std::make_unique<RecordingBackend>(*checked);
        backend = recording.get();
      }
      ASSERT_TRUE(backend
                      ->reserve_device(Sac::device_bytes_needed(config) +
                                       SacUpdateBlock::device_bytes_needed(config, max_updates, false) +
                                       2 * DeviceStoreMirror::device_bytes_needed(store, false))
                      .is_ok());
    }
    memory.assign(Sac::bytes_needed(config) + SacUpdateBlock::host_bytes_needed(config, max_updates) +
                      2 * ReplayStore::bytes_needed(store),
                  0);
    arena = Arena(memory.data(), memory.size());
    Rng init_rng(21);
    if (backend) {
      ASSERT_TRUE(sac.init(config, *backend, arena, init_rng).is_ok());
    } else {
      ASSERT_TRUE(sac.init(config, arena, init_rng).is_ok());
    }
    ASSERT_TRUE(real.place(store, arena).is_ok());
    ASSERT_TRUE(model.place(store, arena).is_ok());
    ASSERT_TRUE(block.place_host(config, max_updates, arena).is_ok());
    ASSERT_TRUE(block.place_device(sac.backend()).is_ok());
    ASSERT_TRUE(real_mirror.place(real, sac.backend()).is_ok());
    ASSERT_TRUE(model_mirror.place(model, sac.backend()).is_ok());
    Rng data(22);
    store_random(real, 150, data, false);
    store_random(model, 260, data, true);
  }
  // One env step's updates through the block (stats of the last one).
  Status block_updates(int updates, Scalar real_ratio, Rng& rng, SacStats* stats) {
    real_mirror.sync();
    model_mirror.sync();
    USBPO_RETURN_IF_ERROR(block.draw(real, &model, real_ratio, updates, rng));
    block.upload();
    USBPO_RETURN_IF_ERROR(block.run(sac, real_mirror.columns(), model_mirror.columns()));
    return sac.read_stats(stats);
  }
  // What Trainer::train_agent does: the newest real transition staged into
  // the block when it is all the mirror lacks, else synced; then as above.
  Status trainer_updates(int updates, Scalar real_ratio, Rng& rng, SacStats* stats) {
    const bool fused = real_mirror.behind_by_one();
    if (fused) {
      block.stage_newest(real);
    } else {
      real_mirror.sync();
    }
    model_mirror.sync();
    USBPO_RETURN_IF_ERROR(block.draw(real, &model, real_ratio, updates, rng));
    block.upload();
    if (fused) real_mirror.sync_newest_from_device(block.staged_transition());
    USBPO_RETURN_IF_ERROR(block.run(sac, real_mirror.columns(), model_mirror.columns()));
    return sac.read_stats(stats);
  }
  // The same the way the trainer did before: per update fill_mixed_batch, then update.
  Status direct_updates(int updates, Scalar real_ratio, Rng& rng, SacStats* stats) {
    std::vector<int> slots(static_cast<std::size_t>(config.batch));
    for (int g = 0; g < updates; ++g) {
      USBPO_RETURN_IF_ERROR(fill_mixed_batch(real, &model, real_ratio, rng, slots.data(), sac));
      USBPO_RETURN_IF_ERROR(sac.update(rng, g == updates - 1 ? stats : nullptr));
    }
    return Status::ok();
  }
};

void expect_same_sac(Sac& a, Sac& b) {
  a.pull_state();
  b.pull_state();
  const std::size_t actor = a.actor_network().total_params() * sizeof(Scalar);
  const std::size_t critic = a.critic_network().total_params() * sizeof(Scalar);
  EXPECT_EQ(std::memcmp(a.actor_params(), b.actor_params(), actor), 0);
  EXPECT_EQ(std::memcmp(a.critic_params(), b.critic_params(), critic), 0);
  EXPECT_EQ(std::memcmp(a.target_critic_params(), b.target_critic_params(), critic), 0);
  EXPECT_EQ(a.log_alpha(), b.log_alpha());
}

class BlockAheadUpdates : public ::testing::TestWithParam<const char*> {};

// Three env steps of G = 5, 3 and 4 updates (real ratio 0.25; then all real),
// through the block on the backend, against per-update fill_mixed_batch +
// Sac::update on the CPU: the same Rng draws, statistics and state bit for bit.
TEST_P(BlockAheadUpdates, EqualPerUpdateBatchesAndUpdatesBitForBit) {
  Rig direct, blocked;
  direct.init("cpu");
  blocked.init(GetParam());
  // The mirrors' first uploads (all live slots, one range each) before the counted steps.
  EXPECT_EQ(blocked.real_mirror.sync() + blocked.model_mirror.sync(), GetParam() == std::string("cpu") ? 0 : 5 + 5);
  Rng ra(31), rb(31);
  const int updates[] = {5, 3, 4};
  const Scalar ratios[] = {0.25f, 0.25f, 1.0f};
  for (int step = 0; step < 3; ++step) {
    SacStats sa, sb;
    Backend& b = blocked.sac.backend();
    b.reset_counters();
    ASSERT_TRUE(direct.direct_updates(updates[step], ratios[step], ra, &sa).is_ok());
    ASSERT_TRUE(blocked.block_updates(updates[step], ratios[step], rb, &sb).is_ok());
    EXPECT_EQ(std::memcmp(&sa, &sb, sizeof(SacStats)), 0) << "step " << step;
    EXPECT_EQ(ra.next_u64(), rb.next_u64()) << "the block drew other numbers than the updates";
    // One upload (the block), one download (the statistics) per step; with
    // graphs one replay call of G updates, captured at the first step.
    EXPECT_EQ(b.counters().uploads, 1);
    EXPECT_EQ(b.counters().downloads, 1);
    if (blocked.recording) {
      EXPECT_EQ(b.counters().graph_replays, updates[step]);
      EXPECT_GT(blocked.recording->recorded(SacUpdateBlock::kGraphSlot), 20u);
    }
  }
  expect_same_sac(direct.sac, blocked.sac);
}

INSTANTIATE_TEST_SUITE_P(Backends, BlockAheadUpdates, ::testing::Values("cpu", "checked", "recording"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

TEST(SacUpdateBlock, StagedTransitionTravelsWithTheBlock) {
  Rig rig;
  rig.init("checked");
  CheckedCpuBackend& checked = *rig.checked;
  rig.real_mirror.sync();
  Rng rng(41);
  store_random(rig.real, 1, rng, false);
  ASSERT_TRUE(rig.real_mirror.behind_by_one());
  rig.block.stage_newest(rig.real);
  ASSERT_TRUE(rig.block.draw(rig.real, nullptr, 1.0f, 2, rng).is_ok());
  checked.reset_counters();
  rig.block.upload();
  rig.real_mirror.sync_newest_from_device(rig.block.staged_transition());
  EXPECT_EQ(checked.counters().uploads, 1);
  EXPECT_EQ(checked.counters().op_calls, 5);  // the device copies into the newest slot
  EXPECT_FALSE(rig.real_mirror.behind_by_one());
  EXPECT_TRUE(mirror_equals_store(checked, rig.real_mirror, rig.real));
  EXPECT_EQ(rig.real_mirror.sync(), 0);
}

// The trainer's per-step path (a stored transition staged into the block or
// synced, the model store's batch synced, draw, upload, run, statistics) never
// touches the heap once the recording backend has captured its graph.
TEST(NoAllocation, BlockAheadUpdatesAndMirrorSyncs) {
  for (const char* kind : {"cpu", "checked", "recording"}) {
    Rig rig;
    rig.init(kind);
    Rng rng(51);
    SacStats stats;
    ASSERT_TRUE(rig.block_updates(3, 0.25f, rng, &stats).is_ok());  // captures (std::function allocates here)
    const std::vector<Scalar> obs(3, 0.5f), act(2, 0.25f), next(3, -0.5f);
    const std::vector<std::uint8_t> terminal(4, 0);
    const std::vector<Scalar> batch_obs(12, 0.1f), batch_act(8, 0.2f), batch_reward(4, 1.0f), batch_next(12, 0.3f);
    std::int64_t allocations = 0;
    {
      testing_support::NoAllocationScope scope;
      for (int step = 0; step < 20; ++step) {
        if (!rig.real.store(obs.data(), act.data(), 1.0f, next.data(), step % 5 == 0, 0).is_ok()) FAIL();
        if (step % 4 == 0 && !rig.model.store_batch(4, batch_obs.data(), batch_act.data(), batch_reward.data(),
                                                     batch_next.data(), terminal.data(), 0).is_ok()) {
          FAIL();
        }
        if (!rig.trainer_updates(3, 0.25f, rng, &stats).is_ok()) FAIL();
      }
      allocations = scope.allocations();
    }
    EXPECT_EQ(allocations, 0) << kind;
  }
}

TEST(SacUpdateBlock, RefusesMoreUpdatesThanPlacedAndSizesItsParts) {
  Rig rig;
  rig.init("cpu");
  Rng rng(5);
  EXPECT_EQ(rig.block.draw(rig.real, &rig.model, 0.5f, rig.max_updates + 1, rng).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SacUpdateBlock::device_bytes_needed(rig.config, 5, true), 0u);
  // Header, transition, slots and noise: growing by one update adds its slots and noise.
  const std::size_t per_update = static_cast<std::size_t>(rig.config.batch) * (sizeof(int) + 2 * 2 * sizeof(Scalar));
  EXPECT_GE(SacUpdateBlock::host_bytes_needed(rig.config, 20) - SacUpdateBlock::host_bytes_needed(rig.config, 10),
            10 * per_update);
  EXPECT_LE(SacUpdateBlock::host_bytes_needed(rig.config, 20) - SacUpdateBlock::host_bytes_needed(rig.config, 10),
            10 * per_update + Arena::kAlignment);
}

}  // namespace
}  // namespace usbpo
