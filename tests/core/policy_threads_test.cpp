// Policy inside a controller: the reentrant act from several threads, the
// plain act refusing overlapping calls, and the check value that refuses an
// overwritten policy object.
#include "usbpo/runtime/policy.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "allocation_counter.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/train/policy_file.hpp"

namespace usbpo {
namespace {

constexpr int kObs = 11, kAct = 3;

// A policy file with Hopper's dims and a 2 x 64 actor (long enough per act
// that calls from two threads overlap, short enough for the tests under qemu).
struct PolicyBlob {
  std::vector<unsigned char> sac_memory;
  Sac sac;
  std::vector<unsigned char> bytes;
  PolicyBlob() {
    SacConfig c;
    c.obs_dim = kObs;
    c.act_dim = kAct;
    c.hidden_width = 64;
    c.batch = 4;
    sac_memory.resize(Sac::bytes_needed(c));
    Arena arena(sac_memory.data(), sac_memory.size());
    Rng rng(21);
    EXPECT_TRUE(sac.init(c, arena, rng).is_ok());
    Scalar mean[kObs], std[kObs];
    for (int d = 0; d < kObs; ++d) {
      mean[d] = 0.05f * d;
      std[d] = 0.5f + 0.1f * d;
    }
    const Scalar low[kAct] = {-1, -0.4f, -2}, high[kAct] = {1, 0.4f, 2};
    PolicyDescription p;
    p.env_name = "hopper";
    p.algorithm = "usbpo";
    p.obs_dim = kObs;
    p.act_dim = kAct;
    p.actor = &sac.actor_network();
    p.actor_params = sac.actor_params();
    p.obs_mean = mean;
    p.obs_std = std;
    p.action_low = low;
    p.action_high = high;
    EXPECT_TRUE(serialize_policy(p, &bytes).is_ok());
  }
};

// A loaded policy in its own memory; the object itself lives in a byte buffer
// too, so that a test can overwrite it the way a stray write would.
struct Loaded {
  std::vector<unsigned char> memory;
  alignas(Policy) unsigned char object[sizeof(Policy)];
  Policy* policy;
  explicit Loaded(const std::vector<unsigned char>& blob) : policy(new (object) Policy()) {
    std::size_t need = 0;
    EXPECT_TRUE(Policy::bytes_needed(blob.data(), blob.size(), &need).is_ok());
    memory.resize(need);
    Arena arena(memory.data(), memory.size());
    const Status s = policy->load(blob.data(), blob.size(), arena);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
  ~Loaded() { policy->~Policy(); }
};

// n observations and the single-threaded plain act's actions for them.
struct Reference {
  std::vector<Scalar> obs, action;
  Reference(Policy& policy, int n) : obs(static_cast<std::size_t>(n) * kObs), action(static_cast<std::size_t>(n) * kAct) {
    Rng rng(8);
    for (Scalar& o : obs) o = rng.uniform(-3, 3);
    for (int i = 0; i < n; ++i) EXPECT_TRUE(policy.act(&obs[i * kObs], &action[i * kAct]).is_ok());
  }
  bool equals(int i, const Scalar* got) const { return std::memcmp(got, &action[i * kAct], sizeof(Scalar) * kAct) == 0; }
};

TEST(PolicyThreads, ReentrantActFromTwoThreadsEqualsSingleThreadedBitForBit) {
  const PolicyBlob blob;
  Loaded loaded(blob.bytes);
  const Policy& policy = *loaded.policy;
  ASSERT_GT(policy.scratch_bytes(), 0u);
  const int n = 200;
  const Reference reference(*loaded.policy, n);
  std::atomic<int> mismatches{0}, errors{0}, ready{0}, in_act{0}, overlapping{0}, acts{0};
  auto worker = [&](int offset) {
    // Its own scratch, one byte off alignment: any address works.
    std::vector<unsigned char> scratch(policy.scratch_bytes() + 1);
    Scalar action[kAct];
    ++ready;
    while (ready.load() < 2) std::this_thread::yield();  // start together
    // 40 rounds, and on a busy machine more until the threads were seen acting at once.
    for (int round = 0; round < 40 || (overlapping.load() < 100 && round < 4000); ++round) {
      for (int k = 0; k < n; ++k) {
        const int i = (k + offset) % n;  // the two threads walk the observations out of step
        if (++in_act == 2) ++overlapping;
        const Status s = policy.act(&reference.obs[i * kObs], action, scratch.data() + 1, policy.scratch_bytes());
        --in_act;
        ++acts;
        if (!s.is_ok()) ++errors;
        if (!reference.equals(i, action)) ++mismatches;
      }
    }
  };
  std::thread a(worker, 0), b(worker, n / 2);
  a.join();
  b.join();
  EXPECT_GT(overlapping.load(), 0) << "the two threads never acted at the same time";
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0) << "of " << acts.load() << " acts";
  std::printf("reentrant act from two threads: %d acts, %d started while the other thread was acting, all right\n",
              acts.load(), overlapping.load());
}

TEST(PolicyThreads, OverlappingPlainActIsRefusedNeverWrong) {
  // act without scratch shares the policy's own: an overlapping call must be
  // refused (kFailedPrecondition), and every call that returns ok must be right.
  const PolicyBlob blob;
  Loaded loaded(blob.bytes);
  Policy& policy = *loaded.policy;
  const int n = 200;
  const Reference reference(policy, n);
  std::atomic<int> ok{0}, refused{0}, wrong{0}, other{0}, ready{0};
  std::atomic<bool> stop{false};
  auto worker = [&](int offset) {
    Scalar action[kAct];
    ++ready;
    while (ready.load() < 2) std::this_thread::yield();  // start together
    for (int round = 0; round < 400 && !stop.load(); ++round) {
      for (int k = 0; k < n; ++k) {
        const int i = (k + offset) % n;
        const Status s = policy.act(&reference.obs[i * kObs], action);
        if (s.is_ok()) {
          ++ok;
          if (!reference.equals(i, action)) ++wrong;
        } else if (s.code() == StatusCode::kFailedPrecondition) {
          ++refused;
        } else {
          ++other;
        }
      }
      if (round >= 2 && refused.load() > 100) stop = true;  // enough overlaps seen
    }
  };
  std::thread a(worker, 0), b(worker, n / 2);
  a.join();
  b.join();
  EXPECT_EQ(wrong.load(), 0) << "ok with a wrong action";
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(refused.load(), 0) << "two threads never overlapped in " << ok.load() << " calls";
  std::printf("plain act from two threads: %d ok (%d of them wrong), %d overlapping calls refused\n", ok.load(),
              wrong.load(), refused.load());
  // The policy is usable again once the calls no longer overlap.
  Scalar action[kAct];
  ASSERT_TRUE(policy.act(&reference.obs[0], action).is_ok());
  EXPECT_TRUE(reference.equals(0, action));
}

TEST(PolicyThreads, ReentrantActNeverAllocatesAndChecksItsScratch) {
  const PolicyBlob blob;
  Loaded loaded(blob.bytes);
  const Policy& policy = *loaded.policy;
  const Reference reference(*loaded.policy, 4);
  std::vector<unsigned char> scratch(policy.scratch_bytes());
  Scalar action[kAct];
  std::int64_t allocations = 0;
  {
    testing_support::NoAllocationScope scope;
    for (int i = 0; i < 2000; ++i) {
      if (!policy.act(&reference.obs[(i % 4) * kObs], action, scratch.data(), scratch.size()).is_ok()) FAIL();
    }
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(policy.act(&reference.obs[0], action, scratch.data(), scratch.size() - 1).code(), StatusCode::kOutOfMemory);
  EXPECT_EQ(policy.act(&reference.obs[0], action, nullptr, scratch.size()).code(), StatusCode::kOutOfMemory);
  // The stochastic act draws the same sample on either scratch.
  Rng r1(4), r2(4);
  Scalar a1[kAct], a2[kAct];
  ASSERT_TRUE(loaded.policy->act_stochastic(&reference.obs[0], a1, r1).is_ok());
  ASSERT_TRUE(policy.act_stochastic(&reference.obs[0], a2, r2, scratch.data(), scratch.size()).is_ok());
  EXPECT_EQ(std::memcmp(a1, a2, sizeof a1), 0);
  EXPECT_NE(std::memcmp(a1, &reference.action[0], sizeof a1), 0) << "a sample, not the mean";
}

TEST(PolicyThreads, ActBeforeLoadIsAFailedPrecondition) {
  Policy policy;
  Scalar obs[kObs] = {}, action[kAct];
  unsigned char scratch[64];
  EXPECT_FALSE(policy.loaded());
  EXPECT_EQ(policy.act(obs, action).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(policy.act(obs, action, scratch, sizeof scratch).code(), StatusCode::kFailedPrecondition);
}

TEST(PolicyThreads, OverwrittenPolicyObjectIsRefusedNotFollowed) {
  const PolicyBlob blob;
  Loaded loaded(blob.bytes);
  const Reference reference(*loaded.policy, 1);
  ASSERT_TRUE(loaded.policy->intact());
  unsigned char* object = loaded.object;
  const std::vector<unsigned char> saved(object, object + sizeof(Policy));
  std::vector<unsigned char> scratch(loaded.policy->scratch_bytes());
  Scalar action[kAct];
  // Every byte of the object inverted in turn: refused, or (names, counters,
  // padding: bytes act does not use) still the right action.
  int refused = 0, harmless = 0;
  for (std::size_t i = 0; i < sizeof(Policy); ++i) {
    object[i] ^= 0xFF;
    const Status plain = loaded.policy->act(&reference.obs[0], action);
    const bool plain_ok = plain.is_ok() && reference.equals(0, action);
    const Status reentrant = loaded.policy->act(&reference.obs[0], action, scratch.data(), scratch.size());
    const bool reentrant_ok = reentrant.is_ok() && reference.equals(0, action);
    std::memcpy(object, saved.data(), saved.size());  // (the busy flag included)
    EXPECT_TRUE(plain_ok || plain.code() == StatusCode::kFailedPrecondition) << "byte " << i << ": " << plain.message();
    EXPECT_TRUE(reentrant_ok || reentrant.code() == StatusCode::kFailedPrecondition) << "byte " << i;
    (reentrant.code() == StatusCode::kFailedPrecondition ? refused : harmless)++;
  }
  EXPECT_GT(refused, 100) << "the pointers, sizes and shape are covered";
  std::printf("policy object of %zu bytes: %d inverted bytes refused, %d harmless\n", sizeof(Policy), refused,
              harmless);
  // Random garbage over the whole object, then zeros: refused every time.
  Rng rng(77);
  for (int trial = 0; trial < 200; ++trial) {
    for (std::size_t i = 0; i < sizeof(Policy); ++i) object[i] = static_cast<unsigned char>(rng.uniform_int(256));
    EXPECT_EQ(loaded.policy->act(&reference.obs[0], action).code(), StatusCode::kFailedPrecondition);
    EXPECT_FALSE(loaded.policy->intact());
  }
  std::memset(object, 0, sizeof(Policy));
  EXPECT_EQ(loaded.policy->act(&reference.obs[0], action).code(), StatusCode::kFailedPrecondition);
  std::memcpy(object, saved.data(), saved.size());
  ASSERT_TRUE(loaded.policy->act(&reference.obs[0], action).is_ok()) << "restored bytes act again";
  EXPECT_TRUE(reference.equals(0, action));
}

}  // namespace
}  // namespace usbpo
