#include "fakes/memory_chat.h"

#include "core/text.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "core/duration.h"

namespace jit {

std::string_view notice_name(Notice n) {
  switch (n) {
    case Notice::submitted: return "submitted";
    case Notice::approved: return "approved";
    case Notice::denied: return "denied";
    case Notice::active: return "active";
    case Notice::expiring_soon: return "expiring_soon";
    case Notice::revoked: return "revoked";
    case Notice::failed: return "failed";
    case Notice::cancelled: return "cancelled";
    case Notice::expired: return "expired";
  }
  return "unknown";
}

Result<> MemoryChat::take_fault() {
  if (faults_ == 0) return {};
  --faults_;
  return fail(Error::Unavailable("chat is unavailable (injected)"));
}

void MemoryChat::add(ChatLine line) { lines_.push_back(std::move(line)); }

Result<MessageRef> MemoryChat::post_request(const AccessRequest& r) {
  std::function<void()> hook;
  MessageRef ref;
  {
    std::lock_guard lock(mu_);
    if (auto f = take_fault(); !f) return fail(f.error());
    add({ChatLine::Kind::post, r.chat_channel,
         fmt::format("{} asks for {} on {} ({}) for {}: \"{}\"{} [{}] [Approve] [Deny]", r.requester, r.role,
                     r.account, r.account_id, format_duration(r.duration), r.reason,
                     r.ticket.empty() ? "" : " ticket " + r.ticket, r.id)});
    const std::string ts = std::to_string(next_ts_++);
    ref = MessageRef{r.chat_channel, ts, "https://memory-chat.example/archives/" + r.chat_channel + "/p" + ts};
    hook = std::exchange(after_post_, nullptr);
  }
  if (hook) hook();
  return ref;
}

void MemoryChat::after_next_post(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  after_post_ = std::move(hook);
}

Result<> MemoryChat::update_request(const AccessRequest& r, const AuditEvent& e) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(); !f) return f;
  if (r.chat_ts.empty()) return {};  // never posted: nothing to update (the Chat contract)
  std::string text = fmt::format("{} is now {}", r.id, state_name(r.state));
  if (r.state == State::active && r.expires_at) text += " until " + format_time(*r.expires_at);
  else if (!e.detail.empty()) text += " (" + e.detail + ")";
  add({ChatLine::Kind::thread, r.chat_channel,
       fmt::format("{}: {}", e.actor, text)});
  return {};
}

Result<> MemoryChat::post_escalation(const AccessRequest& r, const std::string& channel,
                                     const std::vector<std::string>& approvers) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(); !f) return f;
  if (r.chat_ts.empty()) return {};
  add({ChatLine::Kind::post, channel,
       fmt::format("escalated {}: {} https://memory-chat.example/archives/{}/p{}", r.id, fmt::join(approvers, ", "),
                   r.chat_channel, r.chat_ts)});
  return {};
}

Result<> MemoryChat::notify_requester(const AccessRequest& r, Notice n) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(); !f) return f;
  notices_[r.requester].push_back(n);
  std::string text = fmt::format("your request {} ({} on {}): {}", r.id, r.role, r.account, notice_name(n));
  if (n == Notice::active && r.expires_at) text += ", expires at " + format_time(*r.expires_at);
  if (!r.end_reason.empty() && (n == Notice::denied || n == Notice::revoked || n == Notice::failed))
    text += " — " + r.end_reason;
  add({ChatLine::Kind::dm, r.requester, text});
  return {};
}

Result<> MemoryChat::notify_bundle(const std::string& requester, const BundleOutcome& outcome) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(); !f) return f;
  std::string text = fmt::format("bundle {}: filed", outcome.bundle);
  for (const auto& r : outcome.filed) text += fmt::format(" {} ({}, {})", r.id, r.account, state_name(r.state));
  text += "; not filed:";
  for (const auto& n : outcome.not_filed) text += fmt::format(" {} ({})", n.account, n.error.message);
  add({ChatLine::Kind::dm, requester, text});
  return {};
}

Result<> MemoryChat::alert(const std::string& text) {
  std::lock_guard lock(mu_);
  if (auto f = take_fault(); !f) return f;
  add({ChatLine::Kind::alert, "ops", text});
  return {};
}

std::vector<ChatLine> MemoryChat::transcript() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::vector<ChatLine> MemoryChat::take_new() {
  std::lock_guard lock(mu_);
  std::vector<ChatLine> out(lines_.begin() + static_cast<std::ptrdiff_t>(taken_), lines_.end());
  taken_ = lines_.size();
  return out;
}

std::vector<Notice> MemoryChat::notices_for(const std::string& user_id) const {
  std::lock_guard lock(mu_);
  auto it = notices_.find(user_id);
  return it == notices_.end() ? std::vector<Notice>{} : it->second;
}

void MemoryChat::fail_next(int count) {
  std::lock_guard lock(mu_);
  faults_ = count;
}

void MemoryDirectory::set_groups(const std::string& user_id, std::vector<std::string> groups) {
  std::lock_guard lock(mu_);
  groups_[user_id] = std::move(groups);
}

UserProfile MemoryDirectory::default_profile(const std::string& user_id) const {
  return {.user_id = user_id, .email = text::to_lower(user_id) + "@example.com", .email_confirmed = true, .team_id = kTeam};
}

void MemoryDirectory::set_email(const std::string& user_id, std::string email) {
  std::lock_guard lock(mu_);
  auto it = profiles_.try_emplace(user_id, default_profile(user_id)).first;
  it->second.email = std::move(email);
}

void MemoryDirectory::set_profile(const std::string& user_id, UserProfile profile) {
  std::lock_guard lock(mu_);
  profile.user_id = user_id;
  profiles_[user_id] = std::move(profile);
}

void MemoryDirectory::set_profiles_down(bool down) {
  std::lock_guard lock(mu_);
  profiles_down_ = down;
}

int MemoryDirectory::user_lookups() const {
  std::lock_guard lock(mu_);
  return user_lookups_;
}

void MemoryDirectory::fail_next(int count) {
  std::lock_guard lock(mu_);
  faults_ = count;
}

Result<std::vector<std::string>> MemoryDirectory::groups_of(const std::string& user_id) {
  std::lock_guard lock(mu_);
  if (faults_ > 0) {
    --faults_;
    return fail(Error::Unavailable("directory unavailable (test fault)"));
  }
  auto it = groups_.find(user_id);
  return it == groups_.end() ? std::vector<std::string>{} : it->second;
}

Result<UserProfile> MemoryDirectory::user(const std::string& user_id) {
  std::lock_guard lock(mu_);
  ++user_lookups_;
  if (profiles_down_) return fail(Error::Unavailable("directory unavailable (test fault)"));
  if (auto it = profiles_.find(user_id); it != profiles_.end()) return it->second;
  return default_profile(user_id);
}

}  // namespace jit
