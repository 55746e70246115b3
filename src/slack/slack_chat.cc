#include "slack/slack_chat.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "slack/blocks.h"
#include "slack/escape.h"

namespace jit::slack {

Error to_error(std::string_view method, const ApiError& e) {
  const std::string text = fmt::format("Slack {}: {}{}", method, e.error, e.detail.empty() ? "" : " (" + e.detail + ")");
  if (e.retryable) return Error::Unavailable(text);
  if (e.error == "users_not_found" || e.error == "user_not_found" || e.error == "channel_not_found" ||
      e.error == "no_such_subteam" || e.error == "message_not_found")
    return Error::NotFound(text);
  if (is_credential_error(e.error)) return Error::Denied(text);
  return Error::Invalid(text);
}

SlackChat::SlackChat(WebApi& api, std::shared_ptr<const Config> config, bool dry_run)
    : api_(api), dry_run_(dry_run), config_(std::move(config)) {}

nlohmann::json SlackChat::marked_message(const AccessRequest& r) const {
  nlohmann::json message = request_message(r, config()->policy);
  if (!dry_run_) return message;
  message["text"] = marked(message.value("text", ""));
  if (message.contains("blocks")) {
    nlohmann::json banner = {{"type", "context"},
                             {"elements", nlohmann::json::array({{{"type", "mrkdwn"}, {"text", kDryRunBanner}}})}};
    message["blocks"].insert(message["blocks"].begin(), std::move(banner));
  }
  return message;
}

void SlackChat::set_config(std::shared_ptr<const Config> config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
}

std::shared_ptr<const Config> SlackChat::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

Result<MessageRef> SlackChat::post_request(const AccessRequest& r) {
  nlohmann::json args = marked_message(r);
  args["channel"] = r.chat_channel;
  args["unfurl_links"] = false;
  auto posted = api_.call("chat.postMessage", args);
  if (!posted) return fail(to_error("chat.postMessage", posted.error()));
  MessageRef ref{posted->value("channel", r.chat_channel), posted->value("ts", ""), ""};
  ref.permalink = permalink(r.id, ref);
  return ref;
}

std::string SlackChat::permalink(const std::string& request_id, const MessageRef& ref) {
  // WebApi::call bounds the wait (timeout, a few retries on transport errors, rate limits
  // honoured): the post is done, so whatever happens here only leaves the link out.
  auto got = api_.call("chat.getPermalink", {{"channel", ref.channel}, {"message_ts", ref.ts}});
  if (!got) {
    spdlog::warn("event=chat_permalink_failed request={} channel={} ts={} error=\"{}\"", request_id, ref.channel,
                 ref.ts, to_error("chat.getPermalink", got.error()).message);
    return "";
  }
  std::string link = got->value("permalink", "");
  if (link.empty()) spdlog::warn("event=chat_permalink_failed request={} error=\"no permalink in the answer\"", request_id);
  return link;
}

Result<> SlackChat::update_request(const AccessRequest& r, const AuditEvent& e) {
  if (r.chat_ts.empty()) return {};
  nlohmann::json message = marked_message(r);
  message["channel"] = r.chat_channel;
  message["ts"] = r.chat_ts;
  if (auto updated = api_.call("chat.update", message); !updated) return fail(to_error("chat.update", updated.error()));
  auto replied = api_.call("chat.postMessage", {{"channel", r.chat_channel},
                                                {"thread_ts", r.chat_ts},
                                                {"text", marked(thread_text(r, e))},
                                                {"unfurl_links", false}});
  if (!replied) return fail(to_error("chat.postMessage", replied.error()));
  return {};
}

Result<> SlackChat::post_escalation(const AccessRequest& r, const std::string& channel,
                                    const std::vector<std::string>& approvers) {
  if (r.chat_ts.empty()) return {};
  const std::string link = permalink(r.id, MessageRef{r.chat_channel, r.chat_ts, ""});
  const std::string text = escalation_text(r, approvers, link);
  auto sent = api_.call("chat.postMessage", {{"channel", channel}, {"text", marked(text)}, {"unfurl_links", false}});
  if (!sent) return fail(to_error("chat.postMessage", sent.error()));
  return {};
}

Result<std::string> SlackChat::dm_channel(const std::string& user_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = dm_channels_.find(user_id); it != dm_channels_.end()) return it->second;
  }
  auto opened = api_.call("conversations.open", {{"users", user_id}});
  if (!opened) return fail(to_error("conversations.open", opened.error()));
  const std::string channel = opened->value(nlohmann::json::json_pointer("/channel/id"), std::string());
  if (channel.empty()) return fail(Error::Internal("Slack conversations.open: no channel id in the answer"));
  std::lock_guard lock(mu_);
  dm_channels_[user_id] = channel;
  return channel;
}

Result<> SlackChat::notify_requester(const AccessRequest& r, Notice notice) {
  auto channel = dm_channel(r.requester);
  if (!channel) return fail(channel.error());
  const std::string text = marked(notice_text(r, notice, config()->settings.aws.access_portal_url));
  nlohmann::json message = notice_blocks(r, notice, text).value_or(nlohmann::json{{"text", text}});
  message["channel"] = *channel;
  message["unfurl_links"] = false;
  auto sent = api_.call("chat.postMessage", message);
  if (!sent) return fail(to_error("chat.postMessage", sent.error()));
  return {};
}

Result<> SlackChat::notify_bundle(const std::string& requester, const BundleOutcome& outcome) {
  auto channel = dm_channel(requester);
  if (!channel) return fail(channel.error());
  auto sent = api_.call("chat.postMessage",
                        {{"channel", *channel}, {"text", marked(bundle_text(outcome))}, {"unfurl_links", false}});
  if (!sent) return fail(to_error("chat.postMessage", sent.error()));
  return {};
}

Result<> SlackChat::alert(const std::string& text) {
  const std::string channel = config()->settings.ops_channel;
  if (channel.empty()) return {};  // no ops channel configured: the log line is the alert
  auto sent = api_.call("chat.postMessage", {{"channel", channel}, {"text", marked(":rotating_light: " + escape(text))}});
  if (!sent) return fail(to_error("chat.postMessage", sent.error()));
  return {};
}

SlackDirectory::SlackDirectory(WebApi& api, std::shared_ptr<const Policy> policy, const Clock& clock,
                               std::chrono::seconds cache_ttl)
    : api_(api), policy_(std::move(policy)), clock_(clock), ttl_(cache_ttl) {}

void SlackDirectory::set_policy(std::shared_ptr<const Policy> policy) {
  std::lock_guard lock(mu_);
  policy_ = std::move(policy);
}

void SlackDirectory::set_unknown_group_alert(std::function<void(const std::string&)> alert, std::chrono::seconds repeat) {
  std::lock_guard lock(mu_);
  unknown_group_alert_ = std::move(alert);
  unknown_group_repeat_ = repeat;
}

void SlackDirectory::note_unknown_group(const std::string& group_id, const ApiError& error) {
  std::function<void(const std::string&)> alert;
  {
    std::lock_guard lock(mu_);
    const SteadyTime now = clock_.monotonic();
    auto it = unknown_group_alerted_.find(group_id);
    if (it != unknown_group_alerted_.end() && now - it->second < unknown_group_repeat_) return;
    unknown_group_alerted_[group_id] = now;
    alert = unknown_group_alert_;
  }
  spdlog::warn("event=unknown_usergroup group={} error={} detail=\"counted as empty\"", group_id, error.error);
  if (alert)
    alert(fmt::format("The policy names user group {}, which Slack no longer knows ({}: deleted or disabled). It counts "
                      "as empty: its members can no longer request or approve through it. Restore the group or change "
                      "the policy.",
                      group_id, error.error));
}

Result<std::vector<std::string>> SlackDirectory::members_of(const std::string& group_id, std::chrono::seconds ttl) {
  {
    std::lock_guard lock(mu_);
    if (auto it = members_.find(group_id); it != members_.end() && clock_.monotonic() - it->second.at < ttl)
      return it->second.value;
  }
  auto listed = api_.call("usergroups.users.list", {{"usergroup", group_id}});
  std::vector<std::string> users;
  if (!listed && to_error("usergroups.users.list", listed.error()).code == Errc::not_found)
    note_unknown_group(group_id, listed.error());
  else if (!listed)
    return fail(to_error("usergroups.users.list", listed.error()));
  else if (auto it = listed->find("users"); it != listed->end() && it->is_array())
    for (const auto& u : *it)
      if (u.is_string()) users.push_back(u.get<std::string>());
  std::lock_guard lock(mu_);
  if (listed) unknown_group_alerted_.erase(group_id);  // back: alert again should it go
  members_[group_id] = {users, clock_.monotonic()};
  return users;
}

Result<std::vector<std::string>> SlackDirectory::groups_of(const std::string& user_id) {
  // Every group id the policy mentions, with how long its members may be cached.
  std::map<std::string, std::chrono::seconds> named;
  {
    std::lock_guard lock(mu_);
    auto add = [&](const std::vector<std::string>& ids, std::chrono::seconds ttl) {
      for (const auto& id : ids)
        if (id.starts_with("S")) {
          auto [it, added] = named.try_emplace(id, ttl);
          if (!added) it->second = std::min(it->second, ttl);
        }
    };
    add(policy_->admins, ttl_);
    for (const auto& a : policy_->accounts) {
      const bool high = std::any_of(a.roles.begin(), a.roles.end(), [](const RolePolicy& r) {
        return r.tier == Tier::high || r.tier == Tier::break_glass;
      });
      add(a.approvers, high ? std::min(ttl_, std::chrono::seconds(kShortGroupTtl)) : ttl_);
      for (const auto& r : a.roles) {
        add(r.requesters, ttl_);
        const bool high_role = r.tier == Tier::high || r.tier == Tier::break_glass;
        const auto role_ttl = high_role ? std::min(ttl_, std::chrono::seconds(kShortGroupTtl)) : ttl_;
        add(r.approvers, role_ttl);
        add(escalation_of(a, r).approvers, role_ttl);  // issue 17: they decide once escalated
      }
    }
  }
  std::vector<std::string> groups;
  for (const auto& [group, ttl] : named) {
    auto members = members_of(group, ttl);
    if (!members) return fail(members.error());
    if (std::find(members->begin(), members->end(), user_id) != members->end()) groups.push_back(group);
  }
  return groups;
}

Result<UserProfile> SlackDirectory::user(const std::string& user_id) {
  auto info = api_.call("users.info", {{"user", user_id}});
  if (!info) return fail(to_error("users.info", info.error()));
  const nlohmann::json& u = info->contains("user") && (*info)["user"].is_object() ? (*info)["user"] : nlohmann::json::object();
  auto flag = [&](const char* name) { return u.contains(name) && u[name].is_boolean() && u[name].get<bool>(); };
  auto text = [&](const char* pointer) {
    const auto at = nlohmann::json::json_pointer(pointer);
    return u.contains(at) && u[at].is_string() ? u[at].get<std::string>() : std::string();
  };
  return UserProfile{.user_id = user_id,
                     .email = text("/profile/email"),
                     .email_confirmed = flag("is_email_confirmed"),
                     .deleted = flag("deleted"),
                     .bot = flag("is_bot") || flag("is_app_user"),
                     .multi_channel_guest = flag("is_restricted"),
                     .single_channel_guest = flag("is_ultra_restricted"),
                     .team_id = text("/team_id")};
}

void SlackDirectory::set_own_team(std::string team_id) {
  std::lock_guard lock(mu_);
  own_team_ = std::move(team_id);
}

Result<std::string> SlackDirectory::own_team() {
  {
    std::lock_guard lock(mu_);
    if (!own_team_.empty()) return own_team_;
  }
  auto me = api_.call("auth.test", nlohmann::json::object());
  if (!me) return fail(to_error("auth.test", me.error()));
  const std::string team = me->contains("team_id") && (*me)["team_id"].is_string() ? (*me)["team_id"].get<std::string>() : "";
  if (team.empty()) return fail(Error::Internal("Slack auth.test: no team_id in the answer"));
  set_own_team(team);
  return team;
}

}  // namespace jit::slack
