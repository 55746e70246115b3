#include "slack/home.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>

#include "core/duration.h"
#include "slack/blocks.h"
#include "slack/escape.h"
#include "slack/ids.h"
#include "slack/block_parts.h"
#include "slack/limits.h"

namespace jit::slack {

namespace {

using nlohmann::json;
using parts::mrkdwn;
using parts::plain;
using parts::section;

json context(const std::string& text) { return {{"type", "context"}, {"elements", json::array({mrkdwn(text)})}}; }
json divider() { return {{"type", "divider"}}; }

// "*admin* on *prod* · `r7k2m9x`": the role, the account and the request id, escaped.
std::string what(const AccessRequest& r) {
  return fmt::format("*{}* on *{}* · `{}`", escape(r.role), escape(r.account), escape(r.id));
}

// A button on one of the person's own requests, with Slack's confirm dialog before it acts.
json own_button(const char* action, const std::string& label, const AccessRequest& r, const std::string& title,
                const std::string& question, const std::string& yes, const std::string& no = "Keep it") {
  return {{"type", "button"},
          {"action_id", action},
          {"text", plain(label)},
          {"value", r.id},
          {"confirm", {{"title", plain(title)}, {"text", mrkdwn(question)}, {"confirm", plain(yes)},
                       {"deny", plain(no)}}}};
}

// The person's extension of `grant` still waiting for its decision or its grant, if any.
const AccessRequest* extension_of(const AccessRequest& grant, const std::vector<AccessRequest>& requests) {
  for (const auto& r : requests)
    if (r.extends == grant.id) return &r;
  return nullptr;
}

// One grant: what it is and how long it has left, Release beside it; when active, below it
// "Request more time" (the DM's button, the same action), or the extension already asked for.
void add_grant(json& blocks, const AccessRequest& r, const std::vector<AccessRequest>& requests, TimePoint now) {
  json block = {{"type", "section"}, {"block_id", "grant:" + r.id}};
  std::string text = what(r) + "\n";
  json more;
  if (r.state == State::active && r.expires_at) {
    text += fmt::format(":white_check_mark: Active until {} · {}", date_token(*r.expires_at), time_left(*r.expires_at, now));
    block["accessory"] =
        own_button(kReleaseAction, "Release", r, "Release this grant?",
                   fmt::format("Your access to {} on {} ends now.", escape(r.role), escape(r.account)), "Release");
    block["accessory"]["style"] = "danger";
    if (const auto* ext = extension_of(r, requests))
      text += fmt::format("\n:hourglass: More time asked: `{}` waits for approval.", escape(ext->id));
    else
      more = {{"type", "actions"},
              {"block_id", "more:" + r.id},
              {"elements", json::array({own_button(kExtendAction, "Request more time", r, "Ask for more time?",
                                                   fmt::format("An approver decides. Approved before {}, your access "
                                                               "goes on without a gap.",
                                                               date_token(*r.expires_at)),
                                                   "Ask")})}};
  } else if (r.state == State::revoking) {
    text += ":hourglass_flowing_sand: Ending: the access is being removed.";
  } else {
    text += ":hourglass_flowing_sand: Approved; granting access…";
  }
  block["text"] = mrkdwn(text);
  blocks.push_back(std::move(block));
  if (!more.is_null()) blocks.push_back(std::move(more));
}

std::string approvals_so_far(const AccessRequest& r, const Policy& policy) {
  const int need = approvals_needed(policy, r);
  return need > 1 ? fmt::format(" · approvals {} of {}", approvals_count(r), need) : "";
}

json request_block(const AccessRequest& r, const Policy& policy) {
  json block = {{"type", "section"}, {"block_id", "request:" + r.id}};
  std::string text = fmt::format("{} for {}{}\n", what(r), format_duration(r.duration),
                                 r.extends.empty() ? "" : fmt::format(" · more time for `{}`", escape(r.extends)));
  if (r.state == State::pending) {
    text += ":hourglass: Waiting for approval" +
            (r.chat_channel.empty() ? std::string() : fmt::format(" in <#{}>", escape(r.chat_channel))) +
            approvals_so_far(r, policy);
    block["accessory"] = own_button(kCancelAction, "Cancel", r, "Withdraw this request?",
                                    "Approvers will see that you withdrew it.", "Withdraw");
  } else {
    text += ":hourglass_flowing_sand: Approved; granting access…";
  }
  block["text"] = mrkdwn(text);
  return block;
}

// A request waiting for the person's decision: who asks for what and why, then Approve and Deny.
void add_decision(json& blocks, const AccessRequest& r, const Policy& policy) {
  std::string notes;
  if (const auto* account = policy.find_account(r.account))
    if (const auto* role = account->find_role(r.role)) {
      if (role->tier != Tier::standard) notes += fmt::format(" · {}", tier_name(role->tier));
      if (role->step_up) notes += " · approving needs your security key";
    }
  std::string text = fmt::format("{} asks for {} for {}{}{}\n*Reason:* {}", mention(r.requester), what(r),
                                 format_duration(r.duration), notes, approvals_so_far(r, policy), escape(r.reason));
  if (!r.ticket.empty()) text += fmt::format("\n*Ticket:* {}", escape(r.ticket));
  blocks.push_back({{"type", "section"}, {"block_id", "decide:" + r.id}, {"text", mrkdwn(text)}});
  blocks.push_back({{"type", "actions"}, {"block_id", "decision:" + r.id}, {"elements", decision_buttons(r.id)}});
}

// One list of the Home: a divider, its title, then each of `rows` up to `cap` (`add` appends its
// blocks), or `none` when it is empty; past `cap` "…and N more: <where>" (`cut`: the read that
// found the rows stopped at its bound, so there may be more than it holds).
void add_list(json& blocks, const std::string& title, const std::string& none, const std::vector<AccessRequest>& rows,
              std::size_t cap, bool cut, const std::string& where,
              const std::function<void(json&, const AccessRequest&)>& add) {
  blocks.push_back(divider());
  blocks.push_back(section(fmt::format("*{}*", title)));
  if (rows.empty()) blocks.push_back(context(none));
  for (std::size_t i = 0; i < rows.size() && i < cap; ++i) add(blocks, rows[i]);
  if (rows.size() > cap)
    blocks.push_back(context(fmt::format("…and {}{} more: {}", cut ? "at least " : "", rows.size() - cap, where)));
  else if (cut)
    blocks.push_back(context("…and maybe more: " + where));
}

}  // namespace

std::string time_left(TimePoint expires_at, TimePoint now) {
  if (expires_at <= now) return "ending";
  const auto minutes = std::chrono::floor<std::chrono::minutes>(expires_at - now);
  if (minutes.count() == 0) return "under a minute left";
  return format_duration(minutes) + " left";
}

json home_view(const HomeContent& c, const Policy& policy, TimePoint now, bool dry_run) {
  json blocks = json::array();
  if (dry_run) blocks.push_back(context(std::string(kDryRunBanner)));
  blocks.push_back({{"type", "header"}, {"text", plain("Your access")}});
  blocks.push_back(context(fmt::format("Updated {}. Ask for access with `/jit`; `/jit list` shows all of yours.",
                                       date_token(now))));
  if (!c.problem.empty()) blocks.push_back(section(":warning: " + escape(c.problem)));

  add_list(blocks, "Active grants", "No grants: you hold no access through JIT Access now.", c.grants,
           kHomeGrantsShown, false, "`/jit list`",
           [&](json& out, const AccessRequest& r) { add_grant(out, r, c.requests, now); });
  add_list(blocks, "Your pending requests", "No pending requests.", c.requests, kHomeRequestsShown, false,
           "`/jit list`", [&](json& out, const AccessRequest& r) { out.push_back(request_block(r, policy)); });
  if (c.approver)
    add_list(blocks, "Waiting for your decision", "Nothing waits for your decision.", c.to_decide,
             kHomeDecisionsShown, c.to_decide_cut, "see the owner channels",
             [&](json& out, const AccessRequest& r) { add_decision(out, r, policy); });
  return fit_view({{"type", "home"}, {"blocks", std::move(blocks)}});
}

}  // namespace jit::slack
