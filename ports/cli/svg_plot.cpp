#include "svg_plot.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "usbpo/io/file_io.hpp"

namespace usbpo::cli {
namespace {

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

// Draws one chart into the stream at offset (ox, oy).
void render_chart(std::ostringstream& svg, const PlotSpec& spec, double ox, double oy) {
  const double w = spec.width, h = spec.height;
  const double left = 70, right = 20, top = spec.title.empty() ? 20 : 40, bottom = 50;
  const double pw = w - left - right, ph = h - top - bottom;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  auto extend = [&](const std::vector<double>& xs, const std::vector<double>& ys) {
    for (std::size_t i = 0; i < std::min(xs.size(), ys.size()); ++i) {
      if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
      x0 = std::min(x0, xs[i]);
      x1 = std::max(x1, xs[i]);
      y0 = std::min(y0, ys[i]);
      y1 = std::max(y1, ys[i]);
    }
  };
  for (const PlotSeries& s : spec.series) extend(s.x, s.y);
  for (const PlotBand& b : spec.bands) extend(b.x, b.low), extend(b.x, b.high);
  const bool empty = !std::isfinite(x0);
  for (const PlotLine& l : spec.lines) {
    if (!std::isfinite(l.y)) continue;
    y0 = std::min(y0, l.y);
    y1 = std::max(y1, l.y);
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (!std::isfinite(y0)) y0 = 0, y1 = 1;
  if (x1 - x0 <= 0) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 <= 0) y0 -= 0.5, y1 += 0.5;
  const std::vector<double> xt = nice_ticks(x0, x1), yt = nice_ticks(y0, y1);
  x0 = std::min(x0, xt.front()), x1 = std::max(x1, xt.back());
  y0 = std::min(y0, yt.front()), y1 = std::max(y1, yt.back());
  auto px = [&](double x) { return ox + left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return oy + top + ph - (y - y0) / (y1 - y0) * ph; };

  svg << "<rect x=\"" << ox << "\" y=\"" << oy << "\" width=\"" << w << "\" height=\"" << h
      << "\" fill=\"white\"/>\n";
  if (!spec.title.empty()) {
    svg << "<text x=\"" << number(ox + w / 2) << "\" y=\"" << number(oy + 24)
        << "\" text-anchor=\"middle\" font-size=\"16\">" << escape(spec.title) << "</text>\n";
  }
  const double x_step = xt.size() > 1 ? xt[1] - xt[0] : 1, y_step = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double t : xt) {
    svg << "<line x1=\"" << number(px(t)) << "\" y1=\"" << number(py(y0)) << "\" x2=\"" << number(px(t))
        << "\" y2=\"" << number(py(y1)) << "\" stroke=\"#e6e6e6\"/>\n";
    svg << "<text x=\"" << number(px(t)) << "\" y=\"" << number(py(y0) + 18)
        << "\" text-anchor=\"middle\" font-size=\"12\">" << escape(tick_label(t, x_step)) << "</text>\n";
  }
  for (double t : yt) {
    svg << "<line x1=\"" << number(px(x0)) << "\" y1=\"" << number(py(t)) << "\" x2=\"" << number(px(x1))
        << "\" y2=\"" << number(py(t)) << "\" stroke=\"#e6e6e6\"/>\n";
    svg << "<text x=\"" << number(px(x0) - 6) << "\" y=\"" << number(py(t) + 4)
        << "\" text-anchor=\"end\" font-size=\"12\">" << escape(tick_label(t, y_step)) << "</text>\n";
  }
  svg << "<rect x=\"" << number(ox + left) << "\" y=\"" << number(oy + top) << "\" width=\"" << number(pw)
      << "\" height=\"" << number(ph) << "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << number(ox + left + pw / 2) << "\" y=\"" << number(oy + h - 10)
      << "\" text-anchor=\"middle\" font-size=\"13\">" << escape(spec.x_label) << "</text>\n";
  svg << "<text transform=\"translate(" << number(ox + 16) << "," << number(oy + top + ph / 2)
      << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">" << escape(spec.y_label) << "</text>\n";
  if (empty) {
    svg << "<text x=\"" << number(ox + left + pw / 2) << "\" y=\"" << number(oy + top + ph / 2)
        << "\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888\">no data yet</text>\n";
  }
  int legend_row = 0, palette = 0;
  auto legend = [&](const std::string& label, const std::string& color, const char* dash) {
    const double ly = oy + top + 14 + 16 * legend_row++;
    svg << "<line x1=\"" << number(ox + left + 10) << "\" y1=\"" << number(ly - 4) << "\" x2=\""
        << number(ox + left + 34) << "\" y2=\"" << number(ly - 4) << "\" stroke=\"" << color
        << "\" stroke-width=\"2\"" << dash << "/>\n";
    svg << "<text x=\"" << number(ox + left + 40) << "\" y=\"" << number(ly) << "\" font-size=\"12\">"
        << escape(label) << "</text>\n";
  };
  for (const PlotLine& l : spec.lines) {
    if (!std::isfinite(l.y)) continue;
    const std::string color = l.color.empty() ? "#d62728" : l.color;
    svg << "<line x1=\"" << number(px(x0)) << "\" y1=\"" << number(py(l.y)) << "\" x2=\"" << number(px(x1))
        << "\" y2=\"" << number(py(l.y)) << "\" stroke=\"" << color << "\" stroke-dasharray=\"6,4\"/>\n";
    svg << "<text x=\"" << number(px(x1) - 4) << "\" y=\"" << number(py(l.y) - 4)
        << "\" text-anchor=\"end\" font-size=\"12\" fill=\"" << color << "\">" << escape(l.label) << "</text>\n";
  }
  for (const PlotBand& b : spec.bands) {
    // One closed polygon per run of finite points: along the top, back along the bottom.
    const std::string color = b.color.empty() ? "#888888" : b.color;
    std::size_t i = 0;
    const std::size_t n = std::min(b.x.size(), std::min(b.low.size(), b.high.size()));
    while (i < n) {
      auto finite = [&](std::size_t k) {
        return std::isfinite(b.x[k]) && std::isfinite(b.low[k]) && std::isfinite(b.high[k]);
      };
      if (!finite(i)) {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < n && finite(end)) ++end;
      std::string points;
      for (std::size_t k = i; k < end; ++k) points += number(px(b.x[k])) + "," + number(py(b.high[k])) + " ";
      for (std::size_t k = end; k-- > i;) points += number(px(b.x[k])) + "," + number(py(b.low[k])) + " ";
      svg << "<polygon points=\"" << points.substr(0, points.size() - 1) << "\" fill=\"" << color
          << "\" fill-opacity=\"" << b.opacity << "\" stroke=\"none\"/>\n";
      i = end;
    }
  }
  for (const PlotSeries& s : spec.series) {
    const std::string color = s.color.empty() ? kPalette[palette++ % 7] : s.color;
    const char* dash = s.dotted ? " stroke-dasharray=\"2,3\"" : (s.dashed ? " stroke-dasharray=\"6,4\"" : "");
    std::string path;
    bool pen_down = false;
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        pen_down = false;
        continue;
      }
      path += (pen_down ? " L" : " M") + number(px(s.x[i])) + "," + number(py(s.y[i]));
      pen_down = true;
      if (s.markers) {
        svg << "<circle cx=\"" << number(px(s.x[i])) << "\" cy=\"" << number(py(s.y[i])) << "\" r=\"2.5\" fill=\""
            << color << "\"/>\n";
      }
    }
    if (!path.empty()) {
      svg << "<path d=\"" << path.substr(1) << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.6\""
          << dash << "/>\n";
    }
    if (!s.label.empty()) legend(s.label, color, dash);
  }
}

bool write_text(const std::string& path, const std::string& text, std::string* error) {
  const Status s = write_file_atomically(path.c_str(), text.data(), text.size());
  if (!s.is_ok()) *error = s.message();
  return s.is_ok();
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / std::max(1, target - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::floor(low / step) * step; t <= high + step * 0.5 && ticks.size() < 100; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  if (ticks.back() < high) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::string tick_label(double value, double step) {
  char buffer[32];
  const double a = std::fabs(value);
  if (a >= 1e6 && std::fabs(step) >= 1e5) {
    std::snprintf(buffer, sizeof(buffer), "%gM", value / 1e6);
  } else if (a >= 1e3 && std::fabs(step) >= 100) {
    std::snprintf(buffer, sizeof(buffer), "%gk", value / 1e3);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%g", value);
  }
  return buffer;
}

std::string render_svg_plot(const PlotSpec& spec) {
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << spec.width << "\" height=\"" << spec.height
      << "\" font-family=\"sans-serif\">\n";
  render_chart(svg, spec, 0, 0);
  svg << "</svg>\n";
  return svg.str();
}

bool write_svg_plot(const std::string& path, const PlotSpec& spec, std::string* error) {
  return write_text(path, render_svg_plot(spec), error);
}

bool write_svg_panels(const std::string& path, const std::string& title, const std::vector<PlotSpec>& panels,
                      int columns, std::string* error) {
  columns = std::max(1, columns);
  const int rows = static_cast<int>((panels.size() + columns - 1) / columns);
  int cell_w = 0, cell_h = 0;
  for (const PlotSpec& p : panels) cell_w = std::max(cell_w, p.width), cell_h = std::max(cell_h, p.height);
  const int head = title.empty() ? 0 : 36;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << cell_w * columns << "\" height=\""
      << cell_h * rows + head << "\" font-family=\"sans-serif\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (head) {
    svg << "<text x=\"" << cell_w * columns / 2 << "\" y=\"26\" text-anchor=\"middle\" font-size=\"18\">"
        << escape(title) << "</text>\n";
  }
  for (std::size_t i = 0; i < panels.size(); ++i) {
    render_chart(svg, panels[i], static_cast<double>(cell_w) * (i % columns),
                 head + static_cast<double>(cell_h) * (i / columns));
  }
  svg << "</svg>\n";
  return write_text(path, svg.str(), error);
}

}  // namespace usbpo::cli
