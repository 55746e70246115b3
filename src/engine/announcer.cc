#include "engine/announcer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <optional>

namespace jit {

void register_announcer_metrics(Metrics& m) {
  m.counter("jit_announcements_dropped_total",
            "Slack announcements dropped unsent because the announcement queue was full or the service stopped, "
            "by kind (update, notice, alert).");
  m.gauge("jit_announcements_queued", "Slack announcements waiting in the announcement queue.");
}

Announcer::Announcer(Chat& chat, const Clock& clock, AnnouncerOptions options)
    : chat_(chat), clock_(clock), options_(std::move(options)) {
  options_.capacity = std::max<std::size_t>(options_.capacity, 1);
  worker_ = std::thread([this] { run(); });
}

Announcer::~Announcer() { stop(options_.drain_deadline); }

const char* Announcer::kind_name(Kind kind) {
  switch (kind) {
    case Kind::update: return "update";
    case Kind::notice: return "notice";
    case Kind::alert: return "alert";
  }
  return "?";
}

Result<MessageRef> Announcer::post_request(const AccessRequest& request) { return chat_.post_request(request); }

Result<> Announcer::update_request(const AccessRequest& request, const AuditEvent& event) {
  push({Kind::update, request.id, [request, event](Chat& c) { return c.update_request(request, event); }});
  return {};
}

Result<> Announcer::post_escalation(const AccessRequest& request, const std::string& channel,
                                    const std::vector<std::string>& approvers) {
  push({Kind::update, request.id,
        [request, channel, approvers](Chat& c) { return c.post_escalation(request, channel, approvers); }});
  return {};
}

Result<> Announcer::notify_requester(const AccessRequest& request, Notice notice) {
  push({Kind::notice, request.id, [request, notice](Chat& c) { return c.notify_requester(request, notice); }});
  return {};
}

Result<> Announcer::notify_bundle(const std::string& requester, const BundleOutcome& outcome) {
  push({Kind::notice, outcome.bundle,
        [requester, outcome](Chat& c) { return c.notify_bundle(requester, outcome); }});
  return {};
}

Result<> Announcer::alert(const std::string& text) {
  push({Kind::alert, "", [text](Chat& c) { return c.alert(text); }});
  return {};
}

void Announcer::push(Item item) {
  std::optional<Item> dropped;
  const char* why = "queue_full";
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      why = "stopped";
      dropped = std::move(item);
    } else {
      bool keep_new = true;
      if (queue_.size() >= options_.capacity) {
        // The oldest requester notice goes first; a new notice gives way to waiting essentials.
        auto oldest_notice =
            std::find_if(queue_.begin(), queue_.end(), [](const Item& i) { return i.kind == Kind::notice; });
        if (oldest_notice != queue_.end()) {
          dropped = std::move(*oldest_notice);
          queue_.erase(oldest_notice);
        } else if (item.kind == Kind::notice) {
          keep_new = false;
          dropped = std::move(item);
        } else {
          dropped = std::move(queue_.front());
          queue_.pop_front();
        }
      }
      if (keep_new) queue_.push_back(std::move(item));
      publish_length();
    }
  }
  wake_.notify_one();
  if (dropped) drop(*dropped, why);
}

void Announcer::drop(const Item& item, const char* why) {
  spdlog::warn("event=announcement_dropped kind={} request={} reason={} capacity={}", kind_name(item.kind),
               item.request_id.empty() ? "-" : item.request_id, why, options_.capacity);
  if (options_.metrics) options_.metrics->inc("jit_announcements_dropped_total", {{"kind", kind_name(item.kind)}});
}

void Announcer::publish_length() {
  if (options_.metrics) options_.metrics->set("jit_announcements_queued", {}, static_cast<double>(queue_.size()));
}

void Announcer::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (abandon_ || queue_.empty()) break;  // stopping, and nothing (more) to deliver
    Item item = std::move(queue_.front());
    queue_.pop_front();
    delivering_ = true;
    publish_length();
    lock.unlock();
    Result<> sent;
    try {
      sent = item.deliver(chat_);
    } catch (const std::exception& e) {
      sent = fail(Error::Unavailable(e.what()));
    }
    if (!sent)
      spdlog::warn("event=announcement_failed kind={} request={} error=\"{}\"", kind_name(item.kind),
                   item.request_id.empty() ? "-" : item.request_id, sent.error().message);
    lock.lock();
    delivering_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

bool Announcer::wait_idle(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  const auto idle = [&] { return queue_.empty() && !delivering_; };
  if (idle()) return true;
  return clock_.wait_until(lock, idle_cv_, clock_.now() + std::chrono::ceil<Seconds>(deadline), idle);
}

std::size_t Announcer::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Announcer::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  wait_idle(deadline);
  std::deque<Item> left;
  {
    std::lock_guard lock(mu_);
    abandon_ = true;
    left.swap(queue_);
    publish_length();
  }
  wake_.notify_all();
  for (const Item& item : left) drop(item, "shutdown_deadline");
  if (worker_.joinable()) worker_.join();
}

}  // namespace jit
