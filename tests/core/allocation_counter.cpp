#include "allocation_counter.hpp"

#include <Eigen/Core>
#include <atomic>
#include <cstdlib>
#include <new>

#include "usbpo/nn/ops.hpp"

namespace {
std::atomic<bool> g_armed{false};
std::atomic<std::int64_t> g_count{0};
bool g_trap = false;  // USBPO_TRAP_ON_ALLOCATION=1: stop in a debugger at the first counted allocation
inline void note() {
  if (g_armed.load(std::memory_order_relaxed)) {
    g_count.fetch_add(1, std::memory_order_relaxed);
    if (g_trap) __builtin_trap();
  }
}
}  // namespace

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && defined(__GLIBC__)
#define USBPO_COUNT_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t size) {
  note();
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  note();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  note();
  return __libc_realloc(p, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  note();
  void* p = __libc_memalign(alignment, size);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  note();
  return __libc_memalign(alignment, size);
}
}
#endif

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer malloc cannot be interposed; its allocator calls hooks instead.
#define USBPO_COUNT_MALLOC 1
// Declared here: GCC does not ship <sanitizer/allocator_interface.h>.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void on_malloc(const volatile void*, std::size_t) { note(); }
void on_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#endif

// operator new forms route through malloc when that is counted, else count here.
namespace {
void* counted_new(std::size_t size) {
#if !defined(USBPO_COUNT_MALLOC)
  note();
#endif
  if (size == 0) size = 1;
  void* p = std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}
void* counted_new_aligned(std::size_t size, std::align_val_t alignment) {
#if !defined(USBPO_COUNT_MALLOC)
  note();
#endif
  void* p = nullptr;
  const std::size_t align = static_cast<std::size_t>(alignment) < sizeof(void*) ? sizeof(void*)
                                                                                : static_cast<std::size_t>(alignment);
  if (posix_memalign(&p, align, size == 0 ? 1 : size) != 0) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t a) { return counted_new_aligned(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_new_aligned(size, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace usbpo {
namespace testing_support {

void arm_allocation_counter() {
  g_trap = std::getenv("USBPO_TRAP_ON_ALLOCATION") != nullptr;
  g_count.store(0);
  g_armed.store(true);
}

std::int64_t disarm_allocation_counter() {
  g_armed.store(false);
  return g_count.load();
}

bool counts_malloc() {
#if defined(USBPO_COUNT_MALLOC)
  return true;
#else
  return false;
#endif
}

NoAllocationScope::NoAllocationScope() {
  Eigen::internal::set_is_malloc_allowed(false);
  ops::set_eigen_malloc_allowed(false);
  arm_allocation_counter();
}

NoAllocationScope::~NoAllocationScope() {
  g_armed.store(false);
  Eigen::internal::set_is_malloc_allowed(true);
  ops::set_eigen_malloc_allowed(true);
}

std::int64_t NoAllocationScope::allocations() const { return g_count.load(); }

}  // namespace testing_support
}  // namespace usbpo
