// Per-element bodies of the hidden-layer activations (nn/activation.hpp) for
// kernels that run one element per thread (the CUDA port): the same formulas
// as the CPU kernels' vectorised loops (nn/kernels/ops_kernels.inl).
#pragma once

#include "usbpo/nn/activation.hpp"
#include "usbpo/nn/element_math.hpp"

namespace usbpo {
namespace element {

// a = act(z): identity, max(z, 0) or swish z sigmoid(z) = z / (1 + e^-z).
USBPO_HD float activation(Activation act, float z) {
  if (act == Activation::kRelu) return z > 0.0f ? z : 0.0f;
  if (act == Activation::kSwish) return z / (1.0f + std::exp(-z));
  return z;
}

// dz = da act'(z): ReLU passes da where z > 0; swish' = s (1 + z (1 - s)), s = sigmoid(z).
USBPO_HD float activation_backward(Activation act, float z, float d_a) {
  if (act == Activation::kRelu) return z > 0.0f ? d_a : 0.0f;
  if (act == Activation::kSwish) {
    const float s = 1.0f / (1.0f + std::exp(-z));
    return d_a * s * (1.0f + z * (1.0f - s));
  }
  return d_a;
}

}  // namespace element
}  // namespace usbpo
