// A robot developer's own task: a cart-pole balancing a pole by pushing the
// cart with a continuous force (the classic Barto-Sutton-Anderson dynamics,
// Euler steps of 20 ms). Everything usbpo needs from a task is the Env interface.
#pragma once
#include <cmath>
#include <cstdint>

#include "usbpo/agent/env.hpp"
#include "usbpo/base/rng.hpp"

class CartPole final : public usbpo::Env {
 public:
  const char* name() const override { return "cart_pole"; }
  int obs_dim() const override { return 4; }  // cart position, cart velocity, pole angle, pole angular velocity
  int act_dim() const override { return 1; }  // force in [-1, 1] x 10 N
  const usbpo::Scalar* action_low() const override { return &low_; }
  const usbpo::Scalar* action_high() const override { return &high_; }
  int max_episode_steps() const override { return 500; }
  bool can_terminate() const override { return true; }

  // The pole fell past 12 degrees or the cart left the 2.4 m track. The model
  // rollouts ask this of predicted states, so it reads only the observation.
  bool is_terminal(const usbpo::Scalar* o) const override {
    return !(std::fabs(o[0]) <= 2.4f && std::fabs(o[2]) <= 12.0f * 3.14159265f / 180.0f);
  }

  usbpo::Status reset(std::uint64_t seed, usbpo::Scalar* obs) override {
    usbpo::Rng rng(seed);
    for (double& s : state_) s = rng.uniform(-0.05f, 0.05f);
    steps_ = 0;
    observe(obs);
    return usbpo::Status::ok();
  }

  usbpo::Status step(const usbpo::Scalar* action, usbpo::Scalar* next_obs, usbpo::StepResult* result) override {
    if (!std::isfinite(action[0])) return usbpo::Status::error(usbpo::StatusCode::kNonFinite, "cart_pole: bad action");
    constexpr double g = 9.8, cart_mass = 1.0, pole_mass = 0.1, half_length = 0.5, dt = 0.02;
    const double force = 10.0 * std::fmax(-1.0, std::fmin(1.0, static_cast<double>(action[0])));
    const double x_dot = state_[1], theta = state_[2], theta_dot = state_[3];
    const double total = cart_mass + pole_mass, cos_t = std::cos(theta), sin_t = std::sin(theta);
    const double temp = (force + pole_mass * half_length * theta_dot * theta_dot * sin_t) / total;
    const double theta_acc =
        (g * sin_t - cos_t * temp) / (half_length * (4.0 / 3.0 - pole_mass * cos_t * cos_t / total));
    const double x_acc = temp - pole_mass * half_length * theta_acc * cos_t / total;
    state_[0] += dt * x_dot;
    state_[1] += dt * x_acc;
    state_[2] += dt * theta_dot;
    state_[3] += dt * theta_acc;
    ++steps_;
    observe(next_obs);
    result->terminated = is_terminal(next_obs);
    result->truncated = !result->terminated && steps_ >= max_episode_steps();
    result->reward = 1.0f;  // one point per step the pole stays up
    return usbpo::Status::ok();
  }

 private:
  void observe(usbpo::Scalar* obs) const {
    for (int i = 0; i < 4; ++i) obs[i] = static_cast<usbpo::Scalar>(state_[i]);
  }

  double state_[4] = {};
  int steps_ = 0;
  usbpo::Scalar low_ = -1.0f, high_ = 1.0f;
};
