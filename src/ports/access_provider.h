// Where access is really granted: IAM Identity Center in production, fakes in tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"

namespace jit {

// One account assignment: a principal holds a permission set on an account. On the IAM-role path
// (issue 16) the same three name a grant on an elevated role: `principal` is the requester's
// source identity (the aws:SourceIdentity their base sessions carry), `permission_set_arn` the
// elevated role's ARN ("arn:aws:iam::<account>:role/..."); the ARN's form tells the paths apart.
struct Assignment {
  std::string principal;  // identity-store user id; or, on the IAM-role path, the source identity
  std::string account_id;
  std::string permission_set_arn;  // or the elevated role's ARN

  bool operator==(const Assignment&) const = default;
  auto operator<=>(const Assignment&) const = default;
};

// The assignment a request holds (or will hold) once it has a principal.
inline Assignment assignment_of(const AccessRequest& r) { return {r.principal, r.account_id, r.permission_set_arn}; }

// The grant a grant() call acts for. Providers whose access AWS itself ends at a time written in
// a policy (the IAM-role path: the trust statement holds only while aws:CurrentTime is before
// `expires_at`) write both in; Identity Center ignores them (its assignment has no end of its own).
struct GrantTerms {
  std::string grant_id;  // the request id; names what the grant writes
  TimePoint expires_at;  // the grant's expiry as its begin_grant event fixed it
};

// A deny armed at grant time, enforced by AWS itself (issue 14): every action of the sessions
// `assignment.principal` opened on `assignment.account_id` through `assignment.permission_set_arn`
// before `sessions_before` is denied from `cut_at` on. Armed once per grant and named by its id, so
// arming it again with other times rewrites the same statement (an early release moves `cut_at`
// and `sessions_before` to the release time). Sessions opened at or after `sessions_before` (a
// later grant's) are untouched.
struct SessionCutoff {
  std::string grant_id;  // the request id; names the statement ("JitCutoff" + its letters and digits)
  Assignment assignment;
  TimePoint cut_at;           // the grant's expiry, or the moment it was released or revoked
  TimePoint sessions_before;  // sessions issued before this are cut: cut_at + a margin, at least cut_at
};

// What arming left in the permission set's policy (for the audit detail and `jit doctor`).
struct CutoffArmed {
  int statements = 0;     // cut-off statements of ours in the policy after arming (this one included)
  int pruned = 0;         // statements of ours removed because no session they cut can still live
  int size = 0;           // the policy's size as AWS counts it (non-whitespace characters)
  int size_limit = 0;     // the most it may hold (10,240)
  std::chrono::milliseconds provisioning{0};  // from the write until the account had the policy
};

// All methods may block (network) and are thread-safe. Errc::unavailable: transient, retry later.
class AccessProvider {
 public:
  virtual ~AccessProvider() = default;

  // The principal id for a person, found by e-mail, on the access `target_arn` grants (a permission
  // set ARN or an elevated role's ARN: the path it names decides what a principal is).
  // Errc::not_found when nobody has it; Errc::invalid when the e-mail cannot be one on that path.
  virtual Result<std::string> resolve_principal(const std::string& email, const std::string& target_arn) = 0;

  // Creates the assignment and returns once it is in effect. Idempotent: an assignment that
  // already exists counts as success (a grant resumed after a crash finds its own; on the IAM-role
  // path the grant's statement is rewritten with `terms`). The engine lists first and refuses a
  // grant the principal already holds, so standing access is never taken over and then revoked at
  // expiry.
  virtual Result<> grant(const Assignment& assignment, const GrantTerms& terms) = 0;

  // Deletes the assignment and returns once it is gone. Idempotent: an assignment that does not
  // exist counts as success. On the IAM-role path: every trust statement of ours for the
  // principal on the role.
  virtual Result<> revoke(const Assignment& assignment) = 0;

  // What is really assigned for this permission set on this account, all pages.
  virtual Result<std::vector<Assignment>> list(const std::string& account_id,
                                               const std::string& permission_set_arn) = 0;

  // Arms (or rewrites) the cut-off of one grant and returns once AWS enforces it on the account:
  // the policy written and provisioned to `cutoff.assignment.account_id`. Every statement of ours
  // that can no longer cut a live session (its sessions_before + the permission set's session
  // duration has passed) is pruned in the same write; statements the admin wrote are kept as they
  // are. Idempotent. Errc::denied when the policy has no room for it even after pruning (the
  // message says how many cut-offs are live and when the next one frees); Errc::invalid when the
  // provider cannot cut sessions off (the default) or the admin's policy cannot be read.
  virtual Result<CutoffArmed> arm_cutoff(const SessionCutoff& cutoff) {
    (void)cutoff;
    return fail(Error::Invalid("this access provider cannot cut live sessions off"));
  }

  // Removes the statements of ours on this permission set that can no longer cut a live session,
  // and returns how many it removed (0 writes nothing). Pruned statements need no provisioning of
  // their own: they are inert where they still are and go with the next provisioning.
  virtual Result<int> prune_cutoffs(const std::string& permission_set_arn) {
    (void)permission_set_arn;
    return 0;
  }

  // Schedules AWS itself to delete `assignment` at `at` (within the minute: EventBridge Scheduler),
  // so the grant ends with every instance of the service down. Named by the grant id; idempotent
  // (the same grant, assignment and time again is success). Errc::invalid when the provider cannot
  // schedule (the default).
  virtual Result<> schedule_revoke(const std::string& grant_id, const Assignment& assignment, TimePoint at) {
    (void)grant_id, (void)assignment, (void)at;
    return fail(Error::Invalid("this access provider cannot schedule a revoke"));
  }

  // Deletes the grant's schedule. A schedule that is not there (it fired, or was never made) is
  // success. Every revoke of a scheduled grant calls it before the grant is recorded as revoked, so
  // a schedule left pending can never delete a later grant's assignment.
  virtual Result<> cancel_scheduled_revoke(const std::string& grant_id) {
    (void)grant_id;
    return {};
  }

  // The longest one grant or revoke may take before it gives up, waits and retries included.
  // The engine's lease on an in-flight step must exceed it, or another instance could take the
  // step over while this call is still running. Zero: calls return at once (no network).
  virtual std::chrono::milliseconds call_deadline() const { return std::chrono::milliseconds(0); }
};

}  // namespace jit
