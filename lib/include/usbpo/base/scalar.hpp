// The one floating-point type of learning and inference.
#pragma once

namespace usbpo {

using Scalar = float;

}  // namespace usbpo
