// Shared by the fuzz targets and their seed writer.
//
// Every usbpo file ends with a checksum of its content, so random bytes almost
// never get past the first check. Each target therefore reads its input twice:
// as it is (the checksum check and the messages for refused files), and with
// a valid checksum trailer appended, so that libFuzzer explores the FlatBuffers
// verifier and the loader's own checks behind the checksum. The seeds are
// files without their trailer (write_fuzz_seeds.cpp, tests/run_fuzz.sh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "usbpo/base/file_checksum.hpp"
#include "usbpo/train/trainer.hpp"

namespace usbpo_fuzz {

// data followed by its checksum trailer, as a writer would have sealed it.
inline std::vector<std::uint8_t> sealed(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  usbpo::append_file_trailer(&bytes);
  return bytes;
}

// The trainer the checkpoint seeds come from and the checkpoint target
// restores into: USB-PO + PMAC on Pendulum (every kind of state), tiny.
inline usbpo::TrainerConfig checkpoint_trainer_config() {
  usbpo::TrainerConfig c;
  c.algorithm = usbpo::Algorithm::kUsbpoPmac;
  c.seed = 3;
  c.start_steps = c.update_after = 20;
  c.replay_capacity = 48;
  c.epoch_length = 50;
  c.eval_episodes = 1;
  c.model_train_freq = 25;
  c.rollout_batch = 8;
  c.rollout_schedule = {1, 4, 1, 2};
  c.sac.hidden_width = 8;
  c.sac.batch = 8;
  c.model.members = 2;
  c.model.elites = 1;
  c.model.hidden_layers = 1;
  c.model.hidden_width = 8;
  c.model.batch = 8;
  c.model.max_epochs = 2;
  c.w2.batch = 8;
  c.w2.max_steps = 2;
  c.policy_epoch_length = 25;
  c.planned_steps = 60;
  return c;
}

// The dataset seeds' and the dataset target's store: 3 observations, 1 action.
constexpr int kDatasetObsDim = 3, kDatasetActDim = 1, kDatasetCapacity = 256;

}  // namespace usbpo_fuzz
