// MujocoEnv: the mechanics every Gym MuJoCo task shares (DESIGN.md section 6):
// ctrl = action, frame_skip mj_steps, no mj_forward afterwards, seeded reset
// noise, observations computed in double, the time limit as truncation.
#pragma once

#include <mujoco/mujoco.h>

#include <string>
#include <vector>

#include "usbpo/agent/env.hpp"
#include "usbpo/base/rng.hpp"

namespace usbpo::mujoco {

// Facts of one task.
struct TaskSpec {
  const char* name;
  const char* mjcf;          // our model, compiled in
  int frame_skip;
  int obs_dim;
  int max_episode_steps;
  bool can_terminate;
  int nq, nv, nu;            // what the task's code indexes: a user's model must match
};

class MujocoEnv : public Env {
 public:
  ~MujocoEnv() override;
  MujocoEnv(const MujocoEnv&) = delete;
  MujocoEnv& operator=(const MujocoEnv&) = delete;

  // Compile the task's model (or the MJCF file at path when non-null).
  Status load(const char* mjcf_path);

  const char* name() const override { return spec_.name; }
  int obs_dim() const override { return spec_.obs_dim; }
  int act_dim() const override { return model_ ? model_->nu : 0; }
  const Scalar* action_low() const override { return low_.data(); }
  const Scalar* action_high() const override { return high_.data(); }
  int max_episode_steps() const override { return spec_.max_episode_steps; }
  bool can_terminate() const override { return spec_.can_terminate; }
  Status reset(std::uint64_t seed, Scalar* obs) override;
  Status step(const Scalar* action, Scalar* next_obs, StepResult* result) override;

  // The last observation in double precision (obs_dim), as Gym computes it.
  const double* observation_double() const { return obs_.data(); }
  // The reward of the last step in double precision.
  double last_reward() const { return last_reward_; }
  // Control cost, forward and other terms of the last reward (task-specific names).
  const double* reward_terms() const { return terms_; }
  mjModel* model() const { return model_; }
  mjData* data() const { return data_; }
  // Timestep x frame_skip.
  double dt() const { return model_->opt.timestep * spec_.frame_skip; }
  int frame_skip() const { return spec_.frame_skip; }
  // Steps taken in the current episode.
  int episode_steps() const { return steps_; }
  // Set qpos (nq) and qvel (nv), run mj_forward and start an episode there (tests).
  Status set_state(const double* qpos, const double* qvel);
  // The env's own termination rule on the current state (tests).
  bool terminated_now() const { return terminated(); }
  // Pretend `steps` steps of the episode have passed (tests of the time limit).
  void set_episode_steps(int steps) { steps_ = steps; }

  // Checkpoint state: time, episode steps, qpos, qvel, act, ctrl, the
  // solver's warm start (mj_step's result depends on it) and the body
  // positions the rewards read before a step.
  int state_size() const override;
  Status save_state(double* state) const override;
  Status restore_state(const double* state) override;

 protected:
  explicit MujocoEnv(const TaskSpec& spec) : spec_(spec) {}
  // Task hooks.
  virtual void on_load() {}                         // look up bodies etc. once
  virtual void reset_state(Rng& rng) = 0;           // noise into data_->qpos / qvel
  virtual void observe(double* obs) const = 0;      // obs_dim values from data_
  virtual void before_step() {}                     // record what the reward needs
  virtual double reward(const double* action) = 0;  // after the frame_skip steps
  virtual bool terminated() const = 0;              // on the current state

  mjModel* model_ = nullptr;
  mjData* data_ = nullptr;
  double terms_[4] = {};

 private:
  void observe_into(Scalar* obs);

  TaskSpec spec_;
  std::vector<Scalar> low_, high_;
  std::vector<double> obs_;
  std::vector<double> action_;
  double last_reward_ = 0;
  int steps_ = 0;
  bool started_ = false;
};

// Compile MJCF text held in memory; on failure the status carries MuJoCo's message.
Status compile_mjcf_text(const char* name, const char* text, mjModel** model);
// Compile an MJCF file.
Status compile_mjcf_file(const char* path, mjModel** model);

}  // namespace usbpo::mujoco
