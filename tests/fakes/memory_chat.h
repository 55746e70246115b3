// A Chat and a Directory that keep everything in memory, for unit tests (the product never links
// it: `jit demo` talks to the Slack emulator executable). The chat keeps a readable transcript.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/policy.h"
#include "ports/chat.h"

namespace jit {

struct ChatLine {
  enum class Kind { post, update, thread, dm, alert } kind;
  std::string channel;  // channel id, or the user id for a DM
  std::string text;
};

std::string_view notice_name(Notice n);

class MemoryChat final : public Chat {
 public:
  Result<MessageRef> post_request(const AccessRequest& request) override;
  Result<> update_request(const AccessRequest& request, const AuditEvent& event) override;
  // A post line in `channel`: "escalated <id>: <approvers> <permalink>".
  Result<> post_escalation(const AccessRequest& request, const std::string& channel,
                           const std::vector<std::string>& approvers) override;
  Result<> notify_requester(const AccessRequest& request, Notice notice) override;
  // A dm line "bundle <id>: filed <id> (<account>, <state>), ...; not filed: <account> (<why>), ...".
  Result<> notify_bundle(const std::string& requester, const BundleOutcome& outcome) override;
  Result<> alert(const std::string& text) override;

  // Everything said so far, in order.
  std::vector<ChatLine> transcript() const;
  // Lines said since the previous call (for printing a timeline as it happens).
  std::vector<ChatLine> take_new();
  // The notices a user has received, in order.
  std::vector<Notice> notices_for(const std::string& user_id) const;
  // Test control: the next `count` calls fail with Errc::unavailable.
  void fail_next(int count);
  // Test control: runs once, inside the next post_request after the message is posted and before
  // post_request returns (outside the chat's lock): what happens between Slack's answer and the
  // engine's record of it.
  void after_next_post(std::function<void()> hook);

 private:
  Result<> take_fault();
  void add(ChatLine line);

  mutable std::mutex mu_;
  std::vector<ChatLine> lines_;
  std::size_t taken_ = 0;
  std::map<std::string, std::vector<Notice>> notices_;
  int faults_ = 0;
  int next_ts_ = 1;
  std::function<void()> after_post_;
};

// Directory from fixed tables. Every user is a confirmed member of team kTeam with the e-mail
// "<lower-case user id>@example.com", unless set_email / set_profile say otherwise.
class MemoryDirectory final : public Directory {
 public:
  static constexpr char kTeam[] = "T0TEST";

  void set_groups(const std::string& user_id, std::vector<std::string> groups);
  void set_email(const std::string& user_id, std::string email);
  // The whole profile of a user (its user_id is taken from the argument).
  void set_profile(const std::string& user_id, UserProfile profile);
  // Test control: the next `count` calls of groups_of fail with Errc::unavailable.
  void fail_next(int count);
  // Test control: user() fails with Errc::unavailable while `down`.
  void set_profiles_down(bool down);
  Result<std::vector<std::string>> groups_of(const std::string& user_id) override;
  Result<UserProfile> user(const std::string& user_id) override;
  Result<std::string> own_team() override { return std::string(kTeam); }
  // How many times user() was asked.
  int user_lookups() const;

 private:
  UserProfile default_profile(const std::string& user_id) const;

  mutable std::mutex mu_;
  int faults_ = 0;
  bool profiles_down_ = false;
  int user_lookups_ = 0;
  std::map<std::string, std::vector<std::string>> groups_;
  std::map<std::string, UserProfile> profiles_;
};

}  // namespace jit
