// `usbpo bench --device cuda`: the figures that run through a backend, on the
// CPU (one thread, the core's kernels) and on the device side by side.
#pragma once

#include "usbpo/nn/backend.hpp"

namespace usbpo::cli {

// Print the table; the backend is the device's (never null). Exit code.
int bench_device(Backend& backend, const char* device_name, bool quick);

}  // namespace usbpo::cli
