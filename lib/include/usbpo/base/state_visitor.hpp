// StateVisitor: one walk over everything a component needs to continue bit for
// bit (weights, optimiser moments, counters, generator states, stored data).
// Each component lists its state once in visit_state(); the checkpoint writer
// visits to copy out and the reader visits to copy in, so the two never drift.
//
// Order matters: a component visits its counters first and calls check() on
// them before it visits arrays whose length depends on them, so a reader never
// writes past a buffer because of a bad counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace usbpo {

enum class StateType : std::uint8_t { kBytes = 0, kF32, kF64, kI32, kI64, kU64 };

class StateVisitor {
 public:
  virtual ~StateVisitor() = default;

  // count elements of `type` at data, named prefix + "/" + name.
  virtual void field(const char* prefix, const char* name, StateType type, void* data, std::size_t count) = 0;
  // A reader verifies restored counters here; false (and the visit fails) when
  // the condition does not hold. A writer's condition always holds.
  virtual bool check(bool condition, const char* prefix, const char* what) = 0;
  // False once any field or check failed; components stop visiting then.
  virtual bool ok() const = 0;
  // Called once after the whole visit: a reader fails here when the source
  // held arrays nobody asked for (another algorithm or configuration).
  virtual bool complete() { return ok(); }

  template <typename T>
  void value(const char* prefix, const char* name, T* data, std::size_t count = 1) {
    field(prefix, name, type_of<T>(), data, count * (type_of<T>() == StateType::kBytes ? sizeof(T) : 1));
  }

 private:
  template <typename T>
  static constexpr StateType type_of() {
    if constexpr (std::is_same_v<T, float>) return StateType::kF32;
    else if constexpr (std::is_same_v<T, double>) return StateType::kF64;
    else if constexpr (std::is_same_v<T, std::int32_t>) return StateType::kI32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return StateType::kI64;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return StateType::kU64;
    else {
      static_assert(std::is_trivially_copyable_v<T>, "state fields are plain data");
      return StateType::kBytes;
    }
  }
};

// Bytes per element of a state type (kBytes: 1).
inline std::size_t state_type_size(StateType type) {
  switch (type) {
    case StateType::kF32: case StateType::kI32: return 4;
    case StateType::kF64: case StateType::kI64: case StateType::kU64: return 8;
    case StateType::kBytes: return 1;
  }
  return 1;
}

}  // namespace usbpo
