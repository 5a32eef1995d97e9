// Timing helpers for the bench command: median over blocks of repeated calls.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace usbpo::cli {

inline double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Result of timing one operation.
struct Timing {
  double median_us = 0;  // median over blocks of the mean time per call
  double min_us = 0;
  int calls = 0;
};

// Warm up, then run blocks of calls for about `seconds` in total.
template <typename F>
Timing time_calls(F&& call, double seconds, int min_blocks = 5) {
  call();  // warm-up
  const double t0 = now_seconds();
  call();
  const double one = std::max(now_seconds() - t0, 1e-7);
  const int per_block = std::max(1, static_cast<int>(seconds / min_blocks / one));
  std::vector<double> blocks;
  const double start = now_seconds();
  Timing t;
  while (static_cast<int>(blocks.size()) < min_blocks || now_seconds() - start < seconds) {
    const double b0 = now_seconds();
    for (int i = 0; i < per_block; ++i) call();
    blocks.push_back((now_seconds() - b0) / per_block * 1e6);
    t.calls += per_block;
    if (blocks.size() >= 200) break;
  }
  std::sort(blocks.begin(), blocks.end());
  t.median_us = blocks[blocks.size() / 2];
  t.min_us = blocks.front();
  return t;
}

// Per-call latency percentiles (p50, p99, max) in microseconds.
struct Latency {
  double p50_us = 0, p99_us = 0, max_us = 0;
};

template <typename F>
Latency time_each_call(F&& call, int calls) {
  for (int i = 0; i < 1000; ++i) call();
  std::vector<double> samples(static_cast<std::size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    samples[static_cast<std::size_t>(i)] =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  }
  std::sort(samples.begin(), samples.end());
  Latency l;
  l.p50_us = samples[samples.size() / 2];
  l.p99_us = samples[samples.size() * 99 / 100];
  l.max_us = samples.back();
  return l;
}

}  // namespace usbpo::cli
