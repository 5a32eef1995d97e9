#include "usbpo/nn/normalizer.hpp"

#include <algorithm>
#include <cmath>

namespace usbpo {

Status Normalizer::place(int dim, Arena& arena) {
  if (dim < 1) return Status::error(StatusCode::kInvalidArgument, "normaliser dim must be >= 1, got %d", dim);
  dim_ = dim;
  mean_ = arena.allocate<Scalar>(dim);
  std_ = arena.allocate<Scalar>(dim);
  inv_std_ = arena.allocate<Scalar>(dim);
  if (arena.exhausted()) return Status::error(StatusCode::kOutOfMemory, "arena too small for a normaliser");
  if (!arena.measuring()) set_identity();
  return Status::ok();
}

std::size_t Normalizer::bytes_needed(int dim) {
  return 3 * Arena::padded(sizeof(Scalar) * static_cast<std::size_t>(dim < 0 ? 0 : dim));
}

void Normalizer::set_identity() {
  std::fill(mean_, mean_ + dim_, 0.0f);
  std::fill(std_, std_ + dim_, 1.0f);
  std::fill(inv_std_, inv_std_ + dim_, 1.0f);
}

namespace {
template <typename Column>
void fit_columns(int dim, int count, Column column, Scalar* mean, Scalar* std, Scalar* inv_std) {
  for (int d = 0; d < dim; ++d) {
    fit_feature([&](int i) { return column(i)[d]; }, count, &mean[d], &std[d], &inv_std[d]);
  }
}
}  // namespace

void Normalizer::fit(const Scalar* data, int count) {
  fit_columns(dim_, count, [&](int i) { return data + static_cast<std::size_t>(i) * dim_; }, mean_, std_, inv_std_);
}

void Normalizer::fit_indexed(const Scalar* data, const int* indices, int count) {
  fit_columns(dim_, count, [&](int i) { return data + static_cast<std::size_t>(indices[i]) * dim_; }, mean_, std_,
              inv_std_);
}

void Normalizer::apply(const Scalar* in, int count, Scalar* out) const {
  ConstMatrixMap x(in, dim_, count);
  MatrixMap y(out, dim_, count);
  y = (x.colwise() - ConstVectorMap(mean_, dim_)).array().colwise() * ConstVectorMap(inv_std_, dim_).array();
}

void Normalizer::copy_from(const Normalizer& other) {
  std::copy(other.mean_, other.mean_ + dim_, mean_);
  std::copy(other.std_, other.std_ + dim_, std_);
  std::copy(other.inv_std_, other.inv_std_ + dim_, inv_std_);
}

}  // namespace usbpo
