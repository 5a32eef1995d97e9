// ThreadPool: every task runs exactly once for any task and worker count,
// sleeping workers wake for new jobs, nested runs stay on their thread, bad
// worker counts are refused with a reason; ColumnPanels' fixed cut.
#include "usbpo/thread_pool.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace usbpo {
namespace {

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  for (int workers : {1, 2, 3, 8}) {
    ThreadPool pool;
    ASSERT_TRUE(pool.start(workers).is_ok());
    EXPECT_EQ(pool.workers(), workers);
    for (int count : {0, 1, 2, 3, 7, 64, 1000}) {
      std::vector<int> hits(static_cast<std::size_t>(count), 0);
      run_tasks(&pool, count, 1e9, [&](int i) { ++hits[static_cast<std::size_t>(i)]; });
      for (int i = 0; i < count; ++i) {
        ASSERT_EQ(hits[static_cast<std::size_t>(i)], 1) << workers << " workers, task " << i;
      }
    }
  }
}

TEST(ThreadPool, MoreTasksThanOneJobCounts) {
  ThreadPool pool;
  ASSERT_TRUE(pool.start(2).is_ok());
  const int count = (1 << 20) + 7;  // beyond the 20-bit task field: run as successive jobs
  std::vector<unsigned char> hits(static_cast<std::size_t>(count), 0);
  run_tasks(&pool, count, 1e9, [&](int i) { ++hits[static_cast<std::size_t>(i)]; });
  int wrong = 0;
  for (unsigned char h : hits) wrong += h != 1;
  EXPECT_EQ(wrong, 0);
}

TEST(ThreadPool, TasksRunOnSeveralThreads) {
  ThreadPool pool;
  ASSERT_TRUE(pool.start(2, 100000).is_ok());  // the first job, right after start, too
  // A barrier of two tasks: each waits until both have arrived, which only two
  // threads at once can pass (run in turn, the first would wait in vain).
  std::atomic<int> arrived{0}, passed{0};
  run_tasks(&pool, 2, 1e9, [&](int) {
    arrived.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (arrived.load() == 2) passed.fetch_add(1);
  });
  EXPECT_EQ(passed.load(), 2);
}

TEST(ThreadPool, SleepingWorkersWakeForEveryJob) {
  ThreadPool pool;
  ASSERT_TRUE(pool.start(3, 0).is_ok());  // no spinning: workers sleep between jobs
  long total = 0;
  for (int job = 0; job < 300; ++job) {
    if (job % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::vector<long> part(16, 0);
    run_tasks(&pool, 16, 1e9, [&](int i) { part[static_cast<std::size_t>(i)] = job + i; });
    for (long p : part) total += p;
  }
  long expected = 0;
  for (int job = 0; job < 300; ++job) expected += 16L * job + 120;
  EXPECT_EQ(total, expected);
}

TEST(ThreadPool, NestedRunsStayOnTheirThread) {
  ThreadPool pool;
  ASSERT_TRUE(pool.start(2).is_ok());
  std::vector<int> hits(8 * 8, 0);
  run_tasks(&pool, 8, 1e9, [&](int outer) {
    run_tasks(&pool, 8, 1e9, [&](int inner) { ++hits[static_cast<std::size_t>(outer * 8 + inner)]; });
  });
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(ThreadPool, RefusesBadWorkerCountsWithAReason) {
  for (int bad : {0, -1, ThreadPool::kMaxWorkers + 1}) {
    ThreadPool pool;
    const Status s = pool.start(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(std::string(s.message()).find("thread count must be in [1, 256]"), std::string::npos) << s.message();
    EXPECT_EQ(pool.workers(), 1);
  }
  ThreadPool pool;
  ASSERT_TRUE(pool.start(2).is_ok());
  EXPECT_EQ(pool.start(2).code(), StatusCode::kFailedPrecondition);
  pool.stop();
  EXPECT_EQ(pool.workers(), 1);
  ASSERT_TRUE(pool.start(3).is_ok());  // restartable after stop
  int sum = 0;
  std::vector<int> v(5, 0);
  run_tasks(&pool, 5, 1e9, [&](int i) { v[static_cast<std::size_t>(i)] = i; });
  for (int x : v) sum += x;
  EXPECT_EQ(sum, 10);
}

TEST(ThreadPool, DefaultIsEveryCoreOfTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(available_cores(), CPU_COUNT(&set));
  EXPECT_GE(available_cores(), 1);
}

TEST(ColumnPanels, FixedCutOfAlignedPanels) {
  for (int batch : {1, 63, 64, 100, 127, 128, 129, 256, 961, 1000, 1024, 4096, 100000}) {
    for (int members : {0, 1, 2, 5, 7, 16, 64}) {
      const ColumnPanels p(batch, members);
      ASSERT_GE(p.panels, 1);
      EXPECT_EQ(p.begin(0), 0);
      EXPECT_EQ(p.end(p.panels - 1), batch);
      if (members <= 0 || batch < 128) {
        EXPECT_EQ(p.panels, 1) << batch << " " << members;
      }
      for (int i = 0; i < p.panels; ++i) {
        EXPECT_EQ(p.begin(i) % 16, 0);
        if (i > 0) {
          EXPECT_EQ(p.begin(i), p.end(i - 1));
        }
        if (p.panels > 1) {
          EXPECT_GE(p.end(i) - p.begin(i), 64) << batch << " " << members;
        }
      }
      if (members >= 1) {
        EXPECT_LE(p.panels * members, 16 + members);
      }
    }
  }
  // A few cuts spelled out: actor, twin critics, ensemble at batch 256, phase 2 at 1024.
  EXPECT_EQ(ColumnPanels(256, 1).panels, 4);
  EXPECT_EQ(ColumnPanels(256, 2).panels, 4);
  const ColumnPanels ensemble(256, 7);
  EXPECT_EQ(ensemble.panels, 3);
  EXPECT_EQ(ensemble.end(0), 80);
  EXPECT_EQ(ensemble.end(1), 160);
  EXPECT_EQ(ColumnPanels(1024, 7).end(0), 336);
}

TEST(Chunks, CoverTheRangeInOrder) {
  const Chunks c{40000, 16384};
  ASSERT_EQ(c.count(), 3);
  EXPECT_EQ(c.end(0), 16384u);
  EXPECT_EQ(c.begin(2), 32768u);
  EXPECT_EQ(c.end(2), 40000u);
  EXPECT_EQ((Chunks{0, 16}).count(), 0);
}

}  // namespace
}  // namespace usbpo
