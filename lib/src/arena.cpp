#include "usbpo/arena.hpp"

namespace usbpo {

Arena::Arena(void* memory, std::size_t bytes)
    : base_(static_cast<unsigned char*>(memory)), capacity_(memory ? bytes : 0) {}

void* Arena::allocate_bytes(std::size_t bytes) {
  if (measuring()) {
    // Worst-case padding keeps the measured size an upper bound for any base.
    used_ += padded(bytes);
    if (used_ > high_water_) high_water_ = used_;
    return nullptr;
  }
  if (exhausted_) return nullptr;
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(base_) + used_;
  const std::size_t pad = (kAlignment - start % kAlignment) % kAlignment;
  if (used_ + pad + bytes > capacity_ || used_ + pad + bytes < used_) {
    exhausted_ = true;
    return nullptr;
  }
  void* out = base_ + used_ + pad;
  used_ += pad + bytes;
  if (used_ > high_water_) high_water_ = used_;
  return out;
}

}  // namespace usbpo
