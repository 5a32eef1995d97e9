#include "usbpo/base/types.hpp"

#include <cmath>

namespace usbpo {

bool all_finite(const Scalar* values, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

}  // namespace usbpo
