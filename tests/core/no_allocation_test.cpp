// After init, the hot paths never touch the heap: act, store, sample, train
// steps and rollouts run thousands of times under Eigen's runtime no-malloc
// check and a counting allocator that must read 0.
#include <gtest/gtest.h>

#include <vector>

#include "allocation_counter.hpp"
#include "checked_cpu_backend.hpp"
#include "recording_backend.hpp"
#include "test_backend.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"

namespace usbpo {
namespace {

using testing_support::NoAllocationScope;

TEST(NoAllocation, SacActUpdateAndActBatch) {
  SacConfig c;
  c.obs_dim = 11;  // Hopper-sized
  c.act_dim = 3;
  c.batch = 256;
  std::vector<unsigned char> memory(Sac::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  Sac sac;
  Rng rng(1);
  ASSERT_TRUE(sac.init(c, arena, rng).is_ok());
  for (int i = 0; i < c.batch * c.obs_dim; ++i) sac.batch().obs[i] = sac.batch().next_obs[i] = rng.normal();
  for (int i = 0; i < c.batch * c.act_dim; ++i) sac.batch().act[i] = rng.uniform(-1, 1);
  for (int i = 0; i < c.batch; ++i) sac.batch().reward[i] = sac.batch().not_done[i] = 1;
  std::vector<Scalar> obs(11 * 1000, 0.5f), actions(3 * 1000);
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    for (int i = 0; i < 3000; ++i) {
      if (!sac.act(obs.data(), actions.data(), i % 2 == 0, &rng).is_ok()) FAIL();
    }
    for (int i = 0; i < 20; ++i) {
      if (!sac.update(rng, nullptr).is_ok()) FAIL();
    }
    if (!sac.act_batch(obs.data(), 1000, actions.data(), false, &rng).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

// The same hot paths on the backends of the seam: the checked backend
// (transfers, guarded ops, statistics downloads) and a recording backend
// replaying the update it captured on the first call.
TEST(NoAllocation, SacOnCheckedAndRecordingBackends) {
  SacConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.batch = 256;
  testing_support::CheckedCpuBackend checked, inner;
  testing_support::RecordingBackend recording(inner);
  testing_support::SacOnBackend on_checked, on_recording;
  Rng rng(1);
  ASSERT_TRUE(on_checked.init(c, rng, &checked).is_ok());
  ASSERT_TRUE(on_recording.init(c, rng, &recording).is_ok());
  for (Sac* sac : {&on_checked.sac, &on_recording.sac}) {
    for (int i = 0; i < c.batch * c.obs_dim; ++i) sac->batch().obs[i] = sac->batch().next_obs[i] = rng.normal();
    for (int i = 0; i < c.batch * c.act_dim; ++i) sac->batch().act[i] = rng.uniform(-1, 1);
    for (int i = 0; i < c.batch; ++i) sac->batch().reward[i] = sac->batch().not_done[i] = 1;
  }
  ASSERT_TRUE(on_recording.sac.update(rng, nullptr).is_ok());  // captures (std::function allocates here)
  std::vector<Scalar> obs(11 * 1000, 0.5f), actions(3 * 1000);
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    for (Sac* sac : {&on_checked.sac, &on_recording.sac}) {
      for (int i = 0; i < 300; ++i) {
        if (!sac->act(obs.data(), actions.data(), i % 2 == 0, &rng).is_ok()) FAIL();
      }
      SacStats stats;
      for (int i = 0; i < 10; ++i) {
        if (!sac->update(rng, i % 2 ? &stats : nullptr).is_ok()) FAIL();
      }
      if (!sac->act_batch(obs.data(), 1000, actions.data(), false, &rng).is_ok()) FAIL();
    }
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(recording.counters().graph_replays, 1 + 10);  // the capturing update replays too
}

TEST(NoAllocation, EnsembleTrainStepRolloutSampleAndPredict) {
  EnsembleConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.max_samples = 2000;
  c.predict_chunk = 4096;
  std::vector<unsigned char> memory(GaussianEnsemble::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  GaussianEnsemble model;
  Rng rng(2);
  ASSERT_TRUE(model.init(c, arena, rng).is_ok());
  const int n = 10000;
  std::vector<Scalar> obs(11 * n), act(3 * n), next(11 * n), reward(n), mean(12 * 100), logvar(12 * 100);
  for (auto& x : obs) x = rng.normal();
  for (auto& x : act) x = rng.uniform(-1, 1);
  std::vector<Scalar> inputs(14 * 256 * 7), targets(12 * 256 * 7);
  for (auto& x : inputs) x = rng.normal();
  for (auto& x : targets) x = rng.normal();
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    for (int i = 0; i < 20; ++i) {
      model.batch_loss(inputs.data(), targets.data(), 256, true);
      model.optimizer().step(model.params(), model.gradients());
    }
    if (!model.sample(obs.data(), act.data(), n, rng, next.data(), reward.data()).is_ok()) FAIL();
    if (!model.predict_member(3, obs.data(), act.data(), 100, mean.data(), logvar.data()).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

TEST(NoAllocation, EnsembleTrainingRound) {
  EnsembleConfig c;
  c.obs_dim = 3;
  c.act_dim = 1;
  c.hidden_width = 32;
  c.max_samples = 3000;
  c.max_epochs = 3;
  std::vector<unsigned char> memory(GaussianEnsemble::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  GaussianEnsemble model;
  Rng rng(2);
  ASSERT_TRUE(model.init(c, arena, rng).is_ok());
  const int n = 3000;
  std::vector<Scalar> obs(3 * n), act(n), next(3 * n), reward(n);
  std::vector<int> slots(n);
  for (int i = 0; i < n; ++i) slots[i] = i;
  for (auto& x : obs) x = rng.normal();
  for (auto& x : act) x = rng.uniform(-1, 1);
  for (auto& x : next) x = rng.normal();
  for (auto& x : reward) x = rng.normal();
  TransitionView view{obs.data(), act.data(), reward.data(), next.data()};
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    if (!model.train(view, slots.data(), n, rng, nullptr).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

TEST(NoAllocation, EnsembleTrainingRoundOnTheCheckedBackend) {
  EnsembleConfig c;
  c.obs_dim = 3;
  c.act_dim = 1;
  c.hidden_width = 32;
  c.max_samples = 1000;
  c.max_epochs = 2;
  testing_support::CheckedCpuBackend checked;
  ASSERT_TRUE(checked.reserve_device(GaussianEnsemble::device_bytes_needed(c)).is_ok());
  std::vector<unsigned char> memory(GaussianEnsemble::host_bytes_needed(c, false));
  Arena arena(memory.data(), memory.size());
  GaussianEnsemble model;
  Rng rng(2);
  ASSERT_TRUE(model.init(c, checked, arena, rng).is_ok());
  const int n = 1000;
  std::vector<Scalar> obs(3 * n), act(n), next(3 * n), reward(n), out_obs(3 * n), out_reward(n);
  std::vector<int> slots(n);
  for (int i = 0; i < n; ++i) slots[i] = i;
  for (auto& x : obs) x = rng.normal();
  for (auto& x : act) x = rng.uniform(-1, 1);
  for (auto& x : next) x = rng.normal();
  for (auto& x : reward) x = rng.normal();
  TransitionView view{obs.data(), act.data(), reward.data(), next.data()};
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    if (!model.train(view, slots.data(), n, rng, nullptr).is_ok()) FAIL();
    model.pull_state();
    model.push_state();
    if (!model.sample(obs.data(), act.data(), n, rng, out_obs.data(), out_reward.data()).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

TEST(NoAllocation, LargeGemmsStayOnTheStack) {
  // Humanoid-sized ensemble (4 x 400) at a rollout chunk of 4096 columns.
  EnsembleConfig c;
  c.obs_dim = 45;
  c.act_dim = 17;
  c.hidden_width = 400;
  c.max_samples = 100;
  c.predict_chunk = 4096;
  std::vector<unsigned char> memory(GaussianEnsemble::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  GaussianEnsemble model;
  Rng rng(3);
  ASSERT_TRUE(model.init(c, arena, rng).is_ok());
  const int n = 4096;
  std::vector<Scalar> obs(45 * n, 0.1f), act(17 * n, 0.2f), mean(46 * n), logvar(46 * n);
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    if (!model.predict_member(0, obs.data(), act.data(), n, mean.data(), logvar.data()).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace usbpo
