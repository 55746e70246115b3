// The emulated Slack workspace: users, channels and their messages, DMs, open modals and trigger
// ids, and the Web API methods over them. No I/O and no locking: SlackEmulator guards one
// Workspace with its mutex and does the HTTP, the tokens and the faults.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "emulators/slack/slack_emulator.h"

namespace jit::emulators::slack_workspace {

using SteadyClock = std::chrono::steady_clock;

// The workspace's domain: https://jit-emulator.slack.com/ (auth.test, permalinks, team_domain).
inline constexpr std::string_view kDomain = "jit-emulator";

// {ok:false,error} as Slack answers it; `messages` become response_metadata.messages.
struct ApiFailure {
  std::string error;
  std::vector<std::string> messages = {};
};
using ApiResult = std::expected<nlohmann::json, ApiFailure>;

// The string value of Web API argument `name`: "" when absent or null, a non-string as its JSON.
std::string arg(const nlohmann::json& args, const char* name);

struct Message {
  std::string ts;
  std::string thread_ts;  // a reply: its parent's ts
  std::string user;       // who posted it (the bot)
  std::string text;
  nlohmann::json blocks;  // null when the message has none
  bool edited = false;
  std::string ephemeral_to;  // chat.postEphemeral: the only user who sees it
};

struct View {
  std::string id;
  std::string user;  // whose screen it is open on
  std::string hash;
  std::string external_id;
  nlohmann::json view;  // as last opened/updated, with generated block_id/action_id filled in
  // What the user entered or chose, by "block_id/action_id": a state value in Slack's shape
  // ({"type":"static_select","selected_option":{...}}). Kept across views.update while the
  // element still exists, as Slack preserves input.
  std::map<std::string, nlohmann::json> entered;
};

class Workspace {
 public:
  explicit Workspace(const SlackEmulatorOptions& options);

  // A Web API method other than auth.test and apps.connections.open, its token already checked.
  // `args` is a JSON object (form fields arrive as strings; JSON-valued ones are parsed here).
  // "unknown_method" for a method the emulator does not implement.
  ApiResult call(std::string_view method, nlohmann::json args, SteadyClock::time_point now);

  // A new trigger id for an interaction of `user` (valid trigger_ttl from `now`, single-use).
  std::string issue_trigger(const std::string& user, SteadyClock::time_point now);

  const EmulatedSlackUser* find_user(const std::string& id) const;
  // SlackEmulator::update_user, set_usergroup_enabled and delete_usergroup (same contracts).
  Result<void> update_user(const std::string& id, const nlohmann::json& changes);
  Result<void> set_usergroup_enabled(const std::string& id, bool enabled);
  Result<void> delete_usergroup(const std::string& id);
  // The channel a message to `channel` lands in: a U… id is that user's DM, anything else as given.
  std::string resolve_channel(const std::string& channel);
  Message* find_message(const std::string& channel, const std::string& ts);
  View* find_view(const std::string& id);

  // The view as a payload carries it: the stored JSON plus id, hash, team_id, app_id and
  // state.values (initial values overlaid with what the user entered).
  nlohmann::json render_view(const View& view) const;
  // Sets what the user entered in element action_id of block block_id (empty action_id: the
  // block's only element). `value`: an option value for selects, option values comma-separated for
  // a multi_static_select (at most its max_selected_items), the text for text inputs.
  // Returns the element's action as a block_actions payload lists it. Errc::not_found for an
  // unknown block/element/option, Errc::invalid for an element type the emulator cannot set.
  Result<nlohmann::json> enter(View& view, const std::string& block_id, const std::string& action_id,
                               const std::string& value, const std::string& action_ts);
  // Errc::invalid naming the first required input block without a value (Slack's client refuses
  // to submit such a modal).
  Result<void> check_required(const View& view) const;
  void close_view(const std::string& id);
  // Replaces the view's JSON (response_action "update" or views.update); a new hash.
  Result<void> replace_view(View& view, nlohmann::json next);

  // A slash command answered in its ack (Socket Mode "payload", shaped like a response_url body):
  // `response` {"response_type": "ephemeral" (default) | "in_channel", "text", "blocks"} is
  // posted to the command's channel, seen only by the user who typed it unless in_channel, with
  // the same checks as chat.postEphemeral / chat.postMessage. `command` is the envelope payload.
  ApiResult respond_to_command(const nlohmann::json& command, const nlohmann::json& response);

  nlohmann::json messages_json(const std::string& channel) const;
  nlohmann::json views_json(const std::string& user) const;
  // The Home tab `user` sees (views.publish, app_home.cc): the stored view, or nullptr when none
  // was published for them; home_json renders it as {id, view, hash}, or null.
  View* find_home(const std::string& user);
  nlohmann::json home_json(const std::string& user) const;
  std::string dm_channel(const std::string& user);  // stable D… id
  std::string next_ts();
  // A message as the Web API and interaction payloads show it (type, ts, user, text, blocks, …).
  nlohmann::json message_json(const Message& m) const;

 private:
  ApiResult post_message(const nlohmann::json& args);
  ApiResult update_message(const nlohmann::json& args);
  ApiResult post_ephemeral(const nlohmann::json& args);
  ApiResult permalink(const nlohmann::json& args);
  ApiResult open_conversation(const nlohmann::json& args);
  ApiResult open_view(const nlohmann::json& args, SteadyClock::time_point now);
  ApiResult update_view(const nlohmann::json& args);
  ApiResult publish_view(const nlohmann::json& args);  // views.publish (app_home.cc)
  ApiResult user_info(const nlohmann::json& args) const;
  ApiResult usergroup_members(const nlohmann::json& args) const;
  // A channel id that may be posted to, or channel_not_found.
  std::expected<std::string, ApiFailure> postable_channel(const nlohmann::json& args);
  std::string new_hash();

  struct Trigger {
    std::string user;
    SteadyClock::time_point issued;
    bool used = false;
  };

  struct Usergroup {
    std::vector<std::string> members;
    bool enabled = true;
  };

  const SlackEmulatorOptions& options_;
  std::vector<EmulatedSlackUser> users_;           // from options, then as changed
  std::map<std::string, Usergroup> usergroups_;  // from options, then as changed
  std::map<std::string, std::vector<Message>> channels_;
  std::map<std::string, std::string> dms_;  // user -> D… channel
  std::map<std::string, View> views_;
  std::map<std::string, View> homes_;  // user -> their published Home tab
  std::map<std::string, Trigger> triggers_;
  std::int64_t last_ts_us_ = 0;
  std::uint64_t counter_ = 0;
};

}  // namespace jit::emulators::slack_workspace
