// Trainer::load_state after a failed one: refused until init, which makes the
// trainer whole again (a fuzz finding: the second load indexed its stores out
// of range from the first one's half-copied counters).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_backend.hpp"
#include "usbpo/base/file_checksum.hpp"
#include "usbpo/schema/checkpoint_generated.h"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/pendulum.hpp"

namespace usbpo {
namespace {

TrainerConfig tiny_config() {
  TrainerConfig c;
  c.seed = 2;
  c.start_steps = c.update_after = 30;
  c.replay_capacity = 64;
  c.epoch_length = 100;
  c.eval_episodes = 1;
  c.sac.hidden_width = 8;
  c.sac.batch = 16;
  return c;
}

struct TinyRun {
  testing_support::TrainerBackend backend;  // USBPO_TEST_BACKEND
  Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  Arena arena;
  Trainer trainer;
  TinyRun() : memory(Trainer::bytes_needed(backend.apply(tiny_config()), env)) { init(); }
  void init() {
    arena = Arena(memory.data(), memory.size());
    ASSERT_TRUE(trainer.init(backend.apply(tiny_config()), env, eval_env, arena).is_ok());
  }
};

// good with the real store's size set past its slots (and a new trailer).
std::vector<unsigned char> with_bad_store_size(const std::vector<unsigned char>& good) {
  std::vector<unsigned char> bytes = good;
  const fb::Checkpoint* c = fb::GetCheckpoint(bytes.data());
  for (const fb::StateTensor* t : *c->state()) {
    if (t->name()->str() == "real_store/size") {
      const std::int32_t huge = 1 << 30;
      std::memcpy(bytes.data() + (t->data()->data() - bytes.data()), &huge, sizeof huge);
    }
  }
  bytes.resize(bytes.size() - kFileTrailerBytes);
  append_file_trailer(&bytes);
  return bytes;
}

TEST(TrainerState, LoadAfterAFailedLoadIsRefusedUntilInit) {
  TinyRun source;
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(source.trainer.step(nullptr).is_ok());
  std::vector<unsigned char> good;
  ASSERT_TRUE(serialize_checkpoint(source.trainer, nullptr, 0, &good).is_ok());
  CheckpointFile good_file, bad_file;
  ASSERT_TRUE(good_file.from_bytes(good).is_ok());
  ASSERT_TRUE(bad_file.from_bytes(with_bad_store_size(good)).is_ok()) << "the file itself is well formed";

  TinyRun target;
  Status s = restore_checkpoint(bad_file, target.trainer);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  EXPECT_NE(std::string(s.message()).find("real_store"), std::string::npos) << s.message();
  EXPECT_EQ(target.trainer.step(nullptr).code(), StatusCode::kFailedPrecondition);
  s = restore_checkpoint(good_file, target.trainer);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(s.message()).find("init the trainer again"), std::string::npos) << s.message();

  target.init();
  s = restore_checkpoint(good_file, target.trainer);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(target.trainer.progress().env_steps, 80);
  EXPECT_TRUE(target.trainer.step(nullptr).is_ok());
}

}  // namespace
}  // namespace usbpo
