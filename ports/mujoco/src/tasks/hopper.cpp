// Hopper-v2: forward velocity + 1 alive bonus - 1e-3 |a|^2; v2 health ranges.
#include <algorithm>
#include <cmath>

#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

class Hopper final : public MujocoEnv {
 public:
  Hopper() : MujocoEnv({"hopper", models::kHopper, 4, 11, 1000, true, 6, 6, 3}) {}

  // MBPO's hopper termination over next_obs, with the range check written as
  // abs(o[1:]) < 100: MBPO's code has np.abs(o[1:] < 100), which makes it one-sided.
  bool is_terminal(const Scalar* o) const override {
    for (int i = 0; i < 11; ++i) {
      if (!std::isfinite(o[i])) return true;
    }
    for (int i = 1; i < 11; ++i) {
      if (!(std::fabs(o[i]) < 100.0f)) return true;
    }
    return !(o[0] > 0.7f && std::fabs(o[1]) < 0.2f);
  }

 protected:
  void reset_state(Rng& rng) override {
    add_uniform_noise(data_->qpos, model_->nq, 0.005, rng);
    add_uniform_noise(data_->qvel, model_->nv, 0.005, rng);
  }
  void observe(double* o) const override {
    for (int i = 0; i < 5; ++i) o[i] = data_->qpos[1 + i];
    for (int i = 0; i < 6; ++i) o[5 + i] = std::clamp(data_->qvel[i], -10.0, 10.0);
  }
  void before_step() override { x_before_ = data_->qpos[0]; }
  double reward(const double* a) override {
    double ctrl = 0;
    for (int i = 0; i < 3; ++i) ctrl += a[i] * a[i];
    terms_[0] = (data_->qpos[0] - x_before_) / dt();  // forward
    terms_[1] = 1.0;                                  // alive bonus
    terms_[2] = -1e-3 * ctrl;                         // control cost
    return terms_[0] + terms_[1] + terms_[2];
  }
  bool terminated() const override {
    // Healthy: state finite, |state_vector[2:]| < 100 (unclipped qvel), z > 0.7, |angle| < 0.2.
    const double* q = data_->qpos;
    const double* v = data_->qvel;
    if (!all_finite_double(q, 6) || !all_finite_double(v, 6)) return true;
    for (int i = 2; i < 6; ++i) {
      if (!(std::fabs(q[i]) < 100)) return true;
    }
    for (int i = 0; i < 6; ++i) {
      if (!(std::fabs(v[i]) < 100)) return true;
    }
    return !(q[1] > 0.7 && std::fabs(q[2]) < 0.2);
  }

 private:
  double x_before_ = 0;
};

}  // namespace

std::unique_ptr<MujocoEnv> new_hopper() { return std::make_unique<Hopper>(); }

}  // namespace usbpo::mujoco
