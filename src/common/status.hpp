#pragma once
// Errors as values across module boundaries. The kind tells the caller what to do next.

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace mc {

enum class ErrorKind {
  kRetryable,  // transient: network reset, timeout, 5xx, throttling; try again later
  kFatal,      // stop and alert: bad credentials, bad configuration, permission denied
  kCorrupt,    // the data itself is bad: quarantine it, never retry it
  kNoSpace,    // the disk is full: keep running, count, alarm, retry when space frees
  kAlreadyExists,  // the key holds a different object: never overwrite it, store under another key
};

const char* to_string(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status ok() { return {}; }
  static Status retryable(std::string message) { return {ErrorKind::kRetryable, std::move(message)}; }
  static Status fatal(std::string message) { return {ErrorKind::kFatal, std::move(message)}; }
  static Status corrupt(std::string message) { return {ErrorKind::kCorrupt, std::move(message)}; }
  static Status no_space(std::string message) { return {ErrorKind::kNoSpace, std::move(message)}; }
  static Status already_exists(std::string message) { return {ErrorKind::kAlreadyExists, std::move(message)}; }
  // Maps an errno value from a file-system call: ENOSPC/EDQUOT -> kNoSpace, EACCES/EPERM/EROFS -> kFatal,
  // everything else -> kRetryable.
  static Status from_errno(int err, std::string_view what);

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return is_ok(); }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Adds what the caller was doing, keeping the kind: "sealing x: open: No such file".
  Status with_context(std::string_view context) const;

 private:
  Status(ErrorKind kind, std::string message) : failed_(true), kind_(kind), message_(std::move(message)) {}

  bool failed_ = false;
  ErrorKind kind_ = ErrorKind::kRetryable;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) { assert(!status_.is_ok()); }  // NOLINT

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const { return status_; }  // ok when a value is held
  T& value() & { return value_.value(); }
  const T& value() const& { return value_.value(); }
  T&& value() && { return std::move(value_).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  // Not a std::variant<T, Status>: g++ 12 at -O2 cannot see which alternative a variant holds when
  // two of them are destroyed in one function, and warns (-Wmaybe-uninitialized) that the Status's
  // string may be destroyed uninitialized. An optional and a Status (ok while a value is held) carry
  // the same information at the price of an empty string.
  std::optional<T> value_;
  Status status_;
};

}  // namespace mc
