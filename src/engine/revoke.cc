// The revoke path: ending a grant by expiry, release or an admin, and finishing in-flight rows.
#include "engine/engine.h"
#include "core/user_text.h"
#include "engine/crash_points.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/facts.h"
#include "core/duration.h"
#include "engine/engine_internal.h"

namespace jit {

using engine_internal::kMaxSteps;

Result<AccessRequest> Engine::release(const std::string& id, const std::string& requester) {
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  if (r->requester != requester)
    return fail(Error::Denied(fmt::format("only {} can release request {}", r->requester, r->id)));
  if (r->state == State::pending)
    return fail(Error::Conflict(fmt::format("request {} is still pending: cancel it instead", id)));
  if (r->state != State::active)
    return fail(Error::Conflict(fmt::format("request {} is {}, not active", id, state_name(r->state))));
  return advance_revoke(id, Action::release, requester, fmt::format("released early by {}", requester));
}

Result<AccessRequest> Engine::admin_revoke(const std::string& id, const std::string& admin, const std::string& reason) {
  auto who = identity_of(admin);
  if (!who) return fail(who.error());
  if (!is_admin(*policy(), *who))
    return fail(Error::Denied(fmt::format("{} is not an admin: only policy admins may revoke a grant", admin)));
  return revoke_by(id, Action::admin_revoke, admin, reason);
}

Result<bool> Engine::is_jit_admin(const std::string& user_id) {
  auto who = identity_of(user_id);
  if (!who) return fail(who.error());
  return is_admin(*policy(), *who);
}

Result<AccessRequest> Engine::console_revoke(const std::string& id, const std::string& operator_name,
                                             const std::string& reason) {
  return revoke_by(id, Action::admin_revoke, "cli:" + operator_name, reason);
}

Result<AccessRequest> Engine::revoke_by(const std::string& id, Action action, const std::string& actor,
                                        const std::string& reason) {
  if (user_text::is_blank(reason))
    return fail(Error::Invalid("reason is required: say why the grant is revoked (--reason)"));
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  if (r->state != State::active && r->state != State::revoking)
    return fail(Error::Conflict(fmt::format("request {} is {}, not active", id, state_name(r->state))));
  return advance_revoke(id, action, actor, fmt::format("revoked by {}: {}", actor, reason));
}

Result<AccessRequest> Engine::advance_revoke(const std::string& id, std::optional<Action> start,
                                             const std::string& actor, const std::string& reason,
                                             std::optional<AccessRequest> known) {
  // A person ending a grant waits for our own thread that may still be finishing it (telling
  // Slack it is active); the timer and the sweeper just come back later.
  const bool by_person = start && *start != Action::expire;
  LocalClaim claim(*this, id, by_person ? std::chrono::milliseconds(10000) : std::chrono::milliseconds(0));
  if (!claim) {
    if (by_person) return fail(Error::Unavailable(fmt::format("request {} is busy; try again in a moment", id)));
    return store_.get_request(id);  // another thread of ours is on it
  }
  for (int step = 0; step < kMaxSteps; ++step) {
    auto read = known ? Result<AccessRequest>(std::move(*known)) : store_.get_request(id);
    known.reset();
    if (!read) return read;
    const AccessRequest& r = *read;
    if (r.state == State::active) {
      if (!start) return r;
      if (*start == Action::expire && clock_.now() < trusted_expiry(r)) return r;  // not due yet
      auto changed = update_with_retry(id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
        if (x.state != State::active) return std::nullopt;
        x.end_reason = reason;
        take_lease(x);
        return transition(x, *start, actor, reason);
      }, &r);
      if (!changed) return fail(changed.error());
      known = std::move(changed->request);  // as written (or as found, when it had moved on)
      continue;
    }
    if (r.state != State::revoking) return r;
    if (r.lease_owner != options_.instance_id) {
      if (!lease_available(r)) return r;  // another instance is on it
      if (auto taken = take_over(r); !taken) return fail(taken.error());
      continue;
    }
    return finish_revoke(r);
  }
  return store_.get_request(id);
}

Result<AccessRequest> Engine::finish_revoke(const AccessRequest& r) {
  // The grant's enforcement (issue 14), as its begin_grant event fixed it. A grant ended early has
  // its cut-off moved to now before the assignment goes, so its live sessions end now too; on the
  // expiry path nothing is read before the deletion (it would be revoke lag), the armed cut-off
  // already cuts from the expiry second. A step that fails never holds the deletion back: the
  // assignment is deleted all the same and the row stays revoking, retried (and alerted) like a
  // failed revoke. The lease covers one provider call (check_lease); an early end makes up to three
  // (re-arm, delete, cancel). If another instance takes over meanwhile it only repeats calls that
  // are idempotent (a re-arm at its own, later, now), and only the lease holder records the end.
  std::optional<Error> problem;
  std::optional<Enforcement> enforcement;
  std::optional<TimePoint> moved_to;
  const auto learn = [&] {
    if (auto e = enforcement_of(r); e) enforcement = *e;
    else problem = e.error();
  };
  if (clock_.now() < trusted_expiry(r)) {
    learn();
    if (enforcement) {
      if (auto moved = end_cutoff_early(r, *enforcement); moved) moved_to = *moved;
      else problem = moved.error();
    }
  }
  crash_point("before_provider:revoke");
  auto revoked = provider_.revoke(assignment_of(r));
  crash_point("after_provider:revoke");
  if (!revoked) {
    note_revoke_failure(r, revoked.error());
    return fail(revoked.error());
  }
  // Cancelled before revoke_succeeded, whatever ended the grant: a schedule left pending would
  // delete the assignment of a later grant of the same role when it fires.
  if (!enforcement && !problem) learn();
  bool cancelled = false;
  if (enforcement) {
    if (auto c = cancel_schedule(r, *enforcement); c) cancelled = *c;
    else problem = c.error();
  }
  if (problem) {
    note_revoke_failure(r, *problem);
    return fail(*problem);
  }
  note_revoke_success(r);
  auto done = update_and_announce(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != State::revoking || x.lease_owner != options_.instance_id) return std::nullopt;
    std::string detail = x.end_reason;
    if (moved_to) detail += fmt::format("; cut-off moved to {}", format_time(*moved_to));
    if (cancelled) detail += "; schedule cancelled";
    auto event = transition(x, Action::revoke_succeeded, "system:engine", detail);
    if (event) event->facts = audit::facts::of_revoked(x, moved_to, cancelled);
    return event;
  }, Notice::revoked);
  if (done && done->state == State::revoked) forget_enforcement(r.id);
  return done;
}

void Engine::note_revoke_failure(const AccessRequest& r, const Error& error) {
  spdlog::error("event=revoke_failed request={} error=\"{}\" will_retry=true", r.id, error.message);
  if (options_.metrics) options_.metrics->inc("jit_revoke_failures_total");
  // The ops channel hears of it at once, then at most every alert_repeat while it lasts.
  std::optional<int> attempts;
  {
    std::lock_guard lock(alerts_mu_);
    FailingRevoke& f = failing_revokes_[r.id];
    ++f.failures;
    if (f.failures == 1 || clock_.now() - f.alerted_at >= options_.alert_repeat) {
      f.alerted_at = clock_.now();
      attempts = f.failures;
    }
  }
  if (attempts)
    alert(fmt::format("Could not revoke {} ({} on {} for {}): {}. Retrying until it is gone ({} failed so far).", r.id,
                      r.role, r.account, r.requester, error.message,
                      *attempts == 1 ? std::string("1 attempt") : fmt::format("{} attempts", *attempts)),
          r.id);
}

void Engine::note_revoke_success(const AccessRequest& r) {
  std::optional<int> failures;
  {
    std::lock_guard lock(alerts_mu_);
    if (auto f = failing_revokes_.find(r.id); f != failing_revokes_.end()) {
      failures = f->second.failures;
      failing_revokes_.erase(f);
    }
  }
  if (failures)
    alert(fmt::format("Revoked {} ({} on {} for {}) after {} failed attempt{}: the access is gone.", r.id, r.role,
                      r.account, r.requester, *failures, *failures == 1 ? "" : "s"),
          r.id);
}

Result<> Engine::take_over(const AccessRequest& r) {
  auto changed = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.version != r.version) return std::nullopt;  // someone else moved first: re-read
    const std::string old_owner = x.lease_owner;
    take_lease(x);
    return transition(x, Action::reclaim, "system:engine", fmt::format("lease of {} had ended; taken over", old_owner));
  });
  if (!changed) return fail(changed.error());
  return {};
}

Result<bool> Engine::resume(const AccessRequest& r) {
  if (r.state == State::approved || r.state == State::granting) {
    if (r.state == State::granting && !lease_available(r)) return false;
    auto done = advance_grant(r.id);
    if (!done) return fail(done.error());
    return done->state != r.state;
  }
  if (r.state == State::revoking) {
    if (!lease_available(r)) return false;
    auto done = advance_revoke(r.id, std::nullopt, "system:engine", "");
    if (!done) return fail(done.error());
    return done->state != r.state;
  }
  return false;
}

}  // namespace jit
