// TaskRunner: how the core hands independent work to the host's threads.
//
// The core spawns no thread and holds no lock: it cuts work into tasks and
// calls run(). A host may give a runner that spreads the tasks over a pool of
// threads (usbpo::ThreadPool in ports/threads); without one, tasks run in order
// on the calling thread. The cut never depends on the runner: task i computes
// the same slice whatever the worker count, every result has exactly one
// writer, and sums across tasks are taken afterwards in task order, so a run
// is bit-identical for every number of threads.
#pragma once

#include <cstddef>
#include <type_traits>

namespace usbpo {

class TaskRunner {
 public:
  // One task: computes slice `task` of the work described by `context`.
  using Task = void (*)(void* context, int task);

  virtual ~TaskRunner() = default;
  // Run task(context, i) for every i in [0, count) and return when all are
  // done. Tasks may run concurrently and in any order; never allocates.
  virtual void run(int count, Task task, void* context) = 0;
  // Threads that may run tasks at once (the caller's included), >= 1.
  virtual int workers() const = 0;
};

// Run body(i) for i in [0, count) through runner (null: in order, here).
// `work` estimates the whole job in multiply-adds: below about a few
// microseconds of work a job runs here too, where waking threads costs more
// than it saves. Either way every task computes the same thing.
template <typename Body>
void run_tasks(TaskRunner* runner, int count, double work, Body&& body) {
  constexpr double kMinParallelWork = 2.0e5;
  if (!runner || count <= 1 || runner->workers() <= 1 || work < kMinParallelWork) {
    for (int i = 0; i < count; ++i) body(i);
    return;
  }
  using Callable = std::remove_reference_t<Body>;
  auto call = [](void* context, int task) { (*static_cast<Callable*>(context))(task); };
  runner->run(count, call, const_cast<void*>(static_cast<const void*>(&body)));
}

// A fixed cut of [0, total) into chunks of `chunk` (the last one takes the
// rest), for element-wise work: the chunks depend on total alone.
struct Chunks {
  std::size_t total = 0;
  std::size_t chunk = 1;
  int count() const { return total == 0 ? 0 : static_cast<int>((total + chunk - 1) / chunk); }
  std::size_t begin(int i) const { return static_cast<std::size_t>(i) * chunk; }
  std::size_t end(int i) const {
    const std::size_t e = begin(i) + chunk;
    return e < total ? e : total;
  }
};

// The columns of a batch cut into panels for `members` networks side by side:
// enough panels for about 16 tasks, each at least 64 columns, every boundary
// a multiple of 16 columns (so each panel of a column-major buffer starts
// 64-byte aligned when the buffer does); the last panel takes the rest.
// Depends on batch and members only; members <= 0 keeps one panel.
struct ColumnPanels {
  int batch = 0;
  int panels = 1;
  ColumnPanels(int batch_columns, int members) : batch(batch_columns) {
    constexpr int kTargetTasks = 16, kMinWidth = 64;
    if (members < 1) return;
    const int want = (kTargetTasks + members - 1) / members;
    const int most = batch_columns / kMinWidth;
    panels = want < most ? want : most;
    if (panels < 1) panels = 1;
  }
  int begin(int p) const { return kAlign * (batch / kAlign * p / panels); }
  int end(int p) const { return p == panels - 1 ? batch : begin(p + 1); }

 private:
  static constexpr int kAlign = 16;
};

}  // namespace usbpo
