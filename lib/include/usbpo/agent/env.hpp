// Env: the interface between the learner and a robot or simulator.
#pragma once

#include <cstdint>

#include "usbpo/base/status.hpp"
#include "usbpo/base/types.hpp"

namespace usbpo {

// Outcome of one env step.
struct StepResult {
  Scalar reward = 0;
  bool terminated = false;  // a true end of the task (fall, failure): no bootstrap
  bool truncated = false;   // the time limit: not a terminal, the value bootstraps
};

class Env {
 public:
  virtual ~Env() = default;

  // Task name, e.g. "pendulum".
  virtual const char* name() const = 0;
  virtual int obs_dim() const = 0;
  virtual int act_dim() const = 0;
  // Action bounds, each (act_dim).
  virtual const Scalar* action_low() const = 0;
  virtual const Scalar* action_high() const = 0;
  // Steps after which an episode is truncated.
  virtual int max_episode_steps() const = 0;

  // Start an episode from a seeded initial state; writes obs (obs_dim).
  virtual Status reset(std::uint64_t seed, Scalar* obs) = 0;
  // Apply action (act_dim), write next_obs (obs_dim) and the result.
  // A non-finite action is an error and leaves the state untouched.
  virtual Status step(const Scalar* action, Scalar* next_obs, StepResult* result) = 0;

  // False for tasks that never terminate (then is_terminal is always false).
  virtual bool can_terminate() const = 0;
  // Static termination function over a predicted next_obs (obs_dim), used to
  // stop model rollouts; must agree with step()'s `terminated`.
  virtual bool is_terminal(const Scalar* next_obs) const = 0;

  // The episode in progress as state_size() doubles, for checkpoints: what
  // step() depends on (simulator state and the step count). An env that
  // cannot save its state (a real robot) returns 0; a resumed run then starts
  // a new episode there instead of continuing bit for bit.
  virtual int state_size() const { return 0; }
  virtual Status save_state(double* /*state*/) const {
    return Status::error(StatusCode::kFailedPrecondition, "%s cannot save its state", name());
  }
  // Continue the episode saved by save_state (same env and model).
  virtual Status restore_state(const double* /*state*/) {
    return Status::error(StatusCode::kFailedPrecondition, "%s cannot restore a state", name());
  }
};

}  // namespace usbpo
