// Arena: bump allocator over caller-given memory ("size first, place once").
//
// A default-constructed Arena only measures: allocate() returns nullptr and
// counts bytes, so every component computes bytes_needed(config) by running
// its own placement code against a measuring arena.
//
// Sizes never wrap: products and sums of sizes go through size_product and
// size_sum, which saturate at SIZE_MAX, and a request of SIZE_MAX bytes (or a
// running total that reaches it) marks the arena overflowed() instead of
// handing out a wrapped size. bytes_needed() functions return 0 then.
#pragma once

#include <cstddef>
#include <cstdint>

namespace usbpo {

// a * b, or SIZE_MAX when the product does not fit in size_t.
inline std::size_t size_product(std::size_t a, std::size_t b) {
  return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}
// a * b * c, saturating at SIZE_MAX.
inline std::size_t size_product(std::size_t a, std::size_t b, std::size_t c) {
  return size_product(size_product(a, b), c);
}
// a + b, or SIZE_MAX when the sum does not fit in size_t.
inline std::size_t size_sum(std::size_t a, std::size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

class Arena {
 public:
  static constexpr std::size_t kAlignment = 64;  // cache line; also AVX-512 width

  // Measuring arena: counts bytes, hands out no memory.
  Arena() = default;
  // Arena over [memory, memory + bytes); memory is not owned.
  Arena(void* memory, std::size_t bytes);

  // Room for count objects of T, aligned to kAlignment; nullptr when measuring
  // or when the arena is exhausted (then exhausted() turns true and stays true).
  template <typename T>
  T* allocate(std::size_t count) {
    return static_cast<T*>(allocate_bytes(size_product(count, sizeof(T))));
  }
  void* allocate_bytes(std::size_t bytes);

  bool measuring() const { return base_ == nullptr; }
  bool exhausted() const { return exhausted_; }
  // A request or the measured total did not fit in size_t (no memory could
  // hold it); a measuring arena's used() is then SIZE_MAX.
  bool overflowed() const { return overflowed_; }
  // Bytes handed out so far, including alignment padding.
  std::size_t used() const { return used_; }
  // Largest used() ever seen (scratch marks may lower used()).
  std::size_t high_water() const { return high_water_; }
  std::size_t capacity() const { return capacity_; }
  // Bytes a request of n bytes can take at most (n plus worst-case padding).
  // (SIZE_MAX when that does not fit).
  static std::size_t padded(std::size_t bytes) { return size_sum(bytes, kAlignment); }

  // Scratch stack: remember the top, later free everything above it.
  std::size_t mark() const { return used_; }
  void release(std::size_t mark) { used_ = mark < used_ ? mark : used_; }

 private:
  unsigned char* base_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::size_t high_water_ = 0;
  bool exhausted_ = false;
  bool overflowed_ = false;
};

}  // namespace usbpo
