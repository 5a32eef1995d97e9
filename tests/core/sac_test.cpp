#include "usbpo/agent/sac.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_backend.hpp"
#include "test_support.hpp"

namespace usbpo {
namespace {

// A Sac on the test backend (USBPO_TEST_BACKEND): tests reach its state only
// through the host mirror (pull_state / push_state) and downloads.
struct BuiltSac {
  testing_support::SacOnBackend on;
  Sac& sac;
  explicit BuiltSac(const SacConfig& config, std::uint64_t seed = 1) : sac(on.sac) {
    Rng rng(seed);
    Status s = on.init(config, rng);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
};

std::vector<Scalar> download(Sac& sac, const Scalar* device, std::size_t n) {
  std::vector<Scalar> host(n);
  sac.backend().download(host.data(), device, n * sizeof(Scalar));
  return host;
}

// Small smooth (swish) networks so that finite differences see no ReLU kinks.
SacConfig small_config() {
  SacConfig c;
  c.obs_dim = 3;
  c.act_dim = 2;
  c.hidden_layers = 2;
  c.hidden_width = 8;
  c.activation = Activation::kSwish;
  c.batch = 5;
  c.initial_alpha = 0.3f;
  return c;
}

void fill_batch(Sac& sac, Rng& rng) {
  const SacConfig& c = sac.config();
  SacBatch& b = sac.batch();
  for (int i = 0; i < c.batch * c.obs_dim; ++i) b.obs[i] = rng.uniform(-1, 1);
  for (int i = 0; i < c.batch * c.obs_dim; ++i) b.next_obs[i] = rng.uniform(-1, 1);
  for (int i = 0; i < c.batch * c.act_dim; ++i) b.act[i] = rng.uniform(-0.9f, 0.9f);
  for (int i = 0; i < c.batch; ++i) {
    b.reward[i] = rng.uniform(-1, 1);
    b.not_done[i] = i == 2 ? 0.0f : 1.0f;
  }
}

// params is a part of sac's host mirror; each changed value is pushed to the device.
template <typename Loss>
void check_against_finite_differences(Sac& sac, Scalar* params, std::size_t n, const Scalar* analytic, Loss loss,
                                      const char* what) {
  std::vector<double> numeric(n);
  for (std::size_t i = 0; i < n; ++i) {
    numeric[i] = testing_support::central_difference(
        [&](Scalar v) {
          const Scalar saved = params[i];
          params[i] = v;
          sac.push_state();
          const double l = loss();
          params[i] = saved;
          sac.push_state();
          return l;
        },
        params[i]);
  }
  testing_support::expect_gradient_matches(std::vector<double>(analytic, analytic + n), numeric, 1e-2,
                                           what);
}

TEST(Sac, CriticLossGradientsMatchFiniteDifferences) {
  BuiltSac built(small_config());
  Sac& sac = built.sac;
  Rng rng(4);
  fill_batch(sac, rng);
  // Targets differ from the critics so that the loss is not trivially at a minimum.
  sac.pull_state();
  for (std::size_t i = 0; i < sac.critic_network().total_params(); ++i) sac.target_critic_params()[i] += 0.2f;
  sac.push_state();
  std::vector<Scalar> eps(sac.config().batch * sac.config().act_dim);
  for (auto& e : eps) e = rng.normal();
  sac.critic_loss(eps.data(), true);
  std::vector<Scalar> analytic = download(sac, sac.device_critic_grads(), sac.critic_network().total_params());
  check_against_finite_differences(sac, sac.critic_params(), analytic.size(), analytic.data(),
                                   [&] { return sac.critic_loss(eps.data(), false); }, "critic");
}

TEST(Sac, ActorLossGradientsMatchFiniteDifferences) {
  SacConfig c = small_config();
  BuiltSac built(c);
  Sac& sac = built.sac;
  Rng rng(6);
  fill_batch(sac, rng);
  std::vector<Scalar> eps(c.batch * c.act_dim);
  for (auto& e : eps) e = rng.normal();
  sac.actor_loss(eps.data(), true, nullptr);
  std::vector<Scalar> analytic = download(sac, sac.device_actor_grads(), sac.actor_network().total_params());
  sac.pull_state();
  check_against_finite_differences(sac, sac.actor_params(), analytic.size(), analytic.data(),
                                   [&] { return sac.actor_loss(eps.data(), false, nullptr); }, "actor");
}

TEST(Sac, ActorGradientIsZeroForClippedLogStd) {
  SacConfig c = small_config();
  c.log_std_max = -30.0f;  // every log-std is clipped from above
  c.log_std_min = -40.0f;
  BuiltSac built(c);
  Rng rng(2);
  fill_batch(built.sac, rng);
  std::vector<Scalar> eps(c.batch * c.act_dim, 1.0f);
  const Scalar base = built.sac.actor_loss(eps.data(), false, nullptr);
  // Output-layer log-std bias rows: moving them leaves the loss unchanged.
  const EnsembleMlp& net = built.sac.actor_network();
  built.sac.pull_state();
  Scalar* bias = built.sac.actor_params() + net.bias_offset(net.num_layers() - 1);
  bias[c.act_dim] += 0.5f;
  built.sac.push_state();
  EXPECT_EQ(base, built.sac.actor_loss(eps.data(), false, nullptr));
}

TEST(Sac, TemperatureLossGradientMatchesFiniteDifference) {
  BuiltSac built(small_config());
  Sac& sac = built.sac;
  const Scalar mean_log_pi = 0.7f;
  Scalar analytic = 0;
  sac.alpha_loss(mean_log_pi, &analytic);
  const double numeric = testing_support::central_difference(
      [&](Scalar v) {
        const Scalar saved = sac.log_alpha();
        sac.log_alpha() = v;
        const double l = sac.alpha_loss(mean_log_pi, nullptr);
        sac.log_alpha() = saved;
        return l;
      },
      sac.log_alpha());
  EXPECT_NEAR(analytic, numeric, 1e-4);
  EXPECT_FLOAT_EQ(analytic, -(mean_log_pi + sac.target_entropy()));
}

TEST(Sac, TemperatureMovesTowardTargetEntropy) {
  SacConfig c = small_config();
  c.target_entropy = 5.0f;  // far above what the policy has: alpha must grow
  BuiltSac built(c);
  Rng rng(1);
  fill_batch(built.sac, rng);
  const Scalar before = built.sac.alpha();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(built.sac.update(rng, nullptr).is_ok());
  EXPECT_GT(built.sac.alpha(), before);
}

TEST(Sac, UpdatesAreDeterministicBySeed) {
  BuiltSac a(small_config(), 3), b(small_config(), 3);
  Rng ra(9), rb(9);
  for (int step = 0; step < 10; ++step) {
    fill_batch(a.sac, ra);
    fill_batch(b.sac, rb);
    ASSERT_TRUE(a.sac.update(ra, nullptr).is_ok());
    ASSERT_TRUE(b.sac.update(rb, nullptr).is_ok());
  }
  a.sac.pull_state();
  b.sac.pull_state();
  for (std::size_t i = 0; i < a.sac.actor_network().total_params(); ++i) {
    ASSERT_EQ(a.sac.actor_params()[i], b.sac.actor_params()[i]);
  }
  for (std::size_t i = 0; i < a.sac.critic_network().total_params(); ++i) {
    ASSERT_EQ(a.sac.target_critic_params()[i], b.sac.target_critic_params()[i]);
  }
}

TEST(Sac, ActRejectsNonFiniteObservationAndStaysInBounds) {
  BuiltSac built(small_config());
  Scalar obs[3] = {0.1f, std::numeric_limits<Scalar>::quiet_NaN(), 0.0f};
  Scalar action[2] = {7, 7};
  Status s = built.sac.act(obs, action, true, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kNonFinite);
  EXPECT_NE(std::string(s.message()).find("NaN"), std::string::npos);
  EXPECT_EQ(action[0], 7);  // untouched
  obs[1] = 100.0f;
  Rng rng(1);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(built.sac.act(obs, action, false, &rng).is_ok());
    EXPECT_LE(std::fabs(action[0]), 1.0f);
    EXPECT_LE(std::fabs(action[1]), 1.0f);
  }
}

TEST(Sac, RejectsBadConfig) {
  SacConfig c = small_config();
  c.act_dim = 0;
  std::vector<unsigned char> memory(1 << 20);
  Arena arena(memory.data(), memory.size());
  Sac sac;
  Rng rng(1);
  EXPECT_EQ(sac.init(c, arena, rng).code(), StatusCode::kInvalidArgument);
  c = small_config();
  std::vector<unsigned char> tiny(Sac::bytes_needed(c) / 2);
  Arena small(tiny.data(), tiny.size());
  EXPECT_EQ(sac.init(c, small, rng).code(), StatusCode::kOutOfMemory);
  // On a backend of its own: too little host memory, then no device memory reserved.
  std::unique_ptr<Backend> backend = testing_support::make_test_backend();
  if (backend) {
    ASSERT_TRUE(backend->reserve_device(Sac::device_bytes_needed(c)).is_ok());
    std::vector<unsigned char> host(Sac::host_bytes_needed(c, false) / 2);
    Arena host_arena(host.data(), host.size());
    EXPECT_EQ(sac.init(c, *backend, host_arena, rng).code(), StatusCode::kOutOfMemory);
    ASSERT_TRUE(backend->reserve_device(Sac::device_bytes_needed(c) / 2).is_ok());
    host.resize(Sac::host_bytes_needed(c, false));
    host_arena = Arena(host.data(), host.size());
    EXPECT_EQ(sac.init(c, *backend, host_arena, rng).code(), StatusCode::kOutOfMemory);
  }
}

}  // namespace
}  // namespace usbpo
