#include "device_backend.hpp"

#if defined(USBPO_HAVE_CUDA)
#include "usbpo/cuda/cuda_backend.hpp"
#endif

namespace usbpo::cli {

bool built_with_cuda() {
#if defined(USBPO_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

bool find_device_option(const std::vector<std::string>& args, std::string* device, std::string* error) {
  *device = "cpu";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--device" && i + 1 < args.size()) {
      *device = args[i + 1];
    } else if (args[i].rfind("--device=", 0) == 0) {
      *device = args[i].substr(9);
    }
  }
  if (*device != "cpu" && *device != "cuda") {
    *error = "--device must be cpu or cuda, got '" + *device + "'";
    return false;
  }
  return true;
}

bool make_device_backend(const std::string& device, std::unique_ptr<Backend>* backend, std::string* error) {
  backend->reset();
  if (device == "cpu") return true;
  if (device != "cuda") {
    *error = "--device must be cpu or cuda, got '" + device + "'";
    return false;
  }
#if defined(USBPO_HAVE_CUDA)
  const Status s = cuda::make_cuda_backend(cuda::CudaBackendOptions(), backend);
  if (!s.is_ok()) {
    *error = std::string("--device cuda: ") + s.message();
    return false;
  }
  return true;
#else
  *error = "--device cuda: this usbpo was built without CUDA (USBPO_WITH_CUDA=OFF)";
  return false;
#endif
}

std::string device_description(const Backend* backend) {
#if defined(USBPO_HAVE_CUDA)
  if (backend && std::string(backend->name()) == "cuda") {
    return static_cast<const cuda::CudaBackend*>(backend)->device_name();
  }
#else
  (void)backend;
#endif
  return "";
}

std::string device_error(const Backend* backend) {
#if defined(USBPO_HAVE_CUDA)
  if (backend && std::string(backend->name()) == "cuda") {
    const Status& s = static_cast<const cuda::CudaBackend*>(backend)->error();
    return s.is_ok() ? "" : s.message();
  }
#else
  (void)backend;
#endif
  return "";
}

}  // namespace usbpo::cli
