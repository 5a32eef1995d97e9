// Checks shared by the FlatBuffers file readers (policy, dataset).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cmath>

namespace usbpo {

// True when every element is finite (read element-wise: no alignment assumption).
inline bool vector_all_finite(const flatbuffers::Vector<float>* v) {
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
    if (!std::isfinite(v->Get(i))) return false;
  }
  return true;
}

}  // namespace usbpo
