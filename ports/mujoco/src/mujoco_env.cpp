#include "usbpo/mujoco/mujoco_env.hpp"

#include <algorithm>
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

int MujocoEnv::state_size() const {
  return model_ ? 2 + model_->nq + 2 * model_->nv + model_->na + model_->nu + 6 * model_->nbody : 0;
}

Status MujocoEnv::save_state(double* state) const {
  if (!started_) return Status::error(StatusCode::kFailedPrecondition, "%s: save_state before reset", spec_.name);
  double* out = state;
  *out++ = data_->time;
  *out++ = steps_;
  out = std::copy(data_->qpos, data_->qpos + model_->nq, out);
  out = std::copy(data_->qvel, data_->qvel + model_->nv, out);
  out = std::copy(data_->act, data_->act + model_->na, out);
  out = std::copy(data_->ctrl, data_->ctrl + model_->nu, out);
  out = std::copy(data_->qacc_warmstart, data_->qacc_warmstart + model_->nv, out);
  // Body positions as the last mj_step left them (computed before its
  // integration): before_step() reads them, as Gym reads them before stepping.
  out = std::copy(data_->xpos, data_->xpos + 3 * model_->nbody, out);
  std::copy(data_->xipos, data_->xipos + 3 * model_->nbody, out);
  return Status::ok();
}

Status MujocoEnv::restore_state(const double* state) {
  if (!model_) return Status::error(StatusCode::kFailedPrecondition, "%s: restore_state before load", spec_.name);
  const int n = state_size();
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(state[i])) return Status::error(StatusCode::kCorruptData, "%s: saved state has NaN or Inf", spec_.name);
  }
  if (!(state[1] >= 0) || !(state[1] < spec_.max_episode_steps) || state[1] != std::floor(state[1])) {
    return Status::error(StatusCode::kCorruptData, "%s: saved episode step count out of range", spec_.name);
  }
  const double* in = state;
  mj_resetData(model_, data_);
  data_->time = *in++;
  steps_ = static_cast<int>(*in++);
  auto take = [&in](double* dst, int n) {
    std::copy(in, in + n, dst);
    in += n;
  };
  take(data_->qpos, model_->nq);
  take(data_->qvel, model_->nv);
  take(data_->act, model_->na);
  take(data_->ctrl, model_->nu);
  mj_forward(model_, data_);
  take(data_->qacc_warmstart, model_->nv);  // after mj_forward, which must not see a stale one
  take(data_->xpos, 3 * model_->nbody);
  take(data_->xipos, 3 * model_->nbody);
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
