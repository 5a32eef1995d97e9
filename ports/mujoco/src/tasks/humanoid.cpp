// HumanoidTruncatedObs-v2 (MBPO): 45-dim obs (qpos[2:], qvel) with Humanoid-v2's
// reward; done when z < 1 or z > 2.
#include <algorithm>
#include <cmath>

#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

class Humanoid final : public MujocoEnv {
 public:
  Humanoid() : MujocoEnv({"humanoid", models::kHumanoid, 5, 45, 1000, true, 24, 23, 17}) {}

  // MBPO's humanoid termination over next_obs.
  bool is_terminal(const Scalar* o) const override { return o[0] < 1.0f || o[0] > 2.0f; }

 protected:
  void reset_state(Rng& rng) override {
    add_uniform_noise(data_->qpos, model_->nq, 0.01, rng);
    add_uniform_noise(data_->qvel, model_->nv, 0.01, rng);
  }
  void observe(double* o) const override {
    for (int i = 0; i < 22; ++i) o[i] = data_->qpos[2 + i];
    for (int i = 0; i < 23; ++i) o[22 + i] = data_->qvel[i];
  }
  // Centre of mass x: sum(body_mass xipos) / sum(body_mass), from the fields as left by mj_step.
  double com_x() const {
    double mass = 0, moment = 0;
    for (int b = 0; b < model_->nbody; ++b) {
      mass += model_->body_mass[b];
      moment += model_->body_mass[b] * data_->xipos[3 * b];
    }
    return moment / mass;
  }
  void before_step() override { com_before_ = com_x(); }
  double reward(const double*) override {
    mj_rnePostConstraint(model_, data_);  // fills cfrc_ext (see ant.cpp)
    double ctrl = 0, impact = 0;
    // v2 squares data.ctrl (the raw action on MuJoCo >= 2.2.1, which no longer clamps ctrl in place).
    for (int i = 0; i < model_->nu; ++i) ctrl += data_->ctrl[i] * data_->ctrl[i];
    for (int i = 0; i < 6 * model_->nbody; ++i) impact += data_->cfrc_ext[i] * data_->cfrc_ext[i];
    terms_[0] = 0.25 * (com_x() - com_before_) / model_->opt.timestep;  // = 1.25 dx / dt
    terms_[1] = 5.0;
    terms_[2] = -0.1 * ctrl;
    terms_[3] = -std::min(0.5e-6 * impact, 10.0);
    return terms_[0] - 0.1 * ctrl - std::min(0.5e-6 * impact, 10.0) + 5.0;
  }
  bool terminated() const override { return data_->qpos[2] < 1.0 || data_->qpos[2] > 2.0; }

 private:
  double com_before_ = 0;
};

}  // namespace

std::unique_ptr<MujocoEnv> new_humanoid() { return std::make_unique<Humanoid>(); }

}  // namespace usbpo::mujoco
