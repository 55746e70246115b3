// Time and chance: the one port through which the product reads clocks, waits, and draws random
// numbers (LevelDB's Env and Envoy's TimeSource are the models). Production builds one
// SystemClock in its composition root and passes it down; tests pass a simulated clock
// (tests/fakes/manual_clock.h), so no test sleeps to wait for a timer or a backoff.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "core/time.h"

namespace jit {

using SteadyTime = std::chrono::steady_clock::time_point;

// Every method is thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock time in whole seconds: what requests, expiries and the audit trail record.
  virtual TimePoint now() const = 0;
  // Monotonic time, for timeouts, latencies and rate limits: never goes back.
  virtual SteadyTime monotonic() const = 0;
  // Blocks the calling thread for `duration` of this clock's time (a simulated clock moves its
  // own time on and returns at once). For backoff between retries.
  virtual void sleep_for(std::chrono::milliseconds duration) const = 0;
  // With `lock` held on the mutex `wake` is used with: waits until `stop_waiting()` is true (the
  // caller notifies `wake` after making it so) or the wall-clock `deadline` has come. Returns
  // stop_waiting(). `lock` is held again on return.
  virtual bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, TimePoint deadline,
                          const std::function<bool()>& stop_waiting) const = 0;
  // 64 uniformly random bits, for backoff jitter and spreading work. Not for secrets or ids that
  // must be unguessable (crypto::random_bytes is).
  virtual std::uint64_t random() const = 0;
};

// The real clocks, std::this_thread sleeps, and a std::random_device-seeded generator.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  SteadyTime monotonic() const override;
  void sleep_for(std::chrono::milliseconds duration) const override;
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, TimePoint deadline,
                  const std::function<bool()>& stop_waiting) const override;
  std::uint64_t random() const override;
};

}  // namespace jit
