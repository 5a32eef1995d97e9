#include "usbpo/train/pendulum.hpp"

#include <algorithm>
#include <cmath>

#include "usbpo/base/rng.hpp"

namespace usbpo {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Wrap an angle to [-pi, pi) (Gym's angle_normalize).
double angle_normalize(double x) { return std::fmod(std::fmod(x + kPi, 2 * kPi) + 2 * kPi, 2 * kPi) - kPi; }

}  // namespace

void Pendulum::observe(Scalar* obs) const {
  obs[0] = static_cast<Scalar>(std::cos(theta_));
  obs[1] = static_cast<Scalar>(std::sin(theta_));
  obs[2] = static_cast<Scalar>(theta_dot_);
}

Status Pendulum::reset(std::uint64_t seed, Scalar* obs) {
  if (!obs) return Status::error(StatusCode::kInvalidArgument, "pendulum reset: null observation buffer");
  Rng rng(seed);
  theta_ = -kPi + 2 * kPi * rng.uniform_double();
  theta_dot_ = -1.0 + 2.0 * rng.uniform_double();
  steps_ = 0;
  started_ = true;
  observe(obs);
  return Status::ok();
}

void Pendulum::set_state(double theta, double theta_dot) {
  theta_ = theta;
  theta_dot_ = theta_dot;
  steps_ = 0;
  started_ = true;
}

Status Pendulum::save_state(double* state) const {
  if (!started_) return Status::error(StatusCode::kFailedPrecondition, "pendulum: save_state before reset");
  state[0] = theta_;
  state[1] = theta_dot_;
  state[2] = steps_;
  return Status::ok();
}

Status Pendulum::restore_state(const double* state) {
  if (!std::isfinite(state[0]) || !std::isfinite(state[1]) || !(state[2] >= 0) || !(state[2] < kEpisodeSteps) ||
      state[2] != std::floor(state[2])) {
    return Status::error(StatusCode::kCorruptData, "pendulum: saved state out of range");
  }
  theta_ = state[0];
  theta_dot_ = state[1];
  steps_ = static_cast<int>(state[2]);
  started_ = true;
  return Status::ok();
}

Status Pendulum::step(const Scalar* action, Scalar* next_obs, StepResult* result) {
  if (!started_) return Status::error(StatusCode::kFailedPrecondition, "pendulum step before reset");
  if (!action || !next_obs || !result) return Status::error(StatusCode::kInvalidArgument, "pendulum step: null buffer");
  if (!std::isfinite(action[0])) {
    return Status::error(StatusCode::kNonFinite, "pendulum step: action is NaN or Inf; state unchanged");
  }
  const double u = std::clamp(static_cast<double>(action[0]), -kMaxTorque, kMaxTorque);
  const double th = angle_normalize(theta_);
  const double cost = th * th + 0.1 * theta_dot_ * theta_dot_ + 0.001 * u * u;
  // Gym Pendulum-v1: thetadot += (3g/(2l) sin(theta) + 3/(m l^2) u) dt, clipped; theta += thetadot dt.
  theta_dot_ += (3.0 * kGravity / (2.0 * kLength) * std::sin(theta_) + 3.0 / (kMass * kLength * kLength) * u) * kDt;
  theta_dot_ = std::clamp(theta_dot_, -kMaxSpeed, kMaxSpeed);
  theta_ += theta_dot_ * kDt;
  ++steps_;
  observe(next_obs);
  result->reward = static_cast<Scalar>(-cost);
  result->terminated = false;
  result->truncated = steps_ >= kEpisodeSteps;
  return Status::ok();
}

}  // namespace usbpo
