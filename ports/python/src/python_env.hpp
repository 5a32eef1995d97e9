// PythonEnv: usbpo::Env over a Python object with the Gymnasium calling
// convention, so that the trainer can learn on an env written in Python.
//
// What the object needs: observation_space.shape (obs_dim,), action_space with
// shape (act_dim,) and finite low/high, max_episode_steps (an attribute or
// spec.max_episode_steps), reset(seed=int) -> (obs, info) and
// step(action) -> (obs, reward, terminated, truncated, info). Optional:
// is_terminal(obs) -> bool, the static termination function model rollouts
// use (without it, model rollouts never end early) and a name (else spec.id or
// the class name).
//
// The core calls reset/step/is_terminal with the GIL released; each call takes
// the GIL for its own duration only. A Python exception (KeyboardInterrupt
// included) turns into an error Status and is kept for the binding to raise.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "usbpo/agent/env.hpp"

namespace usbpo::python {

class PythonEnv final : public Env {
 public:
  // Reads the spaces, name and episode limit (caller holds the GIL); raises
  // TypeError or ValueError for an object that does not fit.
  explicit PythonEnv(pybind11::object env);
  ~PythonEnv() override;

  const char* name() const override { return name_.c_str(); }
  int obs_dim() const override { return obs_dim_; }
  int act_dim() const override { return act_dim_; }
  const Scalar* action_low() const override { return low_.data(); }
  const Scalar* action_high() const override { return high_.data(); }
  int max_episode_steps() const override { return max_episode_steps_; }
  Status reset(std::uint64_t seed, Scalar* obs) override;
  Status step(const Scalar* action, Scalar* next_obs, StepResult* result) override;
  bool can_terminate() const override { return has_is_terminal_; }
  bool is_terminal(const Scalar* next_obs) const override;

  // The Python exception behind the last failed call, if any (taken: the next
  // call returns none). The caller holds the GIL.
  std::unique_ptr<pybind11::error_already_set> take_error();
  // Whether a kept exception is a KeyboardInterrupt (the caller holds the GIL).
  bool interrupted() const;

 private:
  // Keep the Python exception being handled and describe it as a Status.
  Status keep_error(const char* call, pybind11::error_already_set& error) const;
  // Copy a returned observation into obs after checking its shape.
  void read_obs(pybind11::handle value, const char* call, Scalar* obs) const;

  pybind11::object env_;
  std::string name_;
  int obs_dim_ = 0, act_dim_ = 0, max_episode_steps_ = 0;
  std::vector<Scalar> low_, high_;
  bool has_is_terminal_ = false;
  mutable std::unique_ptr<pybind11::error_already_set> error_;
};

}  // namespace usbpo::python
