#include "usbpo/runtime/policy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/base/file_checksum.hpp"
#include "usbpo/nn/action_scaling.hpp"
#include "usbpo/schema/policy_generated.h"
#include "usbpo/train/policy_file.hpp"

namespace usbpo {
namespace {

struct Source {
  std::vector<unsigned char> memory;
  Arena arena;
  Sac sac;
  Scalar low[3] = {-1, -2, -0.5f};
  Scalar high[3] = {1, 2, 0.5f};
  Scalar mean[4] = {0.1f, -0.2f, 0.3f, 0};
  Scalar std[4] = {1, 2, 0.5f, 1};
  Source() {
    SacConfig c;
    c.obs_dim = 4;
    c.act_dim = 3;
    c.hidden_width = 32;
    c.batch = 4;
    memory.resize(Sac::bytes_needed(c));
    arena = Arena(memory.data(), memory.size());
    Rng rng(7);
    EXPECT_TRUE(sac.init(c, arena, rng).is_ok());
  }
  PolicyDescription describe(const Scalar* params = nullptr) {
    PolicyDescription d;
    d.env_name = "test_env";
    d.algorithm = "sac";
    d.env_steps = 1234;
    d.obs_dim = 4;
    d.act_dim = 3;
    d.actor = &sac.actor_network();
    d.actor_params = params ? params : sac.actor_params();
    d.obs_mean = mean;
    d.obs_std = std;
    d.action_low = low;
    d.action_high = high;
    return d;
  }
  std::vector<unsigned char> blob() {
    std::vector<unsigned char> bytes;
    EXPECT_TRUE(serialize_policy(describe(), &bytes).is_ok());
    return bytes;
  }
};

Status load(const std::vector<unsigned char>& blob, Policy& policy, std::vector<unsigned char>& memory) {
  std::size_t bytes = 0;
  USBPO_RETURN_IF_ERROR(Policy::bytes_needed(blob.data(), blob.size(), &bytes));
  memory.assign(bytes, 0);
  Arena arena(memory.data(), memory.size());
  return policy.load(blob.data(), blob.size(), arena);
}

TEST(Policy, RoundTripMatchesTrainerActorWithinFloatTolerance) {
  Source source;
  Policy policy;
  std::vector<unsigned char> memory;
  ASSERT_TRUE(load(source.blob(), policy, memory).is_ok());
  EXPECT_EQ(policy.obs_dim(), 4);
  EXPECT_EQ(policy.act_dim(), 3);
  EXPECT_STREQ(policy.env_name(), "test_env");
  EXPECT_STREQ(policy.algorithm(), "sac");
  EXPECT_EQ(policy.env_steps(), 1234);
  Rng rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    Scalar obs[4], normalized[4], expected_squashed[3], expected[3], got[3];
    for (int d = 0; d < 4; ++d) {
      obs[d] = rng.uniform(-3, 3);
      normalized[d] = (obs[d] - source.mean[d]) / source.std[d];
    }
    ASSERT_TRUE(source.sac.act(normalized, expected_squashed, true, nullptr).is_ok());
    scale_action(expected_squashed, source.low, source.high, 3, expected);
    ASSERT_TRUE(policy.act(obs, got).is_ok());
    for (int d = 0; d < 3; ++d) EXPECT_NEAR(got[d], expected[d], 1e-5f);
  }
}

TEST(Policy, LoadAndActNeverAllocate) {
  Source source;
  const std::vector<unsigned char> blob = source.blob();
  std::size_t bytes = 0;
  ASSERT_TRUE(Policy::bytes_needed(blob.data(), blob.size(), &bytes).is_ok());
  std::vector<unsigned char> memory(bytes);
  Policy policy;
  Scalar obs[4] = {0.1f, 0.2f, 0.3f, 0.4f}, action[3];
  std::int64_t allocations = 0;
  {
    testing_support::NoAllocationScope scope;
    Arena arena(memory.data(), memory.size());
    if (!policy.load(blob.data(), blob.size(), arena).is_ok()) FAIL();
    for (int i = 0; i < 5000; ++i) {
      if (!policy.act(obs, action).is_ok()) FAIL();
    }
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
}

TEST(Policy, RejectsEveryTruncation) {
  Source source;
  const std::vector<unsigned char> blob = source.blob();
  for (std::size_t len = 0; len < blob.size(); ++len) {
    std::vector<unsigned char> cut(blob.begin(), blob.begin() + len);
    Policy policy;
    std::vector<unsigned char> memory;
    Status s = load(cut, policy, memory);
    EXPECT_FALSE(s.is_ok()) << "accepted a blob truncated to " << len << " of " << blob.size() << " bytes";
    EXPECT_STRNE(s.message(), "") << "refused without a reason at length " << len;
    EXPECT_FALSE(policy.loaded());
  }
}

TEST(Policy, FlippedBytesAreRejectedOrHarmless) {
  Source source;
  const std::vector<unsigned char> blob = source.blob();
  int rejected = 0;
  for (std::size_t i = 0; i < blob.size(); i += 3) {
    std::vector<unsigned char> bad = blob;
    bad[i] ^= 0xA5;
    Policy policy;
    std::vector<unsigned char> memory;
    Status s = load(bad, policy, memory);
    if (!s.is_ok()) {
      ++rejected;
      continue;
    }
    // A flip inside weight data can stay valid: the policy must still act finitely or refuse.
    Scalar obs[4] = {0, 0, 0, 0}, action[3];
    if (policy.act(obs, action).is_ok()) {
      for (Scalar a : action) EXPECT_TRUE(std::isfinite(a));
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(Policy, RejectsForeignIdentifierWithClearMessage) {
  Source source;
  std::vector<unsigned char> blob = source.blob();
  blob[4] = 'X';  // identifier lives at bytes 4..7
  Policy policy;
  std::vector<unsigned char> memory;
  Status s = load(blob, policy, memory);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("identifier"), std::string::npos);
}

// A policy file written field by field, so that one field can be wrong.
struct HandBuilt {
  std::uint32_t version = Policy::kFormatVersion;
  int obs_dim = 4, act_dim = 3;      // the file's claims
  int input_dim = 4, output_dim = 6; // the actor's shape
  int extra_params = 0;              // weights beyond what the shape needs
};

std::vector<unsigned char> hand_built(Source& source, const HandBuilt& h) {
  const MlpShape& shape = source.sac.actor_network().shape();
  std::vector<float> params(source.sac.actor_params(),
                            source.sac.actor_params() + source.sac.actor_network().total_params());
  params.resize(params.size() + h.extra_params, 0.0f);
  flatbuffers::FlatBufferBuilder b;
  const auto actor = fb::CreateMlp(b, 1, h.input_dim, h.output_dim, shape.hidden_layers, shape.hidden_width,
                                   static_cast<std::uint8_t>(shape.activation), b.CreateVector(params));
  const std::vector<float> mean(h.obs_dim, 0.0f), std(h.obs_dim, 1.0f), low(h.act_dim, -1.0f), high(h.act_dim, 1.0f);
  const auto policy = fb::CreatePolicy(b, h.version, b.CreateString("test_env"), b.CreateString("sac"), 10, h.obs_dim,
                                       h.act_dim, b.CreateVector(mean), b.CreateVector(std), b.CreateVector(low),
                                       b.CreateVector(high), actor, -20.0f, 2.0f);
  fb::FinishPolicyBuffer(b, policy);
  std::vector<unsigned char> bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  append_file_trailer(&bytes);
  return bytes;
}

TEST(Policy, RejectsWrongVersionAndDimsThatDoNotFitTheWeights) {
  Source source;
  Policy policy;
  std::vector<unsigned char> memory;
  ASSERT_TRUE(load(hand_built(source, HandBuilt{}), policy, memory).is_ok()) << "the hand-built file is valid";
  auto rejected = [&](const HandBuilt& h, const char* words) {
    Policy p;
    const Status s = load(hand_built(source, h), p, memory);
    EXPECT_EQ(s.code(), StatusCode::kCorruptData) << s.message();
    EXPECT_NE(std::string(s.message()).find(words), std::string::npos) << s.message();
    EXPECT_FALSE(p.loaded());
  };
  HandBuilt h;
  h.version = Policy::kFormatVersion + 1;
  rejected(h, "version");
  h = HandBuilt{};
  h.obs_dim = 5;  // claims 5 observations, the actor takes 4
  rejected(h, "does not match");
  h = HandBuilt{};
  h.act_dim = 2;  // claims 2 actions, the actor outputs 3 means + 3 log-stds
  rejected(h, "does not match");
  h = HandBuilt{};
  h.extra_params = 1;  // one weight more than the shape needs
  rejected(h, "weights");
}

TEST(Policy, RejectsNanWeights) {
  Source source;
  std::vector<Scalar> params(source.sac.actor_params(),
                             source.sac.actor_params() + source.sac.actor_network().total_params());
  params[5] = std::numeric_limits<Scalar>::quiet_NaN();
  std::vector<unsigned char> blob;
  ASSERT_TRUE(serialize_policy(source.describe(params.data()), &blob).is_ok());
  Policy policy;
  std::vector<unsigned char> memory;
  EXPECT_EQ(load(blob, policy, memory).code(), StatusCode::kNonFinite);
}

TEST(Policy, RejectsNonFiniteObservation) {
  Source source;
  Policy policy;
  std::vector<unsigned char> memory;
  ASSERT_TRUE(load(source.blob(), policy, memory).is_ok());
  Scalar obs[4] = {0, std::numeric_limits<Scalar>::infinity(), 0, 0}, action[3];
  Status s = policy.act(obs, action);
  EXPECT_EQ(s.code(), StatusCode::kNonFinite);
  EXPECT_NE(std::string(s.message()).find("observation[1]"), std::string::npos);
}

TEST(Policy, FiniteWeightsThatOverflowAreRefusedAtAct) {
  // Found by the fuzz target: every weight finite, yet the layers overflow to
  // Inf - Inf = NaN. act must say so, not hand NaN to the motors.
  Source source;
  std::vector<Scalar> params(source.sac.actor_network().total_params(), 3e38f);
  std::vector<unsigned char> blob;
  ASSERT_TRUE(serialize_policy(source.describe(params.data()), &blob).is_ok());
  Policy policy;
  std::vector<unsigned char> memory;
  ASSERT_TRUE(load(blob, policy, memory).is_ok());
  Scalar obs[4] = {1, -1, 1, -1}, action[3] = {7, 7, 7};
  EXPECT_EQ(policy.act(obs, action).code(), StatusCode::kNonFinite);
  EXPECT_EQ(action[0], 7) << "the action is left untouched";
}

TEST(Policy, ActionRangeThatOverflowsIsRejected) {
  Source source;
  source.low[1] = -3e38f;
  source.high[1] = 3e38f;
  Policy policy;
  std::vector<unsigned char> memory;
  EXPECT_EQ(load(source.blob(), policy, memory).code(), StatusCode::kCorruptData);
}

TEST(Policy, ArenaTooSmallIsReported) {
  Source source;
  const std::vector<unsigned char> blob = source.blob();
  std::size_t bytes = 0;
  ASSERT_TRUE(Policy::bytes_needed(blob.data(), blob.size(), &bytes).is_ok());
  std::vector<unsigned char> memory(bytes / 2);
  Arena arena(memory.data(), memory.size());
  Policy policy;
  EXPECT_EQ(policy.load(blob.data(), blob.size(), arena).code(), StatusCode::kOutOfMemory);
}

}  // namespace
}  // namespace usbpo
