// AWS-side enforcement of a grant (issue 14): the session cut-off armed and the revoke scheduled
// before the grant is reported active, and what the revoke path and the reconciler do with them.
//
// Lease: the grant step now makes up to three provider calls (arm, schedule, grant), each bounded
// by the provider's call_deadline(). Rather than asking for a lease of 1.25 × three deadlines
// (which would make every deployment's --lease wrong), each sub-step is recorded in its own
// conditional write (cutoff_armed, revoke_scheduled) that also renews the lease: every provider
// call starts right after a write that gave the row a full lease (begin_grant, reclaim, or one of
// these), so check_lease (lease ≥ 1.25 × deadline) still covers each call. The records also tell a
// resumed grant which steps are done, and show the auditor that the deny was armed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "audit/facts.h"
#include "core/duration.h"
#include "engine/crash_points.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace jit {

namespace {
constexpr char kActor[] = "system:engine";

bool flag_of(const audit::facts::Json& facts, const char* key) {
  auto it = facts.find(key);
  return it != facts.end() && it->is_boolean() && it->get<bool>();
}
}  // namespace

void Engine::remember_enforcement(const std::string& id, const std::vector<AuditEvent>& events) {
  Enforcement e;
  bool begun = false;
  for (const auto& event : events) {
    if (event.action == "begin_grant") {
      auto facts = audit::facts::read(event);
      if (!facts) continue;
      begun = true;
      e.cutoff = flag_of(*facts, "session_cutoff");
      e.schedule = flag_of(*facts, "scheduled_revoke");
    } else if (event.action == "cutoff_armed") {
      e.cutoff_armed = true;
    } else if (event.action == "revoke_scheduled") {
      e.scheduled = true;
    }
  }
  // Before its begin_grant event the grant's enforcement is not fixed yet (another instance may
  // begin it with flags): nothing is remembered, so the next look reads the chain again.
  if (begun) remember_enforcement(id, e);
  else forget_enforcement(id);
}

void Engine::remember_enforcement(const std::string& id, const Enforcement& e) {
  std::lock_guard lock(enforcement_mu_);
  enforcement_[id] = e;
}

void Engine::forget_enforcement(const std::string& id) {
  std::lock_guard lock(enforcement_mu_);
  enforcement_.erase(id);
}

Result<Engine::Enforcement> Engine::enforcement_of(const AccessRequest& r) {
  {
    std::lock_guard lock(enforcement_mu_);
    if (auto it = enforcement_.find(r.id); it != enforcement_.end()) return it->second;
  }
  auto events = store_.audit_events({.request_id = r.id});
  if (!events)
    return fail(Error::Unavailable(fmt::format("could not read the audit events of request {}: {}", r.id,
                                               events.error().message)));
  remember_enforcement(r.id, *events);
  std::lock_guard lock(enforcement_mu_);
  auto it = enforcement_.find(r.id);
  return it == enforcement_.end() ? Enforcement{} : it->second;  // not begun: nothing to enforce
}

Result<Engine::Update> Engine::record_grant_step(const AccessRequest& r, AuditEvent event) {
  return update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != State::granting || x.lease_owner != options_.instance_id) return std::nullopt;
    take_lease(x);
    AuditEvent e = event;
    e.at = clock_.now();
    return e;
  }, &r);
}

Result<std::optional<AccessRequest>> Engine::enforce_at_grant(AccessRequest& r) {
  auto known = enforcement_of(r);
  if (!known) return fail(known.error());
  const Enforcement e = *known;
  const Assignment a = assignment_of(r);
  const TimePoint expires = *r.expires_at;
  // A step AWS refused fails the grant (rolled back, requester and ops told); a transient failure
  // leaves the row granting, to be retried like a failed grant.
  const auto refused = [&](std::string_view what, const Error& error) -> Result<std::optional<AccessRequest>> {
    if (error.code == Errc::unavailable) {
      spdlog::warn("event=grant_retry request={} step=\"{}\" error=\"{}\"", r.id, what, error.message);
      return fail(error);
    }
    const std::string why = fmt::format("{} failed, so nothing was granted: {}", what, error.message);
    alert(fmt::format("Grant {} ({} on {} for {}) failed: {}", r.id, r.role, r.account, r.requester, why), r.id);
    auto failed = roll_back_and_fail(r, why);
    if (!failed) return fail(failed.error());
    return std::optional<AccessRequest>(std::move(*failed));
  };
  // Records a step done; nullopt while the row is still ours (r is then the row as stored).
  const auto record = [&](AuditEvent event) -> Result<std::optional<AccessRequest>> {
    event.request_id = r.id;
    event.actor = kActor;
    event.from_state = event.to_state = std::string(state_name(State::granting));
    auto written = record_grant_step(r, std::move(event));
    if (!written) return fail(written.error());
    if (!written->event) return std::optional<AccessRequest>(std::move(written->request));  // no longer ours
    r = std::move(written->request);
    return std::nullopt;
  };

  Enforcement done = e;
  if (e.cutoff && !e.cutoff_armed) {
    const SessionCutoff cutoff{r.id, a, expires, expires + cutoff_margin()};
    crash_point("before_provider:arm");
    auto armed = provider_.arm_cutoff(cutoff);
    crash_point("after_provider:arm");
    if (!armed) return refused("arming the session cut-off", armed.error());
    const audit::facts::CutoffArmedFacts facts{.cut_at = cutoff.cut_at,
                                               .sessions_before = cutoff.sessions_before,
                                               .statements = armed->statements,
                                               .pruned = armed->pruned,
                                               .size = armed->size,
                                               .size_limit = armed->size_limit,
                                               .provisioning_ms = armed->provisioning.count()};
    auto recorded = record({.action = "cutoff_armed",
                            .detail = fmt::format("sessions issued before {} are denied from {}; {} cut-off(s) in the "
                                                  "permission set's policy ({} of {} characters, {} pruned), "
                                                  "provisioned in {} ms",
                                                  format_time(cutoff.sessions_before), format_time(cutoff.cut_at),
                                                  armed->statements, armed->size, armed->size_limit, armed->pruned,
                                                  armed->provisioning.count()),
                            .facts = audit::facts::of_cutoff_armed(facts)});
    if (!recorded || *recorded) return recorded;
    done.cutoff_armed = true;
    remember_enforcement(r.id, done);
  }
  if (e.schedule && !e.scheduled) {
    crash_point("before_provider:schedule");
    auto scheduled = provider_.schedule_revoke(r.id, a, expires);
    crash_point("after_provider:schedule");
    if (!scheduled) return refused("scheduling the revoke at expiry", scheduled.error());
    auto recorded = record({.action = "revoke_scheduled",
                            .detail = fmt::format("AWS deletes the assignment at {} (within the minute) even with "
                                                  "the service down",
                                                  format_time(expires)),
                            .facts = audit::facts::of_revoke_scheduled(expires)});
    if (!recorded || *recorded) return recorded;
    done.scheduled = true;
    remember_enforcement(r.id, done);
  }
  return std::nullopt;
}

std::string Engine::enforcement_note(const AccessRequest& r) {
  auto e = enforcement_of(r);
  if (!e) return "";
  std::string note;
  if (e->cutoff)
    note += fmt::format("; cut-off armed: sessions issued before {} end at {}",
                        format_time(*r.expires_at + cutoff_margin()), format_time(*r.expires_at));
  if (e->schedule) note += fmt::format("; schedule at {}", format_time(*r.expires_at));
  return note;
}

Result<> Engine::undo_grant(const AccessRequest& r) {
  auto e = enforcement_of(r);
  if (!e) return fail(e.error());
  // An extension that fails before it took the assignment over shares it with the active grant it
  // extends (issue 17): that grant keeps the assignment and its sessions; only the extension's own
  // cut-off and schedule are undone.
  auto shared = shares_assignment(r);
  if (!shared) return fail(shared.error());
  // An armed cut-off of a grant that failed would still cut, at this grant's expiry, the sessions
  // of a new grant of the same role made before then: it is moved to now, where it cuts nothing
  // (this grant opened no session) and the next arming or pruning takes it away. Beside a grant
  // still holding the assignment it is made inert instead (now would cut that grant's sessions).
  if (e->cutoff_armed) {
    const TimePoint now = clock_.now();
    const SessionCutoff undone = *shared ? engine_internal::inert_cutoff(r.id, assignment_of(r), now)
                                         : SessionCutoff{r.id, assignment_of(r), now, now};
    if (auto moved = provider_.arm_cutoff(undone); !moved)
      return fail(Error{moved.error().code, fmt::format("could not disarm the session cut-off: {}", moved.error().message)});
  }
  if (e->schedule)
    if (auto cancelled = provider_.cancel_scheduled_revoke(r.id); !cancelled) return cancelled;
  if (*shared) return {};
  return provider_.revoke(assignment_of(r));
}

Result<std::optional<TimePoint>> Engine::end_cutoff_early(const AccessRequest& r, const Enforcement& e) {
  const TimePoint now = clock_.now();
  if (!e.cutoff || now >= trusted_expiry(r)) return std::nullopt;  // the armed deny already cuts from the expiry
  crash_point("before_provider:rearm");
  // Sessions opened until the assignment is gone (the deletion comes after this) are cut too, as
  // at expiry; a new grant armed within the margin moves this bound to its own start.
  auto rearmed = provider_.arm_cutoff({r.id, assignment_of(r), now, now + cutoff_margin()});
  crash_point("after_provider:rearm");
  if (!rearmed)
    return fail(Error{rearmed.error().code,
                      fmt::format("could not move the session cut-off to {}: {}", format_time(now),
                                  rearmed.error().message)});
  return now;
}

Result<bool> Engine::cancel_schedule(const AccessRequest& r, const Enforcement& e) {
  if (!e.schedule) return false;
  crash_point("before_provider:cancel");
  auto cancelled = provider_.cancel_scheduled_revoke(r.id);
  crash_point("after_provider:cancel");
  if (!cancelled)
    return fail(Error{cancelled.error().code,
                      fmt::format("could not cancel the scheduled revoke: {}", cancelled.error().message)});
  return true;
}

void Engine::prune_cutoffs(const Policy& policy, ReconcileReport& report) {
  std::set<std::string> armed_sets;
  for (const auto& account : policy.accounts)
    for (const auto& role : account.roles)
      if (role.session_cutoff) armed_sets.insert(role.permission_set_arn);
  for (const auto& arn : armed_sets) {
    auto pruned = provider_.prune_cutoffs(arn);
    if (!pruned) {
      ++report.errors;
      spdlog::error("event=cutoff_prune_failed permission_set={} error=\"{}\"", arn, pruned.error().message);
      continue;
    }
    report.cutoffs_pruned += *pruned;
    if (*pruned) spdlog::info("event=cutoffs_pruned permission_set={} pruned={}", arn, *pruned);
  }
}

}  // namespace jit
