// Scalar type and Eigen views used across the core.
#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "usbpo/base/scalar.hpp"

namespace usbpo {

// Column-major dynamic matrix; batches are (features x batch).
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
// Non-owning views over arena memory.
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;
using VectorMap = Eigen::Map<Vector>;
using ConstVectorMap = Eigen::Map<const Vector>;

// True when every one of the n values is finite.
bool all_finite(const Scalar* values, std::size_t n);

}  // namespace usbpo
