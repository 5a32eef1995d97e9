#include "float_arrays.hpp"

#include <cstring>

namespace py = pybind11;

namespace usbpo::python {

std::string shape_text(const std::vector<py::ssize_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

std::string shape_text(const py::array& array) {
  return shape_text(std::vector<py::ssize_t>(array.shape(), array.shape() + array.ndim()));
}

FloatArray as_float_array(py::handle obj, const char* what) {
  py::array array;
  if (py::isinstance<py::array>(obj)) {
    array = py::reinterpret_borrow<py::array>(obj);
  } else {
    try {
      array = py::module_::import("numpy").attr("asarray")(obj);
    } catch (py::error_already_set&) {
      throw py::type_error(std::string(what) + " must be a float array, not " +
                           std::string(py::str(py::type::of(obj).attr("__name__"))));
    }
  }
  const char kind = array.dtype().kind();
  if (kind != 'f') {
    throw py::type_error(std::string(what) + " must hold floating-point numbers (float32 is used as it is), not " +
                         std::string(py::str(array.dtype())));
  }
  if (py::isinstance<py::array_t<float>>(array) && (array.flags() & py::array::c_style)) {
    return py::reinterpret_borrow<FloatArray>(array);  // no copy
  }
  return FloatArray::ensure(array);  // converted and made C-ordered: a copy
}

FloatArray as_float_array(py::handle obj, const char* what, const std::vector<py::ssize_t>& shape) {
  FloatArray array = as_float_array(obj, what);
  bool fits = array.ndim() == static_cast<py::ssize_t>(shape.size());
  for (std::size_t i = 0; fits && i < shape.size(); ++i) fits = shape[i] < 0 || array.shape(i) == shape[i];
  if (!fits) {
    throw py::value_error(std::string(what) + " must have shape " + shape_text(shape) + ", got " + shape_text(array));
  }
  return array;
}

FloatArray copy_to_array(const float* data, const std::vector<py::ssize_t>& shape) {
  FloatArray array(shape);
  if (array.size() > 0) std::memcpy(array.mutable_data(), data, static_cast<std::size_t>(array.size()) * sizeof(float));
  return array;
}

std::vector<py::ssize_t> c_strides(const std::vector<py::ssize_t>& shape) {
  std::vector<py::ssize_t> strides(shape.size(), sizeof(float));
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

py::array read_only_view(const float* data, const std::vector<py::ssize_t>& shape, py::handle owner) {
  py::array view(py::dtype::of<float>(), shape, c_strides(shape), data, owner);
  view.attr("setflags")(py::arg("write") = false);
  return view;
}

}  // namespace usbpo::python
