// The MBPO family on the Trainer: rollout schedule, model store size,
// rollouts stopping at terminals, every algorithm end to end without allocation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "test_support.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

TEST(RolloutSchedule, MatchesMbposTable) {
  const RolloutSchedule hopper{20, 150, 1, 15}, ant{20, 100, 1, 25}, pendulum{1, 15, 1, 1};
  EXPECT_EQ(rollout_length(hopper, 0), 1);
  EXPECT_EQ(rollout_length(hopper, 20), 1);
  EXPECT_EQ(rollout_length(hopper, 85), 8);  // 1 + 65/130 * 14 = 8, floored
  EXPECT_EQ(rollout_length(hopper, 149), 14);
  EXPECT_EQ(rollout_length(hopper, 150), 15);
  EXPECT_EQ(rollout_length(hopper, 500), 15);
  EXPECT_EQ(rollout_length(ant, 60), 13);  // 1 + 40/80 * 24
  EXPECT_EQ(rollout_length(pendulum, 7), 1);
}

TEST(ModelStore, SizedPerTheSchedule) {
  TrainerConfig hopper;
  hopper.rollout_schedule = {20, 150, 1, 15};
  EXPECT_EQ(Trainer::model_store_capacity(hopper), 15 * 100000 * 4);  // one epoch of 4 rounds at k = 15
  TrainerConfig humanoid;
  humanoid.rollout_schedule = {20, 300, 1, 25};
  humanoid.model_train_freq = 1000;
  humanoid.model_retain_epochs = 5;
  EXPECT_EQ(Trainer::model_store_capacity(humanoid), 5 * 25 * 100000);
  // A run planned for 120k steps reaches epoch 115 of the hopper schedule: k = 11.
  hopper.start_steps = 5000;
  hopper.planned_steps = 120000;
  EXPECT_EQ(rollout_length(hopper.rollout_schedule, 115), 11);
  EXPECT_EQ(Trainer::model_store_capacity(hopper), 11 * 100000 * 4);
  // Humanoid for 15k steps stays at k = 1, a 25x smaller store.
  humanoid.start_steps = 5000;
  humanoid.planned_steps = 15000;
  EXPECT_EQ(Trainer::model_store_capacity(humanoid), 5 * 1 * 100000);
}

TEST(RealStore, SizedForThePlannedRun) {
  TrainerConfig c;
  EXPECT_EQ(Trainer::real_store_capacity(c), 1000000);
  c.planned_steps = 15000;
  EXPECT_EQ(Trainer::real_store_capacity(c), 15000);
  c.planned_steps = 5000000;
  EXPECT_EQ(Trainer::real_store_capacity(c), 1000000);
}

// An env whose static termination reads a flag carried in the state:
// next_obs[2] > 0.5 is terminal.
class FlaggedTerminal : public Env {
 public:
  const char* name() const override { return "flagged_terminal"; }
  int obs_dim() const override { return 3; }
  int act_dim() const override { return 1; }
  const Scalar* action_low() const override { return &low_; }
  const Scalar* action_high() const override { return &high_; }
  int max_episode_steps() const override { return 10; }
  Status reset(std::uint64_t, Scalar* obs) override {
    for (int i = 0; i < 3; ++i) obs[i] = 0.0f;
    return Status::ok();
  }
  Status step(const Scalar*, Scalar* next, StepResult* r) override {
    for (int i = 0; i < 3; ++i) next[i] = 0.0f;
    *r = StepResult();
    return Status::ok();
  }
  bool can_terminate() const override { return true; }
  bool is_terminal(const Scalar* next_obs) const override { return next_obs[2] > 0.5f; }

 private:
  Scalar low_ = -1, high_ = 1;
};

TEST(Rollouts, TerminatedSamplesAreNotContinued) {
  EnsembleConfig ec;
  ec.obs_dim = 3;
  ec.act_dim = 1;
  ec.members = 3;
  ec.elites = 2;
  ec.hidden_layers = 1;
  ec.hidden_width = 8;
  ec.max_samples = 10;
  SacConfig sc;
  sc.obs_dim = 3;
  sc.act_dim = 1;
  sc.hidden_width = 8;
  sc.batch = 16;
  ReplayConfig rc;
  rc.obs_dim = 3;
  rc.act_dim = 1;
  rc.capacity = 1000;
  RolloutShape shape;
  shape.batch = 50;
  shape.obs_dim = 3;
  shape.act_dim = 1;
  shape.elites = ec.elites;
  shape.predict_chunk = ec.predict_chunk;
  std::vector<unsigned char> memory(GaussianEnsemble::bytes_needed(ec) + Sac::bytes_needed(sc) +
                                    ReplayStore::bytes_needed(rc) + Rollouts::bytes_needed(shape, true));
  Arena arena(memory.data(), memory.size());
  Rng rng(1);
  GaussianEnsemble model;
  Sac sac;
  ReplayStore store;
  Rollouts rollouts;
  ASSERT_TRUE(model.init(ec, arena, rng).is_ok());
  ASSERT_TRUE(sac.init(sc, arena, rng).is_ok());
  ASSERT_TRUE(store.place(rc, arena).is_ok());
  ASSERT_TRUE(rollouts.place(shape, sac.backend(), arena).is_ok());
  // A model that predicts no change (output layers zeroed, sigma ~ 5e-5): each
  // sample keeps its start state, so stored transitions say which sample they are.
  const EnsembleMlp& net = model.network();
  const int last = net.num_layers() - 1;
  for (int m = 0; m < ec.members; ++m) {
    Scalar* w = model.params() + net.member_offset(m) + net.weight_offset(last);
    std::fill(w, w + (net.bias_offset(last) - net.weight_offset(last)) + 2 * model.output_dim(), 0.0f);
  }
  for (int d = 0; d < model.output_dim(); ++d) {
    model.max_logvar()[d] = -20.0f;
    model.min_logvar()[d] = -30.0f;
  }
  // Sample i starts at (i, 0, flag); every third one is flagged to terminate.
  const int count = 50, length = 4;
  auto flagged = [](int i) { return i % 3 == 0; };
  for (int i = 0; i < count; ++i) {
    Scalar* start = rollouts.start_states() + 3 * i;
    start[0] = static_cast<Scalar>(i), start[1] = 0.0f, start[2] = flagged(i) ? 1.0f : 0.0f;
  }
  const int terminating = 17, live = count - terminating;
  FlaggedTerminal env;
  RolloutStats stats;
  ASSERT_TRUE(rollouts.run(count, length, sac, model, env, store, 0, rng, &stats).is_ok());
  EXPECT_EQ(stats.length, length);
  EXPECT_EQ(stats.terminated, terminating);
  EXPECT_EQ(stats.transitions, count + (length - 1) * live);
  ASSERT_EQ(store.size(), count + (length - 1) * live);
  // Flagged samples are stored once, as terminal; the others at every step, never terminal.
  std::vector<int> stored(count, 0);
  for (int slot = 0; slot < store.size(); ++slot) {
    const int i = static_cast<int>(std::lround(store.obs(slot)[0]));
    ASSERT_TRUE(i >= 0 && i < count) << "slot " << slot;
    ++stored[i];
    EXPECT_EQ(store.terminal(slot), flagged(i)) << "sample " << i;
    for (int d = 0; d < 3; ++d) {
      const Scalar start = d == 0 ? static_cast<Scalar>(i) : d == 1 ? 0.0f : (flagged(i) ? 1.0f : 0.0f);
      EXPECT_NEAR(store.obs(slot)[d], start, 1e-3) << "sample " << i << ", slot " << slot;
      EXPECT_NEAR(store.next_obs(slot)[d], start, 1e-3) << "sample " << i << ", slot " << slot;
    }
  }
  for (int i = 0; i < count; ++i) EXPECT_EQ(stored[i], flagged(i) ? 1 : length) << "sample " << i;
  // When every sample terminates at once, the rollout ends after one step.
  for (int i = 0; i < count; ++i) rollouts.start_states()[3 * i + 2] = 1.0f;
  store.clear();
  ASSERT_TRUE(rollouts.run(count, length, sac, model, env, store, 1, rng, &stats).is_ok());
  EXPECT_EQ(stats.length, 1);
  EXPECT_EQ(stats.transitions, count);
  EXPECT_EQ(stats.terminated, count);
  // Pendulum never terminates: all samples run the full length.
  Pendulum pendulum;
  ASSERT_TRUE(rollouts.run(count, length, sac, model, pendulum, store, 2, rng, &stats).is_ok());
  EXPECT_EQ(stats.length, length);
  EXPECT_EQ(stats.transitions, count * length);
}

TrainerConfig small_model_based(Algorithm algorithm) {
  TrainerConfig c;
  c.algorithm = algorithm;
  c.seed = 3;
  c.start_steps = 300;
  c.update_after = 300;
  c.updates_per_step = 2;
  c.replay_capacity = 3000;
  c.epoch_length = 500;
  c.model_train_freq = 250;
  c.rollout_batch = 400;
  c.rollout_schedule = {1, 15, 1, 2};
  testing_support::use_small_networks(c);
  return c;
}

using testing_support::PendulumTrainer;

class ModelBasedTrainer : public ::testing::TestWithParam<Algorithm> {};

TEST_P(ModelBasedTrainer, RunsEndToEndWithoutAllocating) {
  const TrainerConfig c = small_model_based(GetParam());
  PendulumTrainer run(c);
  ASSERT_GT(run.memory.size(), 0u);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  Trainer& trainer = run.trainer;
  TrainerProgress p;
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(trainer.step(&p).is_ok());
  EXPECT_TRUE(p.model_round);  // the first round right after exploration
  int rounds = 1, phase_two_rounds = 0;
  std::int64_t allocations = 0;
  {
    testing_support::NoAllocationScope scope;
    for (int i = 300; i < 1050; ++i) {
      if (!trainer.step(&p).is_ok()) FAIL();
      rounds += p.model_round;
      phase_two_rounds += p.model_round && p.model.phase_two;
    }
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(rounds, 4);  // env steps 300, 550, 800, 1050
  EXPECT_EQ(p.model.round, 4);
  EXPECT_GT(trainer.model_store().size(), 400);
  EXPECT_EQ(phase_two_rounds, uses_phase_two(c.algorithm) ? 3 : 0);  // every round but the first
  if (uses_phase_two(c.algorithm)) {
    EXPECT_LE(p.model.w2.j_after, p.model.w2.j_before);
  }
  Scalar mean = 0;
  EXPECT_TRUE(trainer.evaluate(1, &mean).is_ok());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ModelBasedTrainer,
                         ::testing::Values(Algorithm::kMbpo, Algorithm::kUsbpo, Algorithm::kPmac,
                                           Algorithm::kUsbpoPmac),
                         [](const auto& info) {
                           std::string name = algorithm_name(info.param);
                           for (char& ch : name) ch = ch == '+' ? '_' : ch;
                           return name;
                         });

// MBPO re-sizes its model pool to retain x k x rollout_batch x rounds per
// epoch whenever k changes: with one round per epoch and retain 1, the store
// holds exactly the newest round's rollouts at every length.
TEST(ModelStore, FollowsTheRolloutLengthLikeMbposPool) {
  TrainerConfig c = small_model_based(Algorithm::kMbpo);
  c.epoch_length = 250;
  c.rollout_schedule = {1, 3, 1, 3};
  c.planned_steps = 1300;
  PendulumTrainer run(c);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  Trainer& trainer = run.trainer;
  EXPECT_EQ(trainer.model_store().allocated_capacity(), 3 * 400);
  std::vector<int> lengths;
  TrainerProgress p;
  while (trainer.progress().env_steps < 1300) {
    ASSERT_TRUE(trainer.step(&p).is_ok());
    if (!p.model_round) continue;
    const int k = p.model.rollouts.length;
    lengths.push_back(k);
    EXPECT_EQ(trainer.model_store().capacity(), Trainer::model_store_capacity_at(c, k));
    EXPECT_EQ(trainer.model_store().capacity(), k * 400);
    EXPECT_EQ(trainer.model_store().size(), k * 400);  // Pendulum never terminates
    EXPECT_EQ(trainer.model_store().epoch_size(static_cast<std::int32_t>(p.model.round - 1)), k * 400);
  }
  EXPECT_EQ(lengths, (std::vector<int>{1, 1, 2, 3, 3}));  // epochs 0..4 of the schedule
}

// MBPO: SAC trains on model data, so not before the first model round even
// when update_after is smaller than the exploration (G updates per step on the
// random data alone made hopper's critic diverge).
TEST(ModelBasedTrainer, SacWaitsForTheFirstModelRound) {
  TrainerConfig c = small_model_based(Algorithm::kMbpo);
  c.update_after = 100;
  PendulumTrainer run(c);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  Trainer& trainer = run.trainer;
  TrainerProgress p;
  for (int i = 0; i < 299; ++i) ASSERT_TRUE(trainer.step(&p).is_ok());
  EXPECT_EQ(p.gradient_updates, 0);
  EXPECT_EQ(trainer.model_store().size(), 0);
  ASSERT_TRUE(trainer.step(&p).is_ok());  // env step 300: the first model round, then G updates
  EXPECT_TRUE(p.model_round);
  EXPECT_EQ(p.gradient_updates, c.updates_per_step);
}

TEST(Algorithms, NamesRoundTrip) {
  for (const char* name : {"sac", "mbpo", "usbpo", "pmac", "usbpo+pmac"}) {
    Algorithm a;
    ASSERT_TRUE(parse_algorithm(name, &a)) << name;
    EXPECT_STREQ(algorithm_name(a), name);
  }
  Algorithm a;
  EXPECT_FALSE(parse_algorithm("ppo", &a));
}

}  // namespace
}  // namespace usbpo
