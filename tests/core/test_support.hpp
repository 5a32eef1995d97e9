// Shared helpers for the core tests.
#pragma once

#include <cmath>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

#include "usbpo/agent/replay_store.hpp"
#include "usbpo/base/arena.hpp"
#include "usbpo/base/types.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"
#include "test_backend.hpp"

namespace usbpo {
namespace testing_support {

// Central difference of f at x with a step scaled to x (f evaluated in float networks).
template <typename F>
double central_difference(F f, Scalar x, double relative_step = 1e-2) {
  const Scalar h = static_cast<Scalar>(relative_step * (1.0 + std::fabs(x)) * 0.1);
  const Scalar plus = x + h;
  const Scalar minus = x - h;
  return (f(plus) - f(minus)) / (static_cast<double>(plus) - static_cast<double>(minus));
}

// Central differences of the float losses below resolve a gradient entry to
// about 1e-4 (measured: absolute errors up to 3e-4); a checked gradient's RMS
// must be well above that.
constexpr double kGradientCheckMinRms = 5e-3;

// Checks an analytic gradient against central differences as a whole:
// - the error norm relative to the gradient's norm is below `tolerance`;
// - each entry is within tolerance x (its size + the gradient's RMS), so an
//   entry that matters cannot be zero or of the wrong sign;
// - the gradient's RMS is at least kGradientCheckMinRms, so the check cannot
//   pass by the gradient being small. (An absolute floor per entry, as before,
//   let a zero or sign-flipped small gradient pass.)
inline void expect_gradient_matches(const std::vector<double>& analytic, const std::vector<double>& numeric,
                                    double tolerance, const char* what) {
  ASSERT_EQ(analytic.size(), numeric.size()) << what;
  ASSERT_FALSE(numeric.empty()) << what;
  double error_sq = 0, norm_sq = 0;
  for (std::size_t i = 0; i < numeric.size(); ++i) {
    error_sq += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
    norm_sq += numeric[i] * numeric[i];
  }
  const double rms = std::sqrt(norm_sq / static_cast<double>(numeric.size()));
  std::printf("  gradient check %s: %zu entries, RMS %.3g, relative error %.2g\n", what, numeric.size(), rms,
              std::sqrt(error_sq / norm_sq));
  EXPECT_GE(rms, kGradientCheckMinRms) << what << ": the gradient is too small for finite differences to check it";
  EXPECT_LE(std::sqrt(error_sq), tolerance * std::sqrt(norm_sq))
      << what << ": relative error " << std::sqrt(error_sq / norm_sq) << " (gradient RMS " << rms << ")";
  for (std::size_t i = 0; i < numeric.size(); ++i) {
    EXPECT_NEAR(analytic[i], numeric[i], tolerance * (std::fabs(numeric[i]) + rms)) << what << " entry " << i;
  }
}

// A ReplayStore in an arena of its own.
struct StoreInArena {
  std::vector<unsigned char> memory;
  Arena arena;
  ReplayStore store;
  StoreInArena(int capacity, int obs_dim, int act_dim) {
    ReplayConfig c;
    c.obs_dim = obs_dim;
    c.act_dim = act_dim;
    c.capacity = capacity;
    memory.resize(ReplayStore::bytes_needed(c));
    arena = Arena(memory.data(), memory.size());
    const Status s = store.place(c, arena);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
};

// A Trainer on Pendulum with memory of its own, initialised from `config`.
// (On the test backend, USBPO_TEST_BACKEND.)
struct PendulumTrainer {
  TrainerBackend backend;
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  Status status;
  explicit PendulumTrainer(const TrainerConfig& config)
      : memory(Trainer::bytes_needed(backend.apply(config), env)), arena(memory.data(), memory.size()) {
    status = trainer.init(backend.apply(config), env, eval_env, arena);
  }
};

// The small networks of the model-based trainer tests: SAC 2x32 at batch 64, a
// 3-member (2 elites) 2x32 ensemble at batch 64 and at most 5 epochs, phase 2
// at batch 128 and at most 5 steps.
inline void use_small_networks(TrainerConfig& c) {
  c.sac.hidden_width = 32;
  c.sac.batch = 64;
  c.model.members = 3;
  c.model.elites = 2;
  c.model.hidden_layers = 2;
  c.model.hidden_width = 32;
  c.model.batch = 64;
  c.model.max_epochs = 5;
  c.w2.batch = 128;
  c.w2.max_steps = 5;
}

}  // namespace testing_support
}  // namespace usbpo
