#include "usbpo/agent/replay_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "test_support.hpp"

namespace usbpo {
namespace {

struct Store : testing_support::StoreInArena {
  explicit Store(int capacity, int obs_dim = 2, int act_dim = 1) : StoreInArena(capacity, obs_dim, act_dim) {}
  // Transition i: obs = (i, -i), act = i / 10, reward = i, next_obs = obs + 1.
  Status add(int i, std::int32_t epoch = 0) {
    Scalar obs[2] = {Scalar(i), Scalar(-i)}, act = Scalar(i) / 10, next[2] = {Scalar(i + 1), Scalar(1 - i)};
    return store.store(obs, &act, Scalar(i), next, i % 7 == 0, epoch);
  }
};

TEST(ReplayStore, FifoOverwritesOldestAndKeepsSize) {
  Store s(5);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(s.add(i).is_ok());
  EXPECT_EQ(s.store.size(), 5);
  EXPECT_EQ(s.store.capacity(), 5);
  EXPECT_EQ(s.store.total_stored(), 8);
  // Live transitions are 3..7; slot of transition i is i % 5.
  for (int i = 3; i < 8; ++i) {
    EXPECT_EQ(s.store.reward(i % 5), Scalar(i));
    EXPECT_EQ(s.store.obs(i % 5)[1], Scalar(-i));
    EXPECT_EQ(s.store.next_obs(i % 5)[0], Scalar(i + 1));
    EXPECT_EQ(s.store.terminal(i % 5), i % 7 == 0);
  }
}

TEST(ReplayStore, BatchInsertWrapsAround) {
  Store s(6);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.add(i).is_ok());
  const int n = 5;
  std::vector<Scalar> obs(2 * n), act(n), reward(n), next(2 * n);
  std::vector<std::uint8_t> terminal(n, 0);
  for (int i = 0; i < n; ++i) {
    obs[2 * i] = Scalar(100 + i);
    reward[i] = Scalar(100 + i);
  }
  terminal[2] = 1;
  ASSERT_TRUE(s.store.store_batch(n, obs.data(), act.data(), reward.data(), next.data(), terminal.data(), 1).is_ok());
  EXPECT_EQ(s.store.size(), 6);
  EXPECT_EQ(s.store.total_stored(), 9);
  // Global index 4 + i -> slot (4 + i) % 6.
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(s.store.reward((4 + i) % 6), Scalar(100 + i));
    EXPECT_EQ(s.store.epoch((4 + i) % 6), 1);
  }
  EXPECT_TRUE(s.store.terminal((4 + 2) % 6));
  EXPECT_EQ(s.store.epoch_size(0), 1);  // only transition 3 survives
  EXPECT_EQ(s.store.epoch_size(1), 5);
}

TEST(ReplayStore, OversizedBatchKeepsTheNewest) {
  Store s(3);
  const int n = 7;
  std::vector<Scalar> obs(2 * n), act(n), reward(n), next(2 * n);
  std::vector<std::uint8_t> terminal(n, 0);
  for (int i = 0; i < n; ++i) reward[i] = Scalar(i);
  ASSERT_TRUE(s.store.store_batch(n, obs.data(), act.data(), reward.data(), next.data(), terminal.data(), 0).is_ok());
  EXPECT_EQ(s.store.size(), 3);
  for (int i = 4; i < 7; ++i) EXPECT_EQ(s.store.reward(i % 3), Scalar(i));
}

TEST(ReplayStore, RejectsNonFiniteAndLeavesStoreUnchanged) {
  Store s(4);
  ASSERT_TRUE(s.add(1).is_ok());
  Scalar obs[2] = {0, std::numeric_limits<Scalar>::quiet_NaN()}, act = 0, next[2] = {0, 0};
  Status st = s.store.store(obs, &act, 0, next, false, 0);
  EXPECT_EQ(st.code(), StatusCode::kNonFinite);
  EXPECT_NE(std::string(st.message()).find("obs"), std::string::npos);
  obs[1] = 0;
  st = s.store.store(obs, &act, std::numeric_limits<Scalar>::infinity(), next, false, 0);
  EXPECT_EQ(st.code(), StatusCode::kNonFinite);
  EXPECT_NE(std::string(st.message()).find("reward"), std::string::npos);
  EXPECT_EQ(s.store.size(), 1);
  EXPECT_EQ(s.store.total_stored(), 1);
}

TEST(ReplayStore, RejectsDecreasingEpochTags) {
  Store s(4);
  ASSERT_TRUE(s.add(1, 3).is_ok());
  EXPECT_EQ(s.add(2, 2).code(), StatusCode::kInvalidArgument);
}

TEST(ReplayStore, UniformSamplingCoversOnlyLiveSlots) {
  Store s(10);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(s.add(i).is_ok());
  Rng rng(1);
  std::vector<int> slots(6000), hits(10, 0);
  ASSERT_TRUE(s.store.sample_uniform(rng, 6000, slots.data()).is_ok());
  for (int slot : slots) ++hits[slot];
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(hits[i], 1000, 150) << "slot " << i;
  for (int i = 6; i < 10; ++i) EXPECT_EQ(hits[i], 0) << "empty slot " << i;
  Store empty(3);
  EXPECT_EQ(empty.store.sample_uniform(rng, 1, slots.data()).code(), StatusCode::kFailedPrecondition);
}

TEST(ReplayStore, EpochWeightedSamplingMatchesWeights) {
  Store s(300);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(s.add(i, i / 100).is_ok());  // 3 epochs of 100
  const double weights[3] = {0.81, 0.09, 0.10};
  Rng rng(7);
  const int n = 200000;
  std::vector<int> slots(n);
  ASSERT_TRUE(s.store.sample_by_epoch_weights(rng, weights, 0, 3, n, slots.data()).is_ok());
  double counts[3] = {};
  for (int slot : slots) counts[s.store.epoch(slot)] += 1;
  // Chi-square with 2 degrees of freedom: 13.8 is the 0.1 % critical value.
  double chi2 = 0;
  for (int e = 0; e < 3; ++e) chi2 += (counts[e] - n * weights[e]) * (counts[e] - n * weights[e]) / (n * weights[e]);
  EXPECT_LT(chi2, 13.8);
}

TEST(ReplayStore, OverwrittenEpochIsNeverSampled) {
  Store s(100);
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(s.add(i, i / 100).is_ok());  // epoch 0 fully overwritten
  EXPECT_EQ(s.store.epoch_size(0), 0);
  EXPECT_EQ(s.store.epoch_size(1), 50);
  EXPECT_EQ(s.store.epoch_size(2), 50);
  const double weights[3] = {100.0, 1.0, 1.0};
  Rng rng(3);
  std::vector<int> slots(5000);
  ASSERT_TRUE(s.store.sample_by_epoch_weights(rng, weights, 0, 3, 5000, slots.data()).is_ok());
  int epoch1 = 0;
  for (int slot : slots) {
    ASSERT_NE(s.store.epoch(slot), 0);
    epoch1 += s.store.epoch(slot) == 1;
  }
  EXPECT_NEAR(epoch1, 2500, 200);
  const double zero[3] = {1.0, 0.0, 0.0};
  EXPECT_EQ(s.store.sample_by_epoch_weights(rng, zero, 0, 3, 1, slots.data()).code(), StatusCode::kInvalidArgument);
}

TEST(ReplayStore, GatherWritesColumnsAndNotDone) {
  Store s(8);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(s.add(i).is_ok());
  const int slots[3] = {7, 0, 3};
  Scalar obs[6], act[3], reward[3], next[6], not_done[3];
  s.store.gather(slots, 3, obs, act, reward, next, not_done);
  EXPECT_EQ(obs[0], 7);
  EXPECT_EQ(obs[1], -7);
  EXPECT_FLOAT_EQ(act[2], 0.3f);
  EXPECT_EQ(reward[1], 0);
  EXPECT_EQ(next[4], 4);
  EXPECT_EQ(not_done[0], 0);  // 7 % 7 == 0: terminal
  EXPECT_EQ(not_done[1], 0);  // 0 % 7 == 0
  EXPECT_EQ(not_done[2], 1);
}

TEST(ReplayStore, SizingAndBadConfig) {
  ReplayConfig c;
  c.obs_dim = 3;
  c.act_dim = 1;
  c.capacity = 1000;
  const std::size_t bytes = ReplayStore::bytes_needed(c);
  std::vector<unsigned char> memory(bytes);
  Arena arena(memory.data(), memory.size());
  ReplayStore store;
  ASSERT_TRUE(store.place(c, arena).is_ok());
  EXPECT_LE(arena.used(), bytes);
  std::vector<unsigned char> small(bytes / 2);
  Arena tiny(small.data(), small.size());
  Status st = store.place(c, tiny);
  EXPECT_EQ(st.code(), StatusCode::kOutOfMemory);
  EXPECT_NE(std::string(st.message()).find("arena too small"), std::string::npos);
  c.capacity = 0;
  EXPECT_EQ(store.place(c, arena).code(), StatusCode::kInvalidArgument);
}

TEST(ReplayStore, StoreSampleAndGatherNeverAllocate) {
  Store s(1000, 11, 3);
  Rng rng(1);
  std::vector<Scalar> obs(11, 0.5f), act(3, 0.1f), batch_obs(11 * 256), batch_act(3 * 256), r(256), nd(256);
  std::vector<int> slots(256);
  const double weights[4] = {0.5, 0.2, 0.2, 0.1};
  std::int64_t allocations = 0;
  {
    testing_support::NoAllocationScope scope;
    for (int i = 0; i < 5000; ++i) {
      if (!s.store.store(obs.data(), act.data(), 1.0f, obs.data(), false, i / 1250).is_ok()) FAIL();
    }
    for (int i = 0; i < 200; ++i) {
      if (!s.store.sample_uniform(rng, 256, slots.data()).is_ok()) FAIL();
      if (!s.store.sample_by_epoch_weights(rng, weights, 0, 4, 256, slots.data()).is_ok()) FAIL();
      s.store.gather(slots.data(), 256, batch_obs.data(), batch_act.data(), r.data(), batch_obs.data(), nd.data());
    }
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace usbpo
