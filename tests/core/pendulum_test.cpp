#include "usbpo/train/pendulum.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace usbpo {
namespace {

TEST(Pendulum, DimensionsAndBounds) {
  Pendulum env;
  EXPECT_STREQ(env.name(), "pendulum");
  EXPECT_EQ(env.obs_dim(), 3);
  EXPECT_EQ(env.act_dim(), 1);
  EXPECT_EQ(env.action_low()[0], -2.0f);
  EXPECT_EQ(env.action_high()[0], 2.0f);
  EXPECT_EQ(env.max_episode_steps(), 200);
  EXPECT_FALSE(env.can_terminate());
}

TEST(Pendulum, OneStepMatchesTheFormula) {
  Pendulum env;
  const double theta = 2.5, theta_dot = -0.7, u = 1.3;
  env.set_state(theta, theta_dot);
  Scalar action = static_cast<Scalar>(u), obs[3];
  StepResult r;
  ASSERT_TRUE(env.step(&action, obs, &r).is_ok());
  const double new_dot = theta_dot + (3 * 10.0 / 2 * std::sin(theta) + 3.0 * u) * 0.05;
  const double new_theta = theta + new_dot * 0.05;
  EXPECT_NEAR(obs[0], std::cos(new_theta), 1e-6);
  EXPECT_NEAR(obs[1], std::sin(new_theta), 1e-6);
  EXPECT_NEAR(obs[2], new_dot, 1e-6);
  const double expected_reward = -(theta * theta + 0.1 * theta_dot * theta_dot + 0.001 * u * u);
  EXPECT_NEAR(r.reward, expected_reward, 1e-5);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);
}

TEST(Pendulum, ClipsTorqueAndSpeedAndWrapsTheAngle) {
  Pendulum env;
  env.set_state(3 * 3.14159265358979, 7.9);  // 3 pi wraps to -pi (cost pi^2)
  Scalar action = 10.0f, obs[3];
  StepResult r;
  ASSERT_TRUE(env.step(&action, obs, &r).is_ok());
  EXPECT_NEAR(r.reward, -(9.8696 + 0.1 * 7.9 * 7.9 + 0.001 * 4.0), 1e-3);  // u clipped to 2
  EXPECT_LE(obs[2], 8.0f);
}

TEST(Pendulum, UprightAtRestEarnsZero) {
  Pendulum env;
  env.set_state(0, 0);
  Scalar action = 0, obs[3];
  StepResult r;
  ASSERT_TRUE(env.step(&action, obs, &r).is_ok());
  EXPECT_EQ(r.reward, 0.0f);
}

TEST(Pendulum, TruncatesExactlyAtStep200NeverTerminates) {
  Pendulum env;
  Scalar obs[3], action = 0.5f;
  ASSERT_TRUE(env.reset(4, obs).is_ok());
  for (int t = 1; t <= 200; ++t) {
    StepResult r;
    ASSERT_TRUE(env.step(&action, obs, &r).is_ok());
    EXPECT_LE(r.reward, 0.0f);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.truncated, t == 200) << "step " << t;
  }
}

TEST(Pendulum, ResetIsDeterministicBySeedAndInRange) {
  Pendulum a, b;
  Scalar oa[3], ob[3];
  ASSERT_TRUE(a.reset(42, oa).is_ok());
  ASSERT_TRUE(b.reset(42, ob).is_ok());
  for (int d = 0; d < 3; ++d) EXPECT_EQ(oa[d], ob[d]);
  ASSERT_TRUE(b.reset(43, ob).is_ok());
  EXPECT_NE(oa[2], ob[2]);
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    ASSERT_TRUE(a.reset(seed, oa).is_ok());
    EXPECT_LE(std::fabs(oa[2]), 1.0f);
    EXPECT_NEAR(oa[0] * oa[0] + oa[1] * oa[1], 1.0f, 1e-5f);
  }
}

TEST(Pendulum, RejectsNanActionAndStepBeforeReset) {
  Pendulum env;
  Scalar obs[3], action = 0;
  StepResult r;
  EXPECT_EQ(env.step(&action, obs, &r).code(), StatusCode::kFailedPrecondition);
  env.set_state(1.0, 0.5);
  action = std::numeric_limits<Scalar>::quiet_NaN();
  EXPECT_EQ(env.step(&action, obs, &r).code(), StatusCode::kNonFinite);
  EXPECT_EQ(env.theta(), 1.0);  // state untouched
  EXPECT_EQ(env.theta_dot(), 0.5);
}

}  // namespace
}  // namespace usbpo
