// Fidelity to MBPO's and USB-PO's published code (issue 13): early-stopping
// counts, phase 2's holdout data and its optimizer across rounds, SAC's
// initialisation and its single-step update order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_backend.hpp"
#include "test_support.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/model/w2_fine_tune.hpp"
#include "usbpo/nn/ops.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

// 1-D inputs, a noisy sine target: enough for a few ensemble epochs.
struct SineData {
  std::vector<Scalar> obs, act, reward, next_obs;
  std::vector<int> slots;
  explicit SineData(int n) {
    Rng rng(5);
    for (int i = 0; i < n; ++i) {
      const Scalar x = rng.uniform(-2, 2), a = rng.uniform(-1, 1);
      obs.push_back(x);
      act.push_back(a);
      reward.push_back(std::sin(x) + 0.1f * rng.normal());
      next_obs.push_back(x + 0.5f * a + 0.05f * rng.normal());
      slots.push_back(i);
    }
  }
  TransitionView view() const { return {obs.data(), act.data(), reward.data(), next_obs.data()}; }
};

EnsembleConfig tiny_ensemble(int max_samples) {
  EnsembleConfig c;
  c.obs_dim = 1;
  c.act_dim = 1;
  c.members = 3;
  c.elites = 2;
  c.hidden_layers = 2;
  c.hidden_width = 8;
  c.batch = 32;
  c.max_samples = max_samples;
  return c;
}

// An ensemble and its phase-2 tuner in memory of their own.
struct ModelAndTuner {
  std::vector<unsigned char> memory;
  Arena arena;
  GaussianEnsemble model;
  W2FineTune tuner;
  ModelAndTuner(const EnsembleConfig& ec, const W2FineTuneConfig& wc) {
    memory.resize(GaussianEnsemble::bytes_needed(ec) + W2FineTune::bytes_needed(wc, ec));
    arena = Arena(memory.data(), memory.size());
    Rng rng(1);
    EXPECT_TRUE(model.init(ec, arena, rng).is_ok());
    EXPECT_TRUE(tuner.init(wc, model, arena).is_ok());
  }
};

// MBPO's _save_best: `epochs_since_update > 5` ends training, so the 6th epoch
// in a row without a 1 % improvement is the last one.
TEST(Fidelity, EnsembleStopsAfterMoreThanPatienceEpochsWithoutImprovement) {
  for (int patience : {1, 5}) {
    EnsembleConfig c = tiny_ensemble(400);
    c.improvement_threshold = 1e9f;  // only epoch 1 (against "no snapshot yet") improves
    c.patience = patience;
    std::vector<unsigned char> memory(GaussianEnsemble::bytes_needed(c));
    Arena arena(memory.data(), memory.size());
    GaussianEnsemble model;
    Rng rng(2);
    ASSERT_TRUE(model.init(c, arena, rng).is_ok());
    SineData data(400);
    EnsembleTrainReport report;
    ASSERT_TRUE(model.train(data.view(), data.slots.data(), 400, rng, &report).is_ok());
    EXPECT_EQ(report.epochs, 1 + patience + 1) << "patience " << patience;
  }
}

// A batch of (s, a) pairs with member draws for phase 2.
struct PhaseTwoPairs {
  std::vector<Scalar> obs, act;
  std::vector<int> k1, k2;
  W2Batch batch;
  PhaseTwoPairs(W2FineTune& tuner, int n, std::uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < n; ++i) {
      obs.push_back(rng.uniform(-2, 2));
      act.push_back(rng.uniform(-1, 1));
    }
    k1.resize(n);
    k2.resize(n);
    tuner.draw_members(n, rng, k1.data(), k2.data());
    batch = W2Batch{obs.data(), act.data(), k1.data(), k2.data(), n};
  }
};

// USB-PO's _union_save_best: `_union_epochs_since_update > 10` ends phase 2.
TEST(Fidelity, PhaseTwoStopsAfterMoreThanPatienceStepsWithoutImprovement) {
  W2FineTuneConfig wc;
  wc.batch = 32;
  wc.patience = 3;
  wc.min_improvement = 1e9f;  // no step ever counts as an improvement
  ModelAndTuner s(tiny_ensemble(100), wc);
  s.tuner.backup(s.model);
  Rng perturb(3);
  for (std::size_t i = 0; i < s.model.param_count(); ++i) s.model.params()[i] += 0.1f * perturb.normal();
  PhaseTwoPairs pairs(s.tuner, wc.batch, 4);
  auto sample = [&](W2Batch* b) {
    *b = pairs.batch;
    return Status::ok();
  };
  Rng rng(5);
  W2Report report;
  ASSERT_TRUE(s.tuner.run(s.model, sample, pairs.batch, rng, &report).is_ok());
  EXPECT_EQ(report.steps, wc.patience + 1);
  EXPECT_EQ(report.best_step, 0);
}

// USB-PO's code builds one phase-2 Adam for the whole run: its moments and
// step count carry over from one model round to the next.
TEST(Fidelity, PhaseTwoAdamCarriesOverRounds) {
  W2FineTuneConfig wc;
  wc.batch = 32;
  wc.max_steps = 4;
  wc.patience = 100;  // every round takes all max_steps
  ModelAndTuner s(tiny_ensemble(100), wc);
  PhaseTwoPairs pairs(s.tuner, wc.batch, 6);
  auto sample = [&](W2Batch* b) {
    *b = pairs.batch;
    return Status::ok();
  };
  Rng rng(7);
  Adam& adam = s.tuner.optimizer();
  for (int round = 1; round <= 3; ++round) {
    s.tuner.backup(s.model);
    Rng perturb(10 + round);  // "phase 1" moved the model
    for (std::size_t i = 0; i < s.model.param_count(); ++i) s.model.params()[i] += 0.05f * perturb.normal();
    const std::vector<Scalar> m_before(adam.first_moment(), adam.first_moment() + adam.size());
    W2Report report;
    ASSERT_TRUE(s.tuner.run(s.model, sample, pairs.batch, rng, &report).is_ok());
    ASSERT_EQ(report.steps, wc.max_steps);
    EXPECT_EQ(adam.steps(), round * wc.max_steps) << "round " << round;
    if (round > 1) {
      double carried = 0;
      for (Scalar m : m_before) carried += std::fabs(m);
      EXPECT_GT(carried, 0.0) << "round " << round << " started from zero moments";
    }
  }
}

TrainerConfig small_usbpo(Algorithm algorithm) {
  TrainerConfig c;
  c.algorithm = algorithm;
  c.seed = 5;
  c.start_steps = 300;
  c.update_after = 300;
  c.updates_per_step = 1;
  c.replay_capacity = 2000;
  c.epoch_length = 250;
  c.eval_episodes = 1;
  c.model_train_freq = 250;
  c.rollout_batch = 300;
  c.rollout_schedule = {1, 15, 1, 1};
  testing_support::use_small_networks(c);
  return c;
}

using PendulumRun = testing_support::PendulumTrainer;

// (obs, act) of real store slot `slot`, as bytes: an exact key.
std::string pair_key(const Scalar* obs, int obs_dim, const Scalar* act, int act_dim) {
  std::string key(reinterpret_cast<const char*>(obs), sizeof(Scalar) * obs_dim);
  key.append(reinterpret_cast<const char*>(act), sizeof(Scalar) * act_dim);
  return key;
}

// USB-PO's code validates phase 2 on 1024 pairs drawn from phase 1's holdout
// split and re-ranks the elites on that split: data the MLE fit never saw.
TEST(Fidelity, PhaseTwoValidatesAndRanksElitesOnPhaseOneHoldout) {
  const TrainerConfig c = small_usbpo(Algorithm::kUsbpo);
  PendulumRun run(c);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  Trainer& trainer = run.trainer;
  TrainerProgress p;
  int phase_two_rounds = 0;
  while (phase_two_rounds < 2) {  // model rounds at 300 (plain MLE), 550 and 800
    ASSERT_TRUE(trainer.step(&p).is_ok());
    if (!p.model_round || !p.model.phase_two) continue;
    ++phase_two_rounds;
    ReplayStore& real = trainer.real_store();
    GaussianEnsemble& model = trainer.model();
    const int* holdout = model.holdout_slots();
    const int holdout_size = model.holdout_size();
    EXPECT_EQ(holdout_size, static_cast<int>(real.size() * c.model.holdout_ratio));
    const int obs_dim = real.config().obs_dim, act_dim = real.config().act_dim;
    std::set<std::string> holdout_pairs, all_pairs;
    for (int i = 0; i < holdout_size; ++i) {
      holdout_pairs.insert(pair_key(real.obs(holdout[i]), obs_dim, real.act(holdout[i]), act_dim));
    }
    std::vector<int> live(static_cast<std::size_t>(real.size()));
    real.live_slots(live.data());
    for (int slot : live) all_pairs.insert(pair_key(real.obs(slot), obs_dim, real.act(slot), act_dim));
    ASSERT_EQ(static_cast<int>(all_pairs.size()), real.size()) << "Pendulum transitions should be distinct";

    const W2Batch v = trainer.phase_two_validation();
    ASSERT_EQ(v.n, c.w2.batch);
    int from_holdout = 0;
    for (int i = 0; i < v.n; ++i) {
      const std::string key = pair_key(real.obs(v.slots[i]), obs_dim, real.act(v.slots[i]), act_dim);
      from_holdout += holdout_pairs.count(key) > 0;
    }
    EXPECT_EQ(from_holdout, v.n) << "validation pairs outside phase 1's holdout split";

    // Elites: the lowest MSE on the holdout split, as reported.
    const TransitionView view{real.obs_data(), real.act_data(), real.reward_data(), real.next_obs_data()};
    std::vector<Scalar> mse(static_cast<std::size_t>(c.model.members));
    model.holdout_mse(view, holdout, holdout_size, mse.data());
    std::vector<Scalar> sorted = mse;
    std::sort(sorted.begin(), sorted.end());
    double elite_mean = 0;
    for (int e = 0; e < c.model.elites; ++e) {
      EXPECT_EQ(mse[static_cast<std::size_t>(model.elite_indices()[e])], sorted[static_cast<std::size_t>(e)]);
      elite_mean += sorted[static_cast<std::size_t>(e)];
      EXPECT_EQ(model.last_holdout_mse()[model.elite_indices()[e]], mse[static_cast<std::size_t>(model.elite_indices()[e])]);
    }
    EXPECT_FLOAT_EQ(p.model.phase_two_holdout_mse, static_cast<Scalar>(elite_mean / c.model.elites));
    EXPECT_GT(p.model.mle.mean_holdout_mse, 0.0f);
  }
}

// Collects the names (and the phase-2 Adam's step count) a trainer saves.
class NameCollector : public StateVisitor {
 public:
  void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) override {
    const std::string full = std::string(prefix) + "/" + name;
    names.insert(full);
    if (full == "w2/adam/step" && type == StateType::kI64 && count == 1) std::memcpy(&w2_adam_step, data, 8);
  }
  bool check(bool, const char*, const char*) override { return true; }
  bool ok() const override { return true; }
  std::set<std::string> names;
  std::int64_t w2_adam_step = -1;
};

// The phase-2 optimizer is state for USB-PO (a resumed run continues its
// moments); MBPO, which never runs phase 2, does not save it.
TEST(Fidelity, CheckpointsHoldThePhaseTwoOptimizerForUsbpo) {
  for (Algorithm algorithm : {Algorithm::kUsbpo, Algorithm::kMbpo}) {
    PendulumRun run(small_usbpo(algorithm));
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    TrainerProgress p;
    std::int64_t phase_two_steps = 0;
    while (p.env_steps < 900) {  // rounds at 300, 550, 800
      ASSERT_TRUE(run.trainer.step(&p).is_ok());
      if (p.model_round && p.model.phase_two) phase_two_steps += p.model.w2.steps;
    }
    NameCollector names;
    ASSERT_TRUE(run.trainer.save_state(names).is_ok());
    const bool usbpo = algorithm == Algorithm::kUsbpo;
    EXPECT_EQ(names.names.count("w2/adam/m"), usbpo ? 1u : 0u) << algorithm_name(algorithm);
    EXPECT_EQ(names.names.count("w2/adam/v"), usbpo ? 1u : 0u) << algorithm_name(algorithm);
    if (usbpo) {
      EXPECT_GT(phase_two_steps, 0);
      EXPECT_EQ(names.w2_adam_step, phase_two_steps) << "the phase-2 Adam counts every round's steps";
    }
  }
}

// softlearning's SAC networks (MBPO's) are Keras Dense layers: weights
// U(-sqrt(6 / (fan_in + fan_out)), +...), biases 0. The dynamics ensemble keeps
// MBPO's truncated normal.
TEST(Fidelity, SacStartsGlorotUniformWithZeroBiases) {
  SacConfig c;
  c.obs_dim = 11;
  c.act_dim = 3;
  c.batch = 4;
  std::vector<unsigned char> memory(Sac::bytes_needed(c));
  Arena arena(memory.data(), memory.size());
  Sac sac;
  Rng rng(1);
  ASSERT_TRUE(sac.init(c, arena, rng).is_ok());
  auto check = [](const EnsembleMlp& net, const Scalar* params, const char* what) {
    for (int b = 0; b < net.members(); ++b) {
      for (int l = 0; l < net.num_layers(); ++l) {
        const int fan_in = net.layer_in(l), fan_out = net.layer_out(l);
        const double bound = std::sqrt(6.0 / (fan_in + fan_out));
        const Scalar* w = params + net.member_offset(b) + net.weight_offset(l);
        const std::size_t n = static_cast<std::size_t>(fan_in) * fan_out;
        double sum = 0, sq = 0, largest = 0;
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_LE(std::fabs(w[i]), bound) << what << " layer " << l;
          sum += w[i];
          sq += static_cast<double>(w[i]) * w[i];
          largest = std::max(largest, static_cast<double>(std::fabs(w[i])));
        }
        const double mean = sum / n, variance = sq / n - mean * mean;
        // U(-r, r) has variance r^2 / 3; relative standard error sqrt(0.8 / n).
        const double tolerance = 5 * std::sqrt(0.8 / n);
        EXPECT_NEAR(variance / (bound * bound / 3), 1.0, tolerance) << what << " layer " << l;
        if (n >= 500) {
          EXPECT_GT(largest, 0.98 * bound) << what << " layer " << l;
        }
        const Scalar* bias = params + net.member_offset(b) + net.bias_offset(l);
        for (int i = 0; i < fan_out; ++i) ASSERT_EQ(bias[i], 0.0f) << what << " layer " << l;
      }
    }
  };
  check(sac.actor_network(), sac.actor_params(), "actor");
  check(sac.critic_network(), sac.critic_params(), "critics");
  for (std::size_t i = 0; i < sac.critic_network().total_params(); ++i) {
    ASSERT_EQ(sac.target_critic_params()[i], sac.critic_params()[i]);
  }

  EnsembleConfig ec = tiny_ensemble(10);
  ec.hidden_width = 200;
  std::vector<unsigned char> model_memory(GaussianEnsemble::bytes_needed(ec));
  Arena model_arena(model_memory.data(), model_memory.size());
  GaussianEnsemble model;
  ASSERT_TRUE(model.init(ec, model_arena, rng).is_ok());
  const EnsembleMlp& net = model.network();
  const Scalar* w = model.params() + net.weight_offset(1);  // 200 x 200
  const double std_dev = 1.0 / (2.0 * std::sqrt(200.0));
  double sq = 0;
  for (int i = 0; i < 200 * 200; ++i) {
    ASSERT_LE(std::fabs(w[i]), 2 * std_dev + 1e-7);
    sq += static_cast<double>(w[i]) * w[i];
  }
  // A normal truncated at 2 std keeps 0.774 of its variance.
  EXPECT_NEAR(sq / (200 * 200) / (std_dev * std_dev), 0.774, 0.03);
}

SacConfig two_step_config() {
  SacConfig c;
  c.obs_dim = 3;
  c.act_dim = 2;
  c.hidden_width = 16;
  c.batch = 8;
  c.initial_alpha = 0.5f;
  c.critic_lr = 0.05f;  // a large critic step: the actor sees very different critics after it
  return c;
}

struct SacInArena {
  testing_support::SacOnBackend on;
  Sac& sac;
  explicit SacInArena(const SacConfig& c) : sac(on.sac) {
    Rng rng(21);
    EXPECT_TRUE(on.init(c, rng).is_ok());
    Rng data(22);
    SacBatch& b = sac.batch();
    for (int i = 0; i < c.batch * c.obs_dim; ++i) b.obs[i] = data.uniform(-1, 1);
    for (int i = 0; i < c.batch * c.obs_dim; ++i) b.next_obs[i] = data.uniform(-1, 1);
    for (int i = 0; i < c.batch * c.act_dim; ++i) b.act[i] = data.uniform(-0.9f, 0.9f);
    for (int i = 0; i < c.batch; ++i) {
      b.reward[i] = data.uniform(-1, 1);
      b.not_done[i] = i == 3 ? 0.0f : 1.0f;
    }
    // Targets away from the critics, so that the critic loss is not at a minimum.
    sac.pull_state();
    for (std::size_t i = 0; i < sac.critic_network().total_params(); ++i) sac.target_critic_params()[i] *= 1.5f;
    sac.push_state();
  }
};

std::vector<Scalar> actor_gradient(Sac& sac) {
  std::vector<Scalar> g(sac.actor_network().total_params());
  sac.backend().download(g.data(), sac.device_actor_grads(), g.size() * sizeof(Scalar));
  return g;
}

// Elements of a and b (n each) that are not bit-identical.
std::size_t differing(const Scalar* a, const Scalar* b, std::size_t n) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += std::memcmp(a + i, b + i, sizeof(Scalar)) != 0;
  return count;
}

// MBPO's SAC step is one TF graph run: the critic loss (targets from the
// target critics, the current actor's next-state sample and the current alpha),
// the actor loss (current critics, current alpha) and the alpha loss (current
// log pi) all see the parameters from before the step; Polyak after.
TEST(Fidelity, SacUpdateTakesEveryGradientAtThePreUpdateParameters) {
  const SacConfig c = two_step_config();
  const std::size_t noise = static_cast<std::size_t>(c.batch) * c.act_dim;
  SacInArena under_test(c), reference(c), sequential(c);

  Rng rng(31);
  ASSERT_TRUE(under_test.sac.update(rng, nullptr).is_ok());

  // The same noise the update draws: the next-state sample, then the actor's.
  Rng noise_rng(31);
  std::vector<Scalar> next_eps(noise), eps(noise);
  for (Scalar& e : next_eps) e = noise_rng.normal();
  for (Scalar& e : eps) e = noise_rng.normal();

  // Reference by hand: all three gradients first (actor_loss takes the
  // temperature's too), then the three Adam steps.
  Sac& r = reference.sac;
  r.critic_loss(next_eps.data(), true);
  Scalar mean_log_pi = 0;
  r.actor_loss(eps.data(), true, &mean_log_pi);
  r.step_critics();
  r.step_actor();
  r.step_temperature();
  r.update_targets();

  const std::size_t n_actor = r.actor_network().total_params(), n_critic = r.critic_network().total_params();
  Sac& u = under_test.sac;
  u.pull_state();
  r.pull_state();
  EXPECT_EQ(differing(u.critic_params(), r.critic_params(), n_critic), 0u);
  EXPECT_EQ(differing(u.target_critic_params(), r.target_critic_params(), n_critic), 0u);
  EXPECT_EQ(differing(u.actor_params(), r.actor_params(), n_actor), 0u);
  EXPECT_EQ(u.log_alpha(), r.log_alpha());
  // The temperature moved by its gradient -(mean log pi + target entropy).
  Scalar alpha_grad = 0;
  r.alpha_loss(mean_log_pi, &alpha_grad);
  EXPECT_NE(alpha_grad, 0.0f);
  EXPECT_EQ(r.log_alpha() < std::log(c.initial_alpha), alpha_grad > 0);

  // The sequential order (actor against the critics after their step) moves
  // the actor differently: the comparison above can tell the two apart.
  Sac& s = sequential.sac;
  s.critic_loss(next_eps.data(), true);
  s.step_critics();
  s.actor_loss(eps.data(), true, nullptr);
  s.step_actor();
  s.pull_state();
  const std::vector<Scalar> s_grad = actor_gradient(s), r_grad = actor_gradient(r);
  double gradient_gap = 0, gradient_norm = 0;
  for (std::size_t i = 0; i < n_actor; ++i) {
    gradient_gap += std::fabs(s_grad[i] - r_grad[i]);
    gradient_norm += std::fabs(r_grad[i]);
  }
  EXPECT_GT(gradient_gap, 0.05 * gradient_norm) << "the critic step should change the actor gradient";
  // (Adam's first step is +-lr per parameter, so only the sign flips show.)
  EXPECT_GT(differing(s.actor_params(), u.actor_params(), n_actor), 0u);
}

}  // namespace
}  // namespace usbpo
