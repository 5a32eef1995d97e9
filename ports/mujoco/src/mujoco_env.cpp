#include "usbpo/mujoco/mujoco_env.hpp"

#include <cmath>
#include <cstring>
#include <memory>

namespace usbpo::mujoco {

Status compile_mjcf_text(const char* name, const char* text, mjModel** model) {
  // mjVFS holds fixed arrays of 2000 file names: too big for the stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const std::string file = std::string(name) + ".xml";
  const int size = static_cast<int>(std::strlen(text));
  if (mj_makeEmptyFileVFS(vfs.get(), file.c_str(), size) != 0) {
    return Status::error(StatusCode::kIoError, "cannot create the in-memory MJCF file for %s", name);
  }
  const int index = mj_findFileVFS(vfs.get(), file.c_str());
  std::memcpy(vfs->filedata[index], text, static_cast<std::size_t>(size));
  char error[1000] = "";
  *model = mj_loadXML(file.c_str(), vfs.get(), error, sizeof(error));
  mj_deleteVFS(vfs.get());
  if (!*model) return Status::error(StatusCode::kCorruptData, "MuJoCo cannot compile the %s model: %s", name, error);
  return Status::ok();
}

Status compile_mjcf_file(const char* path, mjModel** model) {
  char error[1000] = "";
  *model = mj_loadXML(path, nullptr, error, sizeof(error));
  if (!*model) return Status::error(StatusCode::kCorruptData, "MuJoCo cannot load %s: %s", path, error);
  return Status::ok();
}

MujocoEnv::~MujocoEnv() {
  if (data_) mj_deleteData(data_);
  if (model_) mj_deleteModel(model_);
}

Status MujocoEnv::load(const char* mjcf_path) {
  mjModel* model = nullptr;
  USBPO_RETURN_IF_ERROR(mjcf_path ? compile_mjcf_file(mjcf_path, &model) : compile_mjcf_text(spec_.name, spec_.mjcf, &model));
  if (model->nq != spec_.nq || model->nv != spec_.nv || model->nu != spec_.nu) {
    const int nq = model->nq, nv = model->nv, nu = model->nu;
    mj_deleteModel(model);
    return Status::error(StatusCode::kDimensionMismatch,
                         "a model for the %s task needs nq %d, nv %d, nu %d; this one has nq %d, nv %d, nu %d",
                         spec_.name, spec_.nq, spec_.nv, spec_.nu, nq, nv, nu);
  }
  model_ = model;
  data_ = mj_makeData(model_);
  low_.resize(model_->nu);
  high_.resize(model_->nu);
  for (int i = 0; i < model_->nu; ++i) {
    // Gym's Box bounds are actuator_ctrlrange as float32.
    low_[i] = static_cast<Scalar>(model_->actuator_ctrlrange[2 * i]);
    high_[i] = static_cast<Scalar>(model_->actuator_ctrlrange[2 * i + 1]);
  }
  obs_.assign(spec_.obs_dim, 0.0);
  action_.assign(model_->nu, 0.0);
  on_load();
  return Status::ok();
}

void MujocoEnv::observe_into(Scalar* obs) {
  observe(obs_.data());
  if (obs) {
    for (int i = 0; i < spec_.obs_dim; ++i) obs[i] = static_cast<Scalar>(obs_[i]);
  }
}

Status MujocoEnv::reset(std::uint64_t seed, Scalar* obs) {
  if (!model_) return Status::error(StatusCode::kFailedPrecondition, "%s: reset before load", spec_.name);
  Rng rng(seed);
  mj_resetData(model_, data_);
  reset_state(rng);
  mj_forward(model_, data_);
  steps_ = 0;
  started_ = true;
  observe_into(obs);
  return Status::ok();
}

Status MujocoEnv::set_state(const double* qpos, const double* qvel) {
  if (!model_) return Status::error(StatusCode::kFailedPrecondition, "%s: set_state before load", spec_.name);
  mj_resetData(model_, data_);
  std::memcpy(data_->qpos, qpos, sizeof(double) * model_->nq);
  std::memcpy(data_->qvel, qvel, sizeof(double) * model_->nv);
  mj_forward(model_, data_);
  steps_ = 0;
  started_ = true;
  observe(obs_.data());
  return Status::ok();
}

Status MujocoEnv::step(const Scalar* action, Scalar* next_obs, StepResult* result) {
  if (!started_) return Status::error(StatusCode::kFailedPrecondition, "%s: step before reset", spec_.name);
  if (!action || !result) return Status::error(StatusCode::kInvalidArgument, "%s: step with a null buffer", spec_.name);
  for (int i = 0; i < model_->nu; ++i) {
    if (!std::isfinite(action[i])) {
      return Status::error(StatusCode::kNonFinite, "%s: action[%d] is NaN or Inf; state unchanged", spec_.name, i);
    }
    action_[i] = action[i];
  }
  before_step();
  // Gym's do_simulation: ctrl = action (MuJoCo clamps the force, not ctrl), frame_skip steps.
  for (int i = 0; i < model_->nu; ++i) data_->ctrl[i] = action_[i];
  for (int k = 0; k < spec_.frame_skip; ++k) mj_step(model_, data_);
  ++steps_;
  last_reward_ = reward(action_.data());
  observe_into(next_obs);
  result->reward = static_cast<Scalar>(last_reward_);
  result->terminated = spec_.can_terminate && terminated();
  result->truncated = !result->terminated && steps_ >= spec_.max_episode_steps;
  return Status::ok();
}

}  // namespace usbpo::mujoco
