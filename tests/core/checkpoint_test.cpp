// Checkpoints: bit-exact resume, atomic writes under a crash, and rejection of
// corrupted, truncated and foreign files with a clear message.
#include "usbpo/train/checkpoint.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test_backend.hpp"
#include "test_support.hpp"
#include "usbpo/base/file_checksum.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/schema/checkpoint_generated.h"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/policy_file.hpp"

namespace usbpo {
namespace {

TrainerConfig small_config(Algorithm algorithm) {
  TrainerConfig c;
  c.algorithm = algorithm;
  c.seed = 11;
  c.start_steps = 300;
  c.update_after = 300;
  c.updates_per_step = 2;
  c.replay_capacity = 1500;  // wraps before 2000 steps: the ring state is exercised
  c.epoch_length = 250;
  c.eval_episodes = 1;
  c.model_train_freq = 250;
  c.rollout_batch = 300;
  c.rollout_schedule = {1, 4, 1, 2};
  testing_support::use_small_networks(c);
  c.policy_epoch_length = 100;
  return c;
}

struct TrainingRun {
  testing_support::TrainerBackend backend;  // USBPO_TEST_BACKEND
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  explicit TrainingRun(const TrainerConfig& config) {
    const TrainerConfig c = backend.apply(config);
    memory.assign(Trainer::bytes_needed(c, env), 0);
    arena = Arena(memory.data(), memory.size());
    init_status = trainer.init(c, env, eval_env, arena);
  }
  Status init_status;
  // Steps until env_steps == target, evaluating after each epoch like the CLI.
  void run_to(std::int64_t target) {
    while (trainer.progress().env_steps < target) {
      TrainerProgress p;
      ASSERT_TRUE(trainer.step(&p).is_ok());
      if (p.epoch_finished) {
        Scalar r;
        ASSERT_TRUE(trainer.evaluate(trainer.config().eval_episodes, &r).is_ok());
      }
    }
  }
};

// name -> bytes of every saved array, from a serialised checkpoint.
std::map<std::string, std::vector<unsigned char>> arrays_of(Trainer& trainer) {
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(serialize_checkpoint(trainer, nullptr, 0, &bytes).is_ok());
  std::map<std::string, std::vector<unsigned char>> out;
  const fb::Checkpoint* c = fb::GetCheckpoint(bytes.data());
  for (const fb::StateTensor* t : *c->state()) {
    out[t->name()->str()].assign(t->data()->begin(), t->data()->end());
  }
  return out;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "usbpo_" + name + "_" + std::to_string(::getpid());
}

class ResumeIsBitExact : public ::testing::TestWithParam<Algorithm> {};

TEST_P(ResumeIsBitExact, TwoThousandStepsStraightEqualOneThousandPlusResume) {
  const TrainerConfig c = small_config(GetParam());
  TrainingRun straight(c), first(c), resumed(c);
  ASSERT_TRUE(straight.init_status.is_ok()) << straight.init_status.message();
  straight.run_to(2000);
  first.run_to(1000);
  const std::string path = temp_path(std::string("resume_") + algorithm_name(GetParam()));
  const char host[] = "host data";
  ASSERT_TRUE(save_checkpoint(path.c_str(), first.trainer, host, sizeof(host)).is_ok());
  CheckpointFile file;
  ASSERT_TRUE(file.read(path.c_str()).is_ok());
  EXPECT_EQ(file.env_steps(), 1000);
  ASSERT_EQ(file.host_size(), sizeof(host));
  EXPECT_EQ(std::memcmp(file.host_data(), host, sizeof(host)), 0);
  const Status restored = restore_checkpoint(file, resumed.trainer);
  ASSERT_TRUE(restored.is_ok()) << restored.message();
  resumed.run_to(2000);

  const auto a = arrays_of(straight.trainer), b = arrays_of(resumed.trainer);
  ASSERT_EQ(a.size(), b.size());
  int compared = 0;
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    if (name == "trainer/progress") continue;  // plain bytes with padding; fields compared below
    EXPECT_TRUE(bytes == b.at(name)) << "state '" << name << "' differs after resume";
    ++compared;
  }
  EXPECT_GE(compared, 10);
  const TrainerProgress& p = straight.trainer.progress();
  const TrainerProgress& q = resumed.trainer.progress();
  EXPECT_EQ(p.env_steps, q.env_steps);
  EXPECT_EQ(p.episodes, q.episodes);
  EXPECT_EQ(p.gradient_updates, q.gradient_updates);
  EXPECT_EQ(p.episode_return, q.episode_return);
  EXPECT_EQ(p.model.round, q.model.round);
  Scalar ra = 0, rb = 0;
  ASSERT_TRUE(straight.trainer.evaluate(2, &ra).is_ok());
  ASSERT_TRUE(resumed.trainer.evaluate(2, &rb).is_ok());
  EXPECT_EQ(ra, rb);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ResumeIsBitExact,
                         ::testing::Values(Algorithm::kSac, Algorithm::kMbpo, Algorithm::kUsbpoPmac),
                         [](const ::testing::TestParamInfo<Algorithm>& info) {
                           std::string name = algorithm_name(info.param);
                           for (char& ch : name) if (ch == '+') ch = '_';
                           return name;
                         });

TEST(Checkpoint, EmbedsTheCurrentPolicy) {
  const TrainerConfig c = small_config(Algorithm::kSac);
  TrainingRun run(c);
  run.run_to(400);
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(serialize_checkpoint(run.trainer, nullptr, 0, &bytes).is_ok());
  CheckpointFile file;
  ASSERT_TRUE(file.from_bytes(bytes).is_ok());
  std::size_t need = 0;
  ASSERT_TRUE(Policy::bytes_needed(file.policy_data(), file.policy_size(), &need).is_ok());
  std::vector<unsigned char> memory(need);
  Arena arena(memory.data(), memory.size());
  Policy policy;
  ASSERT_TRUE(policy.load(file.policy_data(), file.policy_size(), arena).is_ok());
  EXPECT_EQ(policy.env_steps(), 400);
  EXPECT_STREQ(policy.algorithm(), "sac");
  const std::size_t n = policy.actor_network().total_params();
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(policy.actor_params()[i], run.trainer.sac().actor_params()[i]);
}

TEST(Checkpoint, ResumesIntoLargerStoresWhenTheRunGrows) {
  // A run planned for 1200 steps holds 1200 real transitions; resumed with a
  // plan of 3000 its store is larger and the wrapped data moves to new slots.
  TrainerConfig small = small_config(Algorithm::kMbpo);
  small.replay_capacity = 800;  // wraps at 800
  TrainingRun before(small);
  before.run_to(1200);
  TrainerConfig grown = small;
  grown.replay_capacity = 2000;
  TrainingRun after(grown);
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(serialize_checkpoint(before.trainer, nullptr, 0, &bytes).is_ok());
  CheckpointFile file;
  ASSERT_TRUE(file.from_bytes(bytes).is_ok());
  const Status s = restore_checkpoint(file, after.trainer);
  ASSERT_TRUE(s.is_ok()) << s.message();
  const ReplayStore& a = before.trainer.real_store();
  const ReplayStore& b = after.trainer.real_store();
  ASSERT_EQ(a.size(), 800);
  ASSERT_EQ(b.size(), 800);
  std::vector<int> sa(800), sb(800);
  a.live_slots(sa.data());
  b.live_slots(sb.data());
  for (int i = 0; i < 800; ++i) {  // oldest first: the same transitions in the same order
    ASSERT_EQ(a.reward(sa[i]), b.reward(sb[i])) << i;
    ASSERT_EQ(a.obs(sa[i])[2], b.obs(sb[i])[2]) << i;
    ASSERT_EQ(a.epoch(sa[i]), b.epoch(sb[i])) << i;
  }
  after.run_to(1300);  // and training continues
}

// --- Rejections ----------------------------------------------------------

struct CheckpointBytes {
  std::vector<unsigned char> bytes;
  CheckpointBytes() {
    const TrainerConfig c = small_config(Algorithm::kUsbpo);
    TrainingRun run(c);
    run.run_to(600);
    EXPECT_TRUE(serialize_checkpoint(run.trainer, "h", 1, &bytes).is_ok());
  }
};

const std::vector<unsigned char>& usbpo_checkpoint() {
  static CheckpointBytes cached;
  return cached.bytes;
}

Status restore_into_fresh(const std::vector<unsigned char>& bytes, Algorithm algorithm = Algorithm::kUsbpo) {
  CheckpointFile file;
  USBPO_RETURN_IF_ERROR(file.from_bytes(bytes));
  TrainingRun run(small_config(algorithm));
  USBPO_RETURN_IF_ERROR(run.init_status);
  const Status s = restore_checkpoint(file, run.trainer);
  if (s.code() == StatusCode::kCorruptData) {
    // A restore that failed part way leaves the trainer refusing to step.
    EXPECT_EQ(run.trainer.step(nullptr).code(), StatusCode::kFailedPrecondition);
  }
  return s;
}

TEST(Checkpoint, AcceptsItsOwnBytes) {
  const Status s = restore_into_fresh(usbpo_checkpoint());
  EXPECT_TRUE(s.is_ok()) << s.message();
}

TEST(Checkpoint, RejectsEveryTruncation) {
  const std::vector<unsigned char>& good = usbpo_checkpoint();
  // Every length up to 256, then 300 lengths spread over the file.
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n < 256; ++n) lengths.push_back(n);
  for (int k = 1; k <= 300; ++k) lengths.push_back(good.size() * k / 301);
  for (std::size_t n : lengths) {
    CheckpointFile file;
    const Status s = file.from_bytes(std::vector<unsigned char>(good.begin(), good.begin() + n));
    ASSERT_EQ(s.code(), StatusCode::kCorruptData) << "length " << n;
    ASSERT_STRNE(s.message(), "") << "refused without a reason at length " << n;
  }
}

TEST(Checkpoint, RejectsForeignFiles) {
  CheckpointFile file;
  Status s = file.from_bytes({});
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("not a usbpo checkpoint"), std::string::npos) << s.message();
  // A policy file is a FlatBuffer too, with another identifier.
  const TrainerConfig c = small_config(Algorithm::kSac);
  TrainingRun run(c);
  PolicyDescription d;
  d.env_name = "pendulum";
  d.obs_dim = 3;
  d.act_dim = 1;
  d.actor = &run.trainer.sac().actor_network();
  d.actor_params = run.trainer.sac().actor_params();
  d.action_low = run.env.action_low();
  d.action_high = run.env.action_high();
  std::vector<unsigned char> policy;
  ASSERT_TRUE(serialize_policy(d, &policy).is_ok());
  s = file.from_bytes(policy);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("USBC"), std::string::npos) << s.message();
  // Text.
  const std::string text = "env_steps,episode\n1,2\n";
  s = file.from_bytes(std::vector<unsigned char>(text.begin(), text.end()));
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  // A missing file is an I/O error, not a crash.
  EXPECT_EQ(file.read("/nonexistent/dir/checkpoint").code(), StatusCode::kIoError);
}

TEST(Checkpoint, RejectsAnotherVersion) {
  flatbuffers::FlatBufferBuilder builder;
  const auto state = builder.CreateVector(std::vector<flatbuffers::Offset<fb::StateTensor>>{});
  const std::uint32_t newer = kCheckpointFormatVersion + 1;
  fb::FinishCheckpointBuffer(builder, fb::CreateCheckpoint(builder, newer, builder.CreateString("pendulum"),
                                                           builder.CreateString("sac"), 0, 3, 1, 0, 0, state));
  std::vector<unsigned char> bytes(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
  append_file_trailer(&bytes);
  CheckpointFile file;
  const Status s = file.from_bytes(bytes);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("version " + std::to_string(newer)), std::string::npos) << s.message();
}

TEST(Checkpoint, RejectsAnotherAlgorithmOrShape) {
  Status s = restore_into_fresh(usbpo_checkpoint(), Algorithm::kMbpo);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("usbpo on pendulum"), std::string::npos) << s.message();
  // Same algorithm, wider networks: the first mismatching array is named.
  CheckpointFile file;
  ASSERT_TRUE(file.from_bytes(usbpo_checkpoint()).is_ok());
  TrainerConfig wide = small_config(Algorithm::kUsbpo);
  wide.sac.hidden_width = 48;
  TrainingRun run(wide);
  s = restore_checkpoint(file, run.trainer);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("sac/actor"), std::string::npos) << s.message();
}

// The offset of a named array's data inside the checkpoint bytes.
std::size_t data_offset(const std::vector<unsigned char>& bytes, const char* name) {
  const fb::Checkpoint* c = fb::GetCheckpoint(bytes.data());
  for (const fb::StateTensor* t : *c->state()) {
    if (t->name()->str() == name) return static_cast<std::size_t>(t->data()->data() - bytes.data());
  }
  ADD_FAILURE() << "no array " << name;
  return 0;
}

// A new checksum trailer after bytes were changed on purpose, so that the
// checks behind the checksum are what refuses them.
void reseal(std::vector<unsigned char>& bytes) {
  bytes.resize(bytes.size() - kFileTrailerBytes);
  append_file_trailer(&bytes);
}

TEST(Checkpoint, RejectsNonFiniteWeightsAndBadCounters) {
  std::vector<unsigned char> bytes = usbpo_checkpoint();
  const float nan = std::nanf("");
  std::memcpy(bytes.data() + data_offset(bytes, "sac/critics") + 4 * 17, &nan, 4);
  reseal(bytes);
  Status s = restore_into_fresh(bytes);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("NaN"), std::string::npos) << s.message();

  bytes = usbpo_checkpoint();
  const std::int32_t huge = 1 << 30;  // more transitions than the store holds
  std::memcpy(bytes.data() + data_offset(bytes, "real_store/size"), &huge, 4);
  reseal(bytes);
  s = restore_into_fresh(bytes);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("real_store"), std::string::npos) << s.message();

  bytes = usbpo_checkpoint();
  const std::int32_t bad_elite = 9;
  std::memcpy(bytes.data() + data_offset(bytes, "model/elites"), &bad_elite, 4);
  reseal(bytes);
  s = restore_into_fresh(bytes);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("elite"), std::string::npos) << s.message();
}

TEST(Checkpoint, FlippedBytesNeverCrash) {
  // Each flip is resealed (the checksum alone would refuse them all,
  // file_checksum_test.cpp), then either caught (verifier, sizes, counters, NaN) or
  // lands in data that is still valid; under ASan any out-of-bounds read fails here.
  const std::vector<unsigned char>& good = usbpo_checkpoint();
  Rng rng(5);
  int rejected = 0, accepted = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<unsigned char> bytes = good;
    // Bias flips toward the header and tables (the first and last 4 KiB).
    std::size_t at = rng.uniform_int(2) ? rng.uniform_int(4096) : good.size() - 1 - rng.uniform_int(4096);
    bytes[at] ^= static_cast<unsigned char>(1u << rng.uniform_int(8));
    reseal(bytes);
    const Status s = restore_into_fresh(bytes);
    (s.is_ok() ? accepted : rejected)++;
  }
  EXPECT_GT(rejected, 0);
  std::printf("flipped-byte checkpoints: %d rejected, %d accepted\n", rejected, accepted);
}

// --- Crash safety ----------------------------------------------------------

void kill_halfway(std::size_t written, std::size_t total) {
  if (written >= total / 2 && written < total) std::raise(SIGKILL);
}

TEST(CheckpointDeathTest, KillDuringWriteKeepsThePreviousCheckpoint) {
#if defined(USBPO_TESTS_UNDER_EMULATOR)
  // qemu-user cannot re-execute the foreign binary; the core is single-threaded here, so fork.
  GTEST_FLAG_SET(death_test_style, "fast");
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
#endif
  // No pid in the name: the threadsafe style re-runs this test in a new process.
  const std::string path = ::testing::TempDir() + "usbpo_kill_during_write";
  const TrainerConfig c = small_config(Algorithm::kUsbpo);
  TrainingRun run(c);
  run.run_to(500);
  ASSERT_TRUE(save_checkpoint(path.c_str(), run.trainer, nullptr, 0).is_ok());
  run.run_to(700);
  std::vector<unsigned char> newer;
  ASSERT_TRUE(serialize_checkpoint(run.trainer, nullptr, 0, &newer).is_ok());
  ASSERT_GT(newer.size(), 4u << 16) << "the file must take several chunks to write";
  EXPECT_EXIT(
      {
        set_write_progress_hook(kill_halfway);
        (void)save_checkpoint(path.c_str(), run.trainer, nullptr, 0);
        set_write_progress_hook(nullptr);
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  // The previous checkpoint is intact and loads; the torn temporary file does not.
  CheckpointFile file;
  Status s = file.read(path.c_str());
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(file.env_steps(), 500);
  EXPECT_TRUE(restore_into_fresh(file.bytes()).is_ok());
  const std::string temp = path + ".tmp";
  std::vector<unsigned char> torn;
  ASSERT_TRUE(read_file(temp.c_str(), &torn).is_ok()) << "the child should have died mid-write";
  EXPECT_LT(torn.size(), newer.size());
  EXPECT_GE(torn.size(), newer.size() / 2);
  EXPECT_EQ(file.read(temp.c_str()).code(), StatusCode::kCorruptData);
  // The next save replaces the torn file and succeeds.
  ASSERT_TRUE(save_checkpoint(path.c_str(), run.trainer, nullptr, 0).is_ok());
  ASSERT_TRUE(file.read(path.c_str()).is_ok());
  EXPECT_EQ(file.env_steps(), 700);
  std::remove(path.c_str());
  std::remove(temp.c_str());
}

}  // namespace
}  // namespace usbpo
