// ProgressBar: one training progress line on stderr (redrawn on a terminal,
// printed every 10 % in logs and pipes).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace usbpo::cli {

class ProgressBar {
 public:
  // total_steps > 0; clock returns seconds (defaults to a steady clock).
  explicit ProgressBar(std::int64_t total_steps, std::FILE* out = stderr, std::function<double()> clock = {});
  // Redraw when >= 100 ms passed (terminal) or 10 % / 30 s (log), or when forced.
  // fields: label/value pairs shown after the bar.
  void update(std::int64_t steps, const std::vector<std::pair<std::string, std::string>>& fields,
              bool force = false);
  // Final line with a newline.
  void finish();
  // Smoothed throughput.
  double steps_per_second() const { return rate_; }
  // "45s", "3m07s", "1h02m".
  static std::string format_duration(double seconds);
  // The text of one line (without '\r' or '\n'), cut to width characters.
  std::string render(std::int64_t steps, const std::vector<std::pair<std::string, std::string>>& fields,
                     int width) const;

 private:
  void draw(std::int64_t steps, const std::vector<std::pair<std::string, std::string>>& fields, bool final_line);

  std::int64_t total_;
  std::FILE* out_;
  std::function<double()> clock_;
  bool tty_;
  bool rate_measured_ = false;
  double start_ = 0, last_draw_ = -1, last_rate_time_ = 0, rate_ = 0;
  std::int64_t last_rate_steps_ = 0, last_steps_ = 0, last_printed_steps_ = -1;
  std::vector<std::pair<std::string, std::string>> last_fields_;
};

}  // namespace usbpo::cli
