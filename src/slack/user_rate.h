// How many commands and request-form submissions each Slack user may send: one token bucket per
// person (core/rate.h), on the Clock port's monotonic time. Approve and deny clicks are never
// counted: they are what a flood must not delay.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/rate.h"
#include "ports/clock.h"

namespace jit::slack {

// Thread-safe. Remembers at most a bounded number of people: buckets that have refilled are
// forgotten first (a forgotten bucket starts full, as it would be anyway).
class UserRateLimiter {
 public:
  // `clock` must outlive the limiter.
  explicit UserRateLimiter(const Clock& clock) : clock_(clock) {}

  // Takes one of `user`'s tokens under `rate` and `burst` (read from settings at each call, so a
  // reload applies at once): nullopt when there was one, else how long until there is.
  std::optional<std::chrono::milliseconds> take(const std::string& user, const Rate& rate, int burst);

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

// The reply to someone over the limit: polite, with the limit and when to try again.
std::string slow_down_text(const Rate& rate, int burst, std::chrono::milliseconds wait);

}  // namespace jit::slack
