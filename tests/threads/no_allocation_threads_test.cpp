// The zero-allocation proofs with threads on: SAC updates and batched acting,
// an ensemble training round, rollout sampling and model-based trainer steps
// (model rounds, phase 2 and rollouts included) on a pool of 2 threads touch
// no heap after init (the counting allocator sees every thread's malloc, and
// Eigen's no-malloc flag is one for all threads).
#include <gtest/gtest.h>

#include <vector>

#include "../core/allocation_counter.hpp"
#include "usbpo/thread_pool.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

using testing_support::NoAllocationScope;

TEST(ThreadsNoAllocation, SacUpdateEnsembleRoundAndRolloutSampling) {
  ThreadPool pool;
  ASSERT_TRUE(pool.start(2).is_ok());
  SacConfig sc;
  sc.obs_dim = 11;  // Hopper-sized
  sc.act_dim = 3;
  EnsembleConfig ec;
  ec.obs_dim = 11;
  ec.act_dim = 3;
  ec.max_samples = 2000;
  ec.max_epochs = 2;
  std::vector<unsigned char> memory(Sac::bytes_needed(sc) + GaussianEnsemble::bytes_needed(ec));
  Arena arena(memory.data(), memory.size());
  Sac sac;
  GaussianEnsemble model;
  Rng rng(4);
  ASSERT_TRUE(sac.init(sc, arena, rng).is_ok());
  ASSERT_TRUE(model.init(ec, arena, rng).is_ok());
  sac.set_runner(&pool);
  model.set_runner(&pool);
  for (int i = 0; i < sc.batch * sc.obs_dim; ++i) sac.batch().obs[i] = sac.batch().next_obs[i] = rng.normal();
  for (int i = 0; i < sc.batch * sc.act_dim; ++i) sac.batch().act[i] = rng.uniform(-1, 1);
  for (int i = 0; i < sc.batch; ++i) sac.batch().reward[i] = sac.batch().not_done[i] = 1;
  const int n = 2000;
  std::vector<Scalar> obs(11 * n), act(3 * n), next(11 * n), reward(n);
  std::vector<int> slots(n);
  for (int i = 0; i < n; ++i) slots[static_cast<std::size_t>(i)] = i;
  for (auto& x : obs) x = rng.normal();
  for (auto& x : act) x = rng.uniform(-1, 1);
  for (auto& x : next) x = rng.normal();
  for (auto& x : reward) x = rng.normal();
  const TransitionView view{obs.data(), act.data(), reward.data(), next.data()};
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    for (int i = 0; i < 5; ++i) {
      if (!sac.update(rng, nullptr).is_ok()) FAIL();
    }
    if (!sac.act_batch(obs.data(), n, act.data(), false, &rng).is_ok()) FAIL();
    if (!model.train(view, slots.data(), n, rng, nullptr).is_ok()) FAIL();
    if (!model.sample(obs.data(), act.data(), n, rng, next.data(), reward.data()).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

class ThreadsNoAllocationTrainer : public ::testing::TestWithParam<Algorithm> {};

TEST_P(ThreadsNoAllocationTrainer, StepsModelRoundsAndEvaluation) {
  TrainerConfig c;
  c.algorithm = GetParam();
  c.seed = 3;
  c.start_steps = 300;
  c.update_after = 300;
  c.updates_per_step = 2;
  c.replay_capacity = 2000;
  c.epoch_length = 250;
  c.model_train_freq = 250;
  c.rollout_batch = 1000;
  c.rollout_schedule = {1, 15, 1, 1};
  c.sac.hidden_width = 64;
  c.sac.batch = 128;
  c.model.hidden_layers = 2;
  c.model.hidden_width = 64;
  c.model.batch = 128;
  c.model.max_epochs = 3;
  c.w2.batch = 256;
  c.w2.max_steps = 3;
  ThreadPool pool;
  ASSERT_TRUE(pool.start(2).is_ok());
  c.runner = &pool;
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  ASSERT_TRUE(trainer.init(c, env, eval_env, arena).is_ok());
  TrainerProgress p;
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(trainer.step(&p).is_ok());  // through the first model round
  int rounds = 0, phase_two = 0;
  std::int64_t allocations = 0;
  {
    NoAllocationScope scope;
    for (int i = 300; i < 800; ++i) {
      if (!trainer.step(&p).is_ok()) FAIL();
      rounds += p.model_round;
      phase_two += p.model_round && p.model.phase_two;
    }
    Scalar mean = 0;
    if (!trainer.evaluate(1, &mean).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(rounds, uses_model(GetParam()) ? 2 : 0);  // env steps 550 and 800
  EXPECT_EQ(phase_two, uses_phase_two(GetParam()) ? 2 : 0);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ThreadsNoAllocationTrainer,
                         ::testing::Values(Algorithm::kSac, Algorithm::kMbpo, Algorithm::kUsbpoPmac),
                         [](const ::testing::TestParamInfo<Algorithm>& info) {
                           std::string name = algorithm_name(info.param);
                           for (char& ch : name) ch = ch == '+' ? '_' : ch;
                           return name;
                         });

}  // namespace
}  // namespace usbpo
