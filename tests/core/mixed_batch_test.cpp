#include "usbpo/agent/mixed_batch.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace usbpo {
namespace {

struct Stores {
  std::vector<unsigned char> memory;
  Arena arena;
  ReplayStore real, model;
  Sac sac;
  Stores() {
    ReplayConfig c;
    c.obs_dim = 2;
    c.act_dim = 1;
    c.capacity = 100;
    SacConfig s;
    s.obs_dim = 2;
    s.act_dim = 1;
    s.hidden_width = 8;
    s.batch = 256;
    memory.resize(2 * ReplayStore::bytes_needed(c) + Sac::bytes_needed(s));
    arena = Arena(memory.data(), memory.size());
    Rng rng(1);
    EXPECT_TRUE(real.place(c, arena).is_ok());
    EXPECT_TRUE(model.place(c, arena).is_ok());
    EXPECT_TRUE(sac.init(s, arena, rng).is_ok());
  }
  // Real transitions have reward +1, model transitions reward -1.
  void fill(ReplayStore& store, Scalar reward, int n) {
    Scalar obs[2] = {0, 0}, act = 0;
    for (int i = 0; i < n; ++i) ASSERT_TRUE(store.store(obs, &act, reward, obs, false, 0).is_ok());
  }
};

TEST(MixedBatch, TakesMbposRealShareAndTheRestFromTheModel) {
  Stores s;
  s.fill(s.real, 1, 50);
  s.fill(s.model, -1, 50);
  EXPECT_EQ(real_count(256, 0.05f, &s.model), 12);  // int(256 * 0.05), as MBPO
  Rng rng(2);
  std::vector<int> slots(256);
  ASSERT_TRUE(fill_mixed_batch(s.real, &s.model, 0.05f, rng, slots.data(), s.sac).is_ok());
  for (int i = 0; i < 256; ++i) EXPECT_EQ(s.sac.batch().reward[i], i < 12 ? 1.0f : -1.0f) << "column " << i;
}

TEST(MixedBatch, EmptyModelStoreGivesAllRealData) {
  Stores s;
  s.fill(s.real, 1, 10);
  Rng rng(3);
  std::vector<int> slots(256);
  EXPECT_EQ(real_count(256, 0.05f, &s.model), 256);
  ASSERT_TRUE(fill_mixed_batch(s.real, &s.model, 0.05f, rng, slots.data(), s.sac).is_ok());
  for (int i = 0; i < 256; ++i) EXPECT_EQ(s.sac.batch().reward[i], 1.0f);
}

}  // namespace
}  // namespace usbpo
