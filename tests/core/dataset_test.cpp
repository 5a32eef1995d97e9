#include "usbpo/train/dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "test_support.hpp"
#include "usbpo/base/file_checksum.hpp"
#include "usbpo/schema/dataset_generated.h"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

struct Store : testing_support::StoreInArena {
  explicit Store(int capacity, int obs_dim = 3, int act_dim = 2) : StoreInArena(capacity, obs_dim, act_dim) {}
};

// Transition i, as a robot would log it.
Status record(ReplayStore& store, int i) {
  const Scalar obs[3] = {Scalar(i), 0.5f * i, -Scalar(i)}, act[2] = {std::sin(Scalar(i)), std::cos(Scalar(i))};
  const Scalar next[3] = {Scalar(i + 1), 0.5f * (i + 1), -Scalar(i + 1)};
  return store.store(obs, act, 0.25f * i, next, i % 9 == 8, 0);
}

std::vector<unsigned char> dataset_of(int count, const char* env = "robot_arm") {
  Store s(count + 1);
  for (int i = 0; i < count; ++i) EXPECT_TRUE(record(s.store, i).is_ok());
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(serialize_dataset(s.store, env, &bytes).is_ok());
  return bytes;
}

TEST(Dataset, RecordingNeverAllocatesAndTheFileRoundTrips) {
  Store robot(64);
  {
    testing_support::NoAllocationScope scope;
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(record(robot.store, i).is_ok());  // wraps: keeps the last 64
    EXPECT_EQ(scope.allocations(), 0);
  }
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(serialize_dataset(robot.store, "robot_arm", &bytes).is_ok());
  DatasetInfo info;
  ASSERT_TRUE(inspect_dataset(bytes.data(), bytes.size(), &info).is_ok());
  EXPECT_EQ(info.count, 64);
  EXPECT_STREQ(info.env_name, "robot_arm");

  Store workstation(200);
  int loaded = 0;
  ASSERT_TRUE(load_dataset(bytes.data(), bytes.size(), "robot_arm", workstation.store, 3, &loaded).is_ok());
  EXPECT_EQ(loaded, 64);
  ASSERT_EQ(workstation.store.size(), 64);
  // Oldest first: slot k of the loaded store holds transition 36 + k, bit for bit.
  Store expected(1);
  for (int k = 0; k < 64; ++k) {
    expected.store.clear();
    ASSERT_TRUE(record(expected.store, 36 + k).is_ok());
    EXPECT_EQ(std::memcmp(workstation.store.obs(k), expected.store.obs(0), 3 * sizeof(Scalar)), 0) << k;
    EXPECT_EQ(std::memcmp(workstation.store.act(k), expected.store.act(0), 2 * sizeof(Scalar)), 0) << k;
    EXPECT_EQ(std::memcmp(workstation.store.next_obs(k), expected.store.next_obs(0), 3 * sizeof(Scalar)), 0) << k;
    EXPECT_EQ(workstation.store.reward(k), expected.store.reward(0));
    EXPECT_EQ(workstation.store.terminal(k), expected.store.terminal(0));
    EXPECT_EQ(workstation.store.epoch(k), 3);
  }
}

TEST(Dataset, RejectsEveryTruncationAndStoresNothing) {
  const std::vector<unsigned char> good = dataset_of(20);
  Store s(100);
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<unsigned char> cut(good.begin(), good.begin() + static_cast<long>(n));  // exact size for ASan
    const Status st = load_dataset(cut.data(), cut.size(), nullptr, s.store, 0, nullptr);
    EXPECT_FALSE(st.is_ok()) << n;
    EXPECT_STRNE(st.message(), "") << "refused without a reason at length " << n;
  }
  EXPECT_EQ(s.store.size(), 0);
}

TEST(Dataset, RejectsForeignVersionShapeValuesAndEnv) {
  Store s(100);
  auto expect_rejected = [&](const std::vector<unsigned char>& bytes, StatusCode code, const char* words) {
    const Status st = load_dataset(bytes.data(), bytes.size(), "robot_arm", s.store, 0, nullptr);
    EXPECT_EQ(st.code(), code) << st.message();
    EXPECT_NE(std::string(st.message()).find(words), std::string::npos) << st.message();
    EXPECT_EQ(s.store.size(), 0) << "nothing may be stored from a rejected file";
  };
  std::vector<unsigned char> foreign = dataset_of(5);
  std::memcpy(foreign.data() + 4, "USBP", 4);  // a policy file's identifier
  expect_rejected(foreign, StatusCode::kCorruptData, "identifier");
  expect_rejected(dataset_of(5, "other_robot"), StatusCode::kDimensionMismatch, "other_robot");

  // Hand-built files with one thing wrong each.
  auto build = [](std::uint32_t version, int obs_dim, int count, float value, float action, std::uint8_t terminal) {
    flatbuffers::FlatBufferBuilder b;
    std::vector<float> obs(static_cast<std::size_t>(count) * obs_dim, value), act(static_cast<std::size_t>(count) * 2, action);
    std::vector<float> reward(static_cast<std::size_t>(count), 1.0f);
    std::vector<std::uint8_t> term(static_cast<std::size_t>(count), terminal);
    const auto d = fb::CreateDataset(b, version, b.CreateString("robot_arm"), 3, 2, count, b.CreateVector(obs),
                                     b.CreateVector(act), b.CreateVector(reward), b.CreateVector(obs),
                                     b.CreateVector(term));
    fb::FinishDatasetBuffer(b, d);
    std::vector<unsigned char> bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
    append_file_trailer(&bytes);
    return bytes;
  };
  const std::uint32_t v = kDatasetFormatVersion;
  ASSERT_TRUE(load_dataset(build(v, 3, 4, 0.5f, 0.1f, 0).data(), build(v, 3, 4, 0.5f, 0.1f, 0).size(), "robot_arm",
                           s.store, 0, nullptr).is_ok()) << "the builder makes valid files";
  s.store.clear();
  expect_rejected(build(v + 1, 3, 4, 0.5f, 0.1f, 0), StatusCode::kCorruptData, "version");
  expect_rejected(build(v, 4, 4, 0.5f, 0.1f, 0), StatusCode::kCorruptData, "do not hold");
  expect_rejected(build(v, 3, 4, std::numeric_limits<float>::quiet_NaN(), 0.1f, 0), StatusCode::kNonFinite, "NaN");
  expect_rejected(build(v, 3, 4, 0.5f, 1.5f, 0), StatusCode::kCorruptData, "outside [-1, 1]");
  expect_rejected(build(v, 3, 4, 0.5f, 0.1f, 7), StatusCode::kCorruptData, "terminal");

  Store wrong_dims(100, 4, 2);
  const std::vector<unsigned char> good = dataset_of(5);
  EXPECT_EQ(load_dataset(good.data(), good.size(), nullptr, wrong_dims.store, 0, nullptr).code(),
            StatusCode::kDimensionMismatch);
}

TEST(Dataset, RefusesToOverwriteWhatTheStoreHolds) {
  const std::vector<unsigned char> bytes = dataset_of(30);
  Store small(40);
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(record(small.store, 1000 + i).is_ok());
  const Status st = load_dataset(bytes.data(), bytes.size(), nullptr, small.store, 0, nullptr);
  EXPECT_EQ(st.code(), StatusCode::kOutOfMemory) << st.message();
  EXPECT_EQ(small.store.size(), 15);
  EXPECT_EQ(small.store.reward(0), 0.25f * 1000) << "the store's own data is untouched";
}

TEST(Dataset, TrainerStartsFromADatasetOnlyBeforeItsFirstStep) {
  Pendulum env, eval_env, recorder;
  // Log 300 Pendulum transitions with random actions, as a robot would.
  Store log(300, 3, 1);
  Rng rng(5);
  Scalar obs[3], next[3];
  ASSERT_TRUE(recorder.reset(1, obs).is_ok());
  for (int i = 0; i < 300; ++i) {
    Scalar a = rng.uniform(-1, 1), torque = 2 * a;
    StepResult r;
    ASSERT_TRUE(recorder.step(&torque, next, &r).is_ok());
    ASSERT_TRUE(log.store.store(obs, &a, r.reward, next, r.terminated, 0).is_ok());
    std::memcpy(obs, next, sizeof obs);
  }
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(serialize_dataset(log.store, "pendulum", &bytes).is_ok());

  TrainerConfig c;
  c.algorithm = Algorithm::kMbpo;
  c.start_steps = c.update_after = 100;
  c.sac.hidden_width = 32;
  c.sac.batch = 32;
  c.model.members = 3;
  c.model.elites = 2;
  c.model.hidden_width = 32;
  c.model.hidden_layers = 2;
  c.model.batch = 32;
  c.model.max_epochs = 5;
  c.rollout_batch = 64;
  c.rollout_schedule = {1, 15, 1, 1};
  c.planned_steps = 1000;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  ASSERT_FALSE(memory.empty());
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  ASSERT_TRUE(trainer.init(c, env, eval_env, arena).is_ok());
  int loaded = 0;
  Status st = trainer.load_dataset(bytes.data(), bytes.size(), "pendulum", &loaded);
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(loaded, 300);
  EXPECT_EQ(trainer.real_store().size(), 300);
  EXPECT_EQ(trainer.progress().model.round, 1) << "a model is fitted to the dataset at once";
  EXPECT_GT(trainer.model_store().size(), 0) << "and rollouts branch from its states";
  ASSERT_TRUE(trainer.step(nullptr).is_ok());
  EXPECT_EQ(trainer.real_store().size(), 301);
  EXPECT_EQ(trainer.load_dataset(bytes.data(), bytes.size(), "pendulum", &loaded).code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace usbpo
