// Shared helpers for the core tests.
#pragma once

#include <cmath>

#include "usbpo/types.hpp"

namespace usbpo {
namespace testing_support {

// Central difference of f at x with a step scaled to x (f evaluated in float networks).
template <typename F>
double central_difference(F f, Scalar x, double relative_step = 1e-2) {
  const Scalar h = static_cast<Scalar>(relative_step * (1.0 + std::fabs(x)) * 0.1);
  const Scalar plus = x + h;
  const Scalar minus = x - h;
  return (f(plus) - f(minus)) / (static_cast<double>(plus) - static_cast<double>(minus));
}

}  // namespace testing_support
}  // namespace usbpo
