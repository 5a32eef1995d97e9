// ThreadPool: a fixed set of worker threads behind the core's TaskRunner
// (usbpo/parallel.hpp), for hosts with an operating system.
//
// Threads are created once by start(); run() then hands tasks out by index
// with no allocation and no lock: each thread (the caller is one) takes the
// same contiguous block of tasks every time, so it keeps working on data in
// its own cache, and then helps with what is left of the others' blocks. Idle
// workers spin briefly on the job word and then sleep on a condition
// variable, which is the only lock, taken to sleep and to wake. Which thread runs a task
// never changes what the task computes (see parallel.hpp), so results are the
// same for every worker count.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "usbpo/base/parallel.hpp"
#include "usbpo/base/status.hpp"

namespace usbpo {

// Cores this process may run on (its sched_getaffinity mask), at least 1.
int available_cores();

class ThreadPool final : public TaskRunner {
 public:
  static constexpr int kMaxWorkers = 256;

  ThreadPool() = default;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() override { stop(); }

  // Start workers - 1 threads (whoever calls run() is the first worker; 1 runs
  // every task on the caller). Idle workers spin for spin_microseconds before
  // they sleep (not at all with more workers than available_cores()).
  // Errors: workers outside [1, kMaxWorkers], a pool already started, or a
  // thread the system would not create.
  Status start(int workers, int spin_microseconds = 100);
  // Stop and join the threads (also done by the destructor).
  void stop();

  // From one thread at a time. A task that calls run() again gets its tasks
  // run in order on its own thread.
  void run(int count, Task task, void* context) override;
  int workers() const override { return workers_; }

 private:
  struct Worker {
    ThreadPool* pool;
    int index;                  // 1..workers-1 (the caller of run() is 0)
    std::uint64_t first_seen;   // the newest job when the thread was started
  };
  static void* thread_main(void* worker);
  // Wait for jobs newer than `seen` and work on them until stop().
  void worker_loop(int self, std::uint64_t seen);
  // One job of at most kMaxTasksPerJob tasks: announce, take part, wait.
  void run_job(int count, Task task, void* context);
  // Take and run tasks of the current job until none is left: thread self's
  // own block first, then the others'.
  void work(int self);

  // A block word: job id (24 bits), end (20 bits), next task (20 bits); one
  // fetch_add claims a task and tells whether the block still had one. Each
  // thread overshoots a block's end at most once per job, so the next-task
  // field never reaches the end field.
  static constexpr int kIdBits = 24, kCountBits = 20, kIndexBits = 20;
  static constexpr std::uint64_t kFieldMask = (std::uint64_t{1} << kIndexBits) - 1;
  static constexpr int kMaxTasksPerJob = (1 << kCountBits) - 4 * kMaxWorkers;
  struct alignas(64) Block {
    std::atomic<std::uint64_t> word{0};
  };

  int workers_ = 1;
  int spin_us_ = 0;
  int threads_started_ = 0;
  pthread_t threads_[kMaxWorkers] = {};
  Worker worker_args_[kMaxWorkers] = {};
  // The current job: written by run_job() before its blocks announce it.
  Task task_ = nullptr;
  void* context_ = nullptr;
  std::uint32_t job_id_ = 0;  // run()'s thread only
  Block blocks_[kMaxWorkers];
  alignas(64) std::atomic<std::uint64_t> job_{0};  // id of the newest job
  alignas(64) std::atomic<int> done_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace usbpo
