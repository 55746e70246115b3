// The grant path: from approved to active (or failed), safe to resume at any step.
#include "engine/engine.h"
#include "engine/crash_points.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/facts.h"
#include "core/duration.h"
#include "core/text.h"
#include "engine/engine_internal.h"

namespace jit {

namespace {
constexpr char kActor[] = "system:engine";
}  // namespace

using engine_internal::clear_lease;
using engine_internal::kMaxSteps;

Result<AccessRequest> Engine::advance_grant(const std::string& id) {
  LocalClaim claim(*this, id);
  if (!claim) return store_.get_request(id);  // another thread of ours is on it
  bool proven = false;  // the chain explains the row (checked once per call: one Query)
  audit::Proof proof;   // what it proves
  for (int step = 0; step < kMaxSteps; ++step) {
    auto read = store_.get_request(id);
    if (!read) return read;
    const AccessRequest& r = *read;
    if ((r.state == State::approved || r.state == State::granting) && !proven) {
      std::string policy_short;
      auto refusal = chain_refusal(r, &policy_short, &proof);
      if (!refusal) return fail(refusal.error());
      if (*refusal) return refuse_unproven(r, **refusal);
      // Issue 15: an approval of a step-up role counts only with its security-key proof in the
      // trail, whatever the row says; issue 17: an automatic approval only while the role (policy
      // now) explains it, an on-call one by the schedule its event names. Checked before anything
      // is asked of AWS.
      if (r.state == State::approved && !policy_short.empty())
        return fail_grant(r, fmt::format("refused, nothing granted: {}; ask again", policy_short));
      proven = true;
    }
    if (r.state == State::approved) {
      auto begun = begin_grant(r, proof);
      if (!begun) return fail(begun.error());
      if (*begun) return **begun;  // the grant failed for good
      continue;
    }
    if (r.state != State::granting) return r;
    if (r.lease_owner != options_.instance_id) {
      if (!lease_available(r)) return r;  // another instance is on it
      if (auto taken = take_over(r); !taken) return fail(taken.error());
      continue;
    }
    return finish_grant(r, proof);
  }
  return store_.get_request(id);
}

Result<AccessRequest> Engine::fail_grant(const AccessRequest& r, const std::string& why) {
  auto changed = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != r.state || x.version != r.version) return std::nullopt;
    x.end_reason = why;
    return transition(x, Action::grant_failed, kActor, why);
  });
  if (!changed) return fail(changed.error());
  if (changed->event) {
    forget_enforcement(r.id);
    spdlog::error("event=grant_failed request={} error=\"{}\"", r.id, why);
    announce(changed->request, *changed->event, Notice::failed);
  }
  return changed->request;
}

Result<AccessRequest> Engine::roll_back_and_fail(const AccessRequest& r, const std::string& why) {
  if (auto undone = undo_grant(r); !undone) return fail(undone.error());
  return fail_grant(r, why);
}

Result<std::optional<std::string>> Engine::grant_refusal(const AccessRequest& r, const audit::Proof& proof) {
  const auto policy = this->policy();
  auto requester = identity_of(r.requester);
  if (!requester) return fail(requester.error());
  auto role = check_still_allowed(*policy, r, *requester);
  if (!role) return role.error().message;
  auto standing = standing_of(r.requester, *policy);
  if (!standing) {
    if (standing.error().code != Errc::denied) return fail(standing.error());
    return standing.error().message;
  }
  if (!r.requester_email.empty() && !text::iequals(standing->email, r.requester_email))
    return fmt::format("the requester's e-mail in Slack changed from {} to {} after the request; nothing granted, "
                       "ask again",
                       r.requester_email, standing->email);
  auto approvers = identities_of_approvers(r);
  if (!approvers) return fail(approvers.error());
  // Issue 17: an escalation approver counts when the chain shows their approval after the
  // escalated event, which named them (policy then); approvals_standing checks policy now.
  std::vector<std::string> escalated;
  for (const auto& id : proof.approved_after_escalation)
    for (const auto& who : *approvers)
      if (who.user_id == id && matches_any(who, proof.escalated_to)) escalated.push_back(id);
  // An automatic approval stands in for people while the role asks for one (advance_grant's chain
  // check holds it to the schedule its event names).
  const bool automatic = std::any_of(r.decisions.begin(), r.decisions.end(), [](const Decision& d) {
    return d.approved && d.approver == kAutoApprover;
  });
  const bool stands = automatic && ((*role)->auto_approve || !(*role)->on_call_schedule.empty());
  if (const int have = approvals_standing(*policy, r, *approvers, escalated), need = stands ? 0 : (*role)->approvals_required;
      have < need)
    return fmt::format("only {} of the {} approvals needed are from people who are approvers of role {} on "
                       "account {} now; ask again",
                       have, need, r.role, r.account);
  if (const TimePoint approved_at = last_approval_at(r); past_approval_window(*policy, approved_at, clock_.now()))
    return fmt::format("approved at {} but not granted within the approval window ({}); ask again",
                       format_time(approved_at), format_duration(policy->approval_window));
  return std::nullopt;
}

Result<std::optional<AccessRequest>> Engine::begin_grant(const AccessRequest& r, const audit::Proof& proof) {
  auto refusal = grant_refusal(r, proof);
  if (!refusal) return fail(refusal.error());
  if (*refusal) return fail_grant(r, **refusal);
  // Rows stored before the e-mail was kept at submit: the e-mail Slack shows now.
  std::string email = r.requester_email;
  if (email.empty()) {
    auto profile = directory_.user(r.requester);
    if (!profile) return fail(profile.error());  // grant_refusal just read it: transient
    email = profile->email;
  }
  const bool role_path = access_path_of(r.permission_set_arn) == AccessPath::iam_role;
  auto principal = provider_.resolve_principal(email, r.permission_set_arn);
  if (!principal) {
    if (principal.error().code == Errc::not_found) return fail_grant(r, principal.error().message);
    // On the IAM-role path an address that cannot be a source identity never will be: no retry.
    if (role_path && principal.error().code == Errc::invalid)
      return fail_grant(r, fmt::format("{} cannot be the AWS source identity of a grant of IAM role {} ({}); "
                                       "nothing granted",
                                       email, r.permission_set_arn, principal.error().message));
    return fail(principal.error());
  }
  if (!r.principal.empty() && *principal != r.principal)
    return fail_grant(r, fmt::format("the {} for {} is now {}, not {} as when the request was made; nothing "
                                     "granted, ask again",
                                     role_path ? "AWS source identity" : "Identity Center user", email, *principal,
                                     r.principal));
  // Standing access is not taken over: when the requester already holds the assignment outside
  // JIT Access, nothing is granted and that assignment is left alone (revoking it at expiry would
  // take away access this grant never gave). Checked before `granting` is written, so a grant
  // resumed after a crash never mistakes its own assignment for one that was there before.
  const Assignment wanted{*principal, r.account_id, r.permission_set_arn};
  auto held = provider_.list(r.account_id, r.permission_set_arn);
  if (!held) return fail(held.error());
  // An extension (issue 17) finds the assignment of the grant it extends: not standing access, it
  // takes it over when it is granted; while that grant is being revoked it waits.
  std::optional<Extended> extended;
  if (std::find(held->begin(), held->end(), wanted) != held->end() && !r.extends.empty()) {
    auto found = extended_grant(r, nullptr);
    if (!found) return fail(found.error());
    if (*found == Extended::busy)
      return fail(Error::Unavailable(fmt::format(
          "grant {}, which request {} extends, is being revoked; the extension is granted once it is gone", r.extends,
          r.id)));
    extended = *found;
  }
  if (std::find(held->begin(), held->end(), wanted) != held->end() && extended != Extended::holding) {
    const std::string why = fmt::format(
        "{} already holds role {} on account {} outside JIT Access (principal {}): nothing was granted, and "
        "that standing access is left as it is",
        r.requester, r.role, r.account, wanted.principal);
    alert("Standing access found at grant time: " + why, r.id);
    return fail_grant(r, why);
  }
  // The AWS-side enforcement the role asks for now, fixed in the begin_grant event (intent before
  // action): a resumed grant, its rollback and its revoke follow the event, whatever policy says later.
  Enforcement enforcement;
  {
    const auto policy = this->policy();
    const AccountPolicy* account = policy->find_account(r.account);
    if (const RolePolicy* role = account ? account->find_role(r.role) : nullptr) {
      enforcement.cutoff = role->session_cutoff;
      enforcement.schedule = role->scheduled_revoke;
    }
  }
  auto changed = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != State::approved) return std::nullopt;
    x.principal = *principal;
    x.expires_at = clock_.now() + x.duration;
    take_lease(x);
    auto event = transition(x, Action::begin_grant, kActor,
                            fmt::format("principal {}; expires at {}", x.principal, format_time(*x.expires_at)));
    if (event) event->facts = audit::facts::of_begin_grant(x, enforcement.cutoff, enforcement.schedule);
    return event;
  });
  if (!changed) return fail(changed.error());
  if (changed->event) {  // our own begin_grant event: its expiry and its enforcement are proven
    remember_enforcement(r.id, enforcement);
    std::lock_guard lock(expiries_mu_);
    proven_expiries_[r.id] = *changed->request.expires_at;
  }
  return std::nullopt;
}

Result<AccessRequest> Engine::finish_grant(const AccessRequest& request, const audit::Proof& proof) {
  AccessRequest r = request;
  const Assignment a = assignment_of(r);
  // Too late to be useful, or no longer allowed: roll back whatever the provider may have done.
  if (clock_.now() >= *r.expires_at)
    return roll_back_and_fail(r, "the grant did not complete before its expiry; rolled back");
  auto refusal = grant_refusal(r, proof);
  if (!refusal) return fail(refusal.error());
  if (*refusal) return roll_back_and_fail(r, **refusal);
  // The deny and the schedule exist before the assignment does: no session of this grant can be
  // issued that AWS would not cut at its expiry, and it is active only once both hold.
  auto enforced = enforce_at_grant(r);
  if (!enforced) return fail(enforced.error());
  if (*enforced) return std::move(**enforced);
  // An extension approved while the grant it extends is active takes its assignment over
  // (engine/extend.cc): nothing is created, nothing deleted.
  auto taken = take_over_grant(r);
  if (!taken) return fail(taken.error());
  Result<> granted;
  if (!*taken) {
    crash_point("before_provider:grant");
    granted = provider_.grant(a, GrantTerms{r.id, *r.expires_at});
    crash_point("after_provider:grant");
  }
  if (!granted) {
    if (granted.error().code == Errc::unavailable) {
      spdlog::warn("event=grant_retry request={} error=\"{}\"", r.id, granted.error().message);
      return fail(granted.error());
    }
    // A refused grant created nothing (an existing assignment would have counted as success), so
    // the rollback is a precaution: only a transient failure of it is worth retrying.
    if (auto undone = undo_grant(r); !undone && undone.error().code == Errc::unavailable)
      return fail(undone.error());
    return fail_grant(r, "the provider refused the grant: " + granted.error().message);
  }
  const std::string note =
      enforcement_note(r) + (r.extends.empty() ? std::string()
                             : *taken     ? fmt::format("; took the assignment over from grant {} (no gap)", r.extends)
                                          : fmt::format("; extends grant {}", r.extends));
  auto changed = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != State::granting || x.lease_owner != options_.instance_id) return std::nullopt;
    x.granted_at = clock_.now();
    clear_lease(x);
    return transition(x, Action::grant_succeeded, kActor,
                      fmt::format("active until {}{}", format_time(*x.expires_at), note));
  }, &r);
  if (!changed) return fail(changed.error());
  if (changed->event) {
    schedule(changed->request);
    announce(changed->request, *changed->event, Notice::active);
    if (options_.on_granted) options_.on_granted();
  }
  return changed->request;
}

}  // namespace jit
