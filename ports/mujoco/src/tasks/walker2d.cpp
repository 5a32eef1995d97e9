// Walker2d-v2: forward velocity + 1 alive bonus - 1e-3 |a|^2; 0.8 < z < 2, |angle| < 1.
#include <algorithm>
#include <cmath>

#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

class Walker2d final : public MujocoEnv {
 public:
  Walker2d() : MujocoEnv({"walker2d", models::kWalker2d, 4, 17, 1000, true, 9, 9, 6}) {}

  // MBPO's walker2d termination (no finiteness check, as in MBPO).
  bool is_terminal(const Scalar* o) const override {
    return !(o[0] > 0.8f && o[0] < 2.0f && o[1] > -1.0f && o[1] < 1.0f);
  }

 protected:
  void reset_state(Rng& rng) override {
    add_uniform_noise(data_->qpos, model_->nq, 0.005, rng);
    add_uniform_noise(data_->qvel, model_->nv, 0.005, rng);
  }
  void observe(double* o) const override {
    for (int i = 0; i < 8; ++i) o[i] = data_->qpos[1 + i];
    for (int i = 0; i < 9; ++i) o[8 + i] = std::clamp(data_->qvel[i], -10.0, 10.0);
  }
  void before_step() override { x_before_ = data_->qpos[0]; }
  double reward(const double* a) override {
    double ctrl = 0;
    for (int i = 0; i < 6; ++i) ctrl += a[i] * a[i];
    terms_[0] = (data_->qpos[0] - x_before_) / dt();
    terms_[1] = 1.0;
    terms_[2] = -1e-3 * ctrl;
    return terms_[0] + terms_[1] + terms_[2];
  }
  bool terminated() const override {
    const double z = data_->qpos[1], angle = data_->qpos[2];
    return !(z > 0.8 && z < 2.0 && angle > -1.0 && angle < 1.0);
  }

 private:
  double x_before_ = 0;
};

}  // namespace

std::unique_ptr<MujocoEnv> new_walker2d() { return std::make_unique<Walker2d>(); }

}  // namespace usbpo::mujoco
