// The blocking side of core's TokenBucket: take() waits on the Clock port until a token is there.
// Used where work must be paced rather than refused (revocations started per second). Waits sleep
// on the clock, so a test on a simulated clock sees the exact waits.
#pragma once

#include <mutex>

#include "core/rate.h"
#include "ports/clock.h"

namespace jit {

class RateGate {
 public:
  // Starts full with `burst` (>= 1) tokens, refilled at `rate`.
  RateGate(const Clock& clock, Rate rate, int burst);

  // Takes one token, first sleeping on the clock until one is there. Thread-safe: waiting callers
  // are served one at a time, so together they never exceed the rate.
  void take();

 private:
  const Clock& clock_;
  const Rate rate_;
  const int burst_;
  std::mutex turn_;
  TokenBucket bucket_;
};

}  // namespace jit
