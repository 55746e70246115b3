#include "slack/inbound.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/duration.h"
#include "core/limits.h"
#include "core/user_text.h"
#include "slack/blocks.h"
#include "slack/command.h"
#include "slack/escape.h"
#include "slack/modal.h"

namespace jit::slack {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* pointer) {
  return j.value(json::json_pointer(pointer), std::string());
}

// A request id sent back by Slack (button value, private_metadata) or typed, bounded before it is
// looked up or echoed in a reply.
Result<std::string> request_id_from(const std::string& text) {
  if (auto ok = user_text::check_length("request id", text, limits::kMaxRequestIdLength); !ok) return fail(ok.error());
  return text;
}

// Every account a request names, the first one first (issue 17: more than one is a bundle).
std::vector<std::string> accounts_of(const std::string& first, const std::vector<std::string>& more) {
  std::vector<std::string> out{first};
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

}  // namespace

InboundHandler::InboundHandler(Engine& engine, WebApi& api, Directory& directory, const Clock& clock, bool dry_run,
                               StepUpLinks* step_up, HomeTab* home)
    : engine_(engine),
      api_(api),
      directory_(directory),
      clock_(clock),
      dry_run_(dry_run),
      limiter_(clock),
      step_up_(step_up),
      home_(home) {}

std::optional<std::string> InboundHandler::over_limit(const std::string& user) {
  const SlackSettings& limits = engine_.config()->settings.slack;
  const auto wait = limiter_.take(user, limits.user_rate, limits.user_burst);
  if (!wait) return std::nullopt;
  spdlog::info("event=slack_user_rate_limited user={} retry_in_ms={}", user, wait->count());
  return slow_down_text(limits.user_rate, limits.user_burst, *wait);
}

void InboundHandler::reply(const std::string& channel, const std::string& user, const std::string& plain_text) {
  const std::string text = mark_dry_run(dry_run_, plain_text);
  if (!channel.empty()) {
    if (api_.call("chat.postEphemeral", {{"channel", channel}, {"user", user}, {"text", text}})) return;
  }
  direct_message(user, text);
}

bool InboundHandler::direct_message(const std::string& user, const std::string& text) {
  auto im = api_.call("conversations.open", {{"users", user}});
  if (!im) {
    spdlog::warn("event=slack_reply_failed user={} error={}", user, im.error().error);
    return false;
  }
  auto sent = api_.call("chat.postMessage",
                        {{"channel", str(*im, "/channel/id")}, {"text", text}, {"unfurl_links", false}});
  if (!sent) spdlog::warn("event=slack_reply_failed user={} error={}", user, sent.error().error);
  return sent.has_value();
}

namespace {

// What a release (`/jit release`, the Home tab's Release) did, in words for the person.
std::string release_text(const Result<AccessRequest>& done, const std::string& request_id) {
  const std::string id = escape(request_id);
  if (!done) return ":warning: " + escape(done.error().message);
  if (done->state == State::revoked) return fmt::format("Grant `{}` released: access is revoked.", id);
  if (done->state == State::revoking)
    return fmt::format("Grant `{}` released: AWS is being retried until the access is gone.", id);
  return fmt::format("Grant `{}` is still {}: try again in a moment.", id, state_name(done->state));
}

// "21:07": the link's end as the person reads it in the reply (UTC, said so in the text).
std::string hh_mm(TimePoint t) { return format_time(t).substr(11, 5); }

std::string credential_line(const WebAuthnCredential& c) {
  return fmt::format("• {} `{}` enrolled {}, {}\n", escape(c.name), escape(c.credential_id.substr(0, 12)),
                     date_token(c.created_at), c.last_used_at ? "last used " + date_token(*c.last_used_at) : "never used");
}

}  // namespace

std::string InboundHandler::on_enroll(const std::string& user, const Command& command) {
  if (step_up_ == nullptr)
    return "Step-up is not configured here: no role needs a security key to approve, so there is nothing to enrol.";
  if (std::holds_alternative<Enroll>(command)) {
    auto link = step_up_->enrollment_link(user);
    if (!link) return ":warning: " + escape(link.error().message);
    const std::string text = mark_dry_run(
        dry_run_, fmt::format("Register a security key for approvals that need one: <{}|open the enrolment page>. "
                              "The link works once, until {} UTC ({}); ask for another with `/jit enroll`.",
                              link->url, hh_mm(link->expires_at), date_token(link->expires_at)));
    if (!direct_message(user, text)) return ":warning: Could not send you the enrolment link by DM: try again.";
    spdlog::info("event=step_up_enroll_link_sent user={} expires_at={}", user, format_time(link->expires_at));
    return "I sent you a single-use enrolment link by DM.";
  }
  if (std::holds_alternative<EnrollList>(command)) {
    auto mine = step_up_->credentials_of(user);
    if (!mine) return ":warning: Could not read your security keys: " + escape(mine.error().message);
    if (mine->empty()) return "You have no security keys enrolled: `/jit enroll` registers one.";
    std::string out = "Your security keys:\n";
    for (const auto& c : *mine) out += credential_line(c);
    return out;
  }
  const auto& remove = std::get<EnrollRemove>(command);
  const std::string owner = remove.owner.empty() ? user : remove.owner;
  auto removed = step_up_->remove_credential(user, owner, remove.credential);
  if (!removed) return ":no_entry: " + escape(removed.error().message);
  return fmt::format("Removed security key {} `{}`{}.", escape(removed->name),
                     escape(removed->credential_id.substr(0, 12)), owner == user ? "" : " of " + mention(owner));
}

std::string InboundHandler::step_up_reply(const std::string& request_id, const std::string& approver) {
  if (step_up_ == nullptr)
    return ":no_entry: This role needs a security-key step-up to approve, and the step-up page is not running: "
           "ask an admin to restart `jit serve` with [step_up] configured.";
  auto link = step_up_->approval_link(request_id, approver);
  if (!link) return ":no_entry: " + escape(link.error().message);
  auto request = engine_.get_request(request_id);
  const std::string what = request ? fmt::format(" ({} on {})", escape(request->role), escape(request->account)) : "";
  return fmt::format("Approving `{}`{} needs your security key: <{}|open the step-up page>, valid until {} UTC, once.",
                     escape(request_id), what, link->url, hh_mm(link->expires_at));
}

std::string InboundHandler::extension_filed(const AccessRequest& r) {
  if (r.state == State::pending)
    return fmt::format("Request `{}` for more time on grant `{}` ({} from when it is granted) is waiting for "
                       "approval in <#{}>; your access goes on as it is meanwhile.",
                       escape(r.id), escape(r.extends), format_duration(r.duration), escape(r.chat_channel));
  return fmt::format("Request `{}` for more time on grant `{}` is {}.", escape(r.id), escape(r.extends),
                     state_name(r.state));
}

std::string InboundHandler::request_more_time(const std::string& grant_id, const std::string& user) {
  if (auto checked = request_id_from(grant_id); !checked) return ":no_entry: " + escape(checked.error().message);
  auto grant = engine_.get_request(grant_id);
  if (!grant) return ":warning: " + escape(grant.error().message);
  // Pre-filled from the grant: as long again as it was granted for, counted from the extension's
  // own grant (more_time_duration: within the role's maximum and allowed durations as policy has
  // them now), for the same reason. The approver decides as for any request; a grant with nothing
  // left to extend gets the engine's reason.
  Seconds duration = grant->duration;
  const auto policy = engine_.policy();
  if (const auto* account = policy->find_account(grant->account))
    if (const auto* role = account->find_role(grant->role); role && grant->expires_at)
      duration = more_time_duration(*role, grant->duration,
                                    std::chrono::ceil<Seconds>(*grant->expires_at - clock_.now()))
                     .value_or(std::min(duration, role->max_duration));
  const std::string reason =
      fmt::format("more time for {}: {}", grant->id, user_text::printable_excerpt(grant->reason, 2000));
  auto done = engine_.extend({user, grant_id, format_duration(duration), reason});
  return done ? extension_filed(*done) : ":warning: " + escape(done.error().message);
}

std::string InboundHandler::list_for(const std::string& user) {
  std::string out;
  for (const auto& [title, states] :
       {std::pair{"Pending", std::vector<State>{State::pending, State::approved}},
        std::pair{"Active", std::vector<State>(std::begin(kHoldingAccessStates), std::end(kHoldingAccessStates))}}) {
    auto rows = engine_.list_requests({.requester = user, .states = states, .limit = 50});
    if (!rows) return "Could not read your requests: " + escape(rows.error().message);
    for (const auto& r : *rows)
      out += fmt::format("• {} `{}` {} on {} for {}{}\n", title, r.id, escape(r.role), escape(r.account),
                         format_duration(r.duration),
                         r.expires_at && r.state == State::active ? ", until " + date_token(*r.expires_at) : "");
  }
  return out.empty() ? "You have no pending requests and no active grants." : out;
}

void InboundHandler::on_command(const json& p) {
  const std::string user = p.value("user_id", ""), channel = p.value("channel_id", "");
  const Command command = parse_command(p.value("text", ""));
  auto result_text = [](const Result<AccessRequest>& r, const std::string& ok) {
    return r ? ok : ":warning: " + escape(r.error().message);
  };
  if (std::holds_alternative<OpenModal>(command)) {
    auto groups = directory_.groups_of(user);
    const Identity who{user, groups ? *groups : std::vector<std::string>{}};
    auto opened = api_.call("views.open", {{"trigger_id", p.value("trigger_id", "")},
                                           {"view", request_modal(*engine_.policy(), who, {})}});
    if (!opened) reply(channel, user, "Could not open the request form (" + opened.error().error + "): try `/jit help`.");
  } else if (std::holds_alternative<Help>(command)) {
    reply(channel, user, help_text());
  } else if (std::holds_alternative<ListMine>(command)) {
    reply(channel, user, list_for(user));
  } else if (const auto* r = std::get_if<RequestAccess>(&command); r && !r->more_accounts.empty()) {
    auto done = engine_.submit_bundle({user, accounts_of(r->account, r->more_accounts), r->role, r->duration,
                                       r->reason, r->ticket});
    reply(channel, user, done ? bundle_text(*done) : ":warning: " + escape(done.error().message));
  } else if (r) {
    auto done = engine_.submit({user, r->account, r->role, r->duration, r->reason, r->ticket});
    reply(channel, user,
          result_text(done, done ? fmt::format("Request `{}` is waiting for approval in <#{}>.", done->id,
                                               done->chat_channel)
                                 : ""));
  } else if (const auto* rel = std::get_if<Release>(&command)) {
    reply(channel, user, release_text(engine_.release(rel->request_id, user), rel->request_id));
  } else if (const auto* x = std::get_if<Extend>(&command)) {
    auto done = engine_.extend({user, x->request_id, x->duration, x->reason});
    reply(channel, user, result_text(done, done ? extension_filed(*done) : ""));
  } else if (const auto* c = std::get_if<Cancel>(&command)) {
    auto done = engine_.cancel(c->request_id, user);
    reply(channel, user, result_text(done, fmt::format("Request `{}` withdrawn.", escape(c->request_id))));
  } else if (std::holds_alternative<Enroll>(command) || std::holds_alternative<EnrollList>(command) ||
             std::holds_alternative<EnrollRemove>(command)) {
    reply(channel, user, on_enroll(user, command));
  } else {
    reply(channel, user, std::get<Unknown>(command).message);
  }
}

void InboundHandler::on_block_action(const json& p) {
  const std::string user = str(p, "/user/id");
  const std::string channel = str(p, "/container/channel_id");
  if (!p.contains("actions") || !p["actions"].is_array() || p["actions"].empty()) return;
  const json& action = p["actions"][0];
  const std::string id = action.value("action_id", "");
  if (id == kApproveAction || id == kDenyAction || id == kReleaseAction || id == kCancelAction) {
    if (auto request = request_id_from(action.value("value", "")); !request) {
      reply(channel, user, ":no_entry: " + escape(request.error().message));
      return;
    }
  }
  if (id == kReleaseAction || id == kCancelAction) {
    on_own_request(id, action.value("value", ""), user, channel);
  } else if (id == kApproveAction) {
    // A step-up role is approved on the step-up page, after the approver's security key: the click
    // only hands them their link (an unknown id falls through to approve, which says so).
    if (auto needs = engine_.needs_step_up(action.value("value", "")); needs && *needs)
      return reply(channel, user, step_up_reply(action.value("value", ""), user));
    auto done = engine_.approve(action.value("value", ""), user);
    if (!done) {
      reply(channel, user, ":no_entry: " + escape(done.error().message));
    } else if (done->state == State::approved || done->state == State::granting) {
      // Approved, but AWS did not take the grant yet (unreachable, no credentials, throttled).
      reply(channel, user,
            fmt::format(":hourglass: Approved. AWS could not be reached to grant `{}` yet; it is retried "
                        "automatically and the requester is told when access is active.",
                        done->id));
    }
  } else if (id == kExtendAction) {
    reply(channel, user, request_more_time(action.value("value", ""), user));
  } else if (id == kDenyAction) {
    if (auto may = engine_.check_can_decide(action.value("value", ""), user); !may) {
      reply(channel, user, ":no_entry: " + escape(may.error().message));
      return;
    }
    auto opened = api_.call("views.open", {{"trigger_id", p.value("trigger_id", "")},
                                           {"view", deny_modal(action.value("value", ""))}});
    if (!opened) reply(channel, user, "Could not open the deny form (" + opened.error().error + ").");
  } else if (id == kAccountField || id == kRoleField) {
    // The request modal's account or role changed: rebuild it for that choice.
    const json& view = p.value("view", json::object());
    auto groups = directory_.groups_of(user);
    const Identity who{user, groups ? *groups : std::vector<std::string>{}};
    auto updated = api_.call("views.update", {{"view_id", view.value("id", "")},
                                              {"hash", view.value("hash", "")},
                                              {"view", request_modal(*engine_.policy(), who, choice_of(view))}});
    if (!updated && updated.error().error != "hash_conflict")
      spdlog::warn("event=slack_view_update_failed error={}", updated.error().error);
  }
}

void InboundHandler::on_own_request(const std::string& action_id, const std::string& request_id,
                                    const std::string& user, const std::string& channel) {
  // The engine checks that the request is the clicker's own; its DM says what became of it.
  if (action_id == kReleaseAction) {
    auto done = engine_.release(request_id, user);
    if (!done || done->state != State::revoked) reply(channel, user, release_text(done, request_id));
  } else if (auto done = engine_.cancel(request_id, user); !done) {
    reply(channel, user, ":warning: " + escape(done.error().message));
  }
}

void InboundHandler::on_event(const json& p) {
  const json& event = p.value("event", json::object());
  if (!event.is_object() || event.value("type", "") != "app_home_opened") return;
  // The Messages tab (the bot's DM) needs nothing; a payload without `tab` is the Home tab's.
  if (event.value("tab", "home") != "home" || home_ == nullptr) return;
  home_->opened(event.value("user", ""));
}

json InboundHandler::ephemeral(const std::string& plain_text) const {
  return {{"response_type", "ephemeral"}, {"text", mark_dry_run(dry_run_, plain_text)}};
}

std::optional<json> InboundHandler::command_ack(const json& p) {
  const std::string user = p.value("user_id", "");
  const Command command = parse_command(p.value("text", ""));
  if (std::holds_alternative<Help>(command)) return ephemeral(help_text());
  if (const auto* unknown = std::get_if<Unknown>(&command)) return ephemeral(unknown->message);
  // Everything below costs the store, the engine or Slack something: counted against the person's limit.
  if (auto refusal = over_limit(user)) return ephemeral(*refusal);
  if (std::holds_alternative<ListMine>(command)) return ephemeral(list_for(user));
  if (const auto* r = std::get_if<RequestAccess>(&command)) {
    // A duration that is not one is known without policy or Slack (groups may need a Web API
    // call, which the ack must never wait for): the engine's check_request says the same later.
    if (auto duration = parse_duration(r->duration); !duration)
      return ephemeral(":warning: duration " + escape(duration.error().message));
  }
  return std::nullopt;  // the engine's work: handle() does it and replies
}

std::optional<json> InboundHandler::ack_payload(const Envelope& envelope) {
  if (envelope.type == "slash_commands") return command_ack(envelope.payload);
  if (envelope.type != "interactive" || envelope.payload.value("type", "") != "view_submission") return std::nullopt;
  const json& view = envelope.payload.value("view", json::object());
  if (view.value("callback_id", "") == kDenyModal) {
    if (auto reason = read_deny_submission(view); !reason)
      return json{{"response_action", "errors"}, {"errors", reason.error()}};
    return std::nullopt;
  }
  if (view.value("callback_id", "") != kRequestModal) return std::nullopt;
  const std::string user = str(envelope.payload, "/user/id");
  // Over the limit: the form stays open with the refusal on it, and nothing is submitted.
  if (auto refusal = over_limit(user))
    return json{{"response_action", "errors"}, {"errors", {{kReasonField, *refusal}}}};
  auto values = read_submission(view);
  if (!values) return json{{"response_action", "errors"}, {"errors", values.error()}};
  auto groups = directory_.groups_of(user);
  const RequestDraft draft{{user, groups ? *groups : std::vector<std::string>{}}, values->account, values->role,
                           values->duration, values->reason, values->ticket};
  if (!values->also_accounts.empty()) {
    // Several accounts (issue 17): each checked as a request on its own; a refusal is shown on the
    // field it is about, naming the account.
    if (auto checked = check_bundle(*engine_.policy(), draft, accounts_of(values->account, values->also_accounts));
        !checked)
      return field_errors(checked.error());
    return std::nullopt;
  }
  auto checked = check_request(*engine_.policy(), draft);
  if (!checked) return field_errors(checked.error());
  return std::nullopt;  // valid: the modal closes, and handle() submits
}

void InboundHandler::on_view_submission(const json& p) {
  const std::string user = str(p, "/user/id");
  const json& view = p.value("view", json::object());
  const std::string callback = view.value("callback_id", "");
  if (callback == kRequestModal) {
    auto values = read_submission(view);
    if (!values) return;  // ack_payload showed the errors
    if (!values->also_accounts.empty()) {
      auto done = engine_.submit_bundle({user, accounts_of(values->account, values->also_accounts), values->role,
                                         values->duration, values->reason, values->ticket});
      // Filed: the engine's one DM lists the bundle; only a refusal of the whole needs a word here.
      if (!done) reply("", user, ":warning: " + escape(done.error().message));
      return;
    }
    auto done = engine_.submit({user, values->account, values->role, values->duration, values->reason, values->ticket});
    // Submitted: the engine's DM says so (with the channel); only a failure needs a word here.
    if (!done) reply("", user, ":warning: " + escape(done.error().message));
  } else if (callback == kDenyModal) {
    auto reason = read_deny_submission(view);
    if (!reason) return;  // ack_payload showed the error
    auto request = request_id_from(view.value("private_metadata", ""));
    if (!request) return reply("", user, ":no_entry: " + escape(request.error().message));
    auto done = engine_.deny(*request, user, *reason);
    if (!done) reply("", user, ":no_entry: " + escape(done.error().message));
  }
}

Priority InboundHandler::priority(const Envelope& envelope) {
  if (!envelope.payload.is_object()) return Priority::low;
  if (envelope.type == "events_api") {
    const json& event = envelope.payload.value("event", json::object());
    return event.is_object() && event.value("type", "") == "app_home_opened" ? Priority::normal : Priority::low;
  }
  if (envelope.type != "interactive") return Priority::low;
  const std::string type = envelope.payload.value("type", "");
  if (type == "view_submission") return Priority::urgent;
  if (type != "block_actions") return Priority::normal;
  const json& actions = envelope.payload.value("actions", json::array());
  const std::string id = actions.is_array() && !actions.empty() && actions[0].is_object()
                             ? actions[0].value("action_id", "")
                             : "";
  return id == kApproveAction || id == kDenyAction ? Priority::urgent : Priority::normal;
}

void InboundHandler::handle(const Envelope& envelope) {
  if (envelope.answered_in_ack) return;  // ack_payload's answer went with the ack: nothing left to do
  const json& p = envelope.payload;
  if (envelope.type == "slash_commands") return on_command(p);
  if (envelope.type == "events_api" && p.is_object()) return on_event(p);
  if (envelope.type != "interactive") return;
  const std::string type = p.value("type", "");
  if (type == "block_actions") return on_block_action(p);
  if (type == "view_submission") return on_view_submission(p);
}

}  // namespace jit::slack
