// What users do in the emulated workspace: slash commands, button clicks, modal selections and
// submissions, each turned into a Socket Mode envelope shaped like Slack's.
#include <fmt/format.h>

#include "emulators/slack/block_kit.h"
#include "emulators/slack/slack_emulator.h"
#include "emulators/slack/slack_emulator_impl.h"

namespace jit::emulators {

using nlohmann::json;

std::string action_ts() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  return fmt::format("{}.{:06}", us / 1000000, us % 1000000);
}

std::string SlackEmulator::slash_command(const std::string& user, const std::string& text, const std::string& channel) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  const auto* u = s.workspace.find_user(user);
  const std::string channel_id = s.workspace.resolve_channel(channel);
  json payload{{"token", kVerificationToken},
               {"team_id", s.options.team_id},
               {"team_domain", slack_workspace::kDomain},
               {"channel_id", channel_id},
               {"channel_name", channel_id.starts_with("D") ? "directmessage" : channel_id},
               {"user_id", user},
               {"user_name", u ? u->name : user},
               {"command", s.options.command},
               {"text", text},
               {"api_app_id", s.options.app_id},
               {"is_enterprise_install", "false"},
               {"response_url", fmt::format("{}/_emulator/response_url/{}", url(), s.random_hex(16))},
               {"trigger_id", s.workspace.issue_trigger(user, SteadyClock::now())}};
  return s.create_envelope("slash_commands", std::move(payload), true);
}

Result<std::string> SlackEmulator::click(const std::string& user, const std::string& channel, const std::string& ts,
                                         const std::string& action_id) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  const std::string channel_id = s.workspace.resolve_channel(channel);
  const auto* message = s.workspace.find_message(channel_id, ts);
  if (!message) return fail(Error::NotFound(fmt::format("no message {} in channel {}", ts, channel_id)));
  json action;
  for (const auto& [block_id, element] : block_kit::message_elements(message->blocks)) {
    if (element->value("action_id", "") != action_id) continue;
    if (element->value("type", "") != "button")
      return fail(Error::Invalid(fmt::format("'{}' in message {} is a {}, not a button", action_id, ts,
                                             element->value("type", ""))));
    action = {{"type", "button"}, {"action_id", action_id}, {"block_id", block_id},
              {"text", element->value("text", json::object())}, {"value", element->value("value", "")},
              {"action_ts", action_ts()}};
    if (element->contains("style")) action["style"] = (*element)["style"];
  }
  if (action.is_null()) return fail(Error::NotFound(fmt::format("message {} has no button '{}'", ts, action_id)));
  return s.create_envelope("interactive", s.click_payload(user, channel_id, ts, action), false);
}

std::string SlackEmulator::click_with_value(const std::string& user, const std::string& channel, const std::string& ts,
                                            const std::string& action_id, const std::string& value) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  const std::string channel_id = s.workspace.resolve_channel(channel);
  json action{{"type", "button"}, {"action_id", action_id}, {"block_id", "decision"},
              {"text", {{"type", "plain_text"}, {"text", action_id}}}, {"value", value}, {"action_ts", action_ts()}};
  return s.create_envelope("interactive", s.click_payload(user, channel_id, ts, action), false);
}

json SlackEmulator::Impl::click_payload(const std::string& user, const std::string& channel_id, const std::string& ts,
                                        const json& action) {
  const auto* message = workspace.find_message(channel_id, ts);
  json payload{{"type", "block_actions"},
               {"user", user_json(user)},
               {"api_app_id", options.app_id},
               {"token", kVerificationToken},
               {"container", {{"type", "message"}, {"message_ts", ts}, {"channel_id", channel_id}, {"is_ephemeral", false}}},
               {"trigger_id", workspace.issue_trigger(user, SteadyClock::now())},
               {"team", team_json()},
               {"enterprise", nullptr},
               {"is_enterprise_install", false},
               {"channel", {{"id", channel_id}, {"name", channel_id.starts_with("D") ? "directmessage" : channel_id}}},
               {"state", {{"values", json::object()}}},
               {"response_url", fmt::format("{}/_emulator/response_url/{}", server->url(), random_hex(16))},
               {"actions", json::array({action})}};
  if (message) payload["message"] = workspace.message_json(*message);
  return payload;
}

Result<std::string> SlackEmulator::select_in_view(const std::string& user, const std::string& view_id,
                                                  const std::string& block_id, const std::string& action_id,
                                                  const std::string& value) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  auto* view = s.workspace.find_view(view_id);
  if (!view || view->user != user) return fail(Error::NotFound(fmt::format("{} has no open view {}", user, view_id)));
  auto action = s.workspace.enter(*view, block_id, action_id, value, action_ts());
  if (!action) return fail(action.error());
  if (!block_kit::dispatches(view->view, block_id)) return std::string();  // only the state changed
  json payload{{"type", "block_actions"},
               {"user", s.user_json(user)},
               {"api_app_id", s.options.app_id},
               {"token", kVerificationToken},
               {"container", {{"type", "view"}, {"view_id", view_id}}},
               {"trigger_id", s.workspace.issue_trigger(user, SteadyClock::now())},
               {"team", s.team_json()},
               {"enterprise", nullptr},
               {"is_enterprise_install", false},
               {"view", s.workspace.render_view(*view)},
               {"actions", json::array({*action})}};
  return s.create_envelope("interactive", std::move(payload), false);
}

Result<json> SlackEmulator::submit_view(const std::string& user, const std::string& view_id,
                                        const std::map<std::string, std::string>& values,
                                        std::chrono::milliseconds wait) {
  auto& s = *impl_;
  std::string envelope_id;
  {
    std::lock_guard lock(s.mutex);
    auto* view = s.workspace.find_view(view_id);
    if (!view || view->user != user) return fail(Error::NotFound(fmt::format("{} has no open view {}", user, view_id)));
    for (const auto& [block_id, value] : values)
      if (auto entered = s.workspace.enter(*view, block_id, "", value, action_ts()); !entered) return fail(entered.error());
    if (auto complete = s.workspace.check_required(*view); !complete) return fail(complete.error());
    json payload{{"type", "view_submission"},
                 {"team", s.team_json()},
                 {"user", s.user_json(user)},
                 {"api_app_id", s.options.app_id},
                 {"token", kVerificationToken},
                 {"trigger_id", s.workspace.issue_trigger(user, SteadyClock::now())},
                 {"view", s.workspace.render_view(*view)},
                 {"response_urls", json::array()},
                 {"enterprise", nullptr},
                 {"is_enterprise_install", false}};
    envelope_id = s.create_envelope("interactive", std::move(payload), true, view_id);
  }
  json outcome{{"envelope_id", envelope_id}, {"acked", false}, {"ack_payload", nullptr}};
  s.wait([&] {
    std::lock_guard lock(s.mutex);
    const auto& e = s.envelopes[s.envelope_index.at(envelope_id)];
    if (!e.acked) return false;
    outcome["acked"] = true;
    outcome["ack_payload"] = e.ack_payload;
    return true;
  }, wait);
  return outcome;
}

}  // namespace jit::emulators
