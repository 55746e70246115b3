// The long-running loop of `jit serve`: fires expiry timers at their second, sweeps every
// sweep_interval, reconciles every reconcile_interval, until stop() is called.
#pragma once

#include <condition_variable>
#include <mutex>

#include "app/engine.h"

namespace jit {

class Service {
 public:
  Service(Engine& engine, Seconds sweep_interval, Seconds reconcile_interval);
  ~Service();

  // Runs recover() and reconcile() once, then loops until stop(). Uses the system clock to wait.
  void run();
  // Thread-safe; run() returns soon after.
  void stop();

 private:
  Engine& engine_;
  Seconds sweep_interval_, reconcile_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
};

}  // namespace jit
