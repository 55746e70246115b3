// The time budget of one provider operation (a grant, a revoke, arming a cut-off: its calls,
// re-reads and waits), on a Clock's monotonic time, and the jittered waits inside it. Shared by
// IdentityCenterProvider and IamRoleProvider.
#pragma once

#include <chrono>
#include <cstdint>

#include "ports/clock.h"

namespace jit::aws {

// Time left for one operation, on the clock's monotonic time (which its sleeps move too).
class Deadline {
 public:
  Deadline(const Clock& clock, std::chrono::milliseconds limit)
      : clock_(clock), start_(clock.monotonic()), limit_(limit) {}
  std::chrono::milliseconds remaining() const { return limit_ - elapsed(); }
  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic() - start_);
  }
  std::chrono::milliseconds limit() const { return limit_; }

 private:
  const Clock& clock_;
  SteadyTime start_;
  std::chrono::milliseconds limit_;
};

// `wait` less a share of it drawn uniformly from [0, jitter] (by `random`, 64 random bits), so
// waiters started together do not stay in step; never more than `wait`.
std::chrono::milliseconds jittered(std::chrono::milliseconds wait, double jitter, std::uint64_t random);

}  // namespace jit::aws
