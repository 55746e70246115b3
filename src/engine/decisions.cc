// The decisions people make on a request: submit, approve, deny, cancel.
#include "engine/engine.h"
#include "engine/crash_points.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/facts.h"
#include "core/duration.h"
#include "core/limits.h"
#include "core/text.h"
#include "core/user_text.h"
#include "engine/engine_internal.h"

namespace jit {

using engine_internal::already_decided;

namespace engine_internal {

Result<std::optional<AccessRequest>> open_request_of(Store& store, const std::string& requester,
                                                     const std::string& account, const std::string& role,
                                                     const std::string& except) {
  RequestQuery q{.requester = requester, .states = {}, .limit = 1000};
  for (State s : kAllStates)
    if (is_open(s)) q.states.push_back(s);
  auto mine = store.list_requests(q);
  if (!mine) return fail(mine.error());
  for (auto& r : *mine)
    if (r.account == account && r.role == role && (except.empty() || r.id != except)) return std::move(r);
  return std::nullopt;
}

Error duplicate_of(const AccessRequest& r) {
  return Error::Conflict(fmt::format(
      "you already have request {} ({}) for role {} on account {}: one open request or grant per role; {}", r.id,
      state_name(r.state), r.role, r.account,
      r.state == State::pending  ? "cancel it first to ask again"
      : r.state == State::active ? fmt::format("for more time, use Request more time on its message or "
                                               "/jit extend {} <duration> <reason>",
                                               r.id)
                                 : "ask again after it ends"));
}

}  // namespace engine_internal

using engine_internal::duplicate_of;
using engine_internal::open_request_of;

namespace {

constexpr char kActor[] = "system:engine";

// Why a click on `r` came too late, in words for the person who clicked.
std::string waited_too_long(const AccessRequest& r, const Policy& policy) {
  return fmt::format("request {} waited longer than the approval window ({}); ask again", r.id,
                     format_duration(policy.approval_window));
}

// What check_can_decide and awaiting_decision ask of one request: pending, within the approval
// window, and `who` may decide on it (check_approver).
Result<> may_decide(const Policy& policy, const AccessRequest& r, const Identity& who, TimePoint now) {
  if (r.state != State::pending) return fail(Error::Conflict(already_decided(r)));
  if (past_approval_window(policy, r.created_at, now)) return fail(Error::Conflict(waited_too_long(r, policy)));
  return check_approver(policy, r, who);
}

}  // namespace

Result<AccessRequest> Engine::submit(const SubmitCommand& cmd) { return file_request(cmd, nullptr); }

Result<AccessRequest> Engine::file_request(const SubmitCommand& cmd, std::string* bundle) {
  auto who = identity_of(cmd.requester);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  auto checked = check_request(*policy, RequestDraft{*who, cmd.account, cmd.role, cmd.duration, cmd.reason,
                                                     cmd.ticket});
  if (!checked) return fail(checked.error());
  auto standing = standing_of(cmd.requester, *policy);
  if (!standing) return fail(standing.error());
  auto principal = principal_at_submit(standing->email, checked->role->permission_set_arn);
  if (!principal) return fail(principal.error());
  if (auto existing = open_request_of(store_, cmd.requester, checked->account->name, checked->role->name); !existing)
    return fail(existing.error());
  else if (*existing)
    return fail(duplicate_of(**existing));

  const TimePoint now = clock_.now();
  auto created = create_pending(engine_internal::pending_request(*checked, cmd.requester, cmd.reason, cmd.ticket, now,
                                                                 standing->email, *principal),
                                bundle);
  if (!created) return fail(created.error());
  return after_submit(*created, *checked->role, bundle == nullptr);
}

Result<AccessRequest> Engine::after_submit(AccessRequest created, const RolePolicy& role, bool tell_requester) {
  if (options_.metrics) options_.metrics->inc("jit_requests_total", {{"outcome", "submitted"}});
  spdlog::info("event=submit request={} requester={} account={} role={} duration={}{}", created.id, created.requester,
               created.account, created.role, format_duration(created.duration),
               created.extends.empty() ? "" : " extends=" + created.extends);
  crash_point("after_write:submit");
  AccessRequest result = std::move(created);
  if (auto posted = post_to_chat(result)) result = *posted;
  if ((role.auto_approve || !role.on_call_schedule.empty()) && !result.chat_ts.empty()) {
    // Posted first, so the owner channel sees every auto-approved request (unposted, it waits for
    // the sweeper to post it, then approve it); a refusal leaves it pending for people to decide
    // (and the requester is told it waits).
    auto approved = auto_approve(result.id);
    if (approved && approved->state != State::pending) return approved;
    if (!approved) spdlog::warn("event=auto_approve_refused request={} error=\"{}\"", result.id, approved.error().message);
  }
  if (tell_requester)
    if (auto n = chat_.notify_requester(result, Notice::submitted); !n)
      spdlog::warn("event=chat_notify_failed request={} error=\"{}\"", result.id, n.error().message);
  tell_listener(result);
  return result;
}

Result<std::string> Engine::principal_at_submit(const std::string& email, const std::string& target_arn) {
  auto principal = provider_.resolve_principal(email, target_arn);
  if (principal) return principal;
  // The IAM-role path asks nobody: the source identity is the e-mail address itself, refused
  // (Errc::invalid) when it cannot be one.
  if (access_path_of(target_arn) == AccessPath::iam_role) {
    if (principal.error().code == Errc::invalid || principal.error().code == Errc::not_found)
      return fail(Error::Denied(fmt::format(
          "your Slack e-mail address {} cannot be the AWS source identity that a grant of IAM role {} is bound "
          "to ({}); ask an administrator",
          email, target_arn, principal.error().message)));
    return fail(Error::Unavailable(fmt::format(
        "could not check your Slack e-mail address {} as an AWS source identity ({}); try again in a minute", email,
        principal.error().message)));
  }
  if (principal.error().code == Errc::not_found)
    return fail(Error::Denied(fmt::format(
        "nobody in AWS IAM Identity Center has your Slack e-mail address {}; ask an administrator to add you", email)));
  return fail(Error::Unavailable(fmt::format(
      "could not find who {} is in AWS IAM Identity Center ({}); try again in a minute", email,
      principal.error().message)));
}

Result<AccessRequest> Engine::create_pending(AccessRequest r, std::string* bundle) {
  Result<AccessRequest> created = fail(Error::Internal("not attempted"));
  for (int attempt = 0; attempt < 3; ++attempt) {
    r.id = options_.new_id();
    AuditEvent e{.at = r.created_at,
                 .actor = r.requester,
                 .action = std::string(action_name(Action::submit)),
                 .request_id = r.id,
                 .from_state = "",
                 .to_state = std::string(state_name(State::pending)),
                 .detail = fmt::format("{} on {} ({}) for {}; reason: {}{}; for {} (principal {})", r.role,
                                       r.account, r.account_id, format_duration(r.duration), r.reason,
                                       r.ticket.empty() ? "" : "; ticket: " + r.ticket, r.requester_email,
                                       r.principal),
                 .facts = audit::facts::of_submit(r, bundle == nullptr ? "" : bundle->empty() ? r.id : *bundle)};
    created = create(r, e);
    if (created && bundle != nullptr && bundle->empty()) *bundle = r.id;
    if (created || created.error().code != Errc::conflict) break;
    // Either the id was taken (try another) or an open request appeared meanwhile (for an
    // extension: another extension, or the grant it extends is no longer open: the store says so).
    if (auto existing = open_request_of(store_, r.requester, r.account, r.role, r.extends); existing && *existing)
      return fail(duplicate_of(**existing));
    if (!r.extends.empty()) {
      auto again = store_.get_request(r.id);  // the id was taken: try another; otherwise the store's reason
      if (!again && again.error().code == Errc::not_found) break;
    }
  }
  return created;
}

Result<Engine::Update> Engine::update_decision(const std::string& id, const Identity& who, const Policy& policy,
                                               const Mutate& decide) {
  bool lapsed = false;
  auto changed = update_with_retry(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    lapsed = false;
    if (r.state != State::pending) return fail(Error::Conflict(already_decided(r)));
    if (past_approval_window(policy, r.created_at, clock_.now())) {
      lapsed = true;
      return lapse(r, policy, kActor);
    }
    if (auto ok = check_approver(policy, r, who); !ok) return fail(ok.error());
    return decide(r);
  });
  if (!changed || !lapsed) return changed;
  announce(changed->request, *changed->event, Notice::expired);
  return fail(Error::Conflict(waited_too_long(changed->request, policy)));
}

Result<AuditEvent> Engine::lapse(AccessRequest& r, const Policy& policy, const std::string& actor) {
  r.end_reason = fmt::format("nobody decided within {}", format_duration(policy.approval_window));
  return transition(r, Action::lapse, actor, r.end_reason);
}

Result<std::vector<Identity>> Engine::identities_of_approvers(const AccessRequest& r, std::vector<Identity> known) {
  for (const auto& d : r.decisions) {
    if (!d.approved || d.approver == kAutoApprover) continue;  // the machine is nobody's identity
    const auto is_them = [&](const Identity& who) { return who.user_id == d.approver; };
    if (std::any_of(known.begin(), known.end(), is_them)) continue;
    auto who = identity_of(d.approver);
    if (!who) return fail(who.error());
    known.push_back(std::move(*who));
  }
  return known;
}

Result<AccessRequest> Engine::approve(const std::string& id, const std::string& approver,
                                     const std::optional<StepUpProof>& step_up) {
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  auto changed = update_decision(id, *who, *policy, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    auto requester = identity_of(r.requester);
    if (!requester) return fail(requester.error());
    auto role = check_still_allowed(*policy, r, *requester);
    if (!role) return fail(role.error());
    if ((*role)->step_up && !step_up)
      return fail(Error::Denied(fmt::format(
          "role {} on {} needs a security-key step-up to approve: use the link Approve sends you", r.role, r.account)));
    if (auto standing = standing_of(r.requester, *policy); !standing) return fail(standing.error());
    r.decisions.push_back({approver, true, "", clock_.now()});
    auto approvers = identities_of_approvers(r, {*who});
    if (!approvers) return fail(approvers.error());
    // An escalation approver counts once the row says it was escalated; the grant counts them only
    // when the audit chain proves the escalation (Engine::grant_refusal).
    const int have = approvals_standing(*policy, r, *approvers, approved_since_escalation(r));
    const int need = (*role)->approvals_required;
    auto event = transition(r, have >= need ? Action::approve : Action::approve_partial, approver,
                            fmt::format("approval {} of {}{}", have, need,
                                        step_up ? fmt::format("; step-up with credential {}, assertion {}",
                                                              step_up->credential_id, step_up->assertion_sha256)
                                                : std::string()));
    if (event) event->facts = audit::facts::of_decision(r.decisions.back(), have, need, step_up);
    return event;
  });
  if (!changed) return fail(changed.error());
  const AccessRequest& r = changed->request;
  announce(r, *changed->event, r.state == State::approved ? std::optional(Notice::approved) : std::nullopt);
  if (r.state != State::approved) return r;
  auto granted = advance_grant(id);
  if (!granted) {
    spdlog::warn("event=grant_deferred request={} error=\"{}\"", id, granted.error().message);
    return store_.get_request(id);
  }
  return granted;
}

std::optional<OnCallProof> Engine::ask_on_call(const AccessRequest& r, const std::string& schedule) {
  std::string answer, why;
  if (r.requester_email.empty()) {
    answer = "invalid";
    why = "no e-mail address was recorded for the requester at submit";
  } else if (!options_.on_call) {
    answer = "unavailable";
    why = "PagerDuty is not set up in this service (restart jit serve after adding the role)";
  } else if (auto asked = options_.on_call->on_call(schedule, r.requester_email, clock_.now()); !asked) {
    answer = errc_name(asked.error().code);
    why = asked.error().message;
  } else if (asked->on_call && text::iequals(asked->email, r.requester_email)) {
    spdlog::info("event=on_call_approval request={} schedule={} pagerduty_user={}", r.id, schedule, asked->user_id);
    return OnCallProof{.schedule = schedule, .pagerduty_user = asked->user_id, .email = asked->email};
  } else {
    answer = "not_on_call";
  }
  const std::string detail =
      answer == "not_on_call"
          ? fmt::format("{} is not on call on PagerDuty schedule {}: an approver decides", r.requester_email, schedule)
          : fmt::format("PagerDuty did not answer whether {} is on call on schedule {} ({}): human approval needed",
                        r.requester_email, schedule, why);
  spdlog::info("event=on_call_no_approval request={} schedule={} answer={} detail=\"{}\"", r.id, schedule, answer,
               detail);
  auto noted = update_with_retry(r.id, [&](AccessRequest& x) -> Result<std::optional<AuditEvent>> {
    if (x.state != State::pending) return std::nullopt;
    return AuditEvent{.at = clock_.now(),
                      .actor = "system:on-call",
                      .action = "on_call_checked",
                      .request_id = x.id,
                      .from_state = std::string(state_name(x.state)),
                      .to_state = std::string(state_name(x.state)),
                      .detail = detail,
                      .facts = audit::facts::of_on_call_checked(schedule, answer)};
  });
  if (!noted)
    spdlog::warn("event=on_call_note_failed request={} error=\"{}\"", r.id, noted.error().message);
  else if (noted->event)
    announce(noted->request, *noted->event, std::nullopt);
  return std::nullopt;
}

Result<AccessRequest> Engine::auto_approve(const std::string& id) {
  const auto policy = this->policy();
  // On-call auto-approval (issue 17): PagerDuty is asked before the conditional write (it may
  // take seconds); the write below checks that the role still names the schedule asked about.
  std::optional<OnCallProof> on_call;
  {
    auto r = store_.get_request(id);
    if (!r) return fail(r.error());
    const AccountPolicy* account = policy->find_account(r->account);
    const RolePolicy* role = account ? account->find_role(r->role) : nullptr;
    if (r->state != State::pending) return std::move(*r);
    if (role && !role->auto_approve && !role->on_call_schedule.empty()) {
      on_call = ask_on_call(*r, role->on_call_schedule);
      if (!on_call) return store_.get_request(id);
    }
  }
  auto changed = update_with_retry(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    if (r.state != State::pending) return std::nullopt;  // decided meanwhile (another instance, a person)
    if (past_approval_window(*policy, r.created_at, clock_.now())) return std::nullopt;  // the sweeper lapses it
    // The checks a person's approval runs, with policy as it is now: the role still allows the
    // requester and auto-approves; the requester may still be given access.
    auto requester = identity_of(r.requester);
    if (!requester) return fail(requester.error());
    auto role = check_still_allowed(*policy, r, *requester);
    if (!role) return fail(role.error());
    const bool plain = (*role)->auto_approve && (*role)->approvals_required == 0 && !on_call;
    const bool on_call_stands = on_call && !(*role)->auto_approve && (*role)->on_call_schedule == on_call->schedule;
    if (!plain && !on_call_stands)
      return fail(Error::Denied(fmt::format("role {} on {} is no longer auto-approved: an approver decides", r.role,
                                            r.account)));
    if (auto standing = standing_of(r.requester, *policy); !standing) return fail(standing.error());
    // An on-call approval says why in its decision (Slack shows "auto-approval (<reason>)").
    r.decisions.push_back({kAutoApprover, true,
                           on_call ? fmt::format("on call on PagerDuty schedule {}", on_call->schedule) : "",
                           clock_.now()});
    auto event = transition(
        r, Action::approve, kAutoApprover,
        on_call ? fmt::format("auto-approved: {} is on call on PagerDuty schedule {} (PagerDuty user {})",
                              on_call->email, on_call->schedule, on_call->pagerduty_user)
                : fmt::format("auto-approved: role {} on {} has auto_approve (approvals_required = 0)", r.role,
                              r.account));
    if (event) event->facts = audit::facts::of_decision(r.decisions.back(), 0, 0, std::nullopt, on_call);
    return event;
  });
  if (!changed) return fail(changed.error());
  if (!changed->event) return std::move(changed->request);
  announce(changed->request, *changed->event, Notice::approved);
  auto granted = advance_grant(id);
  if (!granted) {
    spdlog::warn("event=grant_deferred request={} error=\"{}\"", id, granted.error().message);
    return store_.get_request(id);
  }
  return granted;
}

Result<bool> Engine::needs_step_up(const std::string& id) {
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  const auto policy = this->policy();
  const AccountPolicy* account = policy->find_account(r->account);
  const RolePolicy* role = account ? account->find_role(r->role) : nullptr;
  return role != nullptr && role->step_up;
}

Result<> Engine::check_can_decide(const std::string& id, const std::string& approver) {
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  auto r = store_.get_request(id);
  if (!r) return fail(r.error());
  return may_decide(*policy(), *r, *who, clock_.now());
}

Result<std::vector<AccessRequest>> Engine::awaiting_decision(const std::string& approver, std::size_t scan,
                                                             bool* cut) {
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  auto pending = store_.list_requests({.states = {State::pending}, .limit = scan});
  if (!pending) return fail(pending.error());
  if (cut) *cut = pending->size() >= scan;
  const auto policy = this->policy();
  const TimePoint now = clock_.now();
  std::erase_if(*pending, [&](const AccessRequest& r) { return !may_decide(*policy, r, *who, now); });
  return pending;
}

Result<AccessRequest> Engine::deny(const std::string& id, const std::string& approver, const std::string& reason) {
  if (auto ok = user_text::check_length("deny reason", reason, limits::kMaxDenyReasonLength); !ok)
    return fail(ok.error());
  auto who = identity_of(approver);
  if (!who) return fail(who.error());
  const auto policy = this->policy();
  auto changed = update_decision(id, *who, *policy, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    r.decisions.push_back({approver, false, reason, clock_.now()});
    r.end_reason = reason.empty() ? fmt::format("denied by {}", approver)
                                  : fmt::format("denied by {}: {}", approver, reason);
    auto event = transition(r, Action::deny, approver, reason);
    if (event) event->facts = audit::facts::of_decision(r.decisions.back(), approvals_count(r), approvals_needed(*policy, r));
    return event;
  });
  if (!changed) return fail(changed.error());
  announce(changed->request, *changed->event, Notice::denied);
  return std::move(changed->request);
}

Result<AccessRequest> Engine::cancel(const std::string& id, const std::string& requester) {
  return update_and_announce(id, [&](AccessRequest& r) -> Result<std::optional<AuditEvent>> {
    if (r.requester != requester) return fail(Error::Denied(fmt::format("only {} can cancel request {}", r.requester, r.id)));
    if (r.state == State::active)
      return fail(Error::Conflict(fmt::format("request {} is already active: release it instead", r.id)));
    if (r.state != State::pending)
      return fail(Error::Conflict(fmt::format("request {} is {}: only a pending request can be cancelled", r.id,
                                              state_name(r.state))));
    r.end_reason = "cancelled by the requester";
    return transition(r, Action::cancel, requester, "");
  }, Notice::cancelled);
}

}  // namespace jit
