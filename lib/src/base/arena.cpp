#include "usbpo/base/arena.hpp"

namespace usbpo {

Arena::Arena(void* memory, std::size_t bytes)
    : base_(static_cast<unsigned char*>(memory)), capacity_(memory ? bytes : 0) {}

void* Arena::allocate_bytes(std::size_t bytes) {
  // SIZE_MAX is what size_product and size_sum saturate at: a size that wrapped.
  if (padded(bytes) == SIZE_MAX) overflowed_ = true;
  if (measuring()) {
    // Worst-case padding keeps the measured size an upper bound for any base.
    used_ = overflowed_ ? SIZE_MAX : size_sum(used_, padded(bytes));
    if (used_ == SIZE_MAX) overflowed_ = true;
    if (used_ > high_water_) high_water_ = used_;
    return nullptr;
  }
  if (exhausted_) return nullptr;
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(base_) + used_;
  const std::size_t pad = (kAlignment - start % kAlignment) % kAlignment;
  // used_ <= capacity_ always, so these differences cannot wrap.
  if (overflowed_ || pad > capacity_ - used_ || bytes > capacity_ - used_ - pad) {
    exhausted_ = true;
    return nullptr;
  }
  void* out = base_ + used_ + pad;
  used_ += pad + bytes;
  if (used_ > high_water_) high_water_ = used_;
  return out;
}

}  // namespace usbpo
