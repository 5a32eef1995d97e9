// Per-task training defaults (DESIGN.md section 4); every value can be
// overridden from the command line.
#pragma once

#include <string>

#include "usbpo/train/trainer.hpp"

namespace usbpo::cli {

// Defaults for `task` and `algorithm`; unknown tasks get MBPO's generic values.
TrainerConfig task_defaults(const std::string& task, Algorithm algorithm);
// The paper's final return for the task and algorithm, or NaN when it has none.
double paper_final_return(const std::string& task, Algorithm algorithm);

}  // namespace usbpo::cli
