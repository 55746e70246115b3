// The Chat and Directory ports on Slack's Web API.
//   Chat:      the owner-channel message (chat.postMessage and its chat.getPermalink, then
//              chat.update as the request moves on, with each event as a reply in its thread),
//              DMs to the requester (conversations.open + chat.postMessage) and alerts to the ops
//              channel.
//   Directory: the profile from users.info (users:read, users:read.email), read fresh each time;
//              groups from usergroups.users.list for the group ids the policy names, cached for a
//              while; the app's own team from auth.test.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/settings.h"
#include "ports/chat.h"
#include "slack/blocks.h"
#include "slack/web_api.h"

namespace jit::slack {

class SlackChat final : public Chat {
 public:
  // `config` gives the ops channel, the access portal URL and the roles' tiers; it may be swapped
  // on reload with set_config.
  // `dry_run`: every message says, first, that nothing is granted in AWS (`jit serve --dry-run`).
  SlackChat(WebApi& api, std::shared_ptr<const Config> config, bool dry_run = false);
  void set_config(std::shared_ptr<const Config> config);

  Result<MessageRef> post_request(const AccessRequest& request) override;
  Result<> update_request(const AccessRequest& request, const AuditEvent& event) override;
  // A message in the escalation channel: the request in a line, the mentions, and a link to the
  // owner-channel message (chat.getPermalink), where the buttons are.
  Result<> post_escalation(const AccessRequest& request, const std::string& channel,
                           const std::vector<std::string>& approvers) override;
  Result<> notify_requester(const AccessRequest& request, Notice notice) override;
  // The bundle's one DM (bundle_text).
  Result<> notify_bundle(const std::string& requester, const BundleOutcome& outcome) override;
  Result<> alert(const std::string& text) override;

 private:
  std::shared_ptr<const Config> config() const;
  Result<std::string> dm_channel(const std::string& user_id);
  // chat.getPermalink of a posted message; "" (and a log line) when Slack gives none.
  std::string permalink(const std::string& request_id, const MessageRef& ref);

  std::string marked(std::string text) const { return mark_dry_run(dry_run_, std::move(text)); }
  // The request message's blocks behind a context block with the banner, in a dry run.
  nlohmann::json marked_message(const AccessRequest& request) const;

  WebApi& api_;
  const bool dry_run_;
  mutable std::mutex mu_;
  std::shared_ptr<const Config> config_;
  std::map<std::string, std::string> dm_channels_;  // user id -> IM channel id
};

class SlackDirectory final : public Directory {
 public:
  // Group members are cached for `cache_ttl` of the clock's monotonic time, and for at most
  // kShortGroupTtl when the group approves an account with a high or break-glass role (a member
  // removed from such a group loses that standing within a minute). `api` and `clock` must
  // outlive this.
  SlackDirectory(WebApi& api, std::shared_ptr<const Policy> policy, const Clock& clock,
                 std::chrono::seconds cache_ttl = std::chrono::minutes(5));
  void set_policy(std::shared_ptr<const Policy> policy);

  static constexpr std::chrono::seconds kShortGroupTtl{60};
  // A user group the policy names that Slack no longer knows (deleted, or disabled) counts as
  // empty, so that it blocks nobody else's requests and decisions; `alert` is told (the ops
  // channel) when it is first seen, then at most once per `repeat` per group while it lasts.
  // Called without any lock held; may block.
  void set_unknown_group_alert(std::function<void(const std::string&)> alert,
                               std::chrono::seconds repeat = std::chrono::hours(1));

  // The user groups among those the policy names (approvers, escalation approvers, requesters,
  // admins) that `user_id` belongs to.
  Result<std::vector<std::string>> groups_of(const std::string& user_id) override;
  // users.info, never cached. The e-mail is "" when Slack shows none (a bot, or the
  // users:read.email scope is missing).
  Result<UserProfile> user(const std::string& user_id) override;
  // The team_id of auth.test, asked once (or as given to set_own_team).
  Result<std::string> own_team() override;
  // The team auth.test named at start-up, so that own_team need not ask again.
  void set_own_team(std::string team_id);

 private:
  template <class T>
  struct Cached {
    T value;
    SteadyTime at;
  };
  // The members of a group, cached for `ttl`; an unknown group is empty (and alerted).
  Result<std::vector<std::string>> members_of(const std::string& group_id, std::chrono::seconds ttl);
  void note_unknown_group(const std::string& group_id, const ApiError& error);

  WebApi& api_;
  std::shared_ptr<const Policy> policy_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Cached<std::vector<std::string>>> members_;
  std::string own_team_;
  std::function<void(const std::string&)> unknown_group_alert_;
  std::chrono::seconds unknown_group_repeat_{std::chrono::hours(1)};
  std::map<std::string, SteadyTime> unknown_group_alerted_;  // group id -> when last alerted
};

// Slack's error as one of ours: rate limits and transport problems are Errc::unavailable.
Error to_error(std::string_view method, const ApiError& e);

}  // namespace jit::slack
