// A Chat whose every call blocks until release() (Slack stuck on a 120 s Retry-After, or gone),
// then forwards to another Chat. Counts the calls that are blocked right now, so a test can wait
// for the announcer's worker to be stuck inside one.
#pragma once

#include <condition_variable>
#include <mutex>

#include "ports/chat.h"

namespace jit {

class BlockingChat final : public Chat {
 public:
  explicit BlockingChat(Chat& next) : next_(next) {}
  ~BlockingChat() override { release(); }

  Result<MessageRef> post_request(const AccessRequest& r) override {
    wait();
    return next_.post_request(r);
  }
  Result<> update_request(const AccessRequest& r, const AuditEvent& e) override {
    wait();
    return next_.update_request(r, e);
  }
  Result<> post_escalation(const AccessRequest& r, const std::string& channel,
                           const std::vector<std::string>& approvers) override {
    wait();
    return next_.post_escalation(r, channel, approvers);
  }
  Result<> notify_requester(const AccessRequest& r, Notice n) override {
    wait();
    return next_.notify_requester(r, n);
  }
  Result<> alert(const std::string& text) override {
    wait();
    return next_.alert(text);
  }

  // Lets every blocked and later call through.
  void release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  // Calls blocked right now.
  int blocked() const {
    std::lock_guard lock(mu_);
    return blocked_;
  }
  // Waits (real time, at most a few seconds) until at least one call is blocked; true when so.
  bool wait_blocked() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return blocked_ > 0; });
  }

 private:
  void wait() {
    std::unique_lock lock(mu_);
    ++blocked_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    --blocked_;
  }
  Chat& next_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int blocked_ = 0;
};

}  // namespace jit
