// Float arrays in from Python: NumPy float32 in C order is used as it is (no
// copy); other floating-point arrays and sequences are converted to float32
// (a copy); anything else (integers, booleans, objects) is a TypeError, and a
// shape that does not fit a ValueError naming the expected one.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace usbpo::python {

using FloatArray = pybind11::array_t<float, pybind11::array::c_style | pybind11::array::forcecast>;

// obj as a C-ordered float32 array; `what` names it in errors.
FloatArray as_float_array(pybind11::handle obj, const char* what);
// The same, checked to have exactly `shape` (-1 matches any length).
FloatArray as_float_array(pybind11::handle obj, const char* what, const std::vector<pybind11::ssize_t>& shape);
// "(3, 11)".
std::string shape_text(const pybind11::array& array);
std::string shape_text(const std::vector<pybind11::ssize_t>& shape);
// A float32 array of `shape` holding a copy of data.
FloatArray copy_to_array(const float* data, const std::vector<pybind11::ssize_t>& shape);
// Strides of a C-ordered float32 array of shape (given explicitly, so that no
// dtype layout is read).
std::vector<pybind11::ssize_t> c_strides(const std::vector<pybind11::ssize_t>& shape);
// A read-only array viewing data (no copy) that keeps owner alive.
pybind11::array read_only_view(const float* data, const std::vector<pybind11::ssize_t>& shape,
                               pybind11::handle owner);

}  // namespace usbpo::python
