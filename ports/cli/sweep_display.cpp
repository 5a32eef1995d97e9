#include "sweep_display.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>

#include "progress_bar.hpp"

namespace usbpo::cli {
namespace {

int terminal_rows(std::FILE* out) {
  struct winsize size;
  if (::ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_row > 0) return size.ws_row;
  return 24;
}

bool active(const RunView& v) { return v.state != "waiting" && v.state != "finished before"; }

}  // namespace

SweepDisplay::SweepDisplay(std::FILE* out, bool force_plain)
    : out_(out), tty_(!force_plain && isatty(fileno(out)) != 0) {}

std::string SweepDisplay::render(const RunView& v, std::size_t name_width) {
  char text[512];
  std::string line = v.name;
  if (line.size() < name_width) line.append(name_width - line.size(), ' ');
  std::snprintf(text, sizeof(text), "  %-15s", v.state.c_str());
  line += text;
  if (v.steps >= 0) {
    std::snprintf(text, sizeof(text), "  %7lld/%lld steps", static_cast<long long>(v.steps),
                  static_cast<long long>(v.total));
    line += text;
    if (std::isfinite(v.eval_return)) {
      std::snprintf(text, sizeof(text), "  eval %.1f", v.eval_return);
      line += text;
    }
  }
  if (v.seconds >= 0) line += "  " + ProgressBar::format_duration(v.seconds);
  if (!v.note.empty()) line += "  " + v.note;
  return line;
}

void SweepDisplay::draw_all(const std::vector<RunView>& views) {
  for (const RunView& v : views) name_width_ = std::max(name_width_, v.name.size());
  if (!tty_) {
    for (const RunView& v : views) {
      if (v.state == "running") std::fprintf(out_, "%s\n", render(v, name_width_).c_str());
    }
    std::fflush(out_);
    return;
  }
  std::vector<const RunView*> shown;
  const bool fits = static_cast<int>(views.size()) < terminal_rows(out_) - 1;
  int hidden = 0;
  for (const RunView& v : views) {
    if (fits || active(v)) {
      shown.push_back(&v);
    } else {
      ++hidden;
    }
  }
  if (drawn_ > 0) std::fprintf(out_, "\033[%dA", drawn_);
  for (const RunView* v : shown) std::fprintf(out_, "\r\033[K%s\n", render(*v, name_width_).c_str());
  if (hidden > 0) std::fprintf(out_, "\r\033[K(%d more waiting or finished before)\n", hidden);
  // Lines left over from a longer drawing are cleared.
  const int lines = static_cast<int>(shown.size()) + (hidden > 0 ? 1 : 0);
  for (int i = lines; i < drawn_; ++i) std::fprintf(out_, "\r\033[K\n");
  drawn_ = std::max(lines, drawn_);
  std::fflush(out_);
}

void SweepDisplay::event(const RunView& view) {
  if (tty_) return;
  name_width_ = std::max(name_width_, view.name.size());
  std::fprintf(out_, "%s\n", render(view, name_width_).c_str());
  std::fflush(out_);
}

}  // namespace usbpo::cli
