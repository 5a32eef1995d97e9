// Published learning curves to draw next to ours, read off figures (approximate).
#pragma once

#include <string>
#include <vector>

namespace usbpo::cli {

// A published curve: evaluation return (mean over seeds) against env steps.
struct PublishedCurve {
  std::string label;
  std::vector<double> env_steps, returns;
};

// The published curve of `algorithm` ("mbpo", ...) on `task`; empty (no points) when none is known.
PublishedCurve published_curve(const std::string& task, const std::string& algorithm);

}  // namespace usbpo::cli
