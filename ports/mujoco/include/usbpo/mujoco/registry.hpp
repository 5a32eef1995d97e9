// The benchmark tasks by name, and a step-throughput probe for `usbpo bench`.
#pragma once

#include <memory>

#include "usbpo/agent/env.hpp"

namespace usbpo::mujoco {

// Number of built-in tasks and their names ("inverted_pendulum", "hopper", ...).
int task_count();
const char* const* task_names();

// A built-in task with its compiled-in model; an unknown name's error lists the valid ones.
Status make_env(const char* name, std::unique_ptr<Env>* env);
// A built-in task's rules on the user's own MJCF file (same joints and actuators expected);
// MuJoCo's own error text is returned for a file it cannot load.
Status make_env_from_file(const char* name, const char* mjcf_path, std::unique_ptr<Env>* env);

// Steps per second of the task's Env::step loop and of a bare loop of
// mj_step x frame_skip on the same model with the same controls.
Status measure_step_throughput(const char* name, int steps, double* env_steps_per_s, double* bare_steps_per_s);

}  // namespace usbpo::mujoco
