// Factories of the task Envs (one file per task) and their static
// termination functions over next_obs, used for model rollouts.
#pragma once

#include <memory>

#include "usbpo/mujoco/mujoco_env.hpp"

namespace usbpo::mujoco {

std::unique_ptr<MujocoEnv> new_inverted_pendulum();
std::unique_ptr<MujocoEnv> new_hopper();
std::unique_ptr<MujocoEnv> new_half_cheetah();
std::unique_ptr<MujocoEnv> new_walker2d();
std::unique_ptr<MujocoEnv> new_ant();
std::unique_ptr<MujocoEnv> new_humanoid();
std::unique_ptr<MujocoEnv> new_pusher();

// Uniform noise U(-scale, scale) added to each of n values.
void add_uniform_noise(double* values, int n, double scale, Rng& rng);
// True when all n values are finite.
bool all_finite_double(const double* values, int n);

}  // namespace usbpo::mujoco
