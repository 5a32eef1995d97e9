// AntTruncatedObs-v2 (MBPO): 27-dim obs (qpos[2:], qvel) with Ant-v2's reward,
// contact cost included; healthy while finite and 0.2 <= z <= 1.
#include <algorithm>
#include <cmath>

#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

class Ant final : public MujocoEnv {
 public:
  Ant() : MujocoEnv({"ant", models::kAnt, 5, 27, 1000, true, 15, 14, 8}) {}

  // MBPO's ant termination over next_obs.
  bool is_terminal(const Scalar* o) const override {
    for (int i = 0; i < 27; ++i) {
      if (!std::isfinite(o[i])) return true;
    }
    return !(o[0] >= 0.2f && o[0] <= 1.0f);
  }

 protected:
  void reset_state(Rng& rng) override {
    // qpos += U(-0.1, 0.1) on all 15 entries (quaternion too, not renormalised); qvel = 0.1 N(0, 1).
    add_uniform_noise(data_->qpos, model_->nq, 0.1, rng);
    for (int i = 0; i < model_->nv; ++i) data_->qvel[i] += 0.1 * rng.normal_double();
  }
  void observe(double* o) const override {
    for (int i = 0; i < 13; ++i) o[i] = data_->qpos[2 + i];
    for (int i = 0; i < 14; ++i) o[13 + i] = data_->qvel[i];
  }
  // get_body_com("torso") is the torso frame origin xpos, read without mj_forward.
  void before_step() override { x_before_ = data_->xpos[3 * kTorso]; }
  double reward(const double* a) override {
    // cfrc_ext is computed by mj_rnePostConstraint after the steps (Gym v4 does
    // the same; MuJoCo 1.50 under v2 computed it inside mj_step).
    mj_rnePostConstraint(model_, data_);
    double ctrl = 0, contact = 0;
    for (int i = 0; i < model_->nu; ++i) ctrl += a[i] * a[i];
    for (int i = 0; i < 6 * model_->nbody; ++i) {
      const double f = std::clamp(data_->cfrc_ext[i], -1.0, 1.0);
      contact += f * f;
    }
    terms_[0] = (data_->xpos[3 * kTorso] - x_before_) / dt();  // forward
    terms_[1] = 1.0;                                            // survive
    terms_[2] = -0.5 * ctrl;                                    // control
    terms_[3] = -0.5 * 1e-3 * contact;                          // contact
    return terms_[0] - 0.5 * ctrl - 0.5 * 1e-3 * contact + 1.0;
  }
  bool terminated() const override {
    if (!all_finite_double(data_->qpos, model_->nq) || !all_finite_double(data_->qvel, model_->nv)) return true;
    return !(data_->qpos[2] >= 0.2 && data_->qpos[2] <= 1.0);
  }

 private:
  static constexpr int kTorso = 1;
  double x_before_ = 0;
};

}  // namespace

std::unique_ptr<MujocoEnv> new_ant() { return std::make_unique<Ant>(); }

}  // namespace usbpo::mujoco
