#include "usbpo/agent/policy_mixture.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "usbpo/agent/replay_store.hpp"

namespace usbpo {
namespace {

struct Mixture {
  std::vector<unsigned char> memory;
  Arena arena;
  PolicyMixture mixture;
  explicit Mixture(int max_epochs = 4096) {
    PolicyMixtureConfig c;
    c.max_epochs = max_epochs;
    memory.resize(PolicyMixture::bytes_needed(c));
    arena = Arena(memory.data(), memory.size());
    EXPECT_TRUE(mixture.place(c, arena).is_ok());
  }
};

TEST(PolicyMixture, TotalIsInvariantAndNewestHoldsOneMinusAlpha) {
  Mixture m;
  for (int e = 0; e < 50; ++e) {
    ASSERT_TRUE(m.mixture.begin_epoch(e).is_ok());
    EXPECT_NEAR(m.mixture.total(), 1.0, 1e-12) << "epoch " << e;
    if (e > 0) {
      EXPECT_NEAR(m.mixture.weights()[m.mixture.count() - 1] / m.mixture.total(), 0.1, 1e-12);
    }
  }
  // Geometric decay: each older epoch holds alpha times the next one's weight.
  const double* w = m.mixture.weights();
  for (int i = 1; i + 1 < m.mixture.count(); ++i) EXPECT_NEAR(w[i] / w[i + 1], 0.9, 1e-12);
  EXPECT_EQ(m.mixture.first_epoch(), 0);
  EXPECT_EQ(m.mixture.begin_epoch(60).code(), StatusCode::kInvalidArgument);
}

TEST(PolicyMixture, DropsTheOldestEpochBeyondItsCapacity) {
  Mixture m(64);
  for (int e = 0; e < 200; ++e) ASSERT_TRUE(m.mixture.begin_epoch(e).is_ok());
  EXPECT_EQ(m.mixture.count(), 64);
  EXPECT_EQ(m.mixture.first_epoch(), 136);
  // Renormalised to 1; the newest still holds 1 - alpha; the dropped tail (alpha^63) barely
  // disturbs the geometric decay.
  const double* w = m.mixture.weights();
  EXPECT_NEAR(m.mixture.total(), 1.0, 1e-12);
  EXPECT_NEAR(w[63], 0.1, 1e-12);
  for (int i = 0; i + 2 < 64; ++i) EXPECT_NEAR(w[i] / w[i + 1], 0.9, 1e-3);
}

TEST(PolicyMixture, StoreSamplingFrequenciesMatchTheWeights) {
  Mixture m;
  ReplayConfig rc;
  rc.obs_dim = 1;
  rc.act_dim = 1;
  rc.capacity = 2000;
  std::vector<unsigned char> memory(ReplayStore::bytes_needed(rc));
  Arena arena(memory.data(), memory.size());
  ReplayStore store;
  ASSERT_TRUE(store.place(rc, arena).is_ok());
  const Scalar x = 0;
  for (int e = 0; e < 8; ++e) {  // 8 policy epochs of 250 transitions
    ASSERT_TRUE(m.mixture.begin_epoch(e).is_ok());
    for (int i = 0; i < 250; ++i) ASSERT_TRUE(store.store(&x, &x, 0, &x, false, e).is_ok());
  }
  Rng rng(11);
  const int n = 400000;
  std::vector<int> slots(n);
  ASSERT_TRUE(store.sample_by_epoch_weights(rng, m.mixture.weights(), m.mixture.first_epoch(), m.mixture.count(), n,
                                            slots.data())
                  .is_ok());
  std::vector<double> counts(8, 0);
  for (int s : slots) counts[store.epoch(s)] += 1;
  double chi2 = 0;
  for (int e = 0; e < 8; ++e) {
    const double expected = n * m.mixture.weights()[e] / m.mixture.total();
    chi2 += (counts[e] - expected) * (counts[e] - expected) / expected;
  }
  EXPECT_LT(chi2, 24.3);  // 7 degrees of freedom, 0.1 % critical value
  EXPECT_NEAR(counts[7] / n, 0.1, 0.003);  // the newest policy's share
}

}  // namespace
}  // namespace usbpo
