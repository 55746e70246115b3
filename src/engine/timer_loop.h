// The long-running loop of `jit serve`: fires expiry timers at their second, sweeps every
// sweep_interval and reconciles every reconcile_interval, until stop(). The intervals are read
// from the engine's current settings at every pass, so a reload applies to the loop and to the
// sweeper's look-ahead at once.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/engine.h"
#include "engine/revoke_pool.h"
#include "ports/clock.h"

namespace jit {

struct TimerLoopOptions {
  // Expired grants are revoked by this many worker threads (a RevokePool the loop owns), started at
  // most `revoke_rate` per second, so firing timers never waits for AWS. 0: revoked one after
  // another on the loop's own thread (unit tests that step the loop and read the outcome at once).
  int revoke_concurrency = 0;
  int revoke_rate = 10;
};

class TimerLoop {
 public:
  // Sets the engine's revoke dispatcher to its pool (with revoke_concurrency > 0) until destroyed.
  TimerLoop(Engine& engine, const Clock& clock, TimerLoopOptions options = {});
  ~TimerLoop();
  TimerLoop(const TimerLoop&) = delete;
  TimerLoop& operator=(const TimerLoop&) = delete;

  // Runs recover() and reconcile() once (start()), then step() and waits on the clock until the
  // next deadline (or a new timer), until stop(). Blocks the calling thread. With revocation
  // workers, start() and the sweeps and reconciles run on a second thread, and the calling thread
  // only fires timers, so a sweep waiting on Slack or AWS never delays an expiry.
  void run();
  // Thread-safe; run() returns soon after.
  void stop();

  // The parts of run(), for tests on simulated time. start(): recovery and the first reconcile;
  // step(): fires due timers, sweeps and reconciles when due, and returns when it must run next.
  void start();
  TimePoint step();
  // The revocation workers, or null when revocations run on the loop's thread.
  RevokePool* revoke_pool() { return pool_.get(); }

 private:
  // Sweeps and reconciles when due; returns when the next of them is due.
  TimePoint maintain();

  Engine& engine_;
  const Clock& clock_;
  std::unique_ptr<RevokePool> pool_;
  TimePoint next_sweep_{}, next_reconcile_{};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
};

}  // namespace jit
