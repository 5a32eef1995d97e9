#include "blob_source.hpp"

#include <string>

#include "status_error.hpp"
#include "usbpo/io/file_io.hpp"

namespace py = pybind11;

namespace usbpo::python {

BlobSource::BlobSource(py::handle source, const char* what) {
  if (py::isinstance<py::str>(source) || py::hasattr(source, "__fspath__")) {
    const std::string path = py::str(py::module_::import("os").attr("fspath")(source));
    throw_if_error(read_file(path.c_str(), &file_), what);
    data_ = file_.data();
    size_ = file_.size();
    return;
  }
  if (PyObject_GetBuffer(source.ptr(), &view_, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + " must be a path (str or os.PathLike) or bytes, not " +
                         std::string(py::str(py::type::of(source).attr("__name__"))));
  }
  has_view_ = true;
  data_ = static_cast<const unsigned char*>(view_.buf);
  size_ = static_cast<std::size_t>(view_.len);
}

BlobSource::~BlobSource() {
  if (has_view_) PyBuffer_Release(&view_);
}

}  // namespace usbpo::python
