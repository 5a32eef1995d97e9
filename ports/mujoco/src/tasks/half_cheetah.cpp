// HalfCheetah-v2: forward velocity - 0.1 |a|^2; never terminates.
#include "models/models.hpp"
#include "tasks/tasks.hpp"

namespace usbpo::mujoco {
namespace {

class HalfCheetah final : public MujocoEnv {
 public:
  HalfCheetah() : MujocoEnv({"half_cheetah", models::kHalfCheetah, 5, 17, 1000, false, 9, 9, 6}) {}

  bool is_terminal(const Scalar*) const override { return false; }

 protected:
  void reset_state(Rng& rng) override {
    // qpos += U(-0.1, 0.1); qvel = 0.1 N(0, 1) (Gaussian).
    add_uniform_noise(data_->qpos, model_->nq, 0.1, rng);
    for (int i = 0; i < model_->nv; ++i) data_->qvel[i] += 0.1 * rng.normal_double();
  }
  void observe(double* o) const override {
    for (int i = 0; i < 8; ++i) o[i] = data_->qpos[1 + i];
    for (int i = 0; i < 9; ++i) o[8 + i] = data_->qvel[i];
  }
  void before_step() override { x_before_ = data_->qpos[0]; }
  double reward(const double* a) override {
    double ctrl = 0;
    for (int i = 0; i < 6; ++i) ctrl += a[i] * a[i];
    terms_[0] = (data_->qpos[0] - x_before_) / dt();
    terms_[1] = 0;
    terms_[2] = -0.1 * ctrl;
    return terms_[0] + terms_[2];
  }
  bool terminated() const override { return false; }

 private:
  double x_before_ = 0;
};

}  // namespace

std::unique_ptr<MujocoEnv> new_half_cheetah() { return std::make_unique<HalfCheetah>(); }

}  // namespace usbpo::mujoco
