// The app's Home tab: views.publish stores a view per user, as Slack keeps one Home per user and
// app; users open it (the app_home_opened event, over Socket Mode as events_api) and click its
// buttons (block_actions with a container of type "view").
#include <fmt/format.h>

#include "emulators/slack/block_kit.h"
#include "emulators/slack/slack_emulator.h"
#include "emulators/slack/slack_emulator_impl.h"
#include "emulators/slack/workspace.h"

namespace jit::emulators {

using nlohmann::json;

namespace slack_workspace {

namespace {

// Slack refuses a published view above 250 kB (view_too_large).
constexpr std::size_t kMaxViewBytes = 250 * 1024;

}  // namespace

ApiResult Workspace::publish_view(const json& args) {
  const std::string user = arg(args, "user_id");
  if (user.empty() || !find_user(user))
    return std::unexpected(ApiFailure{"invalid_arguments", {"[ERROR] invalid `user_id` [json-pointer:/user_id]"}});
  json view = args.value("view", json());
  if (view.is_object() && view.dump().size() > kMaxViewBytes) return std::unexpected(ApiFailure{"view_too_large"});
  auto problems = block_kit::check_home(view);
  if (!problems.empty()) return std::unexpected(ApiFailure{"invalid_arguments", problems});
  auto existing = homes_.find(user);
  if (const std::string hash = arg(args, "hash");
      !hash.empty() && (existing == homes_.end() || hash != existing->second.hash))
    return std::unexpected(ApiFailure{"hash_conflict"});
  if (existing == homes_.end()) {
    View fresh;
    fresh.id = fmt::format("V{:08X}", ++counter_);  // a user's Home keeps its id across publishes
    fresh.user = user;
    existing = homes_.emplace(user, std::move(fresh)).first;
  }
  View& home = existing->second;
  home.hash = new_hash();
  home.external_id = view.value("external_id", "");
  home.entered.clear();
  block_kit::fill_ids(view);
  home.view = std::move(view);
  return json{{"ok", true}, {"view", render_view(home)}};
}

View* Workspace::find_home(const std::string& user) {
  auto it = homes_.find(user);
  return it == homes_.end() ? nullptr : &it->second;
}

json Workspace::home_json(const std::string& user) const {
  auto it = homes_.find(user);
  if (it == homes_.end()) return nullptr;
  return {{"id", it->second.id}, {"view", render_view(it->second)}, {"hash", it->second.hash}};
}

}  // namespace slack_workspace

json SlackEmulator::Impl::home_click_payload(const std::string& user, const json& action) {
  const auto* home = workspace.find_home(user);
  return {{"type", "block_actions"},
          {"user", user_json(user)},
          {"api_app_id", options.app_id},
          {"token", kVerificationToken},
          {"container", {{"type", "view"}, {"view_id", home ? home->id : "V0NOHOME"}}},
          {"trigger_id", workspace.issue_trigger(user, SteadyClock::now())},
          {"team", team_json()},
          {"enterprise", nullptr},
          {"is_enterprise_install", false},
          {"view", home ? workspace.render_view(*home) : json{{"type", "home"}, {"blocks", json::array()}}},
          {"actions", json::array({action})}};
}

std::string SlackEmulator::open_home(const std::string& user, const std::string& tab) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  const std::string now = action_ts();
  json event{{"type", "app_home_opened"},
             {"user", user},
             {"channel", s.workspace.dm_channel(user)},
             {"tab", tab},
             {"event_ts", now}};
  // Slack includes the Home as it is when one was published before.
  if (const auto* home = s.workspace.find_home(user); home && tab == "home")
    event["view"] = s.workspace.render_view(*home);
  json payload{{"token", kVerificationToken},
               {"team_id", s.options.team_id},
               {"api_app_id", s.options.app_id},
               {"event", std::move(event)},
               {"type", "event_callback"},
               {"event_id", "Ev" + s.random_hex(10)},
               {"event_time", std::stoll(now.substr(0, now.find('.')))},
               {"authorizations", json::array({{{"enterprise_id", nullptr},
                                                {"team_id", s.options.team_id},
                                                {"user_id", s.options.bot_user_id},
                                                {"is_bot", true},
                                                {"is_enterprise_install", false}}})},
               {"is_ext_shared_channel", false}};
  return s.create_envelope("events_api", std::move(payload), false);
}

Result<std::string> SlackEmulator::click_home(const std::string& user, const std::string& action_id,
                                              const std::string& value) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  const auto* home = s.workspace.find_home(user);
  if (!home) return fail(Error::NotFound(fmt::format("no Home tab was published for {}", user)));
  static const json kNoBlocks = json::array();
  const json& blocks = home->view.contains("blocks") ? home->view.at("blocks") : kNoBlocks;
  for (const auto& [block_id, element] : block_kit::message_elements(blocks)) {
    if (element->value("action_id", "") != action_id || element->value("type", "") != "button" ||
        element->value("value", "") != value)
      continue;
    json action{{"type", "button"}, {"action_id", action_id}, {"block_id", block_id},
                {"text", element->value("text", json::object())}, {"value", value}, {"action_ts", action_ts()}};
    if (element->contains("style")) action["style"] = (*element)["style"];
    return s.create_envelope("interactive", s.home_click_payload(user, action), false);
  }
  return fail(Error::NotFound(fmt::format("the Home tab of {} has no button '{}' with value '{}'", user, action_id,
                                          value)));
}

std::string SlackEmulator::click_home_with_value(const std::string& user, const std::string& action_id,
                                                 const std::string& value) {
  auto& s = *impl_;
  std::lock_guard lock(s.mutex);
  json action{{"type", "button"}, {"action_id", action_id}, {"block_id", "forged"},
              {"text", {{"type", "plain_text"}, {"text", action_id}}}, {"value", value}, {"action_ts", action_ts()}};
  return s.create_envelope("interactive", s.home_click_payload(user, action), false);
}

json SlackEmulator::home(const std::string& user) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->workspace.home_json(user);
}

}  // namespace jit::emulators
