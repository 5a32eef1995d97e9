#include "usbpo/mujoco/registry.hpp"

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<MujocoEnv> (*create)();
};

const Entry kTasks[] = {
    {"inverted_pendulum", new_inverted_pendulum},
    {"hopper", new_hopper},
    {"half_cheetah", new_half_cheetah},
    {"walker2d", new_walker2d},
    {"ant", new_ant},
    {"humanoid", new_humanoid},
    {"pusher", new_pusher},
};
constexpr int kTaskCount = sizeof(kTasks) / sizeof(kTasks[0]);

const char* const* names() {
  static const char* table[kTaskCount];
  for (int i = 0; i < kTaskCount; ++i) table[i] = kTasks[i].name;
  return table;
}

Status create(const char* name, const char* path, std::unique_ptr<MujocoEnv>* out) {
  for (const Entry& e : kTasks) {
    if (name && std::strcmp(name, e.name) == 0) {
      std::unique_ptr<MujocoEnv> env = e.create();
      USBPO_RETURN_IF_ERROR(env->load(path));
      *out = std::move(env);
      return Status::ok();
    }
  }
  std::string valid;
  for (const Entry& e : kTasks) valid += std::string(valid.empty() ? "" : ", ") + e.name;
  return Status::error(StatusCode::kNotFound, "unknown MuJoCo task '%s'; valid names: %s", name ? name : "(null)",
                       valid.c_str());
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int task_count() { return kTaskCount; }
const char* const* task_names() { return names(); }

Status make_env(const char* name, std::unique_ptr<Env>* env) {
  std::unique_ptr<MujocoEnv> task;
  USBPO_RETURN_IF_ERROR(create(name, nullptr, &task));
  *env = std::move(task);
  return Status::ok();
}

Status make_env_from_file(const char* name, const char* mjcf_path, std::unique_ptr<Env>* env) {
  std::unique_ptr<MujocoEnv> task;
  USBPO_RETURN_IF_ERROR(create(name, mjcf_path, &task));
  *env = std::move(task);
  return Status::ok();
}

Status measure_step_throughput(const char* name, int steps, double* env_steps_per_s, double* bare_steps_per_s) {
  std::unique_ptr<MujocoEnv> env;
  USBPO_RETURN_IF_ERROR(create(name, nullptr, &env));
  const int nu = env->act_dim();
  std::vector<Scalar> obs(env->obs_dim()), action(nu);
  Rng rng(1);
  // Fixed pseudo-random controls, the same for both loops.
  std::vector<std::vector<Scalar>> controls(64, std::vector<Scalar>(nu));
  for (auto& c : controls) {
    for (int i = 0; i < nu; ++i) c[i] = rng.uniform(env->action_low()[i], env->action_high()[i]);
  }
  // Our Env: reset on termination/truncation, as a training loop does.
  USBPO_RETURN_IF_ERROR(env->reset(0, obs.data()));
  std::vector<char> reset_after(static_cast<std::size_t>(steps), 0);
  double t0 = seconds_now();
  for (int s = 0; s < steps; ++s) {
    StepResult r;
    USBPO_RETURN_IF_ERROR(env->step(controls[s % 64].data(), obs.data(), &r));
    if (r.terminated || r.truncated) {
      USBPO_RETURN_IF_ERROR(env->reset(static_cast<std::uint64_t>(s), obs.data()));
      reset_after[static_cast<std::size_t>(s)] = 1;
    }
  }
  *env_steps_per_s = steps / (seconds_now() - t0);
  // Bare MuJoCo on the same model: ctrl then frame_skip mj_steps, and a reset
  // (mj_resetData + mj_forward) after the same steps as above.
  mjModel* m = env->model();
  mjData* d = mj_makeData(m);
  const int frame_skip = env->frame_skip();
  t0 = seconds_now();
  for (int s = 0; s < steps; ++s) {
    for (int i = 0; i < nu; ++i) d->ctrl[i] = controls[s % 64][i];
    for (int k = 0; k < frame_skip; ++k) mj_step(m, d);
    if (reset_after[static_cast<std::size_t>(s)]) {
      mj_resetData(m, d);
      mj_forward(m, d);
    }
  }
  *bare_steps_per_s = steps / (seconds_now() - t0);
  mj_deleteData(d);
  return Status::ok();
}

}  // namespace usbpo::mujoco
