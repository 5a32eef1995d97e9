// The checksum trailer of policy, checkpoint and dataset files: every flipped
// bit is refused, files of an older format version are refused with a message
// that says so, and the trailer is what the writers put there.
#include "usbpo/base/file_checksum.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "usbpo/agent/sac.hpp"
#include "usbpo/io/file_io.hpp"
#include "usbpo/runtime/policy.hpp"
#include "usbpo/schema/checkpoint_generated.h"
#include "usbpo/schema/dataset_generated.h"
#include "usbpo/schema/policy_generated.h"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/dataset.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/policy_file.hpp"

namespace usbpo {
namespace {

using Bytes = std::vector<unsigned char>;

bool contains(const Status& status, const char* words) {
  return std::string(status.message()).find(words) != std::string::npos;
}

// A small policy file the shape of the C ABI test's: 11 observations, 3 actions,
// a 2 x 32 actor (6.9 KB).
constexpr int kObs = 11, kAct = 3;
struct SmallPolicy {
  std::vector<unsigned char> memory;
  Sac sac;
  Bytes bytes;
  SmallPolicy() {
    SacConfig c;
    c.obs_dim = kObs;
    c.act_dim = kAct;
    c.hidden_width = 32;
    c.batch = 4;
    memory.resize(Sac::bytes_needed(c));
    Arena arena(memory.data(), memory.size());
    Rng rng(3);
    EXPECT_TRUE(sac.init(c, arena, rng).is_ok());
    const Scalar low[kAct] = {-1, -2, -3}, high[kAct] = {1, 2, 3};
    PolicyDescription d;
    d.env_name = "small";
    d.algorithm = "sac";
    d.obs_dim = kObs;
    d.act_dim = kAct;
    d.actor = &sac.actor_network();
    d.actor_params = sac.actor_params();
    d.action_low = low;
    d.action_high = high;
    EXPECT_TRUE(serialize_policy(d, &bytes).is_ok());
  }
};

// A small checkpoint: SAC on Pendulum with a 2 x 8 network and 64 stored transitions.
Bytes small_checkpoint() {
  TrainerConfig c;
  c.seed = 5;
  c.start_steps = c.update_after = 40;
  c.replay_capacity = 64;
  c.epoch_length = 100;
  c.eval_episodes = 1;
  c.sac.hidden_width = 8;
  c.sac.batch = 16;
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  EXPECT_TRUE(trainer.init(c, env, eval_env, arena).is_ok());
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(trainer.step(nullptr).is_ok());
  Bytes bytes;
  EXPECT_TRUE(serialize_checkpoint(trainer, "host", 4, &bytes).is_ok());
  return bytes;
}

// A small dataset: 32 transitions of 3 observations and 2 actions.
Bytes small_dataset() {
  ReplayConfig c;
  c.obs_dim = 3;
  c.act_dim = 2;
  c.capacity = 32;
  std::vector<unsigned char> memory(ReplayStore::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  ReplayStore store;
  EXPECT_TRUE(store.place(c, arena).is_ok());
  for (int i = 0; i < 32; ++i) {
    const Scalar obs[3] = {0.1f * i, -0.2f * i, 1}, act[2] = {0.5f, -0.25f}, next[3] = {0.1f * i + 0.1f, 0, 1};
    EXPECT_TRUE(store.store(obs, act, 0.5f * i, next, i == 31, 0).is_ok());
  }
  Bytes bytes;
  EXPECT_TRUE(serialize_dataset(store, "robot", &bytes).is_ok());
  return bytes;
}

Status check_policy(const Bytes& bytes) {
  std::size_t need = 0;
  return Policy::bytes_needed(bytes.data(), bytes.size(), &need);
}

Status check_checkpoint(const Bytes& bytes) {
  CheckpointFile file;
  return file.from_bytes(bytes);
}

Status check_dataset(const Bytes& bytes) { return inspect_dataset(bytes.data(), bytes.size(), nullptr); }

TEST(FileChecksum, IsXxh3SixtyFourWithSeedZero) {
  // Published XXH3-64 values, so files stay readable across xxHash releases and platforms.
  EXPECT_EQ(checksum64("", 0), 0x2D06800538D394C2ull);
  const Bytes zeros(1000, 0);
  EXPECT_EQ(checksum64(zeros.data(), zeros.size()), checksum64(zeros.data(), zeros.size()));
  EXPECT_NE(checksum64(zeros.data(), 999), checksum64(zeros.data(), 1000));
}

TEST(FileChecksum, WritersEndEveryFileWithTheTrailer) {
  const Bytes files[3] = {SmallPolicy().bytes, small_checkpoint(), small_dataset()};
  for (const Bytes& bytes : files) {
    ASSERT_GT(bytes.size(), kFileTrailerBytes);
    const std::size_t content = bytes.size() - kFileTrailerBytes;
    EXPECT_EQ(std::memcmp(bytes.data() + content, "usbpoXH3", 8), 0);
    std::uint64_t stored = 0;
    for (int i = 0; i < 8; ++i) stored |= std::uint64_t{bytes[content + 8 + i]} << (8 * i);
    EXPECT_EQ(stored, checksum64(bytes.data(), content)) << "little-endian XXH3-64 of the FlatBuffers bytes";
    EXPECT_EQ(check_file_trailer(bytes.data(), bytes.size()), FileTrailer::kValid);
  }
  // The checkpoint's policy is a whole policy file, trailer included.
  CheckpointFile file;
  ASSERT_TRUE(file.from_bytes(files[1]).is_ok());
  EXPECT_EQ(check_file_trailer(file.policy_data(), file.policy_size()), FileTrailer::kValid);
}

TEST(FileChecksum, SealedWriteEqualsSerialisedBytes) {
  const Bytes policy = SmallPolicy().bytes;
  const std::string path = ::testing::TempDir() + "usbpo_sealed_" + std::to_string(::getpid());
  const std::size_t content = policy.size() - kFileTrailerBytes;
  ASSERT_TRUE(write_sealed_file_atomically(path.c_str(), policy.data(), content).is_ok());
  Bytes read;
  ASSERT_TRUE(read_file(path.c_str(), &read).is_ok());
  EXPECT_TRUE(read == policy);
  std::remove(path.c_str());
}

TEST(FileChecksum, EverySingleBitFlipOfAPolicyIsRefused) {
  Bytes bytes = SmallPolicy().bytes;
  ASSERT_TRUE(check_policy(bytes).is_ok());
  int refused = 0, checksum_messages = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[i] ^= static_cast<unsigned char>(1u << bit);
      const Status s = check_policy(bytes);
      bytes[i] ^= static_cast<unsigned char>(1u << bit);
      EXPECT_EQ(s.code(), StatusCode::kCorruptData) << "byte " << i << " bit " << bit << ": " << s.message();
      refused += s.code() == StatusCode::kCorruptData;
      checksum_messages += contains(s, "checksum");
    }
  }
  EXPECT_EQ(refused, static_cast<int>(8 * bytes.size()));
  // All but the flips of the identifier, which say "not a usbpo policy file".
  EXPECT_EQ(checksum_messages, static_cast<int>(8 * bytes.size()) - 32);
  std::printf("policy of %zu bytes: %d of %d single-bit flips refused\n", bytes.size(), refused,
              static_cast<int>(8 * bytes.size()));
}

// 1000 random single-bit flips (fixed seed), each refused with kCorruptData.
template <typename Check>
void expect_random_flips_refused(Bytes bytes, Check check, const char* what) {
  ASSERT_TRUE(check(bytes).is_ok());
  Rng rng(12);
  int refused = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    const std::size_t at = rng.uniform_int(static_cast<std::uint32_t>(bytes.size()));
    const unsigned char mask = static_cast<unsigned char>(1u << rng.uniform_int(8));
    bytes[at] ^= mask;
    const Status s = check(bytes);
    bytes[at] ^= mask;
    EXPECT_EQ(s.code(), StatusCode::kCorruptData) << what << " byte " << at << ": " << s.message();
    refused += s.code() == StatusCode::kCorruptData;
  }
  EXPECT_EQ(refused, 1000);
  std::printf("%s of %zu bytes: %d of 1000 random bit flips refused\n", what, bytes.size(), refused);
}

TEST(FileChecksum, RandomBitFlipsOfACheckpointAreRefused) {
  expect_random_flips_refused(small_checkpoint(), check_checkpoint, "checkpoint");
}

TEST(FileChecksum, RandomBitFlipsOfADatasetAreRefused) {
  expect_random_flips_refused(small_dataset(), check_dataset, "dataset");
}

TEST(FileChecksum, TruncationsAndExtensionsAreRefused) {
  const Bytes files[3] = {SmallPolicy().bytes, small_checkpoint(), small_dataset()};
  Status (*const checks[3])(const Bytes&) = {check_policy, check_checkpoint, check_dataset};
  for (int f = 0; f < 3; ++f) {
    const Bytes& good = files[f];
    for (std::size_t cut = 1; cut <= 2 * kFileTrailerBytes; ++cut) {  // the trailer and what is just before it
      const Status s = checks[f](Bytes(good.begin(), good.end() - static_cast<long>(cut)));
      EXPECT_EQ(s.code(), StatusCode::kCorruptData) << "file " << f << " cut by " << cut;
      EXPECT_TRUE(contains(s, "truncated or corrupt")) << s.message();
    }
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_EQ(checks[f](longer).code(), StatusCode::kCorruptData) << "file " << f << " with a byte appended";
  }
}

// The version-1 files below are what usbpo wrote before the checksum: the same
// FlatBuffers, no trailer.
Bytes unsealed(const flatbuffers::FlatBufferBuilder& builder) {
  return Bytes(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
}

Bytes version1_policy() {
  SmallPolicy source;
  const std::vector<float> params(source.sac.actor_params(),
                                  source.sac.actor_params() + source.sac.actor_network().total_params());
  const MlpShape& shape = source.sac.actor_network().shape();
  flatbuffers::FlatBufferBuilder b;
  const auto actor = fb::CreateMlp(b, 1, kObs, 2 * kAct, shape.hidden_layers, shape.hidden_width,
                                   static_cast<std::uint8_t>(shape.activation), b.CreateVector(params));
  const std::vector<float> mean(kObs, 0.0f), std(kObs, 1.0f), low(kAct, -1.0f), high(kAct, 1.0f);
  const auto policy = fb::CreatePolicy(b, 1, b.CreateString("small"), b.CreateString("sac"), 10, kObs, kAct,
                                       b.CreateVector(mean), b.CreateVector(std), b.CreateVector(low),
                                       b.CreateVector(high), actor, -20.0f, 2.0f);
  fb::FinishPolicyBuffer(b, policy);
  return unsealed(b);
}

TEST(FileChecksum, OlderFormatVersionsAreRefusedWithAMessageThatSaysSo) {
  const Bytes policy = version1_policy();
  Status s = check_policy(policy);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_TRUE(contains(s, "policy file is format version 1 from an older usbpo")) << s.message();
  EXPECT_TRUE(contains(s, "reads version 2")) << s.message();

  // The same file with the trailer of version 2 and its version 1 still is refused, for the version.
  Bytes sealed_old = policy;
  append_file_trailer(&sealed_old);
  s = check_policy(sealed_old);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_TRUE(contains(s, "version 1 is not supported")) << s.message();

  flatbuffers::FlatBufferBuilder c;
  const auto state = c.CreateVector(std::vector<flatbuffers::Offset<fb::StateTensor>>{});
  const auto embedded = c.CreateVector(policy);
  fb::FinishCheckpointBuffer(c, fb::CreateCheckpoint(c, 1, c.CreateString("pendulum"), c.CreateString("sac"), 0, 3, 1,
                                                     embedded, 0, state));
  s = check_checkpoint(unsealed(c));
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_TRUE(contains(s, "checkpoint is format version 1 from an older usbpo")) << s.message();

  flatbuffers::FlatBufferBuilder d;
  const std::vector<float> obs(6, 0.5f), act(4, 0.5f), reward(2, 1.0f);
  const std::vector<std::uint8_t> terminal(2, 0);
  fb::FinishDatasetBuffer(d, fb::CreateDataset(d, 1, d.CreateString("robot"), 3, 2, 2, d.CreateVector(obs),
                                               d.CreateVector(act), d.CreateVector(reward), d.CreateVector(obs),
                                               d.CreateVector(terminal)));
  s = check_dataset(unsealed(d));
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_TRUE(contains(s, "dataset is format version 1 from an older usbpo")) << s.message();
}

TEST(FileChecksum, DamagedAndForeignFilesSayWhich) {
  Bytes policy = SmallPolicy().bytes;
  policy[policy.size() / 2] ^= 4;  // inside the weights
  Status s = check_policy(policy);
  EXPECT_TRUE(contains(s, "policy file is truncated or corrupt: its checksum does not match")) << s.message();
  policy = SmallPolicy().bytes;
  policy[policy.size() - 12] ^= 1;  // inside the magic
  s = check_policy(policy);
  EXPECT_TRUE(contains(s, "does not end with a usbpo checksum")) << s.message();
  // A valid dataset is a sealed file too, but not a policy.
  const Bytes dataset = small_dataset();
  s = check_policy(dataset);
  EXPECT_TRUE(contains(s, "not a usbpo policy file")) << s.message();
  s = check_checkpoint(dataset);
  EXPECT_TRUE(contains(s, "not a usbpo checkpoint")) << s.message();
  EXPECT_TRUE(contains(check_dataset(Bytes()), "not a usbpo dataset")) << check_dataset(Bytes()).message();
}

}  // namespace
}  // namespace usbpo
