#include "usbpo/thread_pool.hpp"

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace usbpo {
namespace {

// Worker stacks hold Eigen's packed GEMM panels (up to 2 x 2 MiB, see
// EIGEN_STACK_ALLOCATION_LIMIT in lib/CMakeLists.txt) besides the call frames.
constexpr std::size_t kStackBytes = std::size_t{16} << 20;

// Set while this thread runs a task, so that nested run() calls stay on it.
thread_local bool t_in_task = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 1;
}

Status ThreadPool::start(int workers, int spin_microseconds) {
  if (workers < 1 || workers > kMaxWorkers) {
    return Status::error(StatusCode::kInvalidArgument, "thread count must be in [1, %d], got %d", kMaxWorkers,
                         workers);
  }
  if (workers_ > 1 || threads_started_ > 0) {
    return Status::error(StatusCode::kFailedPrecondition, "thread pool already started");
  }
  // More threads than cores: a spinning worker would only hold a core that a
  // thread with work needs, so idle workers sleep at once.
  spin_us_ = spin_microseconds < 0 || workers > available_cores() ? 0 : spin_microseconds;
  stopping_.store(false);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return Status::error(StatusCode::kFailedPrecondition, "pthread_attr_init failed");
  pthread_attr_setstacksize(&attr, kStackBytes);
  workers_ = workers;  // read by the threads' work(); fixed while they run
  for (int i = 1; i < workers; ++i) {
    worker_args_[i] = Worker{this, i, job_.load()};
    const int rc = pthread_create(&threads_[threads_started_], &attr, &ThreadPool::thread_main, &worker_args_[i]);
    if (rc != 0) {
      pthread_attr_destroy(&attr);
      stop();
      return Status::error(StatusCode::kFailedPrecondition, "could not start worker thread %d of %d (error %d)", i,
                           workers, rc);
    }
    ++threads_started_;
  }
  pthread_attr_destroy(&attr);
  return Status::ok();
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (int i = 0; i < threads_started_; ++i) pthread_join(threads_[i], nullptr);
  threads_started_ = 0;
  workers_ = 1;
}

void* ThreadPool::thread_main(void* arg) {
  const Worker* worker = static_cast<const Worker*>(arg);
  worker->pool->worker_loop(worker->index, worker->first_seen);
  return nullptr;
}

void ThreadPool::run(int count, Task task, void* context) {
  if (count <= 0) return;
  if (workers_ == 1 || count == 1 || t_in_task) {
    for (int i = 0; i < count; ++i) task(context, i);
    return;
  }
  if (count <= kMaxTasksPerJob) {
    run_job(count, task, context);
    return;
  }
  // More tasks than one job word counts: successive jobs, indices shifted.
  struct Shifted {
    Task task;
    void* context;
    int first;
  };
  for (int first = 0; first < count; first += kMaxTasksPerJob) {
    Shifted shifted{task, context, first};
    const int n = count - first < kMaxTasksPerJob ? count - first : kMaxTasksPerJob;
    run_job(n, [](void* c, int i) {
      const Shifted* s = static_cast<const Shifted*>(c);
      s->task(s->context, s->first + i);
    }, &shifted);
  }
}

void ThreadPool::run_job(int count, Task task, void* context) {
  task_ = task;
  context_ = context;
  job_id_ = (job_id_ + 1) & ((1u << kIdBits) - 1);
  done_.store(0, std::memory_order_relaxed);
  // Thread t's own share is the contiguous block [t count / T, (t + 1) count / T):
  // the same tasks land on the same thread from one job to the next, so data a
  // thread produced in one pass stays in its cache for the next.
  for (int t = 0; t < workers_; ++t) {
    const std::uint64_t begin = static_cast<std::uint64_t>(count) * t / workers_;
    const std::uint64_t end = static_cast<std::uint64_t>(count) * (t + 1) / workers_;
    blocks_[t].word.store((std::uint64_t{job_id_} << (kIndexBits + kCountBits)) | (end << kIndexBits) | begin,
                          std::memory_order_release);
  }
  // Announce (sequentially consistent, paired with a sleeper's increment of
  // sleepers_ and its check of the job word: one of the two sees the other).
  job_.store(job_id_);
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  work(0);
  // Wait for the tasks other threads took: spin, then yield the core (a
  // worker may have been preempted on a busy machine).
  int spins = 0;
  while (done_.load(std::memory_order_acquire) < count) {
    if (++spins < 4096) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::work(int self) {
  // Own block first, then whatever is left in the others' (in a fixed order).
  for (int k = 0; k < workers_; ++k) {
    std::atomic<std::uint64_t>& block = blocks_[(self + k) % workers_].word;
    for (;;) {
      const std::uint64_t word = block.fetch_add(1, std::memory_order_acq_rel);
      const int index = static_cast<int>(word & kFieldMask);
      const int end = static_cast<int>((word >> kIndexBits) & kFieldMask);
      if (index >= end) break;
      // A task still unclaimed means its job is not finished, so task_ and
      // context_ are that job's (the fetch_add synchronised with run_job()).
      const bool outer = t_in_task;
      t_in_task = true;
      task_(context_, index);
      t_in_task = outer;
      done_.fetch_add(1, std::memory_order_release);
    }
  }
}

void ThreadPool::worker_loop(int self, std::uint64_t seen) {
  for (;;) {
    // Wait for a new job: spin first (jobs of a training step come tens of
    // microseconds apart), then sleep until run() wakes us.
    const double spin_until = seconds_now() + spin_us_ * 1e-6;
    int polls = 0;
    while (job_.load(std::memory_order_relaxed) == seen && !stopping_.load()) {
      cpu_relax();
      if ((++polls & 63) == 0 && seconds_now() > spin_until) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return stopping_.load() || job_.load() != seen; });
        sleepers_.fetch_sub(1);
        break;
      }
    }
    if (stopping_.load()) return;
    seen = job_.load(std::memory_order_acquire);
    work(self);
  }
}

}  // namespace usbpo
