// Pendulum: the built-in analytic env (Gym Pendulum-v1 facts), the fast,
// dependency-free test bed for CI and embedded targets.
#pragma once

#include "usbpo/agent/env.hpp"

namespace usbpo {

class Pendulum : public Env {
 public:
  static constexpr double kGravity = 10.0;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;
  static constexpr double kDt = 0.05;
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr int kEpisodeSteps = 200;

  const char* name() const override { return "pendulum"; }
  int obs_dim() const override { return 3; }
  int act_dim() const override { return 1; }
  const Scalar* action_low() const override { return &low_; }
  const Scalar* action_high() const override { return &high_; }
  int max_episode_steps() const override { return kEpisodeSteps; }
  // theta ~ U(-pi, pi), thetadot ~ U(-1, 1) from Rng(seed); obs = [cos, sin, thetadot].
  Status reset(std::uint64_t seed, Scalar* obs) override;
  // Torque clipped to [-2, 2]; reward -(theta^2 + 0.1 thetadot^2 + 0.001 u^2) on the
  // state before the update; semi-implicit Euler; truncated after 200 steps.
  Status step(const Scalar* action, Scalar* next_obs, StepResult* result) override;
  bool can_terminate() const override { return false; }
  bool is_terminal(const Scalar*) const override { return false; }

  // Set the state directly (tests); counts as a started episode.
  void set_state(double theta, double theta_dot);
  // Checkpoint state: theta, theta_dot, steps of the episode.
  int state_size() const override { return 3; }
  Status save_state(double* state) const override;
  Status restore_state(const double* state) override;
  double theta() const { return theta_; }
  double theta_dot() const { return theta_dot_; }

 private:
  void observe(Scalar* obs) const;

  Scalar low_ = static_cast<Scalar>(-kMaxTorque);
  Scalar high_ = static_cast<Scalar>(kMaxTorque);
  double theta_ = 0, theta_dot_ = 0;
  int steps_ = 0;
  bool started_ = false;
};

}  // namespace usbpo
