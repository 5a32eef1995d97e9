// Normalizer: per-feature mean and standard deviation, x' = (x - mean) / std.
#pragma once

#include <cstddef>

#include "usbpo/base/arena.hpp"
#include "usbpo/base/state_visitor.hpp"
#include "usbpo/base/status.hpp"
#include "usbpo/base/types.hpp"
#include "usbpo/nn/element_math.hpp"

namespace usbpo {

// One feature's fit as Normalizer::fit makes it: two passes in FP64 over
// value(i), i < count (the mean, then the squared deviations), then
// element::normalizer_moments (std below 1e-12 becomes 1). The one body of
// every fit: the normaliser's own, the ensemble's host fit and the CPU
// backend's normalizer_fit op.
template <typename Value>
void fit_feature(Value value, int count, Scalar* mean, Scalar* std, Scalar* inv_std) {
  double sum = 0;
  for (int i = 0; i < count; ++i) sum += value(i);
  const double mu = count > 0 ? sum / count : 0.0;
  double sq = 0;
  for (int i = 0; i < count; ++i) {
    const double diff = value(i) - mu;
    sq += diff * diff;
  }
  element::normalizer_moments(mu, count > 0 ? sq / count : 1.0, mean, std, inv_std);
}

class Normalizer {
 public:
  // Room for dim features; starts as the identity (mean 0, std 1).
  Status place(int dim, Arena& arena);
  static std::size_t bytes_needed(int dim);

  // Refit on columns of data (dim x count); std below 1e-12 becomes 1 (MBPO).
  void fit(const Scalar* data, int count);
  // Refit on columns selected by index: data column indices[i], i < count.
  void fit_indexed(const Scalar* data, const int* indices, int count);
  // out (dim x count) = (in - mean) / std; in and out may alias.
  void apply(const Scalar* in, int count, Scalar* out) const;
  void set_identity();

  int dim() const { return dim_; }
  Scalar* mean() { return mean_; }
  Scalar* std() { return std_; }
  const Scalar* mean() const { return mean_; }
  const Scalar* std() const { return std_; }
  Scalar* inv_std() { return inv_std_; }
  // Copy mean and std from another normaliser of the same dim.
  void copy_from(const Normalizer& other);
  void visit_state(StateVisitor& v, const char* prefix) {
    v.value(prefix, "mean", mean_, dim_);
    v.value(prefix, "std", std_, dim_);
    v.value(prefix, "inv_std", inv_std_, dim_);
  }

 private:
  int dim_ = 0;
  Scalar* mean_ = nullptr;
  Scalar* std_ = nullptr;
  Scalar* inv_std_ = nullptr;
};

}  // namespace usbpo
