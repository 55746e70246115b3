#include "slack/blocks.h"

#include <fmt/format.h>

#include "core/duration.h"
#include "slack/escape.h"
#include "slack/block_parts.h"
#include "slack/limits.h"

namespace jit::slack {

namespace {

using nlohmann::json;
using parts::mrkdwn;
using parts::plain;
using parts::section;


std::string when(TimePoint t) { return fmt::format("{} ({})", date_token(t), format_time(t)); }

std::string deciders(const AccessRequest& r, bool approved) {
  std::string out;
  for (const auto& d : r.decisions)
    if (d.approved == approved)
      out += (out.empty() ? "" : ", ") +
             (d.approver != kAutoApprover ? mention(d.approver)
              : d.reason.empty()           ? std::string("auto-approval (the role's policy)")
                                           : "auto-approval (" + escape(d.reason) + ")");
  return out.empty() ? "nobody" : out;
}

// The approvers a reminded or escalated event's facts name (audit/facts.h), as mentions.
std::string nudged(const AuditEvent& e) {
  std::vector<std::string> entries;
  const auto facts = json::parse(e.facts, nullptr, /*allow_exceptions=*/false);
  if (facts.is_object() && facts.contains("approvers") && facts["approvers"].is_array())
    for (const auto& a : facts["approvers"])
      if (a.is_string()) entries.push_back(a.get<std::string>());
  return entries.empty() ? std::string("approvers") : mention_all(entries);
}

// Issue 17: the thread reply that calls on the approvers (a reminder) or the escalation approvers.
std::string nudge_text(const AuditEvent& e) {
  if (e.action == "reminded")
    return fmt::format(":bell: Still waiting for a decision: {}, please approve or deny.", nudged(e));
  return fmt::format(":rotating_light: Escalated: nobody has decided yet, so {} may now approve or deny too.",
                     nudged(e));
}

bool on_iam_role(const AccessRequest& r) { return access_path_of(r.permission_set_arn) == AccessPath::iam_role; }

// The source identity a grant of an IAM role is bound to (issue 16): the principal found at
// submit, which is the requester's e-mail address.
std::string source_identity(const AccessRequest& r) {
  return !r.principal.empty() ? r.principal : r.requester_email.empty() ? "<your e-mail address>" : r.requester_email;
}

// How to use an active grant of an IAM role: there is no portal; the requester assumes the role
// from a session of their base role, naming the source identity the trust statement asks for.
// IAM is eventually consistent, so the first attempt may still be refused.
std::string iam_role_usage(const AccessRequest& r) {
  const std::string arn = escape(r.permission_set_arn), identity = escape(source_identity(r));
  return fmt::format(
      " From a session of your usual (base) AWS role, assume `{0}` with your e-mail address as source "
      "identity:\n```aws sts assume-role --role-arn {0} --role-session-name {1} --source-identity {1}```\n"
      "IAM can take a few seconds to apply the grant everywhere: if the first attempt is refused, try again in a "
      "few seconds.",
      arn, identity);
}

// What the active notice says about using the access: the portal (when known) for a permission
// set, the assume-role call for an IAM role.
std::string how_to_use(const AccessRequest& r, const std::string& portal_url) {
  if (on_iam_role(r)) return iam_role_usage(r);
  return portal_url.empty() ? "" : fmt::format(" Sign in through <{}|the AWS access portal>.", portal_url);
}

std::string tier_of(const AccessRequest& r, const Policy& policy) {
  if (const auto* a = policy.find_account(r.account))
    if (const auto* role = a->find_role(r.role)) return std::string(tier_name(role->tier));
  return "";
}

// What became of the request, for the place where the buttons were.
std::string outcome(const AccessRequest& r) {
  const std::string why = r.end_reason.empty() ? "" : ": " + escape(r.end_reason);
  switch (r.state) {
    case State::pending: return "";
    case State::approved:
    case State::granting: return fmt::format(":hourglass_flowing_sand: Approved by {}; granting access…", deciders(r, true));
    case State::active:
      return fmt::format(":white_check_mark: Approved by {}. Active until {}", deciders(r, true), when(*r.expires_at));
    case State::revoking: return fmt::format(":hourglass_flowing_sand: Ending access{}", why);
    case State::revoked:
      return fmt::format(":lock: Access ended {}{}. Approved by {}.", r.ended_at ? when(*r.ended_at) : "", why,
                         deciders(r, true));
    case State::denied: return fmt::format(":x: Denied by {}{}", deciders(r, false),
                                           r.decisions.empty() || r.decisions.back().reason.empty()
                                               ? ""
                                               : ": " + escape(r.decisions.back().reason));
    case State::cancelled: return ":leftwards_arrow_with_hook: Withdrawn by the requester.";
    case State::expired: return ":hourglass: Expired: nobody decided in time.";
    case State::failed: return fmt::format(":warning: The grant failed{}", why);
  }
  return "";
}

}  // namespace

json request_message(const AccessRequest& r, const Policy& policy) {
  const std::string tier = tier_of(r, policy);
  json fields = json::array({
      mrkdwn(fmt::format("*Account*\n{} ({})", escape(r.account), r.account_id)),
      mrkdwn(fmt::format("*Role*\n{}{}", escape(r.role), tier.empty() || tier == "standard" ? "" : " · " + tier)),
      mrkdwn(fmt::format("*Duration*\n{}", format_duration(r.duration))),
      mrkdwn(fmt::format("*Request*\n`{}`", escape(r.id))),
  });
  if (!r.ticket.empty()) fields.push_back(mrkdwn(fmt::format("*Ticket*\n{}", escape(r.ticket))));
  // Who will receive the access: the e-mail and principal found at submit (not on older rows).
  if (!r.requester_email.empty())
    fields.push_back(mrkdwn(fmt::format(
        "*Access goes to*\n{}{}", escape(r.requester_email),
        r.principal.empty()
            ? ""
            : fmt::format(" · {} `{}`", on_iam_role(r) ? "AWS source identity" : "Identity Center user",
                          escape(r.principal)))));
  json blocks = json::array({
      section(r.extends.empty()
                  ? fmt::format("{} requests {} access", mention(r.requester),
                                tier == "break-glass" ? ":rotating_light: *break-glass*" : "temporary")
                  : fmt::format("{} requests more{} time on grant `{}`, active now: approved before it ends, "
                                "the access goes on without a gap",
                                mention(r.requester), tier == "break-glass" ? " :rotating_light: *break-glass*" : "",
                                escape(r.extends))),
      {{"type", "section"}, {"fields", fields}},
      section(fmt::format("*Reason*\n{}", escape(r.reason))),
  });
  const int need = approvals_needed(policy, r), have = approvals_count(r);
  if (r.state == State::pending) {
    if (need > 1)
      blocks.push_back({{"type", "context"},
                        {"elements", json::array({mrkdwn(fmt::format(
                                         "Approvals: {} of {}{}", have, need,
                                         have ? " (so far " + deciders(r, true) + ")" : ""))})}});
    blocks.push_back({{"type", "actions"}, {"block_id", "decision"}, {"elements", decision_buttons(r.id)}});
  } else {
    blocks.push_back(section(outcome(r)));
  }
  const std::string fallback = fmt::format("{} requests {} on {} for {} ({})", r.requester, r.role, r.account,
                                           format_duration(r.duration), state_name(r.state));
  return fit_message({{"text", escape(fallback)}, {"blocks", blocks}});
}

json decision_buttons(const std::string& request_id) {
  return json::array({{{"type", "button"}, {"action_id", kApproveAction}, {"style", "primary"},
                       {"text", plain("Approve")}, {"value", request_id}},
                      {{"type", "button"}, {"action_id", kDenyAction}, {"style", "danger"}, {"text", plain("Deny")},
                       {"value", request_id},
                       {"confirm", {{"title", plain("Deny this request?")},
                                    {"text", mrkdwn("You can give a reason in the next step.")},
                                    {"confirm", plain("Deny")}, {"deny", plain("Keep it")}, {"style", "danger"}}}}});
}

std::string thread_text(const AccessRequest& r, const AuditEvent& e) {
  const std::string actor = e.actor.starts_with("system:") || e.actor.starts_with("cli:") ? escape(e.actor)
                                                                                           : mention(e.actor);
  if (e.action == "approve_partial") return fmt::format("{} approved ({}).", actor, escape(e.detail));
  if (e.action == "approve") return fmt::format("{} approved.", actor);
  if (e.action == "deny") return fmt::format("{} denied{}.", actor, e.detail.empty() ? "" : ": " + escape(e.detail));
  if (e.action == "cancel") return "The requester withdrew the request.";
  if (e.action == "lapse") return "Expired: nobody decided within the approval window.";
  if (e.action == "begin_grant") return "Granting access in AWS…";
  if (e.action == "grant_succeeded") return fmt::format("Access is active until {}.", when(*r.expires_at));
  if (e.action == "grant_failed") return fmt::format(":warning: The grant failed: {}", escape(e.detail));
  if (e.action == "expire") return "The grant reached its expiry; revoking.";
  if (e.action == "release") return fmt::format("{} released the grant early; revoking.", actor);
  if (e.action == "admin_revoke") return fmt::format("{} is revoking the grant: {}", actor, escape(e.detail));
  if (e.action == "revoke_succeeded") return ":lock: Access revoked in AWS.";
  if (e.action == "hand_over") return fmt::format(":arrows_counterclockwise: {}", escape(e.detail));
  if (e.action == "on_call_checked") return escape(e.detail) + ".";
  if (e.action == "reminded" || e.action == "escalated") return nudge_text(e);
  return fmt::format("{}: {}", escape(e.action), escape(e.detail));
}

std::string escalation_text(const AccessRequest& r, const std::vector<std::string>& approvers,
                            const std::string& permalink) {
  const std::string where = permalink.empty() ? fmt::format("in <#{}>", escape(r.chat_channel))
                                              : fmt::format("<{}|open the request>", escape(permalink));
  return fmt::format(":rotating_light: Escalated: {} asks for *{}* on *{}* for {} (`{}`) and nobody has decided yet. "
                     "{}: you may approve or deny it: {}",
                     mention(r.requester), escape(r.role), escape(r.account), format_duration(r.duration),
                     escape(r.id), mention_all(approvers), where);
}

std::string notice_text(const AccessRequest& r, Notice n, const std::string& portal_url) {
  const std::string what = fmt::format("*{}* on *{}* for {} (`{}`)", escape(r.role), escape(r.account),
                                       format_duration(r.duration), escape(r.id));
  switch (n) {
    case Notice::submitted:
      return fmt::format("Your request for {} is waiting for approval{}.", what,
                         r.chat_channel.empty() ? "" : fmt::format(" in <#{}>", escape(r.chat_channel)));
    case Notice::approved: return fmt::format("Your request for {} was approved by {}.", what, deciders(r, true));
    case Notice::denied:
      return fmt::format("Your request for {} was denied by {}{}.", what, deciders(r, false),
                         r.decisions.empty() || r.decisions.back().reason.empty()
                             ? ""
                             : ": " + escape(r.decisions.back().reason));
    case Notice::active:
      return fmt::format(":white_check_mark: Your access is active: {}. It expires at {}.{}", what,
                         when(*r.expires_at),
                         how_to_use(r, portal_url));
    case Notice::expiring_soon:
      return fmt::format(":hourglass: Your access {} expires at {}. Need more time? *Request more time* below (an "
                         "approver decides, and the access goes on without a gap), or `/jit extend {} <duration> "
                         "<reason>`.",
                         what, when(*r.expires_at), escape(r.id));
    case Notice::revoked: return fmt::format(":lock: Your access {} has ended{}.", what,
                                             r.end_reason.empty() ? "" : ": " + escape(r.end_reason));
    case Notice::failed: return fmt::format(":warning: Your access {} could not be granted: {}", what, escape(r.end_reason));
    case Notice::cancelled: return fmt::format("You withdrew your request for {}.", what);
    case Notice::expired: return fmt::format("Your request for {} expired: nobody decided in time.", what);
  }
  return what;
}

std::optional<json> notice_blocks(const AccessRequest& r, Notice n, const std::string& text) {
  if ((n != Notice::active && n != Notice::expiring_soon) || r.state != State::active) return std::nullopt;
  return json{{"text", text},
              {"blocks", json::array({section(fit(text, kSectionTextLimit)),
                                      {{"type", "actions"},
                                       {"block_id", "grant"},
                                       {"elements", json::array({{{"type", "button"},
                                                                  {"action_id", kExtendAction},
                                                                  {"text", plain("Request more time")},
                                                                  {"value", r.id}}})}}})}};
}

namespace {

// Where one request of a bundle stands right after it was filed.
std::string filed_state(const AccessRequest& r) {
  switch (r.state) {
    case State::pending:
      return r.chat_channel.empty() ? "waiting for approval"
                                    : fmt::format("waiting for approval in <#{}>", escape(r.chat_channel));
    case State::approved:
    case State::granting: return "approved; granting access";
    case State::active: return fmt::format("active until {}", when(*r.expires_at));
    default: return std::string(state_name(r.state));
  }
}

}  // namespace

std::string bundle_text(const BundleOutcome& outcome) {
  std::string out;
  if (outcome.filed.empty()) {
    out = "None of your requests could be filed:\n";
  } else {
    const AccessRequest& first = outcome.filed.front();
    out = fmt::format("Your request for *{}* for {} on {} account{} (bundle `{}`): each one is approved, granted "
                      "and ends on its own.\n",
                      escape(first.role), format_duration(first.duration), outcome.filed.size(),
                      outcome.filed.size() == 1 ? "" : "s", escape(outcome.bundle));
    for (const auto& r : outcome.filed)
      out += fmt::format("• *{}* (`{}`): {}\n", escape(r.account), escape(r.id), filed_state(r));
    if (!outcome.not_filed.empty()) out += "Not filed:\n";
  }
  for (const auto& n : outcome.not_filed)
    out += fmt::format("• *{}*: {}\n", escape(n.account), escape(n.error.message));
  return out;
}

std::string mark_dry_run(bool dry_run, std::string text) {
  return fit(dry_run ? std::string(kDryRunBanner) + "\n" + text : text, kMessageTextLimit);
}

}  // namespace jit::slack
