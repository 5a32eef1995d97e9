// libFuzzer target: any byte string given to the dataset reader is either
// refused with nothing stored, or stored in full; never a crash or an
// out-of-bounds read (ASan + UBSan). The input is read as it is and with a
// valid checksum appended (fuzz_support.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "usbpo/train/dataset.hpp"

namespace {

// One store for the whole run, emptied before each load.
struct Target {
  usbpo::ReplayConfig config;
  std::vector<unsigned char> memory;
  usbpo::ReplayStore store;
  Target() {
    config.obs_dim = usbpo_fuzz::kDatasetObsDim;
    config.act_dim = usbpo_fuzz::kDatasetActDim;
    config.capacity = usbpo_fuzz::kDatasetCapacity;
    memory.resize(usbpo::ReplayStore::bytes_needed(config));
    usbpo::Arena arena(memory.data(), memory.size());
    if (!store.place(config, arena).is_ok()) std::abort();
  }
};

void inspect_and_load(Target& target, const std::vector<std::uint8_t>& bytes) {
  const usbpo::ReplayConfig& c = target.config;
  usbpo::ReplayStore& store = target.store;
  store.clear();
  usbpo::DatasetInfo info;
  const bool valid = usbpo::inspect_dataset(bytes.data(), bytes.size(), &info).is_ok();
  int loaded = -1;
  const usbpo::Status status = usbpo::load_dataset(bytes.data(), bytes.size(), nullptr, store, 1, &loaded);
  if (status.is_ok() != (valid && info.obs_dim == c.obs_dim && info.act_dim == c.act_dim && info.count <= c.capacity)) {
    std::abort();  // inspect and load disagree
  }
  if (status.is_ok() ? (loaded != info.count || store.size() != loaded) : (loaded != 0 || store.size() != 0)) {
    std::abort();  // all or nothing
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Target target;
  inspect_and_load(target, std::vector<std::uint8_t>(data, data + size));
  inspect_and_load(target, usbpo_fuzz::sealed(data, size));
  return 0;
}
