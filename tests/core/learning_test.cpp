// Seeded, fast end-to-end learning tests on the built-in Pendulum.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/nn/action_scaling.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

// The benchmark configuration of fast C++ RL libraries (2x64, batch 100, lr 1e-3).
TrainerConfig pendulum_sac_config(std::uint64_t seed) {
  TrainerConfig c;
  c.seed = seed;
  c.start_steps = 1000;
  c.update_after = 1000;
  c.updates_per_step = 1;
  c.replay_capacity = 20000;
  c.sac.hidden_width = 64;
  c.sac.batch = 100;
  c.sac.actor_lr = c.sac.critic_lr = c.sac.alpha_lr = 1e-3f;
  c.sac.initial_alpha = 0.5f;
  c.sac.target_entropy = -1.0f;
  return c;
}

TEST(Learning, SacSolvesPendulumWithin15000Steps) {
  const TrainerConfig c = pendulum_sac_config(1);
  Pendulum env, eval_env;
  std::vector<unsigned char> memory(Trainer::bytes_needed(c, env));
  Arena arena(memory.data(), memory.size());
  Trainer trainer;
  ASSERT_TRUE(trainer.init(c, env, eval_env, arena).is_ok());
  const auto start = std::chrono::steady_clock::now();
  Scalar best = -1e9f, mean_return = 0;
  for (int step = 1; step <= 15000; ++step) {
    ASSERT_TRUE(trainer.step(nullptr).is_ok());
    if (step % 2500 == 0) {
      ASSERT_TRUE(trainer.evaluate(10, &mean_return).is_ok());
      best = std::max(best, mean_return);
      std::printf("  step %5d: mean evaluation return %.1f\n", step, mean_return);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  15000 steps in %.1f s; final evaluation return %.1f\n", seconds, mean_return);
  EXPECT_GT(mean_return, -250.0f);
}

// Random-action Pendulum transitions: obs, squashed act, reward, next_obs.
struct Transitions {
  std::vector<Scalar> obs, act, reward, next_obs;
  int count = 0;
  void collect(int n, std::uint64_t seed) {
    Pendulum env;
    Rng rng(seed);
    Scalar o[3], o2[3], a, env_a;
    (void)env.reset(rng.next_u64(), o);
    for (int i = 0; i < n; ++i) {
      a = rng.uniform(-1, 1);
      scale_action(&a, env.action_low(), env.action_high(), 1, &env_a);
      StepResult r;
      (void)env.step(&env_a, o2, &r);
      obs.insert(obs.end(), o, o + 3);
      act.push_back(a);
      reward.push_back(r.reward);
      next_obs.insert(next_obs.end(), o2, o2 + 3);
      ++count;
      if (r.truncated || r.terminated) {
        (void)env.reset(rng.next_u64(), o);
      } else {
        std::copy(o2, o2 + 3, o);
      }
    }
  }
  TransitionView view() const { return {obs.data(), act.data(), reward.data(), next_obs.data()}; }
};

TEST(Learning, EnsembleLearnsPendulumDynamicsCalibrated) {
  Transitions train, test;
  train.collect(8000, 1);
  test.collect(2000, 2);
  EnsembleConfig c;
  c.obs_dim = 3;
  c.act_dim = 1;
  c.members = 5;
  c.elites = 3;
  c.hidden_layers = 3;
  c.hidden_width = 64;
  c.max_samples = train.count;
  c.batch = 64;  // 100 minibatches per epoch on this small data set
  std::vector<unsigned char> memory(GaussianEnsemble::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  GaussianEnsemble model;
  Rng rng(3);
  ASSERT_TRUE(model.init(c, arena, rng).is_ok());
  std::vector<int> slots(train.count);
  for (int i = 0; i < train.count; ++i) slots[i] = i;
  EnsembleTrainReport report;
  ASSERT_TRUE(model.train(train.view(), slots.data(), train.count, rng, &report).is_ok());
  // Held-out one-step error and calibration of every elite.
  const int n = test.count, out = 4;
  std::vector<Scalar> mean(out * n), logvar(out * n);
  double squared = 0, target_var = 0, within = 0, total = 0;
  double dim_sq[4] = {}, dim_var[4] = {};
  for (int e = 0; e < model.elite_count(); ++e) {
    ASSERT_TRUE(model.predict_member(model.elite_indices()[e], test.obs.data(), test.act.data(), n, mean.data(),
                                     logvar.data()).is_ok());
    for (int i = 0; i < n; ++i) {
      for (int d = 0; d < out; ++d) {
        const double y = d == 0 ? test.reward[i] : test.next_obs[3 * i + d - 1] - test.obs[3 * i + d - 1];
        const double err = mean[out * i + d] - y;
        squared += err * err;
        target_var += y * y;
        dim_sq[d] += err * err;
        dim_var[d] += y * y;
        within += std::fabs(err) < 2.0 * std::exp(0.5 * logvar[out * i + d]) ? 1 : 0;
        total += 1;
      }
    }
  }
  const double mse = squared / total;
  const double relative = squared / target_var;
  const double coverage = within / total;
  std::printf("  %d epochs; held-out one-step MSE %.2e (%.3f %% of the target variance); 2-sigma coverage %.1f %%\n",
              report.epochs, mse, 100 * relative, 100 * coverage);
  for (int d = 0; d < out; ++d) {
    std::printf("    dim %d: relative error %.4f\n", d, dim_sq[d] / dim_var[d]);
    EXPECT_LT(dim_sq[d] / dim_var[d], 0.01) << "dimension " << d << " of [reward, delta obs]";
  }
  EXPECT_LT(relative, 0.01) << "one-step error must be under 1 % of the target's mean square";
  // Calibration: about 95 % of held-out targets within 2 predicted sigma.
  EXPECT_GT(coverage, 0.90);
  EXPECT_LT(coverage, 0.99);
}

}  // namespace
}  // namespace usbpo
