#include "core/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/duration.h"
#include "core/limits.h"
#include "core/user_text.h"

namespace jit {

std::string_view tier_name(Tier t) {
  switch (t) {
    case Tier::standard: return "standard";
    case Tier::high: return "high";
    case Tier::break_glass: return "break-glass";
  }
  return "standard";
}

std::string_view reconcile_mode_name(ReconcileMode m) {
  return m == ReconcileMode::alert ? "alert" : "revoke";
}

std::string_view access_path_name(AccessPath p) {
  return p == AccessPath::iam_role ? "iam-role" : "identity-center";
}

std::string_view source_identity_form_name(SourceIdentityForm f) {
  return f == SourceIdentityForm::email_local_part ? "email-local-part" : "email";
}

std::string source_identity_of(std::string_view email, SourceIdentityForm form) {
  if (form == SourceIdentityForm::email) return std::string(email);
  const auto at = email.rfind('@');
  return std::string(at == std::string_view::npos ? email : email.substr(0, at));
}

namespace {

// Consumes `prefix` from the front of `text`.
bool take(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Every AWS partition: "aws", or "aws-" and lower-case letters and hyphens (aws-cn, aws-us-gov,
// aws-iso-b, ...). The question is only role or permission set (arn:aws:sso:::permissionSet/...),
// so no partition is refused: a role ARN is never taken for a permission set.
bool take_partition(std::string_view& text) {
  if (!take(text, "aws")) return false;
  if (take(text, ":")) return true;
  if (!take(text, "-")) return false;
  const auto end = text.find(':');
  if (end == 0 || end == std::string_view::npos) return false;
  const bool letters =
      std::all_of(text.begin(), text.begin() + end, [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
  text.remove_prefix(end + 1);
  return letters;
}

// IAM's role name and path characters: [\w+=,.@/-] (ASCII).
bool role_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         std::string_view("_+=,.@/-").find(c) != std::string_view::npos;
}

}  // namespace

AccessPath access_path_of(std::string_view target_arn) {
  std::string_view rest = target_arn;
  if (!take(rest, "arn:") || !take_partition(rest) || !take(rest, "iam::")) return AccessPath::identity_center;
  if (rest.size() < 13 || rest[12] != ':' || !std::all_of(rest.begin(), rest.begin() + 12, is_digit))
    return AccessPath::identity_center;
  rest.remove_prefix(13);
  if (!take(rest, "role/") || rest.empty() || rest.back() == '/') return AccessPath::identity_center;
  return std::all_of(rest.begin(), rest.end(), role_name_char) ? AccessPath::iam_role : AccessPath::identity_center;
}

const RolePolicy* AccountPolicy::find_role(std::string_view role) const {
  for (const auto& r : roles)
    if (r.name == role) return &r;
  return nullptr;
}

const AccountPolicy* Policy::find_account(std::string_view account) const {
  for (const auto& a : accounts)
    if (a.name == account || a.id == account) return &a;
  return nullptr;
}

bool matches_any(const Identity& who, const std::vector<std::string>& entries) {
  for (const auto& e : entries) {
    if (e == "*" || e == who.user_id) return true;
    if (std::find(who.groups.begin(), who.groups.end(), e) != who.groups.end()) return true;
  }
  return false;
}

namespace {

std::string names_of_accounts(const Policy& p) {
  std::string out;
  for (const auto& a : p.accounts) out += (out.empty() ? "" : ", ") + a.name;
  return out;
}

std::string names_of_roles(const AccountPolicy& a) {
  std::string out;
  for (const auto& r : a.roles) out += (out.empty() ? "" : ", ") + r.name;
  return out;
}

std::string allowed_list(const RolePolicy& r) {
  std::string out;
  for (auto d : r.allowed_durations) out += (out.empty() ? "" : ", ") + format_duration(d);
  return out;
}

}  // namespace

Result<CheckedRequest> check_request(const Policy& policy, const RequestDraft& draft) {
  // Bounded before anything else looks at them (the ticket pattern above all).
  if (auto ok = user_text::check_length("ticket", draft.ticket, limits::kMaxTicketLength); !ok) return fail(ok.error());
  if (auto ok = user_text::check_length("reason", draft.reason, policy.reason_max_length); !ok) return fail(ok.error());
  const AccountPolicy* account = policy.find_account(draft.account);
  if (!account)
    return fail(Error::Invalid(fmt::format("account \"{}\" is not in policy; known accounts: {}", draft.account,
                                           names_of_accounts(policy))));
  const RolePolicy* role = account->find_role(draft.role);
  if (!role)
    return fail(Error::Invalid(fmt::format("role \"{}\" does not exist on account {}; roles there: {}",
                                           draft.role, account->name, names_of_roles(*account))));
  if (!matches_any(draft.requester, role->requesters))
    return fail(Error::Denied(fmt::format("you may not request role {} on account {}: ask an admin to add "
                                          "you to its requesters",
                                          role->name, account->name)));
  auto duration = parse_duration(draft.duration);
  if (!duration) return fail(Error::Invalid("duration " + duration.error().message));
  if (*duration > role->max_duration)
    return fail(Error::Invalid(fmt::format("duration {} is longer than the maximum {} for role {}",
                                           format_duration(*duration), format_duration(role->max_duration),
                                           role->name)));
  if (!role->allowed_durations.empty() &&
      std::find(role->allowed_durations.begin(), role->allowed_durations.end(), *duration) ==
          role->allowed_durations.end())
    return fail(Error::Invalid(fmt::format("duration {} is not allowed for role {}; choose one of: {}",
                                           format_duration(*duration), role->name, allowed_list(*role))));
  if (user_text::is_blank(draft.reason))
    return fail(Error::Invalid("reason is required: say why you need this access"));
  if (role->ticket_required && user_text::is_blank(draft.ticket))
    return fail(Error::Invalid(fmt::format("ticket is required for role {}{}", role->name,
                                           role->ticket_pattern.empty()
                                               ? ""
                                               : fmt::format(" (pattern {})", role->ticket_pattern))));
  if (!draft.ticket.empty() && role->ticket_regex && !role->ticket_regex->full_match(draft.ticket))
    return fail(Error::Invalid(fmt::format("ticket \"{}\" does not match the pattern {} required for role {}",
                                           draft.ticket, role->ticket_pattern, role->name)));
  return CheckedRequest{account, role, *duration};
}

const std::vector<std::string>& approvers_of(const AccountPolicy& account, const RolePolicy& role) {
  return role.approvers.empty() ? account.approvers : role.approvers;
}

const std::string& owner_channel_of(const AccountPolicy& account, const RolePolicy& role) {
  return role.owner_channel.empty() ? account.owner_channel : role.owner_channel;
}

bool auto_approval_stands(const RolePolicy& role, std::string_view on_call_schedule) {
  if (on_call_schedule.empty()) return role.auto_approve;
  return !role.on_call_schedule.empty() && role.on_call_schedule == on_call_schedule;
}

bool is_on_call_schedule_id(std::string_view id) {
  if (id.size() < 2 || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); });
}

EscalationPolicy escalation_of(const AccountPolicy& account, const RolePolicy& role) {
  const EscalationPolicy& own = role.escalation;
  const EscalationPolicy& inherited = account.escalation;
  return {.remind_after = own.remind_after ? own.remind_after : inherited.remind_after,
          .escalate_after = own.escalate_after ? own.escalate_after : inherited.escalate_after,
          .approvers = own.approvers.empty() ? inherited.approvers : own.approvers,
          .channel = own.channel.empty() ? inherited.channel : own.channel};
}

Result<> check_approver(const Policy& policy, const AccessRequest& request, const Identity& approver) {
  if (approver.user_id == request.requester)
    return fail(Error::Denied("you cannot decide on your own request; to withdraw it, cancel it"));
  const AccountPolicy* account = policy.find_account(request.account);
  if (!account)
    return fail(Error::Denied(fmt::format("account {} is no longer in policy", request.account)));
  const RolePolicy* role = account->find_role(request.role);
  if (!role)
    return fail(Error::Denied(fmt::format("role {} is no longer on account {} (policy changed since request {} "
                                          "was made); ask again",
                                          request.role, account->name, request.id)));
  const bool escalated_to_them =
      request.escalated_at && matches_any(approver, escalation_of(*account, *role).approvers);
  if (!matches_any(approver, approvers_of(*account, *role)) && !escalated_to_them) {
    const EscalationPolicy escalation = escalation_of(*account, *role);
    if (escalation.escalate_after && matches_any(approver, escalation.approvers))
      return fail(Error::Denied(fmt::format("you are an escalation approver of role {} on account {}: you may decide "
                                            "once nobody else has for {} and the request is escalated",
                                            role->name, account->name, format_duration(*escalation.escalate_after))));
    return fail(Error::Denied(role->approvers.empty()
                                  ? fmt::format("you are not an approver for account {}", account->name)
                                  : fmt::format("you are not an approver for role {} on account {}", role->name,
                                                account->name)));
  }
  for (const auto& d : request.decisions)
    if (d.approver == approver.user_id)
      return fail(Error::Denied("you have already decided on this request: another approver must"));
  return {};
}

int approvals_count(const AccessRequest& request) {
  std::set<std::string> approvers;
  for (const auto& d : request.decisions)
    if (d.approved && d.approver != request.requester) approvers.insert(d.approver);
  return static_cast<int>(approvers.size());
}

int approvals_needed(const Policy& policy, const AccessRequest& request) {
  if (const auto* a = policy.find_account(request.account))
    if (const auto* r = a->find_role(request.role)) return r->approvals_required;
  return 0;
}

Result<const RolePolicy*> check_still_allowed(const Policy& policy, const AccessRequest& request,
                                              const Identity& requester) {
  const AccountPolicy* account = policy.find_account(request.account);
  if (!account)
    return fail(Error::Denied(fmt::format("account {} is no longer in policy (policy changed since request {} "
                                          "was made); ask again",
                                          request.account, request.id)));
  const RolePolicy* role = account->find_role(request.role);
  if (!role)
    return fail(Error::Denied(fmt::format("role {} is no longer on account {} (policy changed since request {} "
                                          "was made); ask again",
                                          request.role, account->name, request.id)));
  if (account->id != request.account_id)
    return fail(Error::Denied(fmt::format("request {} is for account id {}, but policy now gives account {} the "
                                          "id {}; ask again",
                                          request.id, request.account_id, account->name, account->id)));
  if (role->permission_set_arn != request.permission_set_arn)
    return fail(Error::Denied(fmt::format("request {} is for permission set {}, but policy now gives role {} on "
                                          "account {} the permission set {}; ask again",
                                          request.id, request.permission_set_arn, role->name, account->name,
                                          role->permission_set_arn)));
  if (!matches_any(requester, role->requesters))
    return fail(Error::Denied(fmt::format("{} may no longer request role {} on account {} (policy changed since "
                                          "request {} was made)",
                                          request.requester, role->name, account->name, request.id)));
  return role;
}

int approvals_standing(const Policy& policy, const AccessRequest& request, const std::vector<Identity>& approvers,
                       const std::vector<std::string>& escalated) {
  const AccountPolicy* account = policy.find_account(request.account);
  if (!account) return 0;
  const RolePolicy* role = account->find_role(request.role);
  if (!role) return 0;
  const std::vector<std::string>& entries = approvers_of(*account, *role);
  const std::vector<std::string> escalation_entries = escalation_of(*account, *role).approvers;
  std::set<std::string> standing;
  for (const auto& d : request.decisions) {
    if (!d.approved || d.approver == request.requester) continue;
    auto now = std::find_if(approvers.begin(), approvers.end(),
                            [&](const Identity& who) { return who.user_id == d.approver; });
    if (now == approvers.end()) continue;
    const bool by_escalation = std::find(escalated.begin(), escalated.end(), d.approver) != escalated.end() &&
                               matches_any(*now, escalation_entries);
    if (matches_any(*now, entries) || by_escalation) standing.insert(d.approver);
  }
  return static_cast<int>(standing.size());
}

std::vector<std::string> approved_since_escalation(const AccessRequest& request) {
  std::vector<std::string> out;
  if (!request.escalated_at) return out;
  for (const auto& d : request.decisions)
    if (d.approved && d.at >= *request.escalated_at) out.push_back(d.approver);
  return out;
}

bool past_approval_window(const Policy& policy, TimePoint since, TimePoint now) {
  return now - since >= policy.approval_window;
}

TimePoint last_approval_at(const AccessRequest& request) {
  TimePoint last = request.created_at;
  for (const auto& d : request.decisions)
    if (d.approved) last = std::max(last, d.at);
  return last;
}

bool is_admin(const Policy& policy, const Identity& who) { return matches_any(who, policy.admins); }

std::optional<Seconds> more_time_duration(const RolePolicy& role, Seconds granted, Seconds left) {
  // Whole minutes for a grant of whole minutes (what people ask for), whole seconds otherwise.
  const Seconds rest = std::max(left, Seconds{0});
  const Seconds wanted =
      (granted % std::chrono::minutes{1} == Seconds{0} ? std::chrono::ceil<std::chrono::minutes>(rest) : rest) + granted;
  if (role.allowed_durations.empty()) {
    const Seconds d = std::min(wanted, role.max_duration);
    return d > left ? std::optional(d) : std::nullopt;
  }
  std::optional<Seconds> enough, longest;
  for (Seconds d : role.allowed_durations) {
    if (d <= left || d > role.max_duration) continue;
    if (d >= wanted && (!enough || d < *enough)) enough = d;
    if (!longest || d > *longest) longest = d;
  }
  return enough ? enough : longest;
}

}  // namespace jit
