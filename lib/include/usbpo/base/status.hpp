// Errors as values: the core never throws, prints or exits.
#pragma once

#include <cstdint>

namespace usbpo {

// What went wrong, coarse enough for a caller to branch on.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,    // a configuration value or argument out of its valid range
  kDimensionMismatch,  // sizes of inputs do not match the component's configuration
  kNonFinite,          // NaN or Inf where a finite number is required
  kOutOfMemory,        // the arena is too small for the requested configuration
  kIoError,            // a file could not be opened, read, written or renamed
  kCorruptData,        // a file or blob failed verification
  kNotFound,           // a name (task, file) is unknown
  kFailedPrecondition, // the component is not in a state that allows the call
  kUnimplemented,      // the backend does not offer this (e.g. graphs on the CPU backend)
};

// Short fixed name of a code ("ok", "invalid argument", ...).
const char* status_code_name(StatusCode code);

// A result code with a readable, fixed-size message; no heap, cheap when ok.
class Status {
 public:
  Status() { message_[0] = '\0'; }

  // Success.
  static Status ok() { return Status(); }
  // Failure with a printf-style message (truncated to kMaxMessage - 1 characters).
  static Status error(StatusCode code, const char* format, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The message; "" when ok.
  const char* message() const { return message_; }

  static constexpr int kMaxMessage = 224;

 private:
  StatusCode code_ = StatusCode::kOk;
  char message_[kMaxMessage];
};

}  // namespace usbpo

// Propagate a failed Status to the caller.
#define USBPO_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::usbpo::Status usbpo_status_ = (expr);      \
    if (!usbpo_status_.is_ok()) return usbpo_status_; \
  } while (0)
