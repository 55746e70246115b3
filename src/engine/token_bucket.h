// A token bucket on the Clock port: at most `rate` takes per second on average, with bursts of up
// to `burst`. Waits sleep on the clock, so a test on a simulated clock sees the exact waits.
#pragma once

#include <mutex>

#include "ports/clock.h"

namespace jit {

class TokenBucket {
 public:
  // `rate` > 0 tokens per second; the bucket starts full with `burst` (>= 1) tokens.
  TokenBucket(const Clock& clock, double rate, double burst);

  // Takes one token, first sleeping on the clock until one is there. Thread-safe: waiting callers
  // are served one at a time, so together they never exceed the rate.
  void take();

 private:
  void refill();  // turn_ held

  const Clock& clock_;
  const double rate_, burst_;
  std::mutex turn_;
  double tokens_;
  SteadyTime last_;
};

}  // namespace jit
