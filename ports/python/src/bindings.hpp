// The parts of the usbpo module, each adding its classes and functions to it.
#pragma once

#include <pybind11/pybind11.h>

namespace usbpo::python {

void bind_policy(pybind11::module_& m);    // Policy
void bind_env(pybind11::module_& m);       // _TaskEnv (usbpo.make_env's engine)
void bind_dataset(pybind11::module_& m);   // load_dataset, save_dataset
void bind_trainer(pybind11::module_& m);   // _Trainer (usbpo.Trainer and usbpo.train's engine)

}  // namespace usbpo::python
