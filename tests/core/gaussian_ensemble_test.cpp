#include "usbpo/model/gaussian_ensemble.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "test_support.hpp"

namespace usbpo {
namespace {

// Owns the arena memory of one ensemble.
struct Built {
  std::vector<unsigned char> memory;
  Arena arena;
  GaussianEnsemble model;
  explicit Built(const EnsembleConfig& config, std::uint64_t seed = 1) {
    memory.resize(GaussianEnsemble::bytes_needed(config));
    arena = Arena(memory.data(), memory.size());
    Rng rng(seed);
    Status s = model.init(config, arena, rng);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
};

EnsembleConfig small_config(int obs_dim, int act_dim) {
  EnsembleConfig c;
  c.obs_dim = obs_dim;
  c.act_dim = act_dim;
  c.members = 3;
  c.elites = 2;
  c.hidden_layers = 2;
  c.hidden_width = 8;
  c.batch = 6;
  c.max_samples = 100;
  return c;
}

TEST(GaussianEnsemble, LossGradientsMatchFiniteDifferences) {
  EnsembleConfig c = small_config(2, 1);
  c.max_logvar_init = 0.3f;   // tight bounds so both soft clamps are active
  c.min_logvar_init = -0.8f;
  c.weight_decays[0] = 0.05f;  // large decays so their gradient is visible
  c.weight_decays[1] = 0.1f;
  c.weight_decays[2] = 0.2f;
  c.logvar_bound_coef = 0.3f;
  Built built(c);
  GaussianEnsemble& m = built.model;
  Rng rng(5);
  // Perturb parameters so raw log-variances land on both sides of the bounds.
  for (std::size_t i = 0; i < m.network().total_params(); ++i) m.params()[i] *= 4.0f;
  const int in = m.input_dim(), out = m.output_dim(), batch = c.batch;
  std::vector<Scalar> inputs(static_cast<std::size_t>(in) * batch * c.members);
  std::vector<Scalar> targets(static_cast<std::size_t>(out) * batch * c.members);
  for (auto& x : inputs) x = rng.uniform(-1.5f, 1.5f);
  for (auto& y : targets) y = rng.uniform(-1, 1);
  m.batch_loss(inputs.data(), targets.data(), batch, true);
  std::vector<Scalar> analytic(m.gradients(), m.gradients() + m.param_count());
  std::vector<double> numeric(m.param_count());
  for (std::size_t i = 0; i < m.param_count(); ++i) {
    numeric[i] = testing_support::central_difference(
        [&](Scalar v) {
          const Scalar saved = m.params()[i];
          m.params()[i] = v;
          const double l = m.batch_loss(inputs.data(), targets.data(), batch, false);
          m.params()[i] = saved;
          return l;
        },
        m.params()[i]);
  }
  testing_support::expect_gradient_matches(std::vector<double>(analytic.begin(), analytic.end()), numeric, 1e-2,
                                           "ensemble loss");
  // The bound gradients include the penalty term: nonzero.
  EXPECT_NE(analytic[m.network().total_params()], 0.0f);
}

// y = [reward, next_obs - obs] with reward = x a and delta = sin(3x) + noise of std 0.02 + 0.2 |x|.
struct Heteroscedastic {
  std::vector<Scalar> obs, act, reward, next_obs;
  std::vector<int> slots;
  static Scalar noise_std(Scalar x) { return 0.02f + 0.2f * std::fabs(x); }
  explicit Heteroscedastic(int n, std::uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < n; ++i) {
      const Scalar x = rng.uniform(-1, 1), a = rng.uniform(-1, 1);
      obs.push_back(x);
      act.push_back(a);
      reward.push_back(x * a);
      next_obs.push_back(x + std::sin(3 * x) + noise_std(x) * rng.normal());
      slots.push_back(i);
    }
  }
  TransitionView view() const { return {obs.data(), act.data(), reward.data(), next_obs.data()}; }
};

TEST(GaussianEnsemble, FitsNoisyFunctionAndTracksHeteroscedasticNoise) {
  EnsembleConfig c;
  c.obs_dim = 1;
  c.act_dim = 1;
  c.members = 5;
  c.elites = 3;
  c.hidden_layers = 3;
  c.hidden_width = 32;
  c.batch = 64;
  c.max_samples = 4000;
  Built built(c);
  Heteroscedastic data(4000, 11);
  Rng rng(2);
  EnsembleTrainReport report;
  Status s = built.model.train(data.view(), data.slots.data(), 4000, rng, &report);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(report.holdout_size, 800);
  EXPECT_GT(report.epochs, c.patience);
  // Evaluate the best elite on a grid.
  const int n = 41;
  std::vector<Scalar> xs(n), as(n, 0.3f), mean(2 * n), logvar(2 * n);
  for (int i = 0; i < n; ++i) xs[i] = -0.95f + 1.9f * i / (n - 1);
  ASSERT_TRUE(built.model.predict_member(built.model.elite_indices()[0], xs.data(), as.data(), n, mean.data(),
                                         logvar.data()).is_ok());
  double mean_err = 0, corr_num = 0, var_p = 0, var_t = 0, mp = 0, mt = 0;
  std::vector<double> pred_std(n), true_std(n);
  for (int i = 0; i < n; ++i) {
    mean_err += std::fabs(mean[2 * i + 1] - std::sin(3 * xs[i]));
    mean_err += std::fabs(mean[2 * i] - xs[i] * 0.3f);
    pred_std[i] = std::exp(0.5 * logvar[2 * i + 1]);
    true_std[i] = Heteroscedastic::noise_std(xs[i]);
    mp += pred_std[i] / n;
    mt += true_std[i] / n;
  }
  mean_err /= 2 * n;
  for (int i = 0; i < n; ++i) {
    corr_num += (pred_std[i] - mp) * (true_std[i] - mt);
    var_p += (pred_std[i] - mp) * (pred_std[i] - mp);
    var_t += (true_std[i] - mt) * (true_std[i] - mt);
  }
  const double correlation = corr_num / std::sqrt(var_p * var_t);
  EXPECT_LT(mean_err, 0.05) << "mean absolute error of the predicted mean";
  EXPECT_GT(correlation, 0.9) << "predicted std must track the true noise level";
  // Scale: at the edges the predicted std is within 35 % of the truth.
  EXPECT_NEAR(pred_std[0] / true_std[0], 1.0, 0.35);
  EXPECT_NEAR(pred_std[n - 1] / true_std[n - 1], 1.0, 0.35);
}

TEST(GaussianEnsemble, EarlyStopsAfterPatienceEpochsWithoutImprovement) {
  EnsembleConfig c = small_config(1, 1);
  c.max_samples = 500;
  c.improvement_threshold = 1e9f;  // only the first epoch (vs. +inf) counts as an improvement
  c.patience = 4;
  Built built(c);
  Heteroscedastic data(500, 3);
  Rng rng(4);
  EnsembleTrainReport report;
  ASSERT_TRUE(built.model.train(data.view(), data.slots.data(), 500, rng, &report).is_ok());
  EXPECT_EQ(report.epochs, 1 + c.patience + 1);  // MBPO: more than `patience` epochs without one
  EXPECT_EQ(report.holdout_size, 100);
  // Each epoch covers the training split in ceil(400 / 6) minibatches.
  EXPECT_EQ(report.gradient_steps, report.epochs * ((400 + c.batch - 1) / c.batch));
}

TEST(GaussianEnsemble, RestoresBestSnapshotAndPicksLowestMseElites) {
  EnsembleConfig c = small_config(1, 1);
  c.members = 5;
  c.elites = 3;
  c.max_samples = 600;
  c.improvement_threshold = 1e9f;  // the snapshot after epoch 1 is the one restored
  c.patience = 3;
  Built built(c);
  Heteroscedastic data(600, 8);
  Rng rng(6);
  // Same seed and data, one run capped at one epoch: its parameters are the snapshot.
  EnsembleConfig one = c;
  one.max_epochs = 1;
  Built single(one);
  Rng rng_single(6);
  ASSERT_TRUE(built.model.train(data.view(), data.slots.data(), 600, rng, nullptr).is_ok());
  ASSERT_TRUE(single.model.train(data.view(), data.slots.data(), 600, rng_single, nullptr).is_ok());
  for (std::size_t i = 0; i < built.model.network().total_params(); ++i) {
    ASSERT_EQ(built.model.params()[i], single.model.params()[i]) << "param " << i;
  }
  const Scalar* mse = built.model.last_holdout_mse();
  std::vector<Scalar> sorted(mse, mse + c.members);
  std::sort(sorted.begin(), sorted.end());
  for (int e = 0; e < c.elites; ++e) EXPECT_EQ(mse[built.model.elite_indices()[e]], sorted[e]);
}

TEST(GaussianEnsemble, SampleUsesElitesAndIsDeterministicBySeed) {
  EnsembleConfig c = small_config(2, 1);
  c.members = 4;
  c.elites = 2;
  c.predict_chunk = 7;  // several chunks
  Built a(c, 9), b(c, 9);
  // Members 2 and 0 are the elites (neither the first nor the last members); 1 and 3 must never be drawn.
  const Scalar mse[4] = {0.3f, 0.9f, 0.1f, 0.8f};
  for (Built* built : {&a, &b}) {
    built->model.select_elites(mse);
    // Log-variance bounds near -20 make every member almost deterministic (sigma ~ 5e-5),
    // so each drawn sample shows which member made it.
    for (int d = 0; d < built->model.output_dim(); ++d) {
      built->model.max_logvar()[d] = -20.0f;
      built->model.min_logvar()[d] = -30.0f;
    }
    // Member m's means are offset by m: no two members predict alike.
    const EnsembleMlp& net = built->model.network();
    for (int m = 0; m < c.members; ++m) {
      Scalar* bias = built->model.params() + net.member_offset(m) + net.bias_offset(net.num_layers() - 1);
      for (int d = 0; d < built->model.output_dim(); ++d) bias[d] += static_cast<Scalar>(m);
    }
  }
  ASSERT_EQ(a.model.elite_indices()[0], 2);
  ASSERT_EQ(a.model.elite_indices()[1], 0);
  const int n = 50, out = 3;
  std::vector<Scalar> obs(2 * n), act(n), next1(2 * n), next2(2 * n), r1(n), r2(n);
  Rng data_rng(1);
  for (auto& x : obs) x = data_rng.uniform(-1, 1);
  for (auto& x : act) x = data_rng.uniform(-1, 1);
  Rng rng1(3), rng2(3);
  ASSERT_TRUE(a.model.sample(obs.data(), act.data(), n, rng1, next1.data(), r1.data()).is_ok());
  ASSERT_TRUE(b.model.sample(obs.data(), act.data(), n, rng2, next2.data(), r2.data()).is_ok());
  EXPECT_EQ(next1, next2);
  EXPECT_EQ(r1, r2);
  // Every member's mean for every sample; the draw must sit on an elite's mean.
  std::vector<std::vector<Scalar>> means(c.members, std::vector<Scalar>(static_cast<std::size_t>(out) * n));
  std::vector<Scalar> logvar(static_cast<std::size_t>(out) * n);
  for (int m = 0; m < c.members; ++m) {
    ASSERT_TRUE(a.model.predict_member(m, obs.data(), act.data(), n, means[m].data(), logvar.data()).is_ok());
  }
  int drawn[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const Scalar y[3] = {r1[i], next1[2 * i] - obs[2 * i], next1[2 * i + 1] - obs[2 * i + 1]};
    double distance[4];
    int nearest = 0;
    for (int m = 0; m < c.members; ++m) {
      distance[m] = 0;
      for (int d = 0; d < out; ++d) distance[m] += std::fabs(y[d] - means[m][static_cast<std::size_t>(i) * out + d]);
      if (distance[m] < distance[nearest]) nearest = m;
    }
    ASSERT_LT(distance[nearest], 1e-3) << "sample " << i << " matches no member's prediction";
    for (int m = 0; m < c.members; ++m) {
      if (m != nearest) {
        ASSERT_GT(distance[m], 0.1) << "sample " << i << ": members " << m << " and " << nearest << " predict alike";
      }
    }
    ++drawn[nearest];
  }
  EXPECT_EQ(drawn[1], 0) << "a non-elite member was used";
  EXPECT_EQ(drawn[3], 0) << "a non-elite member was used";
  EXPECT_GT(drawn[0], 10) << "both elites are drawn, uniformly";
  EXPECT_GT(drawn[2], 10) << "both elites are drawn, uniformly";
}

TEST(GaussianEnsemble, RejectsBadConfigAndSmallArena) {
  EnsembleConfig c = small_config(2, 1);
  c.elites = 9;
  std::vector<unsigned char> memory(1 << 20);
  Arena arena(memory.data(), memory.size());
  GaussianEnsemble m;
  Rng rng(1);
  Status s = m.init(c, arena, rng);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("elites"), std::string::npos);
  c = small_config(2, 1);
  std::vector<unsigned char> tiny(GaussianEnsemble::bytes_needed(c) - 4096);
  Arena small(tiny.data(), tiny.size());
  s = m.init(c, small, rng);
  EXPECT_EQ(s.code(), StatusCode::kOutOfMemory);
  EXPECT_NE(std::string(s.message()).find("arena too small"), std::string::npos);
}

}  // namespace
}  // namespace usbpo
