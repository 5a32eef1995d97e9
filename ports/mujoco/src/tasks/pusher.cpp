// Pusher-v2: push the cylinder to the goal; reward from the state before the
// step; 100-step episodes, never terminates.
#include <algorithm>
#include <cmath>

#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

double distance(const double* a, const double* b) {
  const double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

class Pusher final : public MujocoEnv {
 public:
  Pusher() : MujocoEnv({"pusher", models::kPusher, 5, 23, 100, false, 11, 11, 7}) {}

  bool is_terminal(const Scalar*) const override { return false; }

 protected:
  void on_load() override {
    // A user's model without these bodies falls back to the world body (id 0).
    tips_ = std::max(0, mj_name2id(model_, mjOBJ_BODY, "tips_arm"));
    object_ = std::max(0, mj_name2id(model_, mjOBJ_BODY, "object"));
    goal_ = std::max(0, mj_name2id(model_, mjOBJ_BODY, "goal"));
  }
  void reset_state(Rng& rng) override {
    // Arm at qpos0 exactly; object offset c = (U(-0.3, 0), U(-0.2, 0.2)) redrawn until |c| > 0.17.
    double c0, c1;
    do {
      c0 = -0.3 + 0.3 * rng.uniform_double();
      c1 = -0.2 + 0.4 * rng.uniform_double();
    } while (std::sqrt(c0 * c0 + c1 * c1) <= 0.17);
    const int nq = model_->nq, nv = model_->nv;
    data_->qpos[nq - 4] = c0;
    data_->qpos[nq - 3] = c1;
    data_->qpos[nq - 2] = 0;
    data_->qpos[nq - 1] = 0;
    add_uniform_noise(data_->qvel, nv, 0.005, rng);
    for (int i = nv - 4; i < nv; ++i) data_->qvel[i] = 0;
  }
  void observe(double* o) const override {
    for (int i = 0; i < 7; ++i) o[i] = data_->qpos[i];
    for (int i = 0; i < 7; ++i) o[7 + i] = data_->qvel[i];
    for (int k = 0; k < 3; ++k) {
      o[14 + k] = data_->xpos[3 * tips_ + k];
      o[17 + k] = data_->xpos[3 * object_ + k];
      o[20 + k] = data_->xpos[3 * goal_ + k];
    }
  }
  void before_step() override {
    // Gym computes the reward before do_simulation, from the current xpos.
    terms_[0] = -distance(data_->xpos + 3 * object_, data_->xpos + 3 * goal_);        // dist
    terms_[1] = -0.5 * distance(data_->xpos + 3 * object_, data_->xpos + 3 * tips_);  // 0.5 near
  }
  double reward(const double* a) override {
    double ctrl = 0;
    for (int i = 0; i < model_->nu; ++i) ctrl += a[i] * a[i];
    terms_[2] = -0.1 * ctrl;
    terms_[3] = 0;
    return terms_[0] + terms_[2] + terms_[1];
  }
  bool terminated() const override { return false; }

 private:
  int tips_ = 0, object_ = 0, goal_ = 0;
};

}  // namespace

std::unique_ptr<MujocoEnv> new_pusher() { return std::make_unique<Pusher>(); }

}  // namespace usbpo::mujoco
