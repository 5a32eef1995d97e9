#include "usbpo/train/trainer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "test_backend.hpp"
#include "usbpo/train/pendulum.hpp"

namespace usbpo {
namespace {

TrainerConfig small_config(std::uint64_t seed) {
  TrainerConfig c;
  c.seed = seed;
  c.start_steps = 200;
  c.update_after = 200;
  c.replay_capacity = 5000;
  c.epoch_length = 500;
  c.sac.hidden_width = 32;
  c.sac.batch = 64;
  return c;
}

struct TrainingRun {
  testing_support::TrainerBackend backend;  // USBPO_TEST_BACKEND
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  Status init(const TrainerConfig& config) {
    const TrainerConfig c = backend.apply(config);
    memory.assign(Trainer::bytes_needed(c, env), 0);
    arena = Arena(memory.data(), memory.size());
    return trainer.init(c, env, eval_env, arena);
  }
};

TEST(Trainer, SameSeedSameTrainingDifferentSeedDifferent) {
  TrainingRun a, b, c;
  ASSERT_TRUE(a.init(small_config(7)).is_ok());
  ASSERT_TRUE(b.init(small_config(7)).is_ok());
  ASSERT_TRUE(c.init(small_config(8)).is_ok());
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(a.trainer.step(nullptr).is_ok());
    ASSERT_TRUE(b.trainer.step(nullptr).is_ok());
    ASSERT_TRUE(c.trainer.step(nullptr).is_ok());
  }
  const std::size_t n = a.trainer.sac().actor_network().total_params();
  for (TrainingRun* run : {&a, &b, &c}) run->trainer.sac().pull_state();
  bool differs = false;
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(a.trainer.sac().actor_params()[i], b.trainer.sac().actor_params()[i]) << "param " << i;
    differs |= a.trainer.sac().actor_params()[i] != c.trainer.sac().actor_params()[i];
  }
  EXPECT_TRUE(differs);
  Scalar ra = 0, rb = 0;
  ASSERT_TRUE(a.trainer.evaluate(2, &ra).is_ok());
  ASSERT_TRUE(b.trainer.evaluate(2, &rb).is_ok());
  EXPECT_EQ(ra, rb);
}

TEST(Trainer, CountsStepsEpisodesAndUpdates) {
  TrainingRun r;
  TrainerConfig c = small_config(1);
  c.updates_per_step = 2;
  ASSERT_TRUE(r.init(c).is_ok());
  TrainerProgress p;
  int epochs = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(r.trainer.step(&p).is_ok());
    epochs += p.epoch_finished;
  }
  EXPECT_EQ(p.env_steps, 1000);
  EXPECT_EQ(p.episodes, 5);  // 200-step Pendulum episodes
  EXPECT_EQ(epochs, 2);
  // Updates start once 200 transitions are stored: steps 200..1000.
  EXPECT_EQ(p.gradient_updates, 2 * (1000 - 199));
}

TEST(Trainer, StepAndEvaluateNeverAllocate) {
  TrainingRun r;
  ASSERT_TRUE(r.init(small_config(3)).is_ok());
  std::int64_t allocations = 0;
  {
    testing_support::NoAllocationScope scope;
    for (int i = 0; i < 2000; ++i) {
      if (!r.trainer.step(nullptr).is_ok()) FAIL();
    }
    Scalar mean = 0;
    if (!r.trainer.evaluate(2, &mean).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

// An env whose dims differ from Pendulum's (a user's own Env, as robot code writes them).
class WideEnv : public Env {
 public:
  const char* name() const override { return "wide"; }
  int obs_dim() const override { return 5; }
  int act_dim() const override { return 1; }
  const Scalar* action_low() const override { return &low_; }
  const Scalar* action_high() const override { return &high_; }
  int max_episode_steps() const override { return 10; }
  Status reset(std::uint64_t, Scalar* obs) override {
    for (int i = 0; i < 5; ++i) obs[i] = 0;
    return Status::ok();
  }
  Status step(const Scalar*, Scalar* next_obs, StepResult* result) override {
    for (int i = 0; i < 5; ++i) next_obs[i] = 0;
    *result = StepResult();
    return Status::ok();
  }
  bool can_terminate() const override { return false; }
  bool is_terminal(const Scalar*) const override { return false; }

 private:
  Scalar low_ = -1, high_ = 1;
};

TEST(Trainer, RejectsSharedEvalEnvAndMismatchedDims) {
  TrainerConfig c = small_config(1);
  Pendulum env;
  WideEnv wide;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, wide));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  Status s = trainer.init(c, env, env, arena);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("separate"), std::string::npos);
  s = trainer.init(c, env, wide, arena);
  EXPECT_EQ(s.code(), StatusCode::kDimensionMismatch);
}

TEST(Trainer, ReportsArenaTooSmall) {
  TrainerConfig c = small_config(1);
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env) / 3);
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  EXPECT_EQ(trainer.init(c, env, eval_env, arena).code(), StatusCode::kOutOfMemory);
}

}  // namespace
}  // namespace usbpo
