#include "progress_bar.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace usbpo::cli {
namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int terminal_width(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
  return 120;
}

}  // namespace

ProgressBar::ProgressBar(std::int64_t total_steps, std::FILE* out, std::function<double()> clock)
    : total_(std::max<std::int64_t>(1, total_steps)),
      out_(out),
      clock_(clock ? std::move(clock) : std::function<double()>(steady_seconds)),
      tty_(isatty(fileno(out)) != 0) {
  start_ = last_rate_time_ = clock_();
}

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  char buffer[32];
  const long s = static_cast<long>(seconds + 0.5);
  if (s < 60) {
    std::snprintf(buffer, sizeof(buffer), "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buffer, sizeof(buffer), "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  }
  return buffer;
}

std::string ProgressBar::render(std::int64_t steps, const std::vector<std::pair<std::string, std::string>>& fields,
                                int width) const {
  const double fraction = std::min(1.0, static_cast<double>(steps) / total_);
  const int cells = 20;
  const int filled = static_cast<int>(fraction * cells);
  std::string line = "[" + std::string(filled, '#') + std::string(cells - filled, '.') + "] ";
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%5.1f%%  %lld/%lld", 100 * fraction, static_cast<long long>(steps),
                static_cast<long long>(total_));
  line += buffer;
  for (const auto& field : fields) line += " | " + field.first + " " + field.second;
  const double eta = rate_ > 0 ? (total_ - steps) / rate_ : NAN;
  std::snprintf(buffer, sizeof(buffer), " | %.0f st/s | ETA %s", rate_, format_duration(eta).c_str());
  line += buffer;
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<std::size_t>(width));
  return line;
}

void ProgressBar::draw(std::int64_t steps, const std::vector<std::pair<std::string, std::string>>& fields,
                       bool final_line) {
  if (tty_) {
    const std::string line = render(steps, fields, terminal_width(out_) - 1);
    std::fprintf(out_, "\r%s\x1b[K%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", render(steps, fields, 1000).c_str());
    last_printed_steps_ = steps;
  }
  std::fflush(out_);
}

void ProgressBar::update(std::int64_t steps, const std::vector<std::pair<std::string, std::string>>& fields,
                         bool force) {
  const double now = clock_();
  last_steps_ = steps;
  last_fields_ = fields;
  // Throughput over windows of at least a second, smoothed; the first window sets it.
  if (now - last_rate_time_ >= 1.0) {
    const double instant = (steps - last_rate_steps_) / (now - last_rate_time_);
    rate_ = rate_measured_ ? 0.7 * rate_ + 0.3 * instant : instant;
    rate_measured_ = true;
    last_rate_time_ = now;
    last_rate_steps_ = steps;
  } else if (!rate_measured_ && now - start_ >= 0.2) {
    rate_ = steps / (now - start_);
  }
  bool due;
  if (tty_) {
    due = force || last_draw_ < 0 || now - last_draw_ >= 0.1;
  } else {
    const bool ten_percent = last_printed_steps_ < 0 || (steps - last_printed_steps_) * 10 >= total_;
    due = ten_percent || now - last_draw_ >= 30.0;
  }
  if (!due) return;
  last_draw_ = now;
  draw(steps, fields, false);
}

void ProgressBar::finish() { draw(last_steps_, last_fields_, true); }

}  // namespace usbpo::cli
