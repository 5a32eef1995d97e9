// The task rules: dimensions, bounds, termination at the thresholds, time
// limits, seeded resets, the static termination functions, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "usbpo/mujoco/mujoco_env.hpp"
#include "usbpo/mujoco/registry.hpp"

namespace usbpo::mujoco {
namespace {

std::unique_ptr<MujocoEnv> make(const char* name) {
  std::unique_ptr<Env> env;
  Status s = make_env(name, &env);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return std::unique_ptr<MujocoEnv>(static_cast<MujocoEnv*>(env.release()));
}

struct Dims {
  const char* name;
  int obs, act, limit;
  float bound;
};
const Dims kDims[] = {{"inverted_pendulum", 4, 1, 1000, 3.0f},
                      {"hopper", 11, 3, 1000, 1.0f},
                      {"half_cheetah", 17, 6, 1000, 1.0f},
                      {"walker2d", 17, 6, 1000, 1.0f},
                      {"ant", 27, 8, 1000, 1.0f},
                      {"humanoid", 45, 17, 1000, 0.4f},
                      {"pusher", 23, 7, 100, 2.0f}};

TEST(MujocoTasks, DimensionsBoundsAndLimits) {
  ASSERT_EQ(task_count(), 7);
  for (const Dims& d : kDims) {
    auto env = make(d.name);
    EXPECT_STREQ(env->name(), d.name);
    EXPECT_EQ(env->obs_dim(), d.obs) << d.name;
    EXPECT_EQ(env->act_dim(), d.act) << d.name;
    EXPECT_EQ(env->max_episode_steps(), d.limit) << d.name;
    for (int i = 0; i < d.act; ++i) {
      EXPECT_EQ(env->action_low()[i], -d.bound) << d.name;
      EXPECT_EQ(env->action_high()[i], d.bound) << d.name;
    }
  }
}

TEST(MujocoTasks, RandomRolloutsStayFiniteAndAreSeeded) {
  for (const Dims& d : kDims) {
    auto a = make(d.name), b = make(d.name);
    std::vector<Scalar> oa(d.obs), ob(d.obs), act(d.act);
    ASSERT_TRUE(a->reset(11, oa.data()).is_ok());
    ASSERT_TRUE(b->reset(11, ob.data()).is_ok());
    EXPECT_EQ(oa, ob) << d.name;
    Rng rng(2);
    for (int t = 0; t < 300; ++t) {
      for (auto& x : act) x = rng.uniform(-d.bound, d.bound);
      StepResult ra, rb;
      ASSERT_TRUE(a->step(act.data(), oa.data(), &ra).is_ok());
      ASSERT_TRUE(b->step(act.data(), ob.data(), &rb).is_ok());
      ASSERT_EQ(oa, ob) << d.name << " step " << t;
      ASSERT_EQ(ra.reward, rb.reward);
      for (Scalar x : oa) ASSERT_TRUE(std::isfinite(x)) << d.name;
      if (ra.terminated) {
        ASSERT_TRUE(a->reset(t, oa.data()).is_ok());
        ASSERT_TRUE(b->reset(t, ob.data()).is_ok());
      }
    }
    ASSERT_TRUE(b->reset(12, ob.data()).is_ok());
    ASSERT_TRUE(a->reset(11, oa.data()).is_ok());
    EXPECT_NE(oa, ob) << d.name << ": different seeds, same start";
  }
}

TEST(MujocoTasks, SavedStateContinuesBitForBit) {
  // What checkpoints rely on: a second env restored from the saved state
  // steps exactly like the original (contacts and solver warm start included).
  for (const Dims& d : kDims) {
    auto a = make(d.name), b = make(d.name);
    std::vector<Scalar> oa(d.obs), ob(d.obs), act(d.act);
    ASSERT_TRUE(a->reset(3, oa.data()).is_ok());
    Rng rng(4);
    for (int t = 0; t < 40; ++t) {
      for (auto& x : act) x = rng.uniform(-d.bound, d.bound);
      StepResult r;
      ASSERT_TRUE(a->step(act.data(), oa.data(), &r).is_ok());
      if (r.terminated) {
        ASSERT_TRUE(a->reset(t, oa.data()).is_ok());
      }
    }
    std::vector<double> state(a->state_size());
    ASSERT_GT(state.size(), 0u);
    ASSERT_TRUE(a->save_state(state.data()).is_ok());
    ASSERT_TRUE(b->reset(99, ob.data()).is_ok());
    ASSERT_TRUE(b->restore_state(state.data()).is_ok()) << d.name;
    EXPECT_EQ(b->episode_steps(), a->episode_steps());
    for (int t = 0; t < 60; ++t) {
      for (auto& x : act) x = rng.uniform(-d.bound, d.bound);
      StepResult ra, rb;
      ASSERT_TRUE(a->step(act.data(), oa.data(), &ra).is_ok());
      ASSERT_TRUE(b->step(act.data(), ob.data(), &rb).is_ok());
      ASSERT_EQ(oa, ob) << d.name << " step " << t;
      ASSERT_EQ(ra.reward, rb.reward) << d.name << " step " << t;
      ASSERT_EQ(ra.terminated, rb.terminated);
      if (ra.terminated) break;
    }
    // A damaged state is refused before anything changes.
    state[2] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(b->restore_state(state.data()).code(), StatusCode::kCorruptData) << d.name;
  }
}

TEST(MujocoTasks, TruncatesAtTheLimitNotTerminal) {
  for (const Dims& d : kDims) {
    auto env = make(d.name);
    std::vector<Scalar> obs(d.obs), act(d.act, 0.0f);
    ASSERT_TRUE(env->reset(1, obs.data()).is_ok());
    env->set_episode_steps(d.limit - 2);
    StepResult r;
    ASSERT_TRUE(env->step(act.data(), obs.data(), &r).is_ok());
    EXPECT_FALSE(r.truncated) << d.name;
    ASSERT_TRUE(env->step(act.data(), obs.data(), &r).is_ok());
    EXPECT_TRUE(r.truncated) << d.name;
    EXPECT_FALSE(r.terminated) << d.name;
  }
  // HalfCheetah never terminates: a full episode ends by truncation only.
  auto env = make("half_cheetah");
  std::vector<Scalar> obs(17), act(6);
  ASSERT_TRUE(env->reset(3, obs.data()).is_ok());
  Rng rng(4);
  int truncated_at = -1;
  for (int t = 1; t <= 1000; ++t) {
    for (auto& x : act) x = rng.uniform(-1, 1);
    StepResult r;
    ASSERT_TRUE(env->step(act.data(), obs.data(), &r).is_ok());
    ASSERT_FALSE(r.terminated);
    if (r.truncated) truncated_at = t;
  }
  EXPECT_EQ(truncated_at, 1000);
}

// Sets a state from qpos0 with some entries replaced, and asks the env's rule.
bool terminated_at(MujocoEnv& env, std::vector<std::pair<int, double>> qpos_set,
                   std::vector<std::pair<int, double>> qvel_set = {}) {
  std::vector<double> qpos(env.model()->qpos0, env.model()->qpos0 + env.model()->nq);
  std::vector<double> qvel(env.model()->nv, 0.0);
  for (auto [i, v] : qpos_set) qpos[i] = v;
  for (auto [i, v] : qvel_set) qvel[i] = v;
  EXPECT_TRUE(env.set_state(qpos.data(), qvel.data()).is_ok());
  return env.terminated_now();
}

TEST(MujocoTasks, TerminationExactlyAtTheThresholds) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto pendulum = make("inverted_pendulum");
  EXPECT_FALSE(terminated_at(*pendulum, {{1, 0.2}}));  // |angle| <= 0.2 is fine
  EXPECT_TRUE(terminated_at(*pendulum, {{1, 0.2000001}}));
  EXPECT_TRUE(terminated_at(*pendulum, {{1, -0.2000001}}));
  EXPECT_TRUE(terminated_at(*pendulum, {{0, nan}}));

  auto hopper = make("hopper");
  EXPECT_FALSE(terminated_at(*hopper, {{1, 0.7000001}}));
  EXPECT_TRUE(terminated_at(*hopper, {{1, 0.7}}));  // z > 0.7 strictly
  EXPECT_FALSE(terminated_at(*hopper, {{2, 0.1999999}}));
  EXPECT_TRUE(terminated_at(*hopper, {{2, 0.2}}));  // |angle| < 0.2 strictly
  EXPECT_TRUE(terminated_at(*hopper, {{2, -0.2}}));
  EXPECT_FALSE(terminated_at(*hopper, {}, {{3, 99.9}}));  // unclipped qvel in (-100, 100)
  EXPECT_TRUE(terminated_at(*hopper, {}, {{3, 100.0}}));
  EXPECT_TRUE(terminated_at(*hopper, {}, {{0, -100.0}}));
  EXPECT_TRUE(terminated_at(*hopper, {{4, 100.0}}));

  auto walker = make("walker2d");
  EXPECT_FALSE(terminated_at(*walker, {{1, 0.8000001}}));
  EXPECT_TRUE(terminated_at(*walker, {{1, 0.8}}));
  EXPECT_FALSE(terminated_at(*walker, {{1, 1.9999999}}));
  EXPECT_TRUE(terminated_at(*walker, {{1, 2.0}}));
  EXPECT_FALSE(terminated_at(*walker, {{2, 0.9999999}}));
  EXPECT_TRUE(terminated_at(*walker, {{2, 1.0}}));
  EXPECT_TRUE(terminated_at(*walker, {{2, -1.0}}));

  auto ant = make("ant");  // healthy: 0.2 <= z <= 1 inclusive, state finite
  EXPECT_FALSE(terminated_at(*ant, {{2, 0.2}}));
  EXPECT_FALSE(terminated_at(*ant, {{2, 1.0}}));
  EXPECT_TRUE(terminated_at(*ant, {{2, 0.1999999}}));
  EXPECT_TRUE(terminated_at(*ant, {{2, 1.0000001}}));
  EXPECT_TRUE(terminated_at(*ant, {}, {{4, nan}}));

  auto humanoid = make("humanoid");  // v2: done when z < 1 or z > 2
  EXPECT_FALSE(terminated_at(*humanoid, {{2, 1.0}}));
  EXPECT_FALSE(terminated_at(*humanoid, {{2, 2.0}}));
  EXPECT_TRUE(terminated_at(*humanoid, {{2, 0.9999999}}));
  EXPECT_TRUE(terminated_at(*humanoid, {{2, 2.0000001}}));

  auto pusher = make("pusher");
  EXPECT_FALSE(pusher->can_terminate());

  auto cheetah = make("half_cheetah");
  EXPECT_FALSE(terminated_at(*cheetah, {{1, -5.0}, {2, 3.0}}));
  EXPECT_FALSE(cheetah->can_terminate());
}

TEST(MujocoTasks, StaticTerminationAgreesWithTheEnv) {
  for (const Dims& d : kDims) {
    auto env = make(d.name);
    std::vector<Scalar> obs(d.obs), act(d.act);
    Rng rng(5);
    int checked = 0, terminations = 0;
    ASSERT_TRUE(env->reset(0, obs.data()).is_ok());
    for (int t = 0; t < 10000; ++t) {
      for (auto& x : act) x = rng.uniform(-d.bound, d.bound);
      StepResult r;
      ASSERT_TRUE(env->step(act.data(), obs.data(), &r).is_ok());
      ASSERT_EQ(env->is_terminal(obs.data()), r.terminated) << d.name << " at step " << t;
      ++checked;
      terminations += r.terminated;
      if (r.terminated || r.truncated) {
        ASSERT_TRUE(env->reset(t + 1, obs.data()).is_ok());
      }
    }
    if (env->can_terminate()) {
      EXPECT_GT(terminations, 10) << d.name << ": too few terminal states visited";
    }
    EXPECT_EQ(checked, 10000);
  }
}

TEST(MujocoTasks, HopperStaticRangeCheckIsTwoSided) {
  auto env = make("hopper");
  std::vector<Scalar> o(11, 0.0f);
  o[0] = 1.2f;
  EXPECT_FALSE(env->is_terminal(o.data()));
  o[6] = -150.0f;  // MBPO's one-sided check would let this pass
  EXPECT_TRUE(env->is_terminal(o.data()));
}

TEST(MujocoTasks, BadInputGetsClearErrors) {
  std::unique_ptr<Env> env;
  Status s = make_env("hoper", &env);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(std::string(s.message()).find("hopper"), std::string::npos) << s.message();
  auto hopper = make("hopper");
  std::vector<Scalar> obs(11), act = {0.1f, std::numeric_limits<Scalar>::quiet_NaN(), 0.0f};
  StepResult r;
  EXPECT_EQ(hopper->step(act.data(), obs.data(), &r).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(hopper->reset(0, obs.data()).is_ok());
  const double z_before = hopper->data()->qpos[1];
  s = hopper->step(act.data(), obs.data(), &r);
  EXPECT_EQ(s.code(), StatusCode::kNonFinite);
  EXPECT_NE(std::string(s.message()).find("action[1]"), std::string::npos);
  EXPECT_EQ(hopper->data()->qpos[1], z_before);
  mjModel* model = nullptr;
  s = compile_mjcf_text("broken", "<mujoco><worldbody><body><geom type='sphere'/></body></worldbod></mujoco>",
                        &model);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(s.message()).find("MuJoCo"), std::string::npos) << s.message();
  s = make_env_from_file("hopper", "/nonexistent/model.xml", &env);
  EXPECT_FALSE(s.is_ok());
}

TEST(MujocoTasks, UserMjcfFilesLoadOrReportMujocosError) {
  // A user's file with the task's joints and actuators: the hopper model, saved
  // to a file by MuJoCo itself.
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/my_hopper.xml", bad = dir + "/broken.xml";
  auto hopper = make("hopper");
  ASSERT_EQ(mj_saveLastXML(good.c_str(), hopper->model(), nullptr, 0), 1);
  std::unique_ptr<Env> env;
  Status s = make_env_from_file("hopper", good.c_str(), &env);
  ASSERT_TRUE(s.is_ok()) << s.message();
  std::vector<Scalar> obs(11), act(3, 0.1f);
  ASSERT_TRUE(env->reset(1, obs.data()).is_ok());
  StepResult r;
  ASSERT_TRUE(env->step(act.data(), obs.data(), &r).is_ok());
  // A model MuJoCo loads but that lacks the task's joints is refused, not indexed out of range.
  s = make_env_from_file("walker2d", good.c_str(), &env);
  EXPECT_EQ(s.code(), StatusCode::kDimensionMismatch);
  EXPECT_NE(std::string(s.message()).find("nq 9"), std::string::npos) << s.message();
  std::FILE* f = std::fopen(bad.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("<mujoco><worldbody><body><joint type='hinge'/><geom type='nonsense'/></body></worldbody></mujoco>", f);
  std::fclose(f);
  s = make_env_from_file("hopper", bad.c_str(), &env);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("broken.xml"), std::string::npos) << s.message();
  EXPECT_NE(std::string(s.message()).find("nonsense"), std::string::npos) << "MuJoCo's own text: " << s.message();
}

}  // namespace
}  // namespace usbpo::mujoco
