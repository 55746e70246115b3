#include "slack/user_rate.h"

#include <fmt/format.h>

namespace jit::slack {

namespace {
constexpr std::size_t kMaxPeople = 10'000;  // beyond it, refilled buckets are forgotten
}

std::optional<std::chrono::milliseconds> UserRateLimiter::take(const std::string& user, const Rate& rate, int burst) {
  const auto now = clock_.monotonic();
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= kMaxPeople && !buckets_.contains(user))
    std::erase_if(buckets_, [&](auto& entry) { return entry.second.full(now, rate, burst); });
  auto& bucket = buckets_.try_emplace(user, now, burst).first->second;
  if (bucket.take(now, rate, burst)) return std::nullopt;
  return bucket.wait(now, rate, burst);
}

std::string slow_down_text(const Rate& rate, int burst, std::chrono::milliseconds wait) {
  const auto seconds = std::max<long long>(1, (wait.count() + 999) / 1000);
  return fmt::format(":hourglass: You're going faster than JIT Access takes commands from one person ({} at once, "
                     "then {}). Nothing was done: try again in {} s.",
                     burst, format_rate(rate), seconds);
}

}  // namespace jit::slack
