// Hidden-layer nonlinearities of the networks.
#pragma once

#include <cstdint>

namespace usbpo {

enum class Activation : std::uint8_t { kIdentity = 0, kRelu = 1, kSwish = 2 };

}  // namespace usbpo
