// Sizes never wrap: products and sums of sizes saturate, an arena marks an
// overflowing request instead of handing out a wrapped (small) block, and
// configurations whose memory does not fit in size_t are invalid with a reason.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "usbpo/agent/replay_store.hpp"
#include "usbpo/agent/sac.hpp"
#include "usbpo/base/arena.hpp"
#include "usbpo/model/gaussian_ensemble.hpp"
#include "usbpo/nn/ensemble_mlp.hpp"
#include "usbpo/train/pendulum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo {
namespace {

constexpr bool k64Bit = sizeof(std::size_t) == 8;

TEST(SizeArithmetic, ProductsAndSumsSaturateInsteadOfWrapping) {
  EXPECT_EQ(size_product(3, 5), 15u);
  EXPECT_EQ(size_product(SIZE_MAX / 2 + 1, 2), SIZE_MAX);
  EXPECT_EQ(size_product(SIZE_MAX / 7, 7), SIZE_MAX / 7 * 7);  // exact below SIZE_MAX (which 7 does not divide)
  EXPECT_LT(size_product(SIZE_MAX / 7, 7), SIZE_MAX);
  EXPECT_EQ(size_product(SIZE_MAX / 7 + 1, 7), SIZE_MAX);
  EXPECT_EQ(size_product(SIZE_MAX, 0), 0u);
  EXPECT_EQ(size_product(1u << 20, 1u << 20, 1u << 30), SIZE_MAX);  // 2^70
  EXPECT_EQ(size_sum(SIZE_MAX - 1, 1), SIZE_MAX);
  EXPECT_EQ(size_sum(SIZE_MAX, 1), SIZE_MAX);
  EXPECT_EQ(size_sum(7, 8), 15u);
  EXPECT_EQ(Arena::padded(SIZE_MAX - 1), SIZE_MAX);
}

TEST(SizeArithmetic, MeasuringArenaFlagsAnOverflowingRequestAndKeepsIt) {
  Arena measure;
  // count * sizeof(float) wraps to 0 in plain size_t arithmetic.
  EXPECT_EQ(measure.allocate<float>(SIZE_MAX / 4 + 1), nullptr);
  EXPECT_TRUE(measure.overflowed());
  EXPECT_EQ(measure.used(), SIZE_MAX);
  measure.allocate<char>(1);
  EXPECT_TRUE(measure.overflowed());
  EXPECT_EQ(measure.used(), SIZE_MAX);
}

TEST(SizeArithmetic, MeasuringArenaFlagsATotalThatOverflows) {
  Arena measure;
  measure.allocate<char>(SIZE_MAX / 2);
  EXPECT_FALSE(measure.overflowed());
  EXPECT_EQ(measure.used(), SIZE_MAX / 2 + Arena::kAlignment);
  measure.allocate<char>(SIZE_MAX / 2);  // together past SIZE_MAX
  EXPECT_TRUE(measure.overflowed());
  EXPECT_EQ(measure.used(), SIZE_MAX);
}

TEST(SizeArithmetic, ArenaWithMemoryRefusesWrappedRequests) {
  std::vector<unsigned char> memory(4096);
  Arena arena(memory.data() + 1, memory.size() - 1);  // misaligned: every request is padded
  EXPECT_EQ(arena.allocate<float>(SIZE_MAX / 4 + 1), nullptr);  // would be a 0-byte block if wrapped
  EXPECT_TRUE(arena.exhausted());
  EXPECT_TRUE(arena.overflowed());
  Arena second(memory.data() + 1, memory.size() - 1);
  EXPECT_EQ(second.allocate_bytes(SIZE_MAX), nullptr);  // used + pad + SIZE_MAX wraps below capacity
  EXPECT_TRUE(second.exhausted());
  Arena third(memory.data() + 1, memory.size() - 1);
  EXPECT_EQ(third.allocate_bytes(SIZE_MAX - 30), nullptr);
  EXPECT_TRUE(third.exhausted());
  EXPECT_LE(third.used(), third.capacity());
}

TEST(SizeArithmetic, MlpWidthsAreBoundedSoTheirSumsStayInInt) {
  MlpShape shape;
  shape.input_dim = 3;
  shape.output_dim = 2;
  shape.hidden_layers = 2;
  shape.hidden_width = EnsembleMlp::kMaxWidth + 1;
  EnsembleMlp net;
  Status s = net.configure(shape);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("hidden width must be in [1, 16777216]"), std::string::npos) << s.message();
  shape.hidden_width = INT_MAX;
  EXPECT_FALSE(net.configure(shape).is_ok());
  shape.hidden_width = EnsembleMlp::kMaxWidth;
  shape.members = 64;
  ASSERT_TRUE(net.configure(shape).is_ok());
  // 64 x (2^24 x 4 + 2^24 x (2^24 + 1) + 2 x (2^24 + 1)) weights, exact in 64 bits.
  const std::size_t w = EnsembleMlp::kMaxWidth;
  if (k64Bit) {
    EXPECT_EQ(net.total_params(), 64 * (w * 4 + w * (w + 1) + 2 * (w + 1)));
  } else {
    EXPECT_EQ(net.total_params(), SIZE_MAX);
  }
}

TEST(SizeArithmetic, SacRefusesDimsBeyondTheWidthBound) {
  SacConfig c;
  c.obs_dim = INT_MAX;  // obs + act and 2 x act would overflow int
  c.act_dim = INT_MAX;
  EXPECT_EQ(Sac::bytes_needed(c), 0u);
  Status s = Sac::check_config(c);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("must be in [1, 16777216]"), std::string::npos) << s.message();
}

TEST(SizeArithmetic, EnsembleWhoseWorkspaceOverflowsIsInvalidWithAReason) {
  EnsembleConfig c;
  c.obs_dim = 3;
  c.act_dim = 1;
  c.max_samples = 1000;
  c.members = 64;
  c.hidden_width = EnsembleMlp::kMaxWidth;
  c.batch = INT_MAX;  // 64 x 2^24 x 2^31 floats per layer: 2^63 bytes, twice per swish layer
  EXPECT_EQ(GaussianEnsemble::bytes_needed(c), 0u);
  Status s = GaussianEnsemble::check_config(c);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("size overflow"), std::string::npos) << s.message();
  c.hidden_width = 200;
  c.batch = 256;
  EXPECT_GT(GaussianEnsemble::bytes_needed(c), 0u);
  EXPECT_TRUE(GaussianEnsemble::check_config(c).is_ok());
}

TEST(SizeArithmetic, ReplayStoreSizeIsExactOrRefused) {
  ReplayConfig c;
  c.obs_dim = 1 << 20;
  c.act_dim = 1;
  c.capacity = INT_MAX;  // 2^31 x 2^20 x 4 x 2 bytes = 2^54: fits in 64 bits, not in 32
  const std::size_t bytes = ReplayStore::bytes_needed(c);
  if (k64Bit) {
    EXPECT_GE(bytes, static_cast<std::size_t>(INT_MAX) * (2u << 20) * sizeof(Scalar));
  } else {
    EXPECT_EQ(bytes, 0u);
  }
  c.obs_dim = INT_MAX;  // 2^31 x 2^31 x 4 bytes = 2^64: overflows everywhere
  EXPECT_EQ(ReplayStore::bytes_needed(c), 0u);
}

TEST(SizeArithmetic, TrainerSizeIsExactFor64BitStoresAndRefusedWhenItOverflows) {
  Pendulum env;
  TrainerConfig c;
  c.replay_capacity = INT_MAX;  // a real store of 2^31 transitions: about 70 GB, counted exactly
  c.sac.hidden_width = 32;
  std::size_t bytes = Trainer::bytes_needed(c, env);
  const std::size_t per_transition = (2 * 3 + 1 + 1) * sizeof(Scalar) + 1 + 4;  // obs, next, act, reward, flag, epoch
  if (k64Bit) {
    EXPECT_GE(bytes, static_cast<std::size_t>(INT_MAX) * per_transition);
    EXPECT_TRUE(Trainer::check_config(c, env).is_ok());
  } else {
    EXPECT_EQ(bytes, 0u);
  }
  c.algorithm = Algorithm::kMbpo;
  c.replay_capacity = 100000;
  c.model.members = 64;
  c.model.hidden_width = EnsembleMlp::kMaxWidth;
  c.model.batch = INT_MAX;
  EXPECT_EQ(Trainer::bytes_needed(c, env), 0u);
  Status s = Trainer::check_config(c, env);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("size overflow"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace usbpo
