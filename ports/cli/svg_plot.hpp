// Standalone SVG line charts (no scripts, fonts or styles from outside).
#pragma once

#include <string>
#include <vector>

namespace usbpo::cli {

// One line of a chart; NaN or infinite points leave a gap.
struct PlotSeries {
  std::string label;
  std::vector<double> x, y;
  std::string color;   // empty: next colour of the palette
  bool dashed = false;
  bool markers = false;
  bool dotted = false;  // drawn dotted (e.g. a published curve read off a figure)
};

// A shaded band between two curves (e.g. min-max over seeds), drawn under the
// series; NaN or infinite points leave a gap.
struct PlotBand {
  std::vector<double> x, low, high;
  std::string color;
  double opacity = 0.18;
};

// A horizontal reference line (e.g. a paper's final return), drawn dashed.
struct PlotLine {
  double y = 0;
  std::string label;
  std::string color;
};

struct PlotSpec {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  std::vector<PlotLine> lines;
  std::vector<PlotBand> bands;
  int width = 800;
  int height = 480;
};

// The SVG document of one chart.
std::string render_svg_plot(const PlotSpec& spec);
// Write one chart atomically (path.tmp, then rename); false with *error on failure.
bool write_svg_plot(const std::string& path, const PlotSpec& spec, std::string* error);
// Several charts in a grid of `columns` in one SVG, under a common title.
bool write_svg_panels(const std::string& path, const std::string& title, const std::vector<PlotSpec>& panels,
                      int columns, std::string* error);
// Tick positions at 1, 2 or 5 x 10^k covering [low, high] with about `target` ticks.
std::vector<double> nice_ticks(double low, double high, int target = 6);
// Tick label: 120000 -> "120k", 2500000 -> "2.5M", 0.25 -> "0.25".
std::string tick_label(double value, double step);

}  // namespace usbpo::cli
