// Mapping between the policy's squashed actions in [-1, 1] and an env's bounds.
#pragma once

#include "usbpo/base/types.hpp"

namespace usbpo {

// env_action = low + (squashed + 1) / 2 (high - low), each (dim).
inline void scale_action(const Scalar* squashed, const Scalar* low, const Scalar* high, int dim,
                         Scalar* env_action) {
  for (int d = 0; d < dim; ++d) env_action[d] = low[d] + (squashed[d] + 1.0f) * 0.5f * (high[d] - low[d]);
}

// Inverse of scale_action: squashed = 2 (env_action - low) / (high - low) - 1.
inline void unscale_action(const Scalar* env_action, const Scalar* low, const Scalar* high, int dim,
                           Scalar* squashed) {
  for (int d = 0; d < dim; ++d) squashed[d] = 2.0f * (env_action[d] - low[d]) / (high[d] - low[d]) - 1.0f;
}

}  // namespace usbpo
