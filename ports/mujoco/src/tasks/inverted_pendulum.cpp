// InvertedPendulum-v2/v4: keep the pole within 0.2 rad; +1 per step.
#include <cmath>

#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

class InvertedPendulum final : public MujocoEnv {
 public:
  InvertedPendulum() : MujocoEnv({"inverted_pendulum", models::kInvertedPendulum, 2, 4, 1000, true, 2, 2, 1}) {}

  // MBPO's static function: done unless all finite and |pole angle| <= 0.2.
  bool is_terminal(const Scalar* o) const override {
    for (int i = 0; i < 4; ++i) {
      if (!std::isfinite(o[i])) return true;
    }
    return !(std::fabs(o[1]) <= 0.2f);
  }

 protected:
  void reset_state(Rng& rng) override {
    // qpos = qpos0 + U(-0.01, 0.01), qvel = U(-0.01, 0.01), qpos before qvel.
    add_uniform_noise(data_->qpos, model_->nq, 0.01, rng);
    add_uniform_noise(data_->qvel, model_->nv, 0.01, rng);
  }
  void observe(double* o) const override {
    o[0] = data_->qpos[0];
    o[1] = data_->qpos[1];
    o[2] = data_->qvel[0];
    o[3] = data_->qvel[1];
  }
  double reward(const double*) override { return 1.0; }
  bool terminated() const override {
    const double* o = observation_double();
    return !(all_finite_double(o, 4) && std::fabs(o[1]) <= 0.2);
  }
};

}  // namespace

std::unique_ptr<MujocoEnv> new_inverted_pendulum() { return std::make_unique<InvertedPendulum>(); }

}  // namespace usbpo::mujoco
