// What JIT Access does with each Slack envelope: slash commands, button clicks, modal changes and
// submissions, turned into engine calls and Slack replies. Wired to SocketModeClient's handlers:
// ack_payload() answers what is known at once, in the ack itself (no Web API call): `/jit help`,
// `/jit list`, unreadable commands (as an ephemeral reply) and view submissions that fail
// validation (errors shown on their field); handle() does the rest after the ack. Every fact
// shown is re-read through the engine; button values carry only the request id. The Home tab
// (issue 17): app_home_opened on the "home" tab publishes the person's Home (slack/home_tab.h);
// its Release and Cancel buttons end the person's own grant or request, and its Approve and Deny
// are the owner-channel message's, decided by the same path.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/engine.h"
#include "ports/chat.h"
#include "slack/command.h"
#include "slack/home_tab.h"
#include "slack/socket_mode.h"
#include "slack/step_up_links.h"
#include "slack/user_rate.h"
#include "slack/web_api.h"

namespace jit::slack {

class InboundHandler {
 public:
  // `dry_run`: every reply says, first, that nothing is granted in AWS (`jit serve --dry-run`).
  // `clock` times the per-person limit ([slack] user_rate and user_burst, read from the engine's
  // configuration at each envelope).
  // `step_up` (issue 15): the WebAuthn step-up's links, null when no role has step_up (then
  // "/jit enroll" answers that step-up is not configured); it must outlive the handler. An Approve
  // click on a role with step_up does not approve: it answers with the approver's single-use link.
  // `home`: the Home tab's publisher, null when the Home tab is not served (app_home_opened is
  // then ignored); it must outlive the handler.
  InboundHandler(Engine& engine, WebApi& api, Directory& directory, const Clock& clock, bool dry_run = false,
                 StepUpLinks* step_up = nullptr, HomeTab* home = nullptr);

  // The ack's payload for a slash command or view submission (SocketModeHandlers::ack_payload):
  // a slash command's reply ({"response_type":"ephemeral","text":…}) when it needs neither an
  // engine write nor a Web API call (help, list, unreadable input such as a bad duration), a view
  // submission's field errors; nullopt otherwise. Reads the store and policy, never writes.
  // Commands other than help and unreadable ones, and request-form submissions, take a token of
  // the person's rate limit here; beyond it the answer is a polite refusal (on the form, a field
  // error) and handle() does nothing. Thread-safe.
  std::optional<nlohmann::json> ack_payload(const Envelope& envelope);
  // How urgent an envelope is (SocketModeHandlers::priority): approve and deny clicks and modal
  // submissions are urgent, other clicks, selections and app_home_opened normal, slash commands
  // and other events low.
  static Priority priority(const Envelope& envelope);
  // Everything after the ack: engine calls and their replies. Does nothing for an envelope whose
  // ack already carried the answer (Envelope::answered_in_ack). Thread-safe.
  void handle(const Envelope& envelope);

 private:
  std::optional<nlohmann::json> command_ack(const nlohmann::json& payload);
  // A slash command's reply as an ack payload: seen only by the user who typed the command.
  nlohmann::json ephemeral(const std::string& plain_text) const;
  // The refusal when `user` is over their limit (one token taken otherwise).
  std::optional<std::string> over_limit(const std::string& user);
  void on_command(const nlohmann::json& payload);
  void on_block_action(const nlohmann::json& payload);
  void on_view_submission(const nlohmann::json& payload);
  void on_event(const nlohmann::json& payload);
  // A click on Release or Cancel (the Home tab): the engine's answer, said only when it failed
  // (the engine's DM tells the rest).
  void on_own_request(const std::string& action_id, const std::string& request_id, const std::string& user,
                      const std::string& channel);
  // A reply only `user` sees, in `channel` (a DM when that fails, e.g. the bot is not in it).
  void reply(const std::string& channel, const std::string& user, const std::string& text);
  std::string list_for(const std::string& user);
  // "Request more time" clicked on grant `grant_id` (issue 17): files the extension, pre-filled
  // from the grant; the reply for the clicker.
  std::string request_more_time(const std::string& grant_id, const std::string& user);
  // What the requester is told once an extension is filed.
  static std::string extension_filed(const AccessRequest& request);
  // "/jit enroll", "/jit enroll list", "/jit enroll remove": the reply to show (the enrolment link
  // itself goes by DM, never in a channel and never in the log).
  std::string on_enroll(const std::string& user, const Command& command);
  // An Approve click on a request whose role needs a step-up: the link, or why there is none.
  std::string step_up_reply(const std::string& request_id, const std::string& approver);
  // Sends `text` to `user` as a DM; false (logged without the text) when Slack refused.
  bool direct_message(const std::string& user, const std::string& text);

  Engine& engine_;
  WebApi& api_;
  Directory& directory_;
  const Clock& clock_;
  const bool dry_run_;
  UserRateLimiter limiter_;
  StepUpLinks* const step_up_;
  HomeTab* const home_;
};

}  // namespace jit::slack
