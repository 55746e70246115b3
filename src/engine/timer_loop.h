// The long-running loop of `jit serve`: fires expiry timers at their second, sweeps every
// sweep_interval and reconciles every reconcile_interval, until stop(). The intervals are read
// from the engine's current settings at every pass, so a reload applies to the loop and to the
// sweeper's look-ahead at once.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>

#include "engine/engine.h"
#include "ports/clock.h"

namespace jit {

class TimerLoop {
 public:
  TimerLoop(Engine& engine, const Clock& clock);
  ~TimerLoop();
  TimerLoop(const TimerLoop&) = delete;
  TimerLoop& operator=(const TimerLoop&) = delete;

  // Runs recover() and reconcile() once (start()), then step() and waits on the clock until the
  // next deadline (or a new timer), until stop(). Blocks the calling thread.
  void run();
  // Thread-safe; run() returns soon after.
  void stop();

  // The parts of run(), for tests on simulated time. start(): recovery and the first reconcile;
  // step(): fires due timers, sweeps and reconciles when due, and returns when it must run next.
  void start();
  TimePoint step();

 private:
  Engine& engine_;
  const Clock& clock_;
  TimePoint next_sweep_{}, next_reconcile_{};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
};

}  // namespace jit
