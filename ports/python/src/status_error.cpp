#include "status_error.hpp"

namespace py = pybind11;

namespace usbpo::python {

void throw_if_error(const Status& status, const std::string& context) {
  if (status.is_ok()) return;
  throw UsbpoError(status.code(), context.empty() ? status.message() : context + ": " + status.message());
}

void register_errors(py::module_& m) {
  // Leaked on purpose: the exception type lives as long as the interpreter.
  static auto* error = new py::exception<UsbpoError>(m, "Error", PyExc_ValueError);
  error->attr("__module__") = "usbpo";
  error->doc() = "An error reported by usbpo's core (file verification, dimensions, non-finite values, I/O, ...): "
                 "the message is the core's, `code` names its kind (e.g. 'corrupt data').";
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const UsbpoError& e) {
      py::object instance = py::reinterpret_borrow<py::object>(error->ptr())(e.what());
      instance.attr("code") = status_code_name(e.code());
      PyErr_SetObject(error->ptr(), instance.ptr());
    }
  });
}

}  // namespace usbpo::python
