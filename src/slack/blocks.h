// The Block Kit messages of the request/approve experience. Pure functions of a request (re-read
// from the store) and the policy: button values carry only the request id, and every piece of
// user-typed text is escaped.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/model.h"
#include "core/policy.h"
#include "ports/chat.h"
#include "slack/ids.h"

namespace jit::slack {

// What `jit serve --dry-run` puts before every text it sends to Slack.
inline constexpr std::string_view kDryRunBanner = ":test_tube: *Dry run*: nothing is granted or revoked in AWS.";
// `text` behind the banner when `dry_run`; else `text` as it is; either way cut to Slack's message
// text limit (slack/limits.h). Every text-only message goes through here.
std::string mark_dry_run(bool dry_run, std::string text);

// {"text": fallback, "blocks": [...]} for the owner channel: who asks for what and why, then
// Approve/Deny while pending (with how many approvals are still needed), or the outcome after.
// Fits Slack's limits whatever the request holds (slack/limits.h: long texts end in "…").
nlohmann::json request_message(const AccessRequest& request, const Policy& policy);

// The Approve and Deny buttons of a pending request (the elements of an actions block), as the
// owner-channel message and the Home tab show them: the value is the request id only.
nlohmann::json decision_buttons(const std::string& request_id);

// One line for the message's thread: what just happened (the human audit trail). A reminder or
// an escalation (issue 17) mentions the approvers its event's facts name (mention_entry).
std::string thread_text(const AccessRequest& request, const AuditEvent& event);

// The escalation channel's message for a request nobody decided on (issue 17): who asks for what,
// the escalation approvers mentioned, and `permalink` to the owner-channel message where they
// decide (its channel instead when "").
std::string escalation_text(const AccessRequest& request, const std::vector<std::string>& approvers,
                            const std::string& permalink);

// The requester's direct message for a notice. `portal_url` ("" for none) is shown once access
// is active; a grant of an IAM role (issue 16) says instead how to assume it (from the base role,
// with the source identity) and that IAM may take a few seconds to apply it.
std::string notice_text(const AccessRequest& request, Notice notice, const std::string& portal_url);

// The requester's direct message for a notice as {"text", "blocks"}: `text` (notice_text, with the
// dry-run banner when there is one) and, for an active grant's notices (active, expiring_soon),
// a "Request more time" button (issue 17) whose value is the grant's id. nullopt for the other
// notices: they are text alone.
std::optional<nlohmann::json> notice_blocks(const AccessRequest& request, Notice notice, const std::string& text);
// The requester's one direct message for several accounts in one request (issue 17): each filed
// request (account, role, id, where it waits or what became of it at once) and each account not
// filed with why. Every request is decided and ends on its own: its later notices are its own.
std::string bundle_text(const BundleOutcome& outcome);

}  // namespace jit::slack
