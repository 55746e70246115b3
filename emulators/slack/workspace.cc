// Workspace: the Web API methods JIT Access calls, with Slack's argument handling and errors,
// over in-memory channels, DMs and views.
#include "emulators/slack/workspace.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "emulators/slack/block_kit.h"

namespace jit::emulators::slack_workspace {

using nlohmann::json;

std::string arg(const json& args, const char* name) {
  const auto it = args.find(name);
  if (it == args.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

namespace {

// Form-encoded calls carry JSON-valued arguments as strings; so may JSON calls.
void parse_nested(json& args) {
  for (const char* name : {"blocks", "view", "attachments", "metadata"}) {
    auto it = args.find(name);
    if (it == args.end() || !it->is_string()) continue;
    json parsed = json::parse(it->get<std::string>(), nullptr, false);
    if (!parsed.is_discarded()) *it = std::move(parsed);
  }
}

std::string state_key(const std::string& block_id, const std::string& action_id) { return block_id + "/" + action_id; }

}  // namespace

Workspace::Workspace(const SlackEmulatorOptions& options) : options_(options), users_(options.users) {
  for (const auto& [id, members] : options.usergroups) usergroups_[id] = {members, true};
}

ApiResult Workspace::call(std::string_view method, json args, SteadyClock::time_point now) {
  if (!args.is_object()) return std::unexpected(ApiFailure{"invalid_arguments"});
  parse_nested(args);
  if (method == "chat.postMessage") return post_message(args);
  if (method == "chat.update") return update_message(args);
  if (method == "chat.postEphemeral") return post_ephemeral(args);
  if (method == "chat.getPermalink") return permalink(args);
  if (method == "conversations.open") return open_conversation(args);
  if (method == "views.open") return open_view(args, now);
  if (method == "views.update") return update_view(args);
  if (method == "views.publish") return publish_view(args);
  if (method == "users.info") return user_info(args);
  if (method == "usergroups.users.list") return usergroup_members(args);
  return std::unexpected(ApiFailure{"unknown_method"});
}

std::string Workspace::issue_trigger(const std::string& user, SteadyClock::time_point now) {
  std::erase_if(triggers_, [&](const auto& t) { return now - t.second.issued > std::chrono::minutes(1); });
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  const std::uint64_t n = ++counter_;
  std::string id = fmt::format("{}.{}.{:016x}", n, seconds, std::hash<std::string>{}(user) ^ (n * 0x9e3779b97f4a7c15ULL));
  triggers_[id] = {user, now, false};
  return id;
}

const EmulatedSlackUser* Workspace::find_user(const std::string& id) const {
  for (const auto& u : users_)
    if (u.id == id) return &u;
  return nullptr;
}

Result<void> Workspace::update_user(const std::string& id, const json& changes) {
  auto it = std::find_if(users_.begin(), users_.end(), [&](const EmulatedSlackUser& u) { return u.id == id; });
  if (it == users_.end()) return fail(Error::NotFound(fmt::format("no user {}", id)));
  if (!changes.is_object()) return fail(Error::Invalid("the changes must be a JSON object"));
  EmulatedSlackUser changed = *it;
  const std::map<std::string, std::string*> texts{{"email", &changed.email}, {"team_id", &changed.team_id}};
  const std::map<std::string, bool*> flags{{"deleted", &changed.deleted},
                                           {"is_bot", &changed.is_bot},
                                           {"is_app_user", &changed.is_app_user},
                                           {"is_restricted", &changed.is_restricted},
                                           {"is_ultra_restricted", &changed.is_ultra_restricted},
                                           {"is_email_confirmed", &changed.is_email_confirmed}};
  for (const auto& [field, value] : changes.items()) {
    if (auto t = texts.find(field); t != texts.end() && value.is_string()) *t->second = value.get<std::string>();
    else if (auto f = flags.find(field); f != flags.end() && value.is_boolean()) *f->second = value.get<bool>();
    else if (t != texts.end() || f != flags.end())
      return fail(Error::Invalid(fmt::format("'{}' must be a {}", field, t != texts.end() ? "string" : "boolean")));
    else
      return fail(Error::Invalid(fmt::format("'{}' is not a user field the emulator can change", field)));
  }
  *it = std::move(changed);
  return {};
}

Result<void> Workspace::set_usergroup_enabled(const std::string& id, bool enabled) {
  auto it = usergroups_.find(id);
  if (it == usergroups_.end()) return fail(Error::NotFound(fmt::format("no user group {}", id)));
  it->second.enabled = enabled;
  return {};
}

Result<void> Workspace::delete_usergroup(const std::string& id) {
  if (usergroups_.erase(id) == 0) return fail(Error::NotFound(fmt::format("no user group {}", id)));
  return {};
}

std::string Workspace::dm_channel(const std::string& user) {
  auto it = dms_.find(user);
  if (it == dms_.end()) it = dms_.emplace(user, "D" + user.substr(user.empty() ? 0 : 1)).first;
  return it->second;
}

std::string Workspace::resolve_channel(const std::string& channel) {
  return channel.starts_with("U") || channel.starts_with("W") ? dm_channel(channel) : channel;
}

std::string Workspace::next_ts() {
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
  last_ts_us_ = std::max(now_us, last_ts_us_ + 1);
  return fmt::format("{}.{:06}", last_ts_us_ / 1000000, last_ts_us_ % 1000000);
}

std::string Workspace::new_hash() {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  return fmt::format("{}.{:08x}", seconds, static_cast<std::uint32_t>(++counter_ * 2654435761u));
}

Message* Workspace::find_message(const std::string& channel, const std::string& ts) {
  auto it = channels_.find(resolve_channel(channel));
  if (it == channels_.end()) return nullptr;
  for (auto& m : it->second)
    if (m.ts == ts) return &m;
  return nullptr;
}

View* Workspace::find_view(const std::string& id) {
  auto it = views_.find(id);
  return it == views_.end() ? nullptr : &it->second;
}

std::expected<std::string, ApiFailure> Workspace::postable_channel(const json& args) {
  const std::string channel = arg(args, "channel");
  if (channel.empty()) return std::unexpected(ApiFailure{"channel_not_found"});
  if (channel.starts_with("U") || channel.starts_with("W")) {
    if (!find_user(channel)) return std::unexpected(ApiFailure{"channel_not_found"});
    return dm_channel(channel);
  }
  if (channel.starts_with("D")) {
    for (const auto& [user, dm] : dms_)
      if (dm == channel) return channel;
    return std::unexpected(ApiFailure{"channel_not_found"});
  }
  if (channel.starts_with("C") || channel.starts_with("G")) return channel;
  return std::unexpected(ApiFailure{"channel_not_found"});
}

json Workspace::message_json(const Message& m) const {
  json out{{"type", "message"}, {"ts", m.ts}, {"user", m.user}, {"text", m.text}, {"team", options_.team_id},
           {"bot_id", "B" + options_.app_id.substr(1)}, {"app_id", options_.app_id}};
  if (!m.blocks.is_null()) out["blocks"] = m.blocks;
  if (!m.thread_ts.empty()) out["thread_ts"] = m.thread_ts;
  if (m.edited) out["edited"] = {{"user", m.user}, {"ts", m.ts}};
  return out;
}

namespace {

// text and/or blocks: no_text when neither, msg_too_long past Slack's text limit, invalid_blocks
// when the blocks are not Slack's.
std::expected<json, ApiFailure> message_content(const json& args) {
  if (block_kit::text_length(arg(args, "text")) > block_kit::kMaxMessageText)
    return std::unexpected(ApiFailure{"msg_too_long"});
  json blocks;
  if (auto it = args.find("blocks"); it != args.end() && !it->is_null()) {
    auto problems = block_kit::check_blocks(*it, block_kit::kMaxMessageBlocks, "/blocks");
    if (!problems.empty()) return std::unexpected(ApiFailure{"invalid_blocks", problems});
    if (!it->empty()) blocks = *it;
  }
  if (arg(args, "text").empty() && blocks.is_null() && !args.contains("attachments"))
    return std::unexpected(ApiFailure{"no_text"});
  return blocks;
}

}  // namespace

ApiResult Workspace::post_message(const json& args) {
  auto channel = postable_channel(args);
  if (!channel) return std::unexpected(channel.error());
  auto blocks = message_content(args);
  if (!blocks) return std::unexpected(blocks.error());
  Message m{next_ts(), arg(args, "thread_ts"), options_.bot_user_id, arg(args, "text"), *blocks};
  if (!m.thread_ts.empty() && !find_message(*channel, m.thread_ts))
    return std::unexpected(ApiFailure{"thread_not_found"});
  channels_[*channel].push_back(m);
  return json{{"ok", true}, {"channel", *channel}, {"ts", m.ts}, {"message", message_json(m)}};
}

ApiResult Workspace::update_message(const json& args) {
  auto channel = postable_channel(args);
  if (!channel) return std::unexpected(channel.error());
  Message* m = find_message(*channel, arg(args, "ts"));
  if (!m || !m->ephemeral_to.empty()) return std::unexpected(ApiFailure{"message_not_found"});
  auto blocks = message_content(args);
  if (!blocks) return std::unexpected(blocks.error());
  m->text = arg(args, "text");
  if (args.contains("blocks")) m->blocks = *blocks;
  m->edited = true;
  return json{{"ok", true}, {"channel", *channel}, {"ts", m->ts}, {"text", m->text}, {"message", message_json(*m)}};
}

ApiResult Workspace::post_ephemeral(const json& args) {
  auto channel = postable_channel(args);
  if (!channel) return std::unexpected(channel.error());
  const std::string user = arg(args, "user");
  if (!find_user(user)) return std::unexpected(ApiFailure{"user_not_found"});
  auto blocks = message_content(args);
  if (!blocks) return std::unexpected(blocks.error());
  Message m{next_ts(), arg(args, "thread_ts"), options_.bot_user_id, arg(args, "text"), *blocks};
  m.ephemeral_to = user;
  channels_[*channel].push_back(m);
  return json{{"ok", true}, {"message_ts", m.ts}};
}

// As Slack links a message: https://<domain>.slack.com/archives/<channel>/p<ts without its dot>,
// and for a reply in a thread ?thread_ts=<parent ts>&cid=<channel>.
ApiResult Workspace::permalink(const json& args) {
  auto channel = postable_channel(args);
  if (!channel || !channels_.contains(*channel)) return std::unexpected(ApiFailure{"channel_not_found"});
  const Message* m = find_message(*channel, arg(args, "message_ts"));
  if (!m || !m->ephemeral_to.empty()) return std::unexpected(ApiFailure{"message_not_found"});
  std::string digits = m->ts;
  std::erase(digits, '.');
  std::string link = fmt::format("https://{}.slack.com/archives/{}/p{}", kDomain, *channel, digits);
  if (!m->thread_ts.empty()) link += fmt::format("?thread_ts={}&cid={}", m->thread_ts, *channel);
  return json{{"ok", true}, {"channel", *channel}, {"permalink", link}};
}

ApiResult Workspace::respond_to_command(const json& command, const json& response) {
  if (!response.is_object()) return std::unexpected(ApiFailure{"invalid_payload"});
  json args{{"channel", command.value("channel_id", "")}, {"user", command.value("user_id", "")}};
  for (const char* field : {"text", "blocks"})
    if (response.contains(field)) args[field] = response[field];
  if (response.value("response_type", "ephemeral") == "in_channel") return post_message(args);
  return post_ephemeral(args);
}

ApiResult Workspace::open_conversation(const json& args) {
  std::string users = arg(args, "users");
  if (users.empty()) return std::unexpected(ApiFailure{"users_list_not_supplied"});
  if (users.find(',') != std::string::npos)  // group DMs: not needed by the app
    return std::unexpected(ApiFailure{"invalid_arguments", {"[ERROR] the emulator opens DMs with one user only"}});
  if (!find_user(users)) return std::unexpected(ApiFailure{"user_not_found"});
  const bool existed = dms_.contains(users);
  const std::string id = dm_channel(users);
  json out{{"ok", true}, {"channel", {{"id", id}}}};
  if (existed) {
    out["no_op"] = true;
    out["already_open"] = true;
  }
  return out;
}

ApiResult Workspace::open_view(const json& args, SteadyClock::time_point now) {
  const std::string trigger_id = arg(args, "trigger_id");
  auto trigger = triggers_.find(trigger_id);
  if (trigger_id.empty() || trigger == triggers_.end() || trigger->second.used)
    return std::unexpected(ApiFailure{"invalid_trigger_id"});
  if (now - trigger->second.issued > options_.trigger_ttl) return std::unexpected(ApiFailure{"expired_trigger_id"});
  json view = args.value("view", json());
  auto problems = block_kit::check_modal(view);
  if (!problems.empty()) return std::unexpected(ApiFailure{"invalid_arguments", problems});
  trigger->second.used = true;
  View v;
  v.id = fmt::format("V{:08X}", ++counter_);
  v.user = trigger->second.user;
  v.hash = new_hash();
  v.external_id = view.value("external_id", "");
  block_kit::fill_ids(view);
  v.view = std::move(view);
  auto& stored = views_[v.id] = std::move(v);
  json opened = render_view(stored);
  opened["state"]["values"] = json::object();  // as Slack answers views.open
  return json{{"ok", true}, {"view", opened}};
}

ApiResult Workspace::update_view(const json& args) {
  View* v = nullptr;
  if (const std::string id = arg(args, "view_id"); !id.empty()) {
    v = find_view(id);
  } else if (const std::string external = arg(args, "external_id"); !external.empty()) {
    for (auto& [id_, candidate] : views_)
      if (candidate.external_id == external) v = &candidate;
  } else {
    return std::unexpected(ApiFailure{"invalid_arguments", {"[ERROR] view_id or external_id is required"}});
  }
  if (!v) return std::unexpected(ApiFailure{"not_found"});
  if (const std::string hash = arg(args, "hash"); !hash.empty() && hash != v->hash)
    return std::unexpected(ApiFailure{"hash_conflict"});
  json view = args.value("view", json());
  auto problems = block_kit::check_modal(view);
  if (!problems.empty()) return std::unexpected(ApiFailure{"invalid_arguments", problems});
  (void)replace_view(*v, std::move(view));
  return json{{"ok", true}, {"view", render_view(*v)}};
}

Result<void> Workspace::replace_view(View& view, json next) {
  block_kit::fill_ids(next);
  view.view = std::move(next);
  view.hash = new_hash();
  if (view.view.contains("external_id")) view.external_id = view.view.value("external_id", "");
  // Input survives where the same block_id/action_id is still there.
  const json initial = block_kit::initial_state(view.view);
  std::erase_if(view.entered, [&](const auto& entry) {
    const auto slash = entry.first.find('/');
    const auto block = initial.find(entry.first.substr(0, slash));
    return block == initial.end() || !block->contains(entry.first.substr(slash + 1));
  });
  return {};
}

json Workspace::render_view(const View& v) const {
  json out = v.view;
  json values = block_kit::initial_state(v.view);
  for (const auto& [key, value] : v.entered) {
    const auto slash = key.find('/');
    values[key.substr(0, slash)][key.substr(slash + 1)] = value;
  }
  out["id"] = v.id;
  out["team_id"] = options_.team_id;
  out["app_id"] = options_.app_id;
  out["bot_id"] = "B" + options_.app_id.substr(1);
  out["hash"] = v.hash;
  out["state"] = {{"values", values}};
  out["root_view_id"] = v.id;
  out["previous_view_id"] = nullptr;
  for (const char* field : {"private_metadata", "callback_id", "external_id"})
    if (!out.contains(field)) out[field] = "";
  return out;
}

Result<json> Workspace::enter(View& view, const std::string& block_id, const std::string& action_id,
                              const std::string& value, const std::string& action_ts) {
  auto element = block_kit::find_element(view.view, block_id, action_id);
  if (!element) return fail(element.error());
  const json& e = **element;
  const std::string id = e.value("action_id", "");
  const std::string type = e.value("type", "");
  json state{{"type", type}};
  json action{{"type", type}, {"action_id", id}, {"block_id", block_id}, {"action_ts", action_ts}};
  if (type == "static_select") {
    const json* option = block_kit::find_option(e, value);
    if (!option)
      return fail(Error::NotFound(fmt::format("block '{}': element '{}' has no option with value '{}'", block_id, id, value)));
    state["selected_option"] = action["selected_option"] = *option;
  } else if (type == "multi_static_select") {
    // `value`: the option values picked, comma-separated ("" picks none).
    json picked = json::array();
    for (std::size_t at = 0; !value.empty() && at <= value.size();) {
      const std::size_t comma = std::min(value.find(',', at), value.size());
      const std::string one = value.substr(at, comma - at);
      const json* option = block_kit::find_option(e, one);
      if (!option)
        return fail(Error::NotFound(fmt::format("block '{}': element '{}' has no option with value '{}'", block_id, id, one)));
      picked.push_back(*option);
      at = comma + 1;
    }
    if (const json max = e.value("max_selected_items", json()); max.is_number_unsigned() && picked.size() > max.get<std::size_t>())
      return fail(Error::Invalid(fmt::format("block '{}': element '{}' takes at most {} options", block_id, id,
                                             max.get<std::size_t>())));
    state["selected_options"] = action["selected_options"] = picked;
  } else if (type == "plain_text_input") {
    state["value"] = action["value"] = value;
  } else if (type == "users_select") {
    state["selected_user"] = action["selected_user"] = value;
  } else {
    return fail(Error::Invalid(fmt::format("block '{}': the emulator cannot set a {} element", block_id, type)));
  }
  view.entered[state_key(block_id, id)] = state;
  return action;
}

Result<void> Workspace::check_required(const View& view) const {
  const json state = render_view(view)["state"]["values"];
  for (const auto& block : view.view.value("blocks", json::array())) {
    if (block.value("type", "") != "input" || block.value("optional", false)) continue;
    const std::string block_id = block.value("block_id", "");
    const json element = block.value("element", json::object());
    const std::string type = element.value("type", "");
    if (type != "static_select" && type != "plain_text_input" && type != "users_select" &&
        type != "multi_static_select")
      continue;  // not emulated
    const json value = state.value(block_id, json::object()).value(element.value("action_id", ""), json::object());
    const bool empty = (!value.contains("selected_option") || value["selected_option"].is_null()) &&
                       (!value.contains("value") || value["value"].is_null() || value["value"] == "") &&
                       (!value.contains("selected_user") || value["selected_user"].is_null()) &&
                       (!value.contains("selected_options") || value["selected_options"].empty());
    if (empty)
      return fail(Error::Invalid(fmt::format(
          "input block '{}' is required and empty: Slack's client does not submit the modal", block_id)));
  }
  return {};
}

void Workspace::close_view(const std::string& id) { views_.erase(id); }

ApiResult Workspace::user_info(const json& args) const {
  const auto* u = find_user(arg(args, "user"));
  if (!u) return std::unexpected(ApiFailure{"user_not_found"});
  const std::string team = u->team_id.empty() ? options_.team_id : u->team_id;
  return json{{"ok", true},
              {"user", {{"id", u->id}, {"team_id", team}, {"name", u->name}, {"deleted", u->deleted},
                        {"real_name", u->name}, {"is_bot", u->is_bot}, {"is_app_user", u->is_app_user},
                        {"is_restricted", u->is_restricted}, {"is_ultra_restricted", u->is_ultra_restricted},
                        {"is_email_confirmed", u->is_email_confirmed},
                        {"profile", {{"email", u->email}, {"real_name", u->name}, {"display_name", u->name},
                                     {"team", team}}}}}};
}

ApiResult Workspace::usergroup_members(const json& args) const {
  const auto it = usergroups_.find(arg(args, "usergroup"));
  const bool include_disabled = arg(args, "include_disabled") == "true";
  if (it == usergroups_.end() || (!it->second.enabled && !include_disabled))
    return std::unexpected(ApiFailure{"no_such_subteam"});
  return json{{"ok", true}, {"users", it->second.members}};
}

json Workspace::messages_json(const std::string& channel) const {
  json out = json::array();
  std::string id = channel;
  if (channel.starts_with("U") || channel.starts_with("W")) {
    const auto dm = dms_.find(channel);
    if (dm == dms_.end()) return out;
    id = dm->second;
  }
  const auto it = channels_.find(id);
  if (it == channels_.end()) return out;
  for (const auto& m : it->second) {
    json j{{"ts", m.ts}, {"user", m.user}, {"text", m.text}};
    if (!m.thread_ts.empty()) j["thread_ts"] = m.thread_ts;
    if (!m.blocks.is_null()) j["blocks"] = m.blocks;
    if (m.edited) j["edited"] = true;
    if (!m.ephemeral_to.empty()) j["ephemeral_to"] = m.ephemeral_to;
    out.push_back(std::move(j));
  }
  return out;
}

json Workspace::views_json(const std::string& user) const {
  json out = json::array();
  for (const auto& [id, v] : views_)
    if (v.user == user) out.push_back({{"id", id}, {"view", render_view(v)}, {"hash", v.hash}});
  return out;
}

}  // namespace jit::emulators::slack_workspace
