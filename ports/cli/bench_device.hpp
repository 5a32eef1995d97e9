// `usbpo bench --device cuda`: the figures that run through a backend, on the
// CPU (one thread, the core's kernels) and on the device side by side.
#pragma once

#include "usbpo/nn/backend.hpp"

namespace usbpo::cli {

// Print the table. `backend` times the network steps (it reserves its device
// block here); `trainer_backend`, a second one of the same device, is given
// to the Pendulum trainer (which reserves its own). Exit code.
int bench_device(Backend& backend, Backend& trainer_backend, const char* device_name, bool quick);

}  // namespace usbpo::cli
