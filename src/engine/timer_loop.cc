#include "engine/timer_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace jit {

namespace {

// A reconcile that could not finish (AWS unreachable, no credentials) is tried again within a
// minute rather than a whole reconcile_interval: standing access is found sooner, and readiness
// sees AWS come back.
Seconds reconcile_gap(const Settings& settings, const ReconcileReport& report) {
  if (report.errors == 0) return settings.reconcile_interval;
  return std::min<Seconds>(settings.reconcile_interval, std::max<Seconds>(settings.sweep_interval, Seconds{60}));
}

// Runs one part of the loop: whatever it throws (a malformed answer from AWS or the store, deep in a
// call) is logged, and the part is tried again on its next turn. No input from outside may end the
// loop, and with it every revocation. True when the part ran through.
template <class Part>
bool survived(std::string_view part, Part&& run) {
  try {
    run();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("event=loop_error part={} error=\"{}\" will_retry=true", part, e.what());
  } catch (...) {
    spdlog::error("event=loop_error part={} error=\"(not a std::exception)\" will_retry=true", part);
  }
  return false;
}

// The reconcile gap after a reconcile that did not finish.
constexpr ReconcileReport kUnfinished{.errors = 1};

}  // namespace

TimerLoop::TimerLoop(Engine& engine, const Clock& clock, TimerLoopOptions options) : engine_(engine), clock_(clock) {
  if (options.revoke_concurrency > 0) {
    pool_ = std::make_unique<RevokePool>(
        [&engine](const std::string& id) {
          try {
            auto done = engine.expire(id);
            if (!done)
              spdlog::warn("event=timer_revoke_deferred request={} error=\"{}\"", id, done.error().message);
          } catch (const std::exception& e) {  // the sweeper tries again; the worker lives on
            spdlog::error("event=timer_revoke_deferred request={} error=\"{}\"", id, e.what());
          }
        },
        clock, RevokePoolOptions{.concurrency = options.revoke_concurrency, .rate = options.revoke_rate},
        [&engine](const std::string& id) {
          try {
            return engine.still_active(id);
          } catch (const std::exception&) {  // expire() will say what is wrong
            return true;
          }
        });
    engine_.set_revoke_dispatcher([pool = pool_.get()](const std::string& id) { pool->submit(id); });
  }
  engine_.set_timer_listener([this] {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    wake_.notify_all();
  });
}

TimerLoop::~TimerLoop() {
  engine_.set_timer_listener(nullptr);
  if (pool_) {
    engine_.set_revoke_dispatcher(nullptr);
    pool_->stop();
  }
}

void TimerLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void TimerLoop::start() {
  survived("recover", [&] {
    auto recovered = engine_.recover();
    spdlog::info("event=recovered revoked={} resumed={} lapsed={} errors={}", recovered.revoked, recovered.resumed,
                 recovered.lapsed, recovered.errors);
  });
  ReconcileReport report = kUnfinished;
  survived("reconcile", [&] { report = engine_.reconcile(); });
  const auto settings = engine_.settings();
  next_reconcile_ = clock_.now() + reconcile_gap(*settings, report);
  next_sweep_ = clock_.now() + settings->sweep_interval;
}

TimePoint TimerLoop::maintain() {
  const auto settings = engine_.settings();
  // A reload that shortens an interval takes effect now, not after the old one has run out.
  next_sweep_ = std::min(next_sweep_, clock_.now() + settings->sweep_interval);
  next_reconcile_ = std::min(next_reconcile_, clock_.now() + settings->reconcile_interval);
  const TimePoint now = clock_.now();
  if (now >= next_sweep_) {
    survived("sweep", [&] { engine_.sweep(); });
    next_sweep_ = now + settings->sweep_interval;
  }
  if (now >= next_reconcile_) {
    ReconcileReport report = kUnfinished;
    survived("reconcile", [&] { report = engine_.reconcile(); });
    next_reconcile_ = now + reconcile_gap(*settings, report);
  }
  return std::min(next_sweep_, next_reconcile_);
}

TimePoint TimerLoop::step() {
  survived("timers", [&] { engine_.fire_due_timers(); });
  TimePoint deadline = maintain();
  if (auto t = engine_.next_timer()) deadline = std::min(deadline, *t);
  return deadline;
}

void TimerLoop::run() {
  // With revocation workers, the sweeper and the reconciler (which may wait on Slack or AWS) run
  // on a thread of their own, and this one only fires timers: no sweep delays an expiry.
  std::thread maintenance;
  if (pool_) {
    maintenance = std::thread([this] {
      start();
      std::unique_lock lock(mu_);
      while (!stopping_) {
        lock.unlock();
        const TimePoint deadline = maintain();
        lock.lock();
        if (stopping_) break;
        clock_.wait_until(lock, wake_, deadline, [&] { return stopping_; });
      }
    });
  } else {
    start();
  }
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    TimePoint deadline;
    if (pool_) {
      survived("timers", [&] { engine_.fire_due_timers(); });
      deadline = engine_.next_timer().value_or(clock_.now() + engine_.settings()->sweep_interval);
    } else {
      deadline = step();
    }
    lock.lock();
    if (stopping_) break;
    clock_.wait_until(lock, wake_, deadline, [&] { return stopping_ || woken_; });
    woken_ = false;
  }
  lock.unlock();
  if (maintenance.joinable()) maintenance.join();
  spdlog::info("event=stopped");
}

}  // namespace jit
