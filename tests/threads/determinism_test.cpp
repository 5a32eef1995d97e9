// Same seed, same run for every thread count: SAC, MBPO and USB-PO + PMAC on
// Pendulum give byte-identical checkpoints (every network, optimiser moment,
// store, generator and counter, and the embedded policy file) with no pool
// and with 1, 2 and 3 threads, and a run resumes bit for bit under another
// thread count than the one that saved it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "usbpo/thread_pool.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

// Small enough for seconds, large enough that batches are cut into column
// panels (128 columns: 2 per network; 1000 rollouts; 256 phase-2 pairs).
TrainerConfig config_for(Algorithm algorithm) {
  TrainerConfig c;
  c.algorithm = algorithm;
  c.seed = 21;
  c.start_steps = 300;
  c.update_after = 300;
  c.updates_per_step = 2;
  c.replay_capacity = 2000;
  c.epoch_length = 250;
  c.eval_episodes = 1;
  c.model_train_freq = 250;
  c.rollout_batch = 1000;
  c.rollout_schedule = {1, 3, 1, 2};
  c.policy_epoch_length = 100;
  c.sac.hidden_width = 64;
  c.sac.batch = 128;
  c.model.members = 7;
  c.model.elites = 5;
  c.model.hidden_layers = 2;
  c.model.hidden_width = 64;
  c.model.batch = 128;
  c.model.max_epochs = 3;
  c.w2.batch = 256;
  c.w2.max_steps = 3;
  return c;
}

// A trainer on Pendulum with memory of its own, on `threads` threads (0: no runner).
struct ThreadedRun {
  Pendulum env, eval_env;
  ThreadPool pool;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  Status status;
  ThreadedRun(TrainerConfig c, int threads) {
    if (threads > 0) {
      status = pool.start(threads);
      c.runner = &pool;
    }
    memory.assign(Trainer::bytes_needed(c, env), 0);
    arena = Arena(memory.data(), memory.size());
    if (status.is_ok()) status = trainer.init(c, env, eval_env, arena);
  }
  // Step to `target` env steps, evaluating after each epoch as the CLI does.
  void run_to(std::int64_t target) {
    while (status.is_ok() && trainer.progress().env_steps < target) {
      TrainerProgress p;
      status = trainer.step(&p);
      Scalar r = 0;
      if (status.is_ok() && p.epoch_finished) status = trainer.evaluate(trainer.config().eval_episodes, &r);
    }
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  std::vector<unsigned char> checkpoint() {
    std::vector<unsigned char> bytes;
    const Status s = serialize_checkpoint(trainer, nullptr, 0, &bytes);
    EXPECT_TRUE(s.is_ok()) << s.message();
    return bytes;
  }
};

std::string name_of(const ::testing::TestParamInfo<Algorithm>& info) {
  std::string name = algorithm_name(info.param);
  for (char& ch : name) ch = ch == '+' ? '_' : ch;
  return name;
}

class ThreadsDeterminism : public ::testing::TestWithParam<Algorithm> {};

TEST_P(ThreadsDeterminism, SameCheckpointBytesForEveryThreadCount) {
  const TrainerConfig c = config_for(GetParam());
  std::vector<unsigned char> reference;
  Scalar reference_return = 0;
  for (int threads : {0, 1, 2, 3}) {
    SCOPED_TRACE(testing::Message() << threads << " threads");
    ThreadedRun run(c, threads);
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    run.run_to(800);
    if (uses_model(GetParam())) {
      ASSERT_EQ(run.trainer.progress().model.round, 3);
    }
    const std::vector<unsigned char> bytes = run.checkpoint();
    Scalar eval_return = 0;
    ASSERT_TRUE(run.trainer.evaluate(2, &eval_return).is_ok());
    if (threads == 0) {
      reference = bytes;
      reference_return = eval_return;
      continue;
    }
    ASSERT_EQ(bytes.size(), reference.size());
    EXPECT_TRUE(bytes == reference) << "checkpoint differs from the run without threads";
    EXPECT_EQ(eval_return, reference_return);
  }
  // The embedded policy file is one of the compared bytes; check it is there.
  CheckpointFile file;
  ASSERT_TRUE(file.from_bytes(reference).is_ok());
  EXPECT_GT(file.policy_size(), 1000u);
}

TEST_P(ThreadsDeterminism, ResumesBitForBitUnderAnotherThreadCount) {
  const TrainerConfig c = config_for(GetParam());
  ThreadedRun straight(c, 3);
  straight.run_to(800);
  const std::vector<unsigned char> expected = straight.checkpoint();
  for (const auto& [saving, resuming] : {std::pair<int, int>{2, 1}, std::pair<int, int>{1, 2}}) {
    SCOPED_TRACE(testing::Message() << "saved with " << saving << ", resumed with " << resuming << " threads");
    ThreadedRun first(c, saving);
    first.run_to(450);
    CheckpointFile file;
    ASSERT_TRUE(file.from_bytes(first.checkpoint()).is_ok());
    ThreadedRun resumed(c, resuming);
    ASSERT_TRUE(resumed.status.is_ok());
    const Status restored = restore_checkpoint(file, resumed.trainer);
    ASSERT_TRUE(restored.is_ok()) << restored.message();
    resumed.run_to(800);
    EXPECT_TRUE(resumed.checkpoint() == expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ThreadsDeterminism,
                         ::testing::Values(Algorithm::kSac, Algorithm::kMbpo, Algorithm::kUsbpoPmac), name_of);

}  // namespace
}  // namespace usbpo
