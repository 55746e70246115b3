// The access policy: which accounts and roles exist, who may request and approve them, and the
// limits that apply. Loaded from TOML by load_config(); evaluated here, with no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "core/pattern.h"
#include "core/time.h"

namespace jit {

enum class Tier { standard, high, break_glass };

// Nobody answers (issue 17): what happens to a request still pending after a while. An account
// sets it for its roles; a role may set any of the four keys, each replacing the account's
// (escalation_of). The loader checks the combination every role ends up with.
struct EscalationPolicy {
  // The request is re-announced once in its owner-channel thread, its approvers mentioned.
  std::optional<Seconds> remind_after;
  // The request is escalated: `approvers` may decide on it too from then on (the role's approvers
  // still may), the thread mentions them, and it is linked in `channel` when one is named.
  std::optional<Seconds> escalate_after;
  std::vector<std::string> approvers;  // escalation_approvers: user ids and/or user-group ids
  std::string channel;                 // escalation_channel: Slack channel id, "" = none

  bool operator==(const EscalationPolicy&) const = default;
};
std::string_view tier_name(Tier t);

// What the reconciler does with an assignment of a role's permission set that no grant explains:
// delete it, or only report it (ops channel, audit) and leave it. Whatever a role says, the first
// reconcile of a permission set after it became managed (at start or by a reload) only reports:
// a policy that points at a widely shared permission set costs an alert, not an outage.
enum class ReconcileMode { revoke, alert };
std::string_view reconcile_mode_name(ReconcileMode m);

struct RolePolicy {
  std::string name;
  // What a grant of this role gives: the permission set's ARN; in an iam-role account (issue 16)
  // the elevated role's ARN, from the role's `role_arn` (the ARN's form tells the paths apart, see
  // aws/access_router.h).
  std::string permission_set_arn;
  Seconds max_duration{};
  std::vector<Seconds> allowed_durations;  // empty: any duration up to max_duration
  Tier tier = Tier::standard;
  int approvals_required = 1;              // distinct approvers needed; 0 only with auto_approve
  std::vector<std::string> requesters;     // user ids (U…/W…), group ids (S…), or "*"
  bool ticket_required = false;
  std::string ticket_pattern;              // RE2 pattern the whole ticket must match; "" = any
  std::optional<Pattern> ticket_regex;     // compiled ticket_pattern, empty when there is none
  ReconcileMode reconcile = ReconcileMode::revoke;
  // AWS-side enforcement (issue 14). The loader defaults both to true for the high and break-glass
  // tiers and false for standard. session_cutoff: a deny armed at grant time in the permission
  // set's inline policy ends this grant's live sessions at its expiry second.
  // scheduled_revoke: an EventBridge Scheduler schedule deletes the assignment at expiry (within
  // the minute) with every instance of the service down.
  bool session_cutoff = false;
  bool scheduled_revoke = false;
  // WebAuthn step-up at the approval click (issue 15): `step_up = "webauthn"` (the loader's default
  // for the break-glass tier) or "none". An approval of this role counts only with a verified
  // assertion of one of the approver's enrolled credentials (Engine::approve's StepUpProof); Deny
  // needs none.
  bool step_up = false;
  // Who decides on this role and where its requests are posted (issue 17): when the role names
  // them, they replace the account's `approvers` and `owner_channel` for this role; empty, the
  // account's apply (approvers_of, owner_channel_of).
  std::vector<std::string> approvers;  // user ids and/or user-group ids
  std::string owner_channel;           // Slack channel id
  // Auto-approval (issue 17), never silent: only on a standard role with approvals_required = 0
  // (the loader refuses anything else). The engine approves at submit, after the same checks a
  // person's approval runs, as the actor kAutoApprover; the request is still posted and audited.
  bool auto_approve = false;
  // On-call auto-approval (issue 17): `auto_approve_if_on_call = "<PagerDuty schedule id>"`. At
  // submit the engine asks PagerDuty (ports/on_call.h) whether the requester is on call on this
  // schedule at that moment; on call, it approves as kAutoApprover (the audit event names the
  // schedule); not on call, or PagerDuty not answering, the request waits for `approvals_required`
  // people as written. "" = none. The loader allows it on standard and high roles without step_up
  // and never with auto_approve.
  std::string on_call_schedule;
  // Issue 17: remind_after, escalate_after, escalation_approvers, escalation_channel of the role
  // (each unset one: the account's).
  EscalationPolicy escalation;
};

// The approver recorded on an auto-approved request (RolePolicy::auto_approve): no Slack user id
// can take this form.
inline constexpr char kAutoApprover[] = "system:auto-approve";

// Whether an approval by kAutoApprover stands under `role` as policy has it now: `on_call_schedule`
// is the schedule the approval's audit event names ("" when it names none): a plain auto-approval
// stands while the role auto-approves; an on-call one while the role names that same schedule.
bool auto_approval_stands(const RolePolicy& role, std::string_view on_call_schedule);

// A PagerDuty schedule id as policy may write it: 2 to 32 upper-case letters and digits
// ("P1ABCDE"). Keeps the id safe to put in a URL's query and a log line as it is.
bool is_on_call_schedule_id(std::string_view id);

// The path an account's grants take (issue 16): `provider = "identity-center"` (the default) or
// `provider = "iam-role"`.
enum class AccessPath { identity_center, iam_role };
// "identity-center" or "iam-role", as policy writes it.
std::string_view access_path_name(AccessPath p);

// The path of a grant's target by the ARN's form (aws::is_role_arn, by which aws::AccessRouter
// routes, is this): an IAM role's ARN ("arn:<partition>:iam::<12 digits>:role/<path/><name>",
// any partition "aws" or "aws-<lower-case letters and hyphens>", the name in IAM's characters
// [\w+=,.@/-], not ending in "/") is the IAM-role path, anything else (a permission set's ARN)
// Identity Center. Lets the engine and Slack word messages for the path without knowing AWS.
AccessPath access_path_of(std::string_view target_arn);

// What an iam-role account's base sessions carry as aws:SourceIdentity, so what a grant's trust
// statement asks for: the person's e-mail address as Slack has it ("email", the default), or its
// part before the "@" ("email-local-part", for IdPs that set the user name).
enum class SourceIdentityForm { email, email_local_part };
// "email" or "email-local-part", as policy writes it.
std::string_view source_identity_form_name(SourceIdentityForm f);
// The source identity of a person with `email` in that form (the text before the last "@" for
// the local part; `email` itself when it has none).
std::string source_identity_of(std::string_view email, SourceIdentityForm form);

// An iam-role account's settings: how the service reaches the account, and whose sessions may
// assume its elevated roles during a grant.
struct IamRoleAccess {
  // The role the service assumes to call IAM in the account (deploy/iam-role-management.yaml);
  // the loader's default is "arn:aws:iam::<account id>:role/jit-access-management".
  std::string management_role_arn;
  // AssumeRole's ExternalId for that role: required, 2..1224 characters of [A-Za-z0-9_+=,.@:/-]
  // (AWS's pattern [\w+=,.@:/-]). Never shown in the loader's messages.
  std::string external_id;
  // Required: the principal requesters sign in as at their base level, whose sessions carry
  // aws:SourceIdentity = their e-mail address ("arn:aws:iam::<account>:role/<base role>").
  std::string base_principal_arn;
  // `source_identity`: how a Slack user maps to the source identity their base sessions carry.
  SourceIdentityForm source_identity = SourceIdentityForm::email;

  bool operator==(const IamRoleAccess&) const = default;
};

struct AccountPolicy {
  std::string name;
  std::string id;             // 12 digits
  std::string owner_channel;  // Slack channel id where requests are posted
  std::vector<std::string> approvers;  // user ids and/or user-group ids
  std::vector<RolePolicy> roles;
  AccessPath provider = AccessPath::identity_center;
  IamRoleAccess iam_role;  // provider == iam_role only
  EscalationPolicy escalation;  // issue 17: for every role, unless the role sets its own

  const RolePolicy* find_role(std::string_view role) const;
};

// Who may approve `role` on `account`: the role's own approvers when it names any, else the
// account's. Every approval rule (check_approver, approvals_standing) asks this.
const std::vector<std::string>& approvers_of(const AccountPolicy& account, const RolePolicy& role);
// Where requests for `role` on `account` are posted: the role's owner_channel when set, else the
// account's.
const std::string& owner_channel_of(const AccountPolicy& account, const RolePolicy& role);

// What happens to `role`'s requests when nobody answers: each of the role's escalation keys that is
// set, else the account's.
EscalationPolicy escalation_of(const AccountPolicy& account, const RolePolicy& role);

// Who may do what (core/settings.h has how the service runs).
struct Policy {
  Seconds approval_window{std::chrono::hours{1}};  // how long a request may wait for a decision
  std::size_t reason_max_length = 500;  // code points; at most limits::kMaxReasonLength
  std::vector<std::string> admins;  // may revoke any grant; user ids and/or group ids
  // Whether Slack guests (single- and multi-channel) may request access; members only by default.
  bool allow_guests = false;
  std::vector<AccountPolicy> accounts;

  // By name or by 12-digit id.
  const AccountPolicy* find_account(std::string_view account) const;
};

// Who someone is, as far as policy cares: their user id and the user groups they belong to.
struct Identity {
  std::string user_id;
  std::vector<std::string> groups;
};

// True when `who` matches one of the entries: their user id, one of their groups, or "*".
bool matches_any(const Identity& who, const std::vector<std::string>& entries);

// What a submitted request asks for, before it is checked.
struct RequestDraft {
  Identity requester;
  std::string account;   // name or id
  std::string role;
  std::string duration;  // as typed: "1h30m"
  std::string reason;
  std::string ticket;
};

// A draft that passed every rule, resolved against policy.
struct CheckedRequest {
  const AccountPolicy* account = nullptr;
  const RolePolicy* role = nullptr;
  Seconds duration{};
};

// Applies every request rule: ticket and reason within their limits (core/limits.h) and valid
// UTF-8, checked first; known account and role, requester allowed, duration parses and is
// allowed and within the maximum, reason present and not too long, ticket present and matching
// where the role requires one. Errors are Errc::invalid (bad input, naming the field) or
// Errc::denied (not allowed to request this role).
Result<CheckedRequest> check_request(const Policy& policy, const RequestDraft& draft);

// Applies the approval rules to `approver` deciding on `request`: never the requester, must be an
// approver of the role on its account (approvers_of), or, once the request is escalated
// (request.escalated_at), one of its escalation approvers (escalation_of), and must not have
// decided already. Errc::denied with an explanation.
Result<> check_approver(const Policy& policy, const AccessRequest& request, const Identity& approver);

// Distinct approvals recorded on the request.
int approvals_count(const AccessRequest& request);
// Approvals the role needs; 0 when the account or role is no longer in policy (such a request
// cannot be approved or granted: check_still_allowed refuses it), for display only.
int approvals_needed(const Policy& policy, const AccessRequest& request);

// Checks a stored request against policy as it is now, for a decision or a grant: its account and
// role are still in policy, with the account id and permission set ARN the request recorded, and
// `requester` (the requester's current identity) still matches the role's requesters.
// Errc::denied naming what changed; otherwise the role as policy has it now.
Result<const RolePolicy*> check_still_allowed(const Policy& policy, const AccessRequest& request,
                                              const Identity& requester);

// Distinct approvals on `request` from people who are approvers of its role now (approvers_of):
// `approvers` holds the current identity of each one who approved (looked up by the caller); an
// approver missing from it, no longer an approver, or the requester, does not count. An approver
// listed in `escalated` (user ids whose approval came after a proven escalation: the caller
// decides what proves it) also counts as an escalation approver of the role now (escalation_of).
// 0 when the account or role is no longer in policy.
int approvals_standing(const Policy& policy, const AccessRequest& request, const std::vector<Identity>& approvers,
                       const std::vector<std::string>& escalated = {});
// The approvers of `request` whose approval the row says came at or after its escalation
// (request.escalated_at): what a click may count (the grant counts only what the chain proves).
std::vector<std::string> approved_since_escalation(const AccessRequest& request);

// True once `request` has waited its whole approval window since `since` (its creation for a
// pending request, its last approval for an approved one): it must be asked for again.
bool past_approval_window(const Policy& policy, TimePoint since, TimePoint now);
// When the request was last approved; its creation time when it has no approval.
TimePoint last_approval_at(const AccessRequest& request);

bool is_admin(const Policy& policy, const Identity& who);

// What "Request more time" pre-fills for a grant of `role` made for `granted` with `left` still to
// run (issue 17). An extension's time counts from its own grant, so "as long again" is left +
// granted (left rounded up to the minute when granted is whole minutes), within the role's
// max_duration; when the role lists allowed_durations, the shortest of them that gives as much,
// else the longest that still outlasts `left`. nullopt when nothing the role allows outlasts `left`
// (the extension would shorten the access).
std::optional<Seconds> more_time_duration(const RolePolicy& role, Seconds granted, Seconds left);

}  // namespace jit
