#include "engine/rate_gate.h"

#include <algorithm>

namespace jit {

RateGate::RateGate(const Clock& clock, Rate rate, int burst)
    : clock_(clock), rate_(rate), burst_(std::max(burst, 1)), bucket_(clock.monotonic(), burst_) {}

void RateGate::take() {
  std::lock_guard turn(turn_);
  while (!bucket_.take(clock_.monotonic(), rate_, burst_))
    clock_.sleep_for(std::max(bucket_.wait(clock_.monotonic(), rate_, burst_), std::chrono::milliseconds(1)));
}

}  // namespace jit
