// A Clock whose time moves only when told to (or when code sleeps on it): for unit tests on
// simulated time. Random numbers come from a fixed-seed generator, so runs repeat.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <numeric>
#include <random>
#include <vector>

#include "ports/clock.h"

namespace jit {

class ManualClock : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000)), std::uint64_t seed = 42)
      : wall_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count()),
        random_(seed) {}

  TimePoint now() const override { return std::chrono::floor<Seconds>(precise_now()); }
  // The wall clock to the millisecond.
  std::chrono::system_clock::time_point precise_now() const {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(wall_ms_.load()));
  }
  SteadyTime monotonic() const override { return SteadyTime(std::chrono::milliseconds(steady_ms_.load())); }
  // Moves this clock on by `duration` and returns at once.
  void sleep_for(std::chrono::milliseconds duration) const override {
    {
      std::lock_guard lock(sleeps_mu_);
      sleeps_.push_back(duration);
    }
    advance_ms(duration.count());
  }
  // Returns when `stop_waiting()` or when advance()/set() has moved the time to `deadline`. The
  // waiting thread re-checks every millisecond of real time: whoever advances the clock does not
  // need to know who waits on it.
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, TimePoint deadline,
                  const std::function<bool()>& stop_waiting) const override {
    while (!stop_waiting() && now() < deadline) wake.wait_for(lock, std::chrono::milliseconds(1));
    return stop_waiting();
  }
  std::uint64_t random() const override {
    std::lock_guard lock(random_mu_);
    return random_();
  }

  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    advance_ms(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  }
  void set(TimePoint t) {
    const long long target = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    advance_ms(target - wall_ms_.load());
  }
  // How much time code has slept on this clock in all.
  std::chrono::milliseconds slept() const {
    std::lock_guard lock(sleeps_mu_);
    return std::accumulate(sleeps_.begin(), sleeps_.end(), std::chrono::milliseconds{0});
  }
  // Each sleep_for on this clock, in order: the backoff a test checks.
  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard lock(sleeps_mu_);
    return sleeps_;
  }

 private:
  void advance_ms(long long ms) const {
    wall_ms_ += ms;
    if (ms > 0) steady_ms_ += ms;
  }
  mutable std::atomic<long long> wall_ms_;
  mutable std::atomic<long long> steady_ms_{0};
  mutable std::mutex sleeps_mu_;
  mutable std::vector<std::chrono::milliseconds> sleeps_;
  mutable std::mutex random_mu_;
  mutable std::mt19937_64 random_;
};

// Forwards every call to another clock, so a test can change one of them (LevelDB's EnvWrapper).
class ClockWrapper : public Clock {
 public:
  explicit ClockWrapper(const Clock& base) : base_(base) {}
  TimePoint now() const override { return base_.now(); }
  SteadyTime monotonic() const override { return base_.monotonic(); }
  void sleep_for(std::chrono::milliseconds d) const override { base_.sleep_for(d); }
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, TimePoint deadline,
                  const std::function<bool()>& stop_waiting) const override {
    return base_.wait_until(lock, wake, deadline, stop_waiting);
  }
  std::uint64_t random() const override { return base_.random(); }

 private:
  const Clock& base_;
};

// Forwards to another clock and, after each sleep_for, calls `after_sleep` with its duration: for
// a test in which more time passes than the code asked to wait (slow answers), or that acts at the
// moment the code waits.
class SleepHookClock : public ClockWrapper {
 public:
  SleepHookClock(const Clock& base, std::function<void(std::chrono::milliseconds)> after_sleep)
      : ClockWrapper(base), after_sleep_(std::move(after_sleep)) {}
  void sleep_for(std::chrono::milliseconds d) const override {
    ClockWrapper::sleep_for(d);
    after_sleep_(d);
  }

 private:
  std::function<void(std::chrono::milliseconds)> after_sleep_;
};

}  // namespace jit
