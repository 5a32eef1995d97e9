#include "sweep_local.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "child_process.hpp"
#include "progress_bar.hpp"
#include "sweep_run.hpp"
#include "sweep_display.hpp"
#include "timing.hpp"

namespace usbpo::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
void on_signal(int signal) { g_signal = signal; }

// One run as the scheduler sees it.
struct Slot {
  LocalRun run;
  RunView view;
  pid_t pid = -1;
  int lock = -1;
  std::int64_t output_from = 0;  // where this attempt's output starts in sweep-train.log
  std::string command;
  double started = 0;
};

std::int64_t file_size(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : 0;
}

void release(Slot* s) {
  if (s->lock >= 0) ::close(s->lock);
  s->lock = -1;
  s->pid = -1;
}

// Start, resume or skip one run; false when it did not start.
bool launch(Slot* s, const LocalOptions& options) {
  const std::string& dir = s->run.dir;
  s->lock = lock_run(dir);
  if (s->lock < 0) {
    s->view.state = "busy";
    s->view.note = "another process holds " + dir + "/" + kRunLock;
    return false;
  }
  const RunState state = run_state(dir, s->run.steps);
  std::string error;
  if (state == RunState::kFinished) {
    s->view.state = "finished before";
    release(s);
    return false;
  }
  ::unlink((dir + "/" + kRunFailed).c_str());
  std::vector<std::string> argv = {options.usbpo};
  // A resumed run takes --threads again: the sweep's, else its config.yaml's.
  const int threads = options.threads > 0 ? options.threads : state == RunState::kResume ? read_run_threads(dir) : 0;
  for (const std::string& a : train_arguments(dir, state, s->run.steps, threads)) argv.push_back(a);
  s->command = command_line(argv);
  const std::string output = dir + "/" + kRunOutput;
  if (state == RunState::kStart && !clear_partial_run(dir, &error)) {
    s->view.state = "failed";
    s->view.note = error;
    release(s);
    return false;
  }
  {
    std::ofstream header(output, std::ios::app);
    char stamp[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", std::localtime(&t));
    header << "== usbpo sweep " << stamp << ": " << s->command << "\n";
  }
  s->output_from = file_size(output);
  s->pid = start_process(argv, output, s->lock, &error);
  if (s->pid < 0) {
    write_failure(dir, error, s->command, s->output_from);
    s->view.state = "failed";
    s->view.note = error;
    release(s);
    return false;
  }
  s->started = now_seconds();
  s->view.state = state == RunState::kResume ? "running (resumed)" : "running";
  s->view.seconds = 0;
  return true;
}

// Record how an attempt ended: the done marker, failed.txt, or nothing when
// it was interrupted (its checkpoint is there to resume from).
void finish(Slot* s, int status) {
  s->view.seconds = now_seconds() - s->started;
  read_log_progress(s->run.dir, &s->view.steps, &s->view.eval_return);
  std::string error;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (mark_done(s->run.dir, s->run.steps, &error)) {
      s->view.state = "finished";
    } else {
      s->view.state = "failed";
      s->view.note = error;
    }
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 130) {
    s->view.state = "interrupted";
    s->view.note = "checkpointed; resumes when started again";
  } else {
    const std::string reason = describe_wait_status(status);
    write_failure(s->run.dir, reason, s->command, s->output_from);
    s->view.state = "failed";
    s->view.note = reason + ": " + last_output_line(s->run.dir, s->output_from);
  }
  release(s);
}

std::vector<RunView> views_of(const std::vector<Slot>& slots) {
  std::vector<RunView> views;
  for (const Slot& s : slots) views.push_back(s.view);
  return views;
}

}  // namespace

int run_locally(const std::vector<LocalRun>& runs, const LocalOptions& options) {
  g_signal = 0;
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int, old_term;
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  std::vector<Slot> slots(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    slots[i].run = runs[i];
    slots[i].view.name = runs[i].name;
    slots[i].view.total = runs[i].steps;
    slots[i].view.eval_return = NAN;
    const bool done = run_state(runs[i].dir, runs[i].steps) == RunState::kFinished;
    slots[i].view.state = done ? "finished before" : "waiting";
  }
  SweepDisplay display(stdout, options.plain);
  for (const LocalRun& r : runs) display.set_name_width(std::max(display.name_width(), r.name.size()));
  const double start = now_seconds();
  double last_draw = -1e9;
  std::size_t next = 0;
  int running = 0;
  bool forwarded = false;
  for (;;) {
    if (g_signal && !forwarded) {
      for (Slot& s : slots) {
        if (s.pid > 0) ::kill(s.pid, g_signal);
      }
      forwarded = true;
    }
    while (!g_signal && running < options.concurrency && next < slots.size()) {
      Slot& s = slots[next++];
      if (s.view.state != "waiting") {
        display.event(s.view);
        continue;
      }
      if (launch(&s, options)) ++running;
      display.event(s.view);
    }
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (Slot& s : slots) {
        if (s.pid != pid) continue;
        finish(&s, status);
        --running;
        display.event(s.view);
      }
    }
    if (running == 0 && (next == slots.size() || g_signal)) break;
    const double now = now_seconds();
    if (now - last_draw >= (display.redraws() ? 0.5 : 60.0)) {
      for (Slot& s : slots) {
        if (s.pid > 0) {
          read_log_progress(s.run.dir, &s.view.steps, &s.view.eval_return);
          s.view.seconds = now - s.started;
        }
      }
      if (last_draw > -1e9 || display.redraws()) display.draw_all(views_of(slots));
      last_draw = now;
    }
    ::usleep(200000);
  }
  if (display.redraws()) display.draw_all(views_of(slots));
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);

  int finished = 0, before = 0, failed = 0, interrupted = 0, other = 0;
  for (const Slot& s : slots) {
    const std::string& st = s.view.state;
    if (st == "finished") ++finished;
    else if (st == "finished before") ++before;
    else if (st == "failed") ++failed;
    else if (st == "interrupted") ++interrupted;
    else ++other;
  }
  std::printf("sweep: %zu runs in %s: %d finished (%d before this sweep), %d failed, %d interrupted, %d not run\n",
              slots.size(), ProgressBar::format_duration(now_seconds() - start).c_str(), finished + before, before,
              failed, interrupted, other);
  for (const Slot& s : slots) {
    if (s.view.state == "failed") {
      std::printf("  failed: %s: %s (%s/%s)\n", s.view.name.c_str(), s.view.note.c_str(), s.run.dir.c_str(),
                  kRunFailed);
    } else if (s.view.state == "busy") {
      std::printf("  not run: %s: %s\n", s.view.name.c_str(), s.view.note.c_str());
    }
  }
  std::fflush(stdout);
  if (g_signal) return 130;
  return finished + before == static_cast<int>(slots.size()) ? 0 : 1;
}

}  // namespace usbpo::cli
