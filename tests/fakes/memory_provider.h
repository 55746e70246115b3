// An AccessProvider that keeps assignments in memory: the stand-in for IAM Identity Center in
// unit tests (the product never links it: `jit demo` talks to the AWS emulator executable).
// Session cut-offs (one statement per grant id) and scheduled revokes (one per grant id) are kept
// too, with a way to fire a schedule and to ask whether a session is cut.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ports/access_provider.h"
#include "ports/clock.h"

namespace jit {

class MemoryAccessProvider final : public AccessProvider {
 public:
  // Principals are derived from e-mail addresses: "alice@example.com" -> "p-alice".
  Result<std::string> resolve_principal(const std::string& email, const std::string& target_arn) override;
  Result<> grant(const Assignment& assignment, const GrantTerms& terms) override;
  Result<> revoke(const Assignment& assignment) override;
  Result<std::vector<Assignment>> list(const std::string& account_id,
                                       const std::string& permission_set_arn) override;
  // Records (or rewrites) the statement of cutoff.grant_id, pruning first (see use_clock);
  // Errc::denied when a new statement would exceed set_cutoff_capacity.
  Result<CutoffArmed> arm_cutoff(const SessionCutoff& cutoff) override;
  Result<int> prune_cutoffs(const std::string& permission_set_arn) override;
  // Records the schedule; the same grant again with another assignment or time: Errc::conflict.
  Result<> schedule_revoke(const std::string& grant_id, const Assignment& assignment, TimePoint at) override;
  Result<> cancel_scheduled_revoke(const std::string& grant_id) override;

  // Test controls.
  enum class Op { resolve, grant, revoke, list, arm, prune, schedule, cancel };
  // The next `count` calls of `op` fail with `error` and change nothing.
  void fail_next(Op op, int count, Error error);
  // Called after each successful grant/revoke/arm/schedule/cancel has taken effect (tests use it to
  // simulate a crash right after the provider acted, by throwing). For cancel the assignment is
  // the schedule's ({} when there was none).
  void on_effect(std::function<void(Op, const Assignment&)> hook);
  // Runs `once` after the next list() has read the assignments, before it returns (tests act
  // between the reconciler's listing and its read of the store).
  void after_next_list(std::function<void()> once);
  // From now on `email` resolves to `principal`, whatever the target (the directory changed).
  void set_principal(const std::string& email, const std::string& principal);
  // Adds an assignment behind the engine's back (standing access the reconciler must find).
  void add_out_of_band(const Assignment& assignment);
  // Pruning: a statement goes once clock.now() > its sessions_before + `session_duration` (no
  // clock: nothing is ever pruned).
  void use_clock(const Clock* clock, Seconds session_duration);
  // At most `statements` cut-offs per permission set (0, the default: no limit).
  void set_cutoff_capacity(int statements);

  std::set<Assignment> assignments() const;
  bool has(const Assignment& assignment) const;
  int calls(Op op) const;
  // How many grant calls actually created an assignment, and revoke calls removed one.
  int created() const;
  int deleted() const;
  // The ops that took effect, in order (grant, revoke, arm, schedule, cancel of an existing one).
  std::vector<Op> effects() const;

  // Cut-off statements by grant id, as last written.
  std::map<std::string, SessionCutoff> cutoffs() const;
  std::optional<SessionCutoff> cutoff(const std::string& grant_id) const;
  // True when a session `assignment.principal` opened on the account through the permission set
  // at `issued_at` is denied at `t` by one of the statements (AWS's evaluation of their shape).
  bool session_cut(const Assignment& assignment, TimePoint issued_at, TimePoint t) const;

  struct Schedule {
    Assignment assignment;
    TimePoint at;
  };
  // Pending schedules by grant id.
  std::map<std::string, Schedule> schedules() const;
  // AWS fires the grant's schedule: the assignment is deleted (when there) and the schedule goes
  // (ActionAfterCompletion DELETE). False when there was no such schedule.
  bool fire_schedule(const std::string& grant_id);

 private:
  Result<> take_fault(Op op);
  int prune_locked(const std::string& permission_set_arn);
  // Runs the hook (outside the lock) after `op` took effect.
  void effect(Op op, const Assignment& assignment);

  mutable std::mutex mu_;
  std::set<Assignment> assignments_;
  std::map<Op, int> calls_;
  std::map<std::string, std::string> principals_;  // set_principal's
  std::map<Op, std::pair<int, Error>> faults_;
  std::function<void(Op, const Assignment&)> hook_;
  std::function<void()> after_list_;
  int created_ = 0, deleted_ = 0;
  std::vector<Op> effects_;
  std::map<std::string, SessionCutoff> cutoffs_;
  std::map<std::string, Schedule> schedules_;
  const Clock* clock_ = nullptr;
  Seconds session_duration_{3600};
  int capacity_ = 0;
};

}  // namespace jit
