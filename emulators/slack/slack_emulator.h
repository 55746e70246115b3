// SlackEmulator: a local stand-in for the parts of Slack that JIT Access uses, speaking Slack's
// own wire protocols on a loopback port, so that our client and Slack's Node SDK both talk to it.
//
//   Web API      POST /api/<method>, JSON or form-encoded bodies, bot and app tokens checked
//   Socket Mode  apps.connections.open → ws://…/link/?ticket=…; hello, envelopes, acks, retries,
//                server pings, disconnect messages
//
// Tests drive the workspace as a user would (slash commands, button clicks, modal selections and
// submissions), read what the app posted, and inject faults (rate limits, disconnects, outages).
// The same operations are served unauthenticated under /_emulator/ (see README.md), which is
// why the emulator binds loopback addresses only.
//
//   jit::emulators::SlackEmulatorOptions options;
//   options.users = {{"U0DANA", "dana", "dana@example.com"}};
//   auto slack = jit::emulators::SlackEmulator::start(options);   // Result<unique_ptr<...>>
//   ... SLACK_API_URL = (*slack)->api_url() ...
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace jit::emulators {

struct EmulatedSlackUser {
  std::string id;     // "U0DANA"
  std::string name;   // "dana"
  std::string email;  // "dana@example.com" (users.info user.profile.email)
  // The flags users.info shows, as Slack names them. A guest is is_restricted (multi-channel) or
  // is_ultra_restricted (single-channel); team_id "" is the workspace's own team.
  bool deleted = false;
  bool is_bot = false;
  bool is_app_user = false;
  bool is_restricted = false;
  bool is_ultra_restricted = false;
  bool is_email_confirmed = true;
  std::string team_id;
};

struct SlackEmulatorOptions {
  // Must be a loopback address: the control API is unauthenticated.
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port (see SlackEmulator::port)
  std::string bot_token = "xoxb-emulator-bot";
  std::string app_token = "xapp-emulator-app";
  std::string team_id = "T0JIT";
  std::string bot_user_id = "U0JITBOT";
  std::string app_id = "A0JIT";
  std::vector<EmulatedSlackUser> users;
  std::map<std::string, std::vector<std::string>> usergroups;  // "S0ONCALL" -> member user ids (enabled)
  // The slash command the app registered ("command" in slash_commands payloads).
  std::string command = "/jit";
  // The emulator pings every open Socket Mode connection this often (Slack's SDK gives up on a
  // connection without a server ping for 30 s).
  std::chrono::milliseconds ping_interval{5000};
  // An envelope not acked this long after delivery is delivered again with retry_attempt + 1 and
  // retry_reason "timeout", at most 3 times (as Slack does).
  std::chrono::milliseconds retry_unacked_after{3000};
  // How long a trigger_id may be used for views.open (Slack: 3 s).
  std::chrono::milliseconds trigger_ttl{3000};
  // After a "warning" or "refresh_requested" disconnect message, the emulator closes that
  // connection itself if the client has not done so within this long.
  std::chrono::milliseconds disconnect_grace{10000};
  // Open Socket Mode connections allowed at once (Slack: 10). A WebSocket opened beyond it gets
  // {"type":"disconnect","reason":"too_many_websockets"} instead of hello, and is closed.
  int max_connections = 10;
  // HTTP/WebSocket threads. A control-API /submit holds one while it waits for the ack, which
  // arrives on another: keep at least 2.
  int threads = 2;
};

class SlackEmulator {
 public:
  // Starts serving before it returns. Errc::invalid for a non-loopback address or bad options,
  // Errc::unavailable when the port cannot be bound.
  static Result<std::unique_ptr<SlackEmulator>> start(SlackEmulatorOptions options);

  ~SlackEmulator();  // stop()
  SlackEmulator(const SlackEmulator&) = delete;
  SlackEmulator& operator=(const SlackEmulator&) = delete;

  std::string url() const;      // "http://127.0.0.1:PORT"
  std::string api_url() const;  // url() + "/api/": the value for SLACK_API_URL
  std::uint16_t port() const;
  const SlackEmulatorOptions& options() const;

  // ---- Driving it, as users of the workspace ----
  // Each creates an envelope and returns its id. The envelope goes to one open Socket Mode
  // connection (round-robin over those that got hello and were not asked to disconnect), or waits
  // in a queue until one is open. Each carries a fresh trigger_id.

  std::string slash_command(const std::string& user, const std::string& text,
                            const std::string& channel = "C0GENERAL");
  // Clicks the button `action_id` of the message at channel+ts (channel may be a U… id for the
  // user's DM with the bot). Errc::not_found when there is no such message or button.
  Result<std::string> click(const std::string& user, const std::string& channel, const std::string& ts,
                            const std::string& action_id);
  // Changes an element of an open modal (a static_select option value, a multi_static_select's
  // option values comma-separated, or the text of a text input) and sends block_actions with container type "view". As in Slack, an element of an input
  // block without "dispatch_action": true only changes the view's state: no envelope, and the
  // result is "". Errc::not_found for an unknown view, block, element or option.
  Result<std::string> select_in_view(const std::string& user, const std::string& view_id, const std::string& block_id,
                                     const std::string& action_id, const std::string& value);
  // Submits an open modal after entering `values` (block_id -> option value, option values
  // comma-separated for a multi_static_select, or text; the block's input element). Waits up to `wait` for the ack and returns
  //   {"envelope_id":…, "acked":bool, "ack_payload": <payload or null>}
  // The ack decides the view's fate: response_action "errors" keeps it open, "update" replaces
  // it, anything else closes it. Errc::not_found for an unknown view or block; Errc::invalid when
  // a required input is still empty (Slack's client refuses to submit, so the app never sees it).
  Result<nlohmann::json> submit_view(const std::string& user, const std::string& view_id,
                                     const std::map<std::string, std::string>& values,
                                     std::chrono::milliseconds wait = std::chrono::seconds(3));

  // ---- The app's Home tab (app_home.cc) ----

  // `user` opens the app's Home (`tab` "home") or Messages ("messages") tab: an events_api envelope
  // with Slack's app_home_opened event (`view` is the Home they see, when one was published).
  std::string open_home(const std::string& user, const std::string& tab = "home");
  // Clicks the button `action_id` whose value is `value` in the Home tab published for `user`
  // (block_actions with container type "view"). Errc::not_found when nothing was published for
  // them or their Home shows no such button.
  Result<std::string> click_home(const std::string& user, const std::string& action_id, const std::string& value);

  // ---- Attacks and protocol faults (tests/adversarial) ----
  // What a stale Slack client, a replaying network or a forger would send; Slack itself never
  // sends most of these, and the app must come to no harm from any.

  // A block_actions click on button `action_id` carrying `value`, whether or not the message at
  // channel+ts still shows that button (a client showing an old copy of the message), and whatever
  // the value (a forged one). The payload has the message as it is now when it exists.
  std::string click_with_value(const std::string& user, const std::string& channel, const std::string& ts,
                               const std::string& action_id, const std::string& value);
  // A block_actions click from `user`'s Home tab on button `action_id` carrying `value`, whether or
  // not their Home shows it (a stale Home, or a forged value).
  std::string click_home_with_value(const std::string& user, const std::string& action_id, const std::string& value);
  // A new envelope (fresh id) with any `type` and any `payload` (not even an object), delivered
  // like the others. Its ack is recorded but decides no view.
  std::string send_envelope(const std::string& type, nlohmann::json payload, bool accepts_response_payload);
  // Delivers envelope `envelope_id` again, the same id and payload, as a replay (retry_attempt
  // unchanged). Later acks are counted in envelopes()' "acks". Errc::not_found for an unknown id;
  // Errc::unavailable when no connection could take it.
  Result<void> redeliver(const std::string& envelope_id);
  // Sends `text` as one WebSocket text message, exactly as given (malformed JSON, an oversized
  // frame), on one connection (default: every connection open and not closing). The number of
  // connections it went to.
  int send_raw(const std::string& text, std::optional<int> connection = {});
  // Changes the private_metadata of `user`'s open view `view_id`, as a tampering client would;
  // the next submit_view carries it. Errc::not_found for an unknown view.
  Result<void> tamper_view(const std::string& user, const std::string& view_id, const std::string& private_metadata);

  // ---- Reading the state (JSON arrays, oldest first) ----
  // Top-level messages and thread replies of a channel (a U… id reads the bot's DM with them):
  // {ts, thread_ts?, user, text, blocks?, edited?: true, ephemeral_to?: "U…"}.
  nlohmann::json messages(const std::string& channel) const;
  nlohmann::json dm(const std::string& user) const;     // the bot's DM channel with that user
  nlohmann::json views(const std::string& user) const;  // open views: {id, view, hash}
  // The Home tab last published for `user` (views.publish): {id, view, hash}, or null when none.
  nlohmann::json home(const std::string& user) const;
  // {envelope_id, type, connection (null while queued), delivered_at_ms, acked, ack_latency_ms,
  //  retry_attempt, acks, ack_payload, ack_payload_error, payload}; acks counts every ack of the id
  //  (a redelivered envelope acked again has 2). Times are milliseconds since the emulator started.
  //  A slash command's ack payload ({"response_type","text","blocks"}) is shown as Slack shows it:
  //  an ephemeral message to the user in the command's channel (messages()), or a normal one for
  //  "in_channel"; ack_payload_error names what Slack would refuse ("" if none).
  nlohmann::json envelopes() const;
  // {id, open, opened_at_ms, closed_at_ms?, hello_sent, disconnect_sent?, close_code?}
  nlohmann::json connections() const;
  // Web API calls: {method, ok, error, http_status, at_ms, args} (args without the token).
  nlohmann::json calls() const;
  // Web API calls so far, by method: {"chat.postEphemeral": 3, ...} (every call, answered or not).
  nlohmann::json call_counts() const;
  int connections_opened() const;  // WebSockets that got hello

  // ---- Faults ----
  // Sends {"type":"disconnect","reason":reason} on one connection (default: every open one).
  // "warning"/"refresh_requested": no more envelopes go to it, and the emulator closes it after
  // disconnect_grace unless the client did. "too_many_websockets": closed at once. "link_disabled": the emulator closes it at once and
  // the link stays disabled: apps.connections.open answers {"ok":false,"error":"link_disabled"}
  // and no envelope is delivered until set_link_enabled(true).
  void disconnect(const std::string& reason, std::optional<int> connection = {});
  void set_link_enabled(bool enabled);
  // Cuts one connection (default: every open one) at once: the TCP connection ends without a close
  // frame, as when a network path or a Slack host goes away (recorded close_code 1006).
  void drop(std::optional<int> connection = {});
  // The next `count` calls of `method` ("*": any method) get HTTP 429, Retry-After:
  // retry_after_s and {"ok":false,"error":"ratelimited"}.
  void rate_limit(const std::string& method, int count, int retry_after_s = 1);
  // Down: the Web API answers 503, open connections are ended, new WebSockets are refused;
  // envelopes created meanwhile wait in the queue.
  void set_down(bool down);

  // ---- The directory, as a workspace admin changes it ----
  // Changes a user: `changes` is an object of any of "email", "team_id" (strings) and "deleted",
  // "is_bot", "is_app_user", "is_restricted", "is_ultra_restricted", "is_email_confirmed"
  // (booleans); users.info shows the change at once. Errc::not_found for an unknown user,
  // Errc::invalid (naming the field) for an unknown field or a value of the wrong type, and then
  // nothing changes.
  Result<void> update_user(const std::string& user, const nlohmann::json& changes);
  // Disables (enabled = false) or enables a user group. usergroups.users.list answers
  // no_such_subteam for a disabled group unless asked with include_disabled=true, as Slack does.
  // Errc::not_found for an unknown group.
  Result<void> set_usergroup_enabled(const std::string& usergroup, bool enabled);
  // Deletes a user group: usergroups.users.list answers no_such_subteam. Errc::not_found for an
  // unknown group.
  Result<void> delete_usergroup(const std::string& usergroup);

  // Blocks up to `timeout` until `predicate` (which may call the reading methods above) holds,
  // re-checking it after every change of state. True when it held.
  bool wait_for(std::function<bool(const SlackEmulator&)> predicate, std::chrono::milliseconds timeout) const;
  // A number that grows with every change of state (a message, a view, an envelope, an ack, a
  // connection, a fault switch). For clients in another process (GET /_emulator/wait).
  std::uint64_t version() const;
  // Blocks up to `timeout` until version() differs from `seen`; returns version(). A client reads
  // the version, checks what it waits for, and calls this with that version: no change is missed.
  std::uint64_t wait_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;

  // Closes every connection and stops serving. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit SlackEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jit::emulators
