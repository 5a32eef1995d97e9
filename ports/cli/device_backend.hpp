// --device of `usbpo train` and `usbpo bench`: where training runs. "cpu" is
// the core's CPU path (no backend object); "cuda" the CUDA port's backend,
// created at once so that a machine without a usable GPU is refused before
// anything is written.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "usbpo/nn/backend.hpp"

namespace usbpo::cli {

// Whether this usbpo was built with the CUDA port (USBPO_WITH_CUDA).
bool built_with_cuda();

// The value of --device in an option list ("--device X" or "--device=X"),
// "cpu" when absent; false with *error when it is neither cpu nor cuda.
bool find_device_option(const std::vector<std::string>& args, std::string* device, std::string* error);

// The backend for `device`: null for "cpu"; for "cuda" the CUDA backend on GPU
// 0, or false with *error ("--device cuda: no CUDA device: <driver's reason>",
// or that this usbpo was built without CUDA).
bool make_device_backend(const std::string& device, std::unique_ptr<Backend>* backend, std::string* error);

// The GPU's name for messages ("" for the CPU).
std::string device_description(const Backend* backend);
// The first device error the backend met ("" when none, and for the CPU).
std::string device_error(const Backend* backend);

}  // namespace usbpo::cli
