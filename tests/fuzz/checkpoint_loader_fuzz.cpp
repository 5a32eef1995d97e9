// libFuzzer target: any byte string given to the checkpoint reader is either
// refused or read, and a read checkpoint either restores into a trainer of the
// seeds' configuration, or is refused (a half-restored trainer then refuses to
// step); a step after either never crashes, hangs or reads out of bounds (ASan +
// UBSan). The input is read as it is and with a valid checksum appended
// (fuzz_support.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "usbpo/train/checkpoint.hpp"
#include "usbpo/train/pendulum.hpp"

namespace {

// One trainer for the whole run: a good restore overwrites all of its state;
// after a refused one it is initialised again (a half-restored trainer refuses
// to step or restore until then).
struct Target {
  usbpo::Pendulum env, eval_env;
  std::vector<unsigned char> memory;
  usbpo::Arena arena;
  usbpo::Trainer trainer;
  Target() {
    memory.resize(usbpo::Trainer::bytes_needed(usbpo_fuzz::checkpoint_trainer_config(), env));
    init();
  }
  void init() {
    arena = usbpo::Arena(memory.data(), memory.size());
    if (!trainer.init(usbpo_fuzz::checkpoint_trainer_config(), env, eval_env, arena).is_ok()) std::abort();
  }
};

void read_and_restore(Target& target, std::vector<std::uint8_t> bytes) {
  usbpo::CheckpointFile file;
  if (!file.from_bytes(std::move(bytes)).is_ok()) return;
  const usbpo::Status restored = usbpo::restore_checkpoint(file, target.trainer);
  const usbpo::Status stepped = target.trainer.step(nullptr);
  // A restore that failed part way must leave the trainer refusing to step.
  if (restored.code() == usbpo::StatusCode::kCorruptData && stepped.code() != usbpo::StatusCode::kFailedPrecondition) {
    std::abort();  // a finding
  }
  if (!restored.is_ok()) target.init();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target target;
  read_and_restore(target, std::vector<std::uint8_t>(data, data + size));
  read_and_restore(target, usbpo_fuzz::sealed(data, size));
  return 0;
}
