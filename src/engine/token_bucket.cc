#include "engine/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace jit {

TokenBucket::TokenBucket(const Clock& clock, double rate, double burst)
    : clock_(clock), rate_(std::max(rate, 1e-3)), burst_(std::max(burst, 1.0)), tokens_(burst_),
      last_(clock.monotonic()) {}

void TokenBucket::refill() {
  const SteadyTime now = clock_.monotonic();
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
}

void TokenBucket::take() {
  std::lock_guard turn(turn_);
  refill();
  while (tokens_ < 1.0 - 1e-9) {  // (a hair of slack for floating-point refills)
    const double wait_ms = std::ceil((1.0 - tokens_) / rate_ * 1000.0);
    clock_.sleep_for(std::chrono::milliseconds(static_cast<long long>(std::max(wait_ms, 1.0))));
    refill();
  }
  tokens_ = std::max(0.0, tokens_ - 1.0);
}

}  // namespace jit
