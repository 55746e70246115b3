#include "app/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace jit {

Service::Service(Engine& engine, Seconds sweep_interval, Seconds reconcile_interval)
    : engine_(engine), sweep_interval_(sweep_interval), reconcile_interval_(reconcile_interval) {
  engine_.set_timer_listener([this] {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  });
}

Service::~Service() { engine_.set_timer_listener(nullptr); }

void Service::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Service::run() {
  SystemClock clock;
  auto recovered = engine_.recover();
  spdlog::info("event=recovered revoked={} resumed={} lapsed={} errors={}", recovered.revoked, recovered.resumed,
               recovered.lapsed, recovered.errors);
  // A reconcile that could not finish (AWS unreachable, no credentials) is tried again within a
  // minute rather than a whole reconcile_interval: standing access is found sooner, and readiness
  // sees AWS come back.
  auto reconcile_gap = [this](const ReconcileReport& r) {
    return r.errors > 0 ? std::min<Seconds>(reconcile_interval_, std::max<Seconds>(sweep_interval_, Seconds{60}))
                        : reconcile_interval_;
  };
  TimePoint next_reconcile = clock.now() + reconcile_gap(engine_.reconcile());
  TimePoint next_sweep = clock.now() + sweep_interval_;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    engine_.fire_due_timers();
    const TimePoint now = clock.now();
    if (now >= next_sweep) {
      engine_.sweep();
      next_sweep = now + sweep_interval_;
    }
    if (now >= next_reconcile) next_reconcile = now + reconcile_gap(engine_.reconcile());
    TimePoint deadline = std::min(next_sweep, next_reconcile);
    if (auto t = engine_.next_timer()) deadline = std::min(deadline, *t);
    lock.lock();
    if (stopping_) break;
    cv_.wait_until(lock, std::chrono::system_clock::time_point(deadline), [&] { return stopping_ || woken_; });
    woken_ = false;
  }
  spdlog::info("event=stopped");
}

}  // namespace jit
