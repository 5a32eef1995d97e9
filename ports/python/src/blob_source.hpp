// Bytes from Python: a path (str or os.PathLike) read from disk, or any
// contiguous buffer (bytes, bytearray, memoryview, a uint8 array) used in place.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <vector>

namespace usbpo::python {

class BlobSource {
 public:
  // Read a path, or hold a view of a buffer; raises usbpo.Error when a file
  // cannot be read and TypeError for anything else.
  BlobSource(pybind11::handle source, const char* what);
  ~BlobSource();
  BlobSource(const BlobSource&) = delete;
  BlobSource& operator=(const BlobSource&) = delete;

  // The bytes, valid while this object lives.
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::vector<unsigned char> file_;  // a file's bytes
  Py_buffer view_{};                 // or a buffer's view
  bool has_view_ = false;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace usbpo::python
