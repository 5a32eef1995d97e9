// usbpo.Error: the core's Status as a Python exception (a ValueError with the
// core's message and its code as `code`, e.g. "corrupt data").
#pragma once

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include "usbpo/base/status.hpp"

namespace usbpo::python {

// Thrown by the bindings, translated into usbpo.Error.
class UsbpoError : public std::runtime_error {
 public:
  UsbpoError(StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  StatusCode code() const { return code_; }

 private:
  StatusCode code_;
};

// Raise usbpo.Error with status's message (prefixed by context when given) unless it is ok.
void throw_if_error(const Status& status, const std::string& context = "");
// Create usbpo.Error in m and register its translation.
void register_errors(pybind11::module_& m);

}  // namespace usbpo::python
