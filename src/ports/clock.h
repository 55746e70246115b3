#pragma once

#include "core/time.h"

namespace jit {

// The only source of "now". Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

}  // namespace jit

#include <atomic>
#include <chrono>

namespace jit {

// Wall-clock time, whole seconds.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  }
};

// Time that moves only when told to: for tests and the accelerated demo.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(epoch_seconds(start)) {}
  TimePoint now() const override { return from_epoch(now_.load()); }
  void advance(Seconds d) { now_ += d.count(); }
  void set(TimePoint t) { now_ = epoch_seconds(t); }

 private:
  std::atomic<long long> now_;
};

}  // namespace jit
