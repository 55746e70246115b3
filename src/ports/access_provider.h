// Where access is really granted: IAM Identity Center in production, fakes in tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"

namespace jit {

// One account assignment: a principal holds a permission set on an account.
struct Assignment {
  std::string principal;  // identity-store user id
  std::string account_id;
  std::string permission_set_arn;

  bool operator==(const Assignment&) const = default;
  auto operator<=>(const Assignment&) const = default;
};

// The assignment a request holds (or will hold) once it has a principal.
inline Assignment assignment_of(const AccessRequest& r) { return {r.principal, r.account_id, r.permission_set_arn}; }

// All methods may block (network) and are thread-safe. Errc::unavailable: transient, retry later.
class AccessProvider {
 public:
  virtual ~AccessProvider() = default;

  // The principal id for a person, found by e-mail. Errc::not_found when nobody has it.
  virtual Result<std::string> resolve_principal(const std::string& email) = 0;

  // Creates the assignment and returns once it is in effect. Idempotent: an assignment that
  // already exists counts as success (a grant resumed after a crash finds its own). The engine
  // lists first and refuses a grant the principal already holds, so standing access is never
  // taken over and then revoked at expiry.
  virtual Result<> grant(const Assignment& assignment) = 0;

  // Deletes the assignment and returns once it is gone. Idempotent: an assignment that does not
  // exist counts as success.
  virtual Result<> revoke(const Assignment& assignment) = 0;

  // What is really assigned for this permission set on this account, all pages.
  virtual Result<std::vector<Assignment>> list(const std::string& account_id,
                                               const std::string& permission_set_arn) = 0;

  // The longest one grant or revoke may take before it gives up, waits and retries included.
  // The engine's lease on an in-flight step must exceed it, or another instance could take the
  // step over while this call is still running. Zero: calls return at once (no network).
  virtual std::chrono::milliseconds call_deadline() const { return std::chrono::milliseconds(0); }
};

}  // namespace jit
