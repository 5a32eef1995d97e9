// The extension module usbpo._usbpo; the package usbpo (src/usbpo) wraps it.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "status_error.hpp"

PYBIND11_MODULE(_usbpo, m) {
  m.doc() = "usbpo's C++ core from Python (use the package usbpo, which wraps this module)";
  usbpo::python::register_errors(m);
  usbpo::python::bind_policy(m);
  usbpo::python::bind_env(m);
  usbpo::python::bind_dataset(m);
  usbpo::python::bind_trainer(m);
}
