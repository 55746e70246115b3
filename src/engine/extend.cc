// Extensions (issue 17): "Request more time" on an active grant files a new request, linked to the
// grant (AccessRequest::extends) and decided like any other. Approved before the grant ends, its
// grant takes the assignment over without a gap:
//
//   1. begin_grant of the extension: the assignment the grant holds is not "standing access".
//   2. enforce_at_grant: the extension's own cut-off and schedule, at its own expiry (the grant's
//      stay: two AWS-side ends, the earlier the grant's).
//   3. hand_over: the grant goes active -> revoked ("extended by <id>"), a conditional write; from
//      here its timer, the sweeper and the reconciler leave the assignment alone (the extension,
//      granting or active, accounts for it).
//   4. the grant's leftovers: its cut-off is disarmed (rewritten to cut nothing, so the sessions
//      that go on are cut by the extension's own at the new expiry), its schedule cancelled (the
//      extension's exists since 2, so there is never a moment with no AWS-side end).
//   5. the assignment: kept as it is (listed, created only if something deleted it meanwhile); on
//      the IAM-role path the extension's own trust statement is written.
//   6. grant_succeeded of the extension (it takes the main open slot then).
//
// Each step is idempotent and found again from the rows after a crash (a granting extension is
// resumed by the sweeper; a grant that ended "extended by <its id>" is step 3 done). Approved after
// the grant ended (or if it ended otherwise meanwhile), the extension is an ordinary grant. While
// the grant is being revoked, the extension waits (Errc::unavailable) rather than create an
// assignment the revocation would delete.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/facts.h"
#include "core/duration.h"
#include "core/user_text.h"
#include "engine/crash_points.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace jit {

namespace {
constexpr char kActor[] = "system:engine";

// The end_reason of a grant handed over to `extension_id`.
std::string extended_by(const std::string& extension_id) { return "extended by " + extension_id; }

}  // namespace

using engine_internal::inert_cutoff;

Result<AccessRequest> Engine::extend(const ExtendCommand& cmd) {
  auto grant = store_.get_request(cmd.grant_id);
  if (!grant) return fail(grant.error());
  if (grant->requester != cmd.requester)
    return fail(Error::Denied(fmt::format("only {} can ask for more time on grant {}", grant->requester, grant->id)));
  if (grant->state != State::active || !grant->expires_at)
    return fail(Error::Conflict(fmt::format("grant {} is {}, not active: only an active grant can be extended; ask "
                                            "for a new request instead",
                                            grant->id, state_name(grant->state))));
  auto who = identity_of(cmd.requester);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  // Every rule of a fresh request, with policy as it is now: the role still exists and allows the
  // requester, the duration is within its maximum, the reason (and the grant's ticket) pass.
  auto checked = check_request(*policy, RequestDraft{*who, grant->account, grant->role, cmd.duration, cmd.reason,
                                                     grant->ticket});
  if (!checked) return fail(checked.error());
  if (checked->account->id != grant->account_id || checked->role->permission_set_arn != grant->permission_set_arn)
    return fail(Error::Conflict(fmt::format(
        "role {} on account {} is no longer the access grant {} holds (policy changed it): ask for a new request "
        "after the grant ends",
        grant->role, grant->account, grant->id)));
  // The extension's time counts from its grant, as a fresh request's does, so the continuous
  // session never runs past the role's maximum after the approval. Asked for, it must outlast
  // the time the grant has left, or it would shorten the access.
  const TimePoint now = clock_.now();
  const TimePoint ends = trusted_expiry(*grant);
  if (now + checked->duration <= ends)
    return fail(Error::Invalid(fmt::format(
        "duration: grant {} has {} left; an extension's time counts from when it is granted, so ask for more than "
        "that (up to {})",
        grant->id, format_duration(std::chrono::ceil<Seconds>(ends - now)), format_duration(checked->role->max_duration))));
  auto standing = standing_of(cmd.requester, *policy);
  if (!standing) return fail(standing.error());
  auto principal = principal_at_submit(standing->email, checked->role->permission_set_arn);
  if (!principal) return fail(principal.error());
  if (*principal != grant->principal)
    return fail(Error::Conflict(fmt::format(
        "your AWS identity is now {}, not {} as for grant {}: ask for a new request after the grant ends",
        *principal, grant->principal, grant->id)));

  AccessRequest request = engine_internal::pending_request(*checked, cmd.requester, cmd.reason, grant->ticket, now,
                                                           standing->email, *principal);
  request.extends = grant->id;
  auto created = create_pending(std::move(request));
  if (!created) return fail(created.error());
  return after_submit(*created, *checked->role);
}

Result<Engine::Extended> Engine::extended_grant(const AccessRequest& r, AccessRequest* grant) {
  if (r.extends.empty()) return Extended::none;
  auto read = store_.get_request(r.extends);
  if (!read) {
    if (read.error().code == Errc::not_found) return Extended::none;
    return fail(read.error());
  }
  if (grant) *grant = *read;
  if (read->requester != r.requester || assignment_of(*read) != assignment_of(r)) return Extended::none;
  if (read->state == State::active) return Extended::holding;
  if (read->state == State::revoked && read->end_reason == extended_by(r.id)) return Extended::handed_over;
  if (holds_access(read->state)) return Extended::busy;
  return Extended::none;
}

Result<bool> Engine::take_over_grant(AccessRequest& r) {
  AccessRequest grant;
  for (int step = 0; step < engine_internal::kMaxSteps; ++step) {
    auto found = extended_grant(r, &grant);
    if (!found) return fail(found.error());
    switch (*found) {
      case Extended::none: return false;  // an ordinary grant: the caller creates the assignment
      case Extended::busy:
        return fail(Error::Unavailable(fmt::format("grant {}, which request {} extends, is being revoked; the "
                                                   "extension is granted once it is gone",
                                                   grant.id, r.id)));
      case Extended::holding: {
        const TimePoint ends = *r.expires_at;
        auto handed = update_with_retry(grant.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
          if (x.state != State::active) return std::nullopt;  // moved on: looked at again
          x.end_reason = extended_by(r.id);
          auto event = transition(x, Action::hand_over, kActor,
                                  fmt::format("request {} took the assignment over: the access goes on until {}",
                                              r.id, format_time(ends)));
          if (event) event->facts = audit::facts::of_handed_over(x, r.id);
          return event;
        }, &grant);
        if (!handed) return fail(handed.error());
        if (handed->event) announce(handed->request, *handed->event, std::nullopt);
        continue;
      }
      case Extended::handed_over: break;
    }
    // The grant's leftovers (idempotent, again after a crash): its cut-off disarmed, its schedule
    // cancelled; the extension's own have existed since enforce_at_grant.
    auto enforcement = enforcement_of(grant);
    if (!enforcement) return fail(enforcement.error());
    const Assignment a = assignment_of(r);
    if (enforcement->cutoff_armed) {
      crash_point("before_provider:disarm");
      auto disarmed = provider_.arm_cutoff(inert_cutoff(grant.id, a, clock_.now()));
      crash_point("after_provider:disarm");
      if (!disarmed)
        return fail(Error{disarmed.error().code, fmt::format("could not disarm the session cut-off of grant {}: {}",
                                                             grant.id, disarmed.error().message)});
    }
    if (auto cancelled = cancel_schedule(grant, *enforcement); !cancelled) return fail(cancelled.error());
    forget_enforcement(grant.id);
    // The assignment itself: kept. Only on the IAM-role path does a grant write something of its
    // own (its trust statement, valid until its expiry); on Identity Center it is created again only
    // when something deleted it meanwhile (the grant's schedule firing before it was cancelled).
    if (access_path_of(r.permission_set_arn) == AccessPath::iam_role) return false;
    auto held = provider_.list(r.account_id, r.permission_set_arn);
    if (!held) return fail(held.error());
    return std::find(held->begin(), held->end(), a) != held->end();
  }
  return fail(Error::Conflict(fmt::format("grant {} kept changing while request {} took it over; trying again",
                                          r.extends, r.id)));
}

Result<bool> Engine::shares_assignment(const AccessRequest& r) {
  auto found = extended_grant(r, nullptr);
  if (!found) return fail(found.error());
  return *found == Extended::holding;
}

}  // namespace jit
