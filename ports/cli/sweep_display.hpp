// The progress of `usbpo sweep --local`: one line per run, redrawn in place on
// a terminal; in logs and pipes a line per event and a progress line per
// running run every minute.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace usbpo::cli {

// What one line shows.
struct RunView {
  std::string name;
  std::string state;        // waiting, running, finished, failed, ...
  std::int64_t steps = -1;  // env steps done (-1: unknown)
  std::int64_t total = 0;   // planned env steps
  double eval_return;       // latest evaluation return (NaN: none yet)
  double seconds = -1;      // wall time of this attempt (-1: not started)
  std::string note;         // e.g. why it failed
};

class SweepDisplay {
 public:
  explicit SweepDisplay(std::FILE* out, bool force_plain = false);
  bool redraws() const { return tty_; }
  // Pad names to this width (the longest run name).
  void set_name_width(std::size_t width) { name_width_ = width; }
  std::size_t name_width() const { return name_width_; }
  // Terminal: draw every line again in place (only the active ones when they
  // do not fit). Plain output: a line for each running run.
  void draw_all(const std::vector<RunView>& views);
  // Plain output: one line (an event). Terminal: nothing, the next draw shows it.
  void event(const RunView& view);
  // One line of text, the name padded to name_width.
  static std::string render(const RunView& view, std::size_t name_width);

 private:
  std::FILE* out_;
  bool tty_;
  int drawn_ = 0;  // lines drawn last time (terminal)
  std::size_t name_width_ = 0;
};

}  // namespace usbpo::cli
