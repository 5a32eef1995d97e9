// Model rollouts on the backend (issue 15): Rollouts::run, whose states,
// actions and draws live in device memory, stores exactly what the host
// rollout (Sac::act_batch + GaussianEnsemble::sample per step, compacted on the
// host) stored, bit for bit, on the CPU backend and on the checked backend
// (device memory inaccessible outside ops), with one upload and one download
// per rollout step; terminating and non-finite samples end as before.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "checked_cpu_backend.hpp"
#include "usbpo/model/rollouts.hpp"
#include "usbpo/nn/cpu_backend.hpp"

namespace usbpo {
namespace {

using testing_support::CheckedCpuBackend;

constexpr int kObs = 3, kAct = 2;

// Terminal when the first next-state value is above a threshold (some samples at every step).
class ThresholdTerminal : public Env {
 public:
  const char* name() const override { return "threshold_terminal"; }
  int obs_dim() const override { return kObs; }
  int act_dim() const override { return kAct; }
  const Scalar* action_low() const override { return low_; }
  const Scalar* action_high() const override { return high_; }
  int max_episode_steps() const override { return 10; }
  Status reset(std::uint64_t, Scalar* obs) override {
    std::fill(obs, obs + kObs, 0.0f);
    return Status::ok();
  }
  Status step(const Scalar*, Scalar* next, StepResult* r) override {
    std::fill(next, next + kObs, 0.0f);
    *r = StepResult();
    return Status::ok();
  }
  bool can_terminate() const override { return true; }
  bool is_terminal(const Scalar* next_obs) const override { return next_obs[0] > 1.2f; }

 private:
  Scalar low_[kAct] = {-1, -1}, high_[kAct] = {1, 1};
};

EnsembleConfig ensemble_config() {
  EnsembleConfig c;
  c.obs_dim = kObs;
  c.act_dim = kAct;
  c.members = 4;
  c.elites = 3;
  c.hidden_layers = 2;
  c.hidden_width = 16;
  c.max_samples = 64;
  c.predict_chunk = 100;  // several chunks of rollout groups
  return c;
}

SacConfig sac_config() {
  SacConfig c;
  c.obs_dim = kObs;
  c.act_dim = kAct;
  c.hidden_width = 16;
  c.batch = 64;  // several act chunks
  return c;
}

ReplayConfig store_config() {
  ReplayConfig c;
  c.obs_dim = kObs;
  c.act_dim = kAct;
  c.capacity = 4000;
  return c;
}

RolloutShape rollout_shape(int batch) {
  RolloutShape s;
  s.batch = batch;
  s.obs_dim = kObs;
  s.act_dim = kAct;
  s.elites = ensemble_config().elites;
  s.predict_chunk = ensemble_config().predict_chunk;
  return s;
}

// SAC, an ensemble, a model store and rollouts on one backend (null: the CPU,
// all in one arena), from the same seeds whichever backend; the ensemble's
// log-variance bounds and elites set so that draws spread and some samples terminate.
struct Rig {
  std::vector<unsigned char> memory;
  Arena arena;
  Sac sac;
  GaussianEnsemble model;
  ReplayStore store;
  Rollouts rollouts;
  CpuBackend cpu;

  Status init(Backend* backend, int batch) {
    const EnsembleConfig ec = ensemble_config();
    const SacConfig sc = sac_config();
    const bool on_host = !backend;
    memory.assign((on_host ? Sac::bytes_needed(sc) + GaussianEnsemble::bytes_needed(ec)
                           : Sac::host_bytes_needed(sc, false) + GaussianEnsemble::host_bytes_needed(ec, false)) +
                      ReplayStore::bytes_needed(store_config()) + Rollouts::bytes_needed(rollout_shape(batch), on_host),
                  0);
    arena = Arena(memory.data(), memory.size());
    Rng rng(11);
    if (on_host) {
      USBPO_RETURN_IF_ERROR(sac.init(sc, arena, rng));
      USBPO_RETURN_IF_ERROR(model.init(ec, arena, rng));
    } else {
      USBPO_RETURN_IF_ERROR(backend->reserve_device(Sac::device_bytes_needed(sc) +
                                                    GaussianEnsemble::device_bytes_needed(ec) +
                                                    Rollouts::device_bytes_needed(rollout_shape(batch), false)));
      USBPO_RETURN_IF_ERROR(sac.init(sc, *backend, arena, rng));
      USBPO_RETURN_IF_ERROR(model.init(ec, *backend, arena, rng));
    }
    for (int d = 0; d < model.output_dim(); ++d) {
      model.max_logvar()[d] = -1.0f;
      model.min_logvar()[d] = -6.0f;
    }
    // Elites in a different order than the members (the draws group by elite).
    int* elites = const_cast<int*>(model.elite_indices());
    elites[0] = 2, elites[1] = 0, elites[2] = 3;
    model.push_params();
    USBPO_RETURN_IF_ERROR(store.place(store_config(), arena));
    if (on_host) return rollouts.place(rollout_shape(batch), sac.backend(), arena);
    USBPO_RETURN_IF_ERROR(rollouts.place(rollout_shape(batch), false, arena));
    return rollouts.place_device(*backend);
  }
};

void fill_starts(Rollouts& rollouts, int count) {
  Rng rng(5);
  for (int i = 0; i < count * kObs; ++i) rollouts.start_states()[i] = rng.normal();
}

// The host rollout as the trainer ran it before issue 15 moved it onto the backend.
Status host_reference(int count, int length, Sac& sac, GaussianEnsemble& model, const Env& env,
                      const Scalar* starts, ReplayStore& store, Rng& rng, RolloutStats* stats) {
  std::vector<Scalar> obs(starts, starts + static_cast<std::size_t>(count) * kObs), act(count * kAct),
      next(count * kObs), reward(count);
  std::vector<std::uint8_t> done(count);
  double reward_sum = 0;
  int alive = count;
  *stats = RolloutStats();
  for (int t = 0; t < length && alive > 0; ++t) {
    USBPO_RETURN_IF_ERROR(sac.act_batch(obs.data(), alive, act.data(), false, &rng));
    USBPO_RETURN_IF_ERROR(model.sample(obs.data(), act.data(), alive, rng, next.data(), reward.data()));
    int kept = 0;
    for (int i = 0; i < alive; ++i) {
      const Scalar* o2 = &next[i * kObs];
      const bool terminal = env.is_terminal(o2);
      bool finite = std::isfinite(reward[i]);
      for (int d = 0; d < kObs; ++d) finite = finite && std::isfinite(o2[d]);
      if (!finite) continue;
      reward_sum += reward[i];
      std::copy(&obs[i * kObs], &obs[i * kObs] + kObs, &obs[kept * kObs]);
      std::copy(&act[i * kAct], &act[i * kAct] + kAct, &act[kept * kAct]);
      std::copy(o2, o2 + kObs, &next[kept * kObs]);
      reward[kept] = reward[i];
      done[kept] = terminal ? 1 : 0;
      ++kept;
    }
    USBPO_RETURN_IF_ERROR(
        store.store_batch(kept, obs.data(), act.data(), reward.data(), next.data(), done.data(), 0));
    stats->transitions += kept;
    int next_alive = 0;
    for (int i = 0; i < kept; ++i) {
      if (done[i]) {
        ++stats->terminated;
        continue;
      }
      std::copy(&next[i * kObs], &next[i * kObs] + kObs, &obs[next_alive * kObs]);
      ++next_alive;
    }
    stats->terminated += alive - kept;
    alive = next_alive;
    stats->length = t + 1;
  }
  stats->mean_reward = stats->transitions > 0 ? static_cast<Scalar>(reward_sum / stats->transitions) : 0.0f;
  return Status::ok();
}

// Every stored transition of a equals b's, bit for bit.
void expect_same_store(const ReplayStore& a, const ReplayStore& b) {
  ASSERT_EQ(a.size(), b.size());
  for (int s = 0; s < a.size(); ++s) {
    ASSERT_EQ(std::memcmp(a.obs(s), b.obs(s), kObs * sizeof(Scalar)), 0) << "slot " << s;
    ASSERT_EQ(std::memcmp(a.act(s), b.act(s), kAct * sizeof(Scalar)), 0) << "slot " << s;
    ASSERT_EQ(std::memcmp(a.next_obs(s), b.next_obs(s), kObs * sizeof(Scalar)), 0) << "slot " << s;
    const Scalar ra = a.reward(s), rb = b.reward(s);
    ASSERT_EQ(std::memcmp(&ra, &rb, sizeof(Scalar)), 0) << "slot " << s;
    ASSERT_EQ(a.terminal(s), b.terminal(s)) << "slot " << s;
  }
}

void expect_same_stats(const RolloutStats& a, const RolloutStats& b) {
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.transitions, b.transitions);
  EXPECT_EQ(a.terminated, b.terminated);
  EXPECT_EQ(std::memcmp(&a.mean_reward, &b.mean_reward, sizeof(Scalar)), 0);
}

TEST(RolloutSeam, EqualsTheHostRolloutBitForBit) {
  const int count = 250, length = 5;
  Rig rig, ref;
  ASSERT_TRUE(rig.init(nullptr, count).is_ok());
  ASSERT_TRUE(ref.init(nullptr, count).is_ok());
  fill_starts(rig.rollouts, count);
  fill_starts(ref.rollouts, count);
  ThresholdTerminal env;
  Rng rng_a(9), rng_b(9);
  RolloutStats a, b;
  ASSERT_TRUE(rig.rollouts.run(count, length, rig.sac, rig.model, env, rig.store, 0, rng_a, &a).is_ok());
  ASSERT_TRUE(host_reference(count, length, ref.sac, ref.model, env, ref.rollouts.start_states(), ref.store, rng_b, &b)
                  .is_ok());
  // The case is not trivial: samples terminate along the way and all steps run.
  EXPECT_EQ(a.length, length);
  EXPECT_GT(a.terminated, 10);
  EXPECT_LT(a.terminated, count);
  expect_same_stats(a, b);
  expect_same_store(rig.store, ref.store);
  // And the Rng is left where the host rollout left it.
  EXPECT_EQ(rng_a.next_u64(), rng_b.next_u64());
}

TEST(RolloutSeam, CheckedBackendEqualsCpuWithOneTransferEachWayPerStep) {
  const int count = 250, length = 5;
  Rig cpu, dev;
  CheckedCpuBackend checked;
  ASSERT_TRUE(cpu.init(nullptr, count).is_ok());
  ASSERT_TRUE(dev.init(&checked, count).is_ok());
  fill_starts(cpu.rollouts, count);
  fill_starts(dev.rollouts, count);
  ThresholdTerminal env;
  Rng rng_a(9), rng_b(9);
  RolloutStats a, b;
  ASSERT_TRUE(cpu.rollouts.run(count, length, cpu.sac, cpu.model, env, cpu.store, 0, rng_a, &a).is_ok());
  checked.reset_counters();
  ASSERT_TRUE(dev.rollouts.run(count, length, dev.sac, dev.model, env, dev.store, 0, rng_b, &b).is_ok());
  EXPECT_EQ(checked.counters().uploads, 1 + b.length);  // the start states, then each step's draws
  EXPECT_EQ(checked.counters().downloads, b.length);
  EXPECT_EQ(checked.counters().synchronizations, 0);
  expect_same_stats(a, b);
  expect_same_store(cpu.store, dev.store);
}

TEST(RolloutSeam, NonFiniteDrawsEndUnstored) {
  const int count = 120, length = 3;
  Rig rig;
  ASSERT_TRUE(rig.init(nullptr, count).is_ok());
  fill_starts(rig.rollouts, count);
  // One elite's output bias made infinite: its samples' draws are not finite.
  const EnsembleMlp& net = rig.model.network();
  const int last = net.num_layers() - 1, member = rig.model.elite_indices()[1];
  Scalar* bias = rig.model.params() + net.member_offset(member) + net.bias_offset(last);
  bias[0] = std::numeric_limits<Scalar>::infinity();
  rig.model.push_params();
  ThresholdTerminal never_terminal_env;
  Rng rng(4);
  RolloutStats stats;
  ASSERT_TRUE(rig.rollouts.run(count, length, rig.sac, rig.model, never_terminal_env, rig.store, 0, rng, &stats)
                  .is_ok());
  ASSERT_GT(stats.transitions, 0);
  for (int s = 0; s < rig.store.size(); ++s) {
    ASSERT_TRUE(std::isfinite(rig.store.reward(s))) << "slot " << s;
  }
  // Every sample either was stored at each step it lived or ended (terminated or dropped).
  EXPECT_GT(stats.terminated, 0);
  EXPECT_EQ(rig.store.size(), stats.transitions);
}

TEST(RolloutSeam, RefusesAnotherEnsembleShapeAndAMissingDevicePlacement) {
  Rig rig;
  ASSERT_TRUE(rig.init(nullptr, 50).is_ok());
  ThresholdTerminal env;
  Rng rng(1);
  Rollouts unplaced;
  RolloutShape other = rollout_shape(50);
  std::vector<unsigned char> memory(Rollouts::bytes_needed(other, true));
  Arena arena(memory.data(), memory.size());
  ASSERT_TRUE(unplaced.place(other, true, arena).is_ok());
  Status s = unplaced.run(10, 1, rig.sac, rig.model, env, rig.store, 0, rng, nullptr);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("place_device"), std::string::npos) << s.message();
  Rollouts wrong;
  other.elites = 1;
  std::vector<unsigned char> memory2(Rollouts::bytes_needed(other, true));
  Arena arena2(memory2.data(), memory2.size());
  ASSERT_TRUE(wrong.place(other, rig.sac.backend(), arena2).is_ok());
  s = wrong.run(10, 1, rig.sac, rig.model, env, rig.store, 0, rng, nullptr);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("another ensemble shape"), std::string::npos) << s.message();
  CheckedCpuBackend checked;
  EXPECT_FALSE(wrong.place_device(checked).is_ok());  // placed for host memory
}

}  // namespace
}  // namespace usbpo
