// Error values for operations whose failure the caller handles.
// Exceptions are reserved for programmer errors and start-up.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace jit {

enum class Errc {
  invalid,      // bad input: the message names the field and the fix
  not_found,    // the thing asked for does not exist
  conflict,     // a conditional write lost: the row changed since it was read
  denied,       // policy forbids it (self-approval, not an approver, ...)
  unavailable,  // a dependency is down or timed out; retrying may help
  internal,     // a bug or corrupted state
};

const char* errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;

  static Error Invalid(std::string m) { return {Errc::invalid, std::move(m)}; }
  static Error NotFound(std::string m) { return {Errc::not_found, std::move(m)}; }
  static Error Conflict(std::string m) { return {Errc::conflict, std::move(m)}; }
  static Error Denied(std::string m) { return {Errc::denied, std::move(m)}; }
  static Error Unavailable(std::string m) { return {Errc::unavailable, std::move(m)}; }
  static Error Internal(std::string m) { return {Errc::internal, std::move(m)}; }
};

template <class T = void>
using Result = std::expected<T, Error>;

// Shorthand for returning an error from a function whose return type is Result<T>.
inline std::unexpected<Error> fail(Error e) { return std::unexpected(std::move(e)); }

}  // namespace jit
