#include "engine/revoke_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace jit {

RevokePool::RevokePool(std::function<void(const std::string&)> revoke, const Clock& clock, RevokePoolOptions options,
                       std::function<bool(const std::string&)> needed)
    : revoke_(std::move(revoke)), needed_(std::move(needed)), clock_(clock), gate_(clock, Rate{std::max(1, options.rate), std::chrono::seconds(1)}, std::max(1, options.rate)) {
  const int n = std::max(1, options.concurrency);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
}

RevokePool::~RevokePool() { stop(); }

bool RevokePool::submit(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !pending_.insert(id).second) return false;
    queue_.push_back(id);
  }
  wake_.notify_one();
  return true;
}

void RevokePool::work() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string id = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    // A grant the sweeper handed over again just after a worker revoked it takes no token.
    if (!needed_ || needed_(id)) {
      gate_.take();  // the rate: the wait happens here, outside the queue's lock
      bool stopped;
      {
        std::lock_guard check(mu_);
        stopped = stopping_;
      }
      if (!stopped) revoke_(id);
    }
    lock.lock();
    pending_.erase(id);
    if (pending_.empty()) idle_.notify_all();
  }
}

bool RevokePool::wait_idle(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  const auto idle = [&] { return pending_.empty(); };
  if (idle()) return true;
  return clock_.wait_until(lock, idle_, clock_.now() + std::chrono::ceil<Seconds>(deadline), idle);
}

std::size_t RevokePool::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void RevokePool::stop() {
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    dropped = queue_.size();
    for (const auto& id : queue_) pending_.erase(id);
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  if (dropped > 0)
    spdlog::info("event=revoke_pool_stopped left_for_sweeper={} detail=\"queued revocations stay active in the store\"",
                 dropped);
}

}  // namespace jit
