// Envs by name: the core's Pendulum, and the MuJoCo tasks when that port is built.
#pragma once

#include <memory>
#include <string>

#include "usbpo/agent/env.hpp"

namespace usbpo::cli {

// Create the env called name; on an unknown name the status lists the valid ones.
// A non-empty mjcf_path runs a MuJoCo task's rules on the user's own model file.
Status make_env(const std::string& name, std::unique_ptr<Env>* env, const std::string& mjcf_path = "");
// Comma-separated names make_env accepts.
std::string env_names();

}  // namespace usbpo::cli
