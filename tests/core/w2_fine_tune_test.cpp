#include "usbpo/model/w2_fine_tune.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "test_support.hpp"

namespace usbpo {
namespace {

// A small ensemble, its phase-2 tuner and a fixed set of (s, a) pairs.
struct PhaseTwo {
  std::vector<unsigned char> memory;
  Arena arena;
  GaussianEnsemble model;
  W2FineTune tuner;
  std::vector<Scalar> obs, act;
  std::vector<int> k1, k2;
  W2Batch batch;
  explicit PhaseTwo(int n, W2FineTuneConfig config = W2FineTuneConfig()) {
    EnsembleConfig c;
    c.obs_dim = 2;
    c.act_dim = 1;
    c.members = 3;
    c.elites = 2;
    c.hidden_layers = 2;
    c.hidden_width = 8;
    c.max_samples = 100;
    config.batch = n;
    memory.resize(GaussianEnsemble::bytes_needed(c) + 65536);
    arena = Arena(memory.data(), memory.size());
    Rng rng(1);
    EXPECT_TRUE(model.init(c, arena, rng).is_ok());
    extra.resize(W2FineTune::bytes_needed(config, model.config()));
    tuner_arena = Arena(extra.data(), extra.size());
    EXPECT_TRUE(tuner.init(config, model, tuner_arena).is_ok());
    for (int i = 0; i < 2 * n; ++i) obs.push_back(rng.uniform(-1, 1));
    for (int i = 0; i < n; ++i) act.push_back(rng.uniform(-1, 1));
    k1.resize(n);
    k2.resize(n);
    tuner.draw_members(n, rng, k1.data(), k2.data());
    batch = W2Batch{obs.data(), act.data(), k1.data(), k2.data(), n};
  }
  // Phase 1 moved the model: perturb every parameter.
  void perturb(Scalar scale, std::uint64_t seed) {
    Rng rng(seed);
    for (std::size_t i = 0; i < model.param_count(); ++i) model.params()[i] += scale * rng.normal();
  }
  std::vector<unsigned char> extra;
  Arena tuner_arena;
};

TEST(W2FineTune, ObjectiveGradientsMatchFiniteDifferences) {
  PhaseTwo s(6);
  s.tuner.backup(s.model);
  s.perturb(0.3f, 2);
  s.tuner.objective(s.model, s.batch, true, nullptr, nullptr);
  std::vector<Scalar> analytic(s.tuner.gradients(), s.tuner.gradients() + s.model.param_count());
  int nonzero = 0;
  std::vector<double> numeric(s.model.param_count());
  for (std::size_t i = 0; i < s.model.param_count(); ++i) {
    numeric[i] = testing_support::central_difference(
        [&](Scalar v) {
          const Scalar saved = s.model.params()[i];
          s.model.params()[i] = v;
          const double j = s.tuner.objective(s.model, s.batch, false, nullptr, nullptr);
          s.model.params()[i] = saved;
          return j;
        },
        s.model.params()[i]);
    nonzero += analytic[i] != 0;
  }
  testing_support::expect_gradient_matches(std::vector<double>(analytic.begin(), analytic.end()), numeric, 1e-2,
                                           "phase-2 objective");
  EXPECT_GT(nonzero, static_cast<int>(s.model.param_count()) / 2);
}

TEST(W2FineTune, ShiftIsZeroRightAfterTheBackup) {
  PhaseTwo s(16);
  s.tuner.backup(s.model);
  // M2 == M1 and k1 == k2: every shift term is W2 of identical Gaussians (sqrt(eps)).
  for (int i = 0; i < 16; ++i) s.k2[i] = s.k1[i];
  Scalar shift = 1, bias = 0;
  s.tuner.objective(s.model, s.batch, false, &shift, &bias);
  EXPECT_LT(shift, 1e-3f);
  EXPECT_GT(bias, 0.0f);  // different members still disagree
}

TEST(W2FineTune, PhaseTwoMovesAnOvershotModelAndNeverEndsWorse) {
  PhaseTwo s(64);
  s.tuner.backup(s.model);
  s.perturb(0.5f, 3);  // phase 1 overshoots far from M1
  const std::vector<Scalar> after_phase1(s.model.params(), s.model.params() + s.model.param_count());
  Rng rng(4);
  auto sample = [&](W2Batch* b) {
    *b = s.batch;  // training pairs: the same states (a stand-in for the model store)
    return Status::ok();
  };
  W2Report report;
  ASSERT_TRUE(s.tuner.run(s.model, sample, s.batch, rng, &report).is_ok());
  std::printf("  phase 2: J %.4f -> %.4f in %d steps (best at %d), shift %.4f, bias %.4f\n", report.j_before,
              report.j_after, report.steps, report.best_step, report.shift, report.bias);
  EXPECT_GT(report.best_step, 0);
  EXPECT_LT(report.j_after, 0.9f * report.j_before) << "J " << report.j_before << " -> " << report.j_after;
  // The model holds the best parameters: validation J equals the reported one.
  EXPECT_NEAR(s.tuner.objective(s.model, s.batch, false, nullptr, nullptr), report.j_after, 1e-5);
  double moved = 0;
  for (std::size_t i = 0; i < after_phase1.size(); ++i) moved += std::fabs(s.model.params()[i] - after_phase1[i]);
  EXPECT_GT(moved, 0.0);
}

TEST(W2FineTune, RestoresPhaseOneWhenNoStepHelps) {
  W2FineTuneConfig c;
  c.learning_rate = 1.0f;  // steps so large that every one makes J worse
  c.patience = 3;
  PhaseTwo s(32, c);
  s.tuner.backup(s.model);
  s.perturb(0.05f, 5);
  const std::vector<Scalar> after_phase1(s.model.params(), s.model.params() + s.model.param_count());
  Rng rng(6);
  auto sample = [&](W2Batch* b) {
    *b = s.batch;
    return Status::ok();
  };
  W2Report report;
  ASSERT_TRUE(s.tuner.run(s.model, sample, s.batch, rng, &report).is_ok());
  std::printf("  lr 1: J %.4f -> %.4f in %d steps (best at %d)\n", report.j_before, report.j_after, report.steps,
              report.best_step);
  EXPECT_LE(report.j_after, report.j_before);
  EXPECT_EQ(report.best_step, 0) << "a step of lr 1 should not have helped";
  for (std::size_t i = 0; i < after_phase1.size(); ++i) ASSERT_EQ(s.model.params()[i], after_phase1[i]);
  EXPECT_EQ(report.steps, 4);  // USB-PO: more than `patience` steps without an improvement
}

TEST(W2FineTune, AblationsUseOneTerm) {
  // One model and batch (same seeds) under both terms, shift only and bias only.
  W2FineTuneConfig shift_only, bias_only;
  shift_only.use_bias = false;
  bias_only.use_shift = false;
  PhaseTwo both(8), a(8, shift_only), b(8, bias_only);
  for (PhaseTwo* s : {&both, &a, &b}) {
    s->tuner.backup(s->model);
    s->perturb(0.2f, 7);
  }
  Scalar shift = 0, bias = 0;
  const Scalar j = both.tuner.objective(both.model, both.batch, true, &shift, &bias);
  const std::size_t n = both.model.param_count();
  const std::vector<Scalar> g_both(both.tuner.gradients(), both.tuner.gradients() + n);
  ASSERT_GT(shift, 0.0f);
  ASSERT_GT(bias, 0.0f);
  EXPECT_FLOAT_EQ(j, shift + bias);
  // Each ablation's J is its own term of the full J, the other term reads 0.
  Scalar a_shift = -1, a_bias = -1, b_shift = -1, b_bias = -1;
  EXPECT_FLOAT_EQ(a.tuner.objective(a.model, a.batch, true, &a_shift, &a_bias), shift);
  EXPECT_FLOAT_EQ(a_shift, shift);
  EXPECT_EQ(a_bias, 0.0f);
  EXPECT_FLOAT_EQ(b.tuner.objective(b.model, b.batch, true, &b_shift, &b_bias), bias);
  EXPECT_FLOAT_EQ(b_bias, bias);
  EXPECT_EQ(b_shift, 0.0f);
  // And so are the gradients: the two ablations' gradients add up to the full one
  // and differ from each other (each carries one term only).
  double norm_a = 0, norm_b = 0, norm_diff = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Scalar ga = a.tuner.gradients()[i], gb = b.tuner.gradients()[i];
    EXPECT_NEAR(ga + gb, g_both[i], 1e-5 * (1 + std::fabs(g_both[i]))) << "param " << i;
    norm_a += ga * ga, norm_b += gb * gb, norm_diff += (ga - gb) * (ga - gb);
  }
  EXPECT_GT(norm_a, 0.0);
  EXPECT_GT(norm_b, 0.0);
  EXPECT_GT(norm_diff, 0.1 * (norm_a + norm_b));
  W2FineTuneConfig none;
  none.use_bias = none.use_shift = false;
  std::vector<unsigned char> memory(1 << 20);
  Arena arena(memory.data(), memory.size());
  W2FineTune tuner;
  EXPECT_EQ(tuner.init(none, a.model, arena).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace usbpo

#include "allocation_counter.hpp"

namespace usbpo {
namespace {

TEST(W2FineTune, PhaseTwoNeverAllocates) {
  PhaseTwo s(128);
  s.tuner.backup(s.model);
  s.perturb(0.3f, 9);
  Rng rng(1);
  auto sample = [&](W2Batch* b) {
    *b = s.batch;
    return Status::ok();
  };
  W2Report report;
  std::int64_t allocations = 0;
  {
    testing_support::NoAllocationScope scope;
    if (!s.tuner.run(s.model, sample, s.batch, rng, &report).is_ok()) FAIL();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_GT(report.steps, 0);
}

}  // namespace
}  // namespace usbpo
