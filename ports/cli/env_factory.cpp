#include "env_factory.hpp"

#include "usbpo/train/pendulum.hpp"
#if defined(USBPO_HAVE_MUJOCO)
#include "usbpo/mujoco/registry.hpp"
#endif

namespace usbpo::cli {

std::string env_names() {
  std::string names = "pendulum";
#if defined(USBPO_HAVE_MUJOCO)
  for (int i = 0; i < mujoco::task_count(); ++i) names += std::string(", ") + mujoco::task_names()[i];
#endif
  return names;
}

Status make_env(const std::string& name, std::unique_ptr<Env>* env, const std::string& mjcf_path) {
  if (name == "pendulum") {
    if (!mjcf_path.empty()) return Status::error(StatusCode::kInvalidArgument, "--mjcf needs a MuJoCo task, not pendulum");
    *env = std::make_unique<Pendulum>();
    return Status::ok();
  }
#if defined(USBPO_HAVE_MUJOCO)
  for (int i = 0; i < mujoco::task_count(); ++i) {
    if (name == mujoco::task_names()[i]) {
      return mjcf_path.empty() ? mujoco::make_env(name.c_str(), env)
                               : mujoco::make_env_from_file(name.c_str(), mjcf_path.c_str(), env);
    }
  }
#endif
  return Status::error(StatusCode::kNotFound, "unknown env '%s'; valid names: %s", name.c_str(), env_names().c_str());
}

}  // namespace usbpo::cli
