// A rate ("10/min") and the token bucket that enforces one. Pure: time is passed in, so the
// caller decides which clock (slack/user_rate.h reads the Clock port).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"

namespace jit {

struct Rate {
  int count = 10;                       // this many...
  std::chrono::seconds per{60};         // ...per this long
  friend bool operator==(const Rate&, const Rate&) = default;
};

// "10/min", "1/s", "600/hour" (units s, sec, second, m, min, minute, h, hour); count 1 to 1,000,000.
// Errc::invalid naming the expected form.
Result<Rate> parse_rate(std::string_view text);
// "10/min" back: the form parse_rate reads.
std::string format_rate(const Rate& rate);

// Holds up to `burst` tokens, refilled continuously at `rate`; each allowed action takes one.
// Starts full. Not thread-safe: the caller locks.
class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  TokenBucket(TimePoint now, int burst) : tokens_(burst), last_(now) {}
  // Takes a token at `now` when one is there. `rate` and `burst` may change between calls.
  bool take(TimePoint now, const Rate& rate, int burst);
  // How long until a token is there (zero when one is).
  std::chrono::milliseconds wait(TimePoint now, const Rate& rate, int burst);
  // True when the bucket has refilled to `burst` by `now` (it may be forgotten).
  bool full(TimePoint now, const Rate& rate, int burst) const;

 private:
  void refill(TimePoint now, const Rate& rate, int burst);
  double tokens_at(TimePoint now, const Rate& rate, int burst) const;
  double tokens_;
  TimePoint last_;
};

}  // namespace jit
