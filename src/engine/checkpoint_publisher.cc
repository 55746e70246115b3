#include "engine/checkpoint_publisher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jit {

CheckpointPublisher::CheckpointPublisher(Store& store, Chat& chat, const Clock& clock, crypto::Ed25519PrivateKey key,
                                         Seconds interval)
    : store_(store), chat_(chat), clock_(clock), key_(std::move(key)), interval_(interval) {}

CheckpointPublisher::~CheckpointPublisher() { stop(); }

void CheckpointPublisher::start() {
  thread_ = std::thread([this] { run(); });
}

void CheckpointPublisher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CheckpointPublisher::request() {
  {
    std::lock_guard lock(mu_);
    requested_ = true;
  }
  wake_.notify_all();
}

Result<std::optional<audit::Checkpoint>> CheckpointPublisher::publish_once() {
  try {
    auto head = store_.audit_head();
    if (!head) {
      spdlog::warn("event=audit_checkpoint_failed error=\"reading the audit head: {}\" will_retry=true",
                   head.error().message);
      return fail(head.error());
    }
    if (head->seq == 0 || (head->seq == published_.seq && head->hash == published_.hash)) return std::nullopt;
    auto checkpoint = audit::make_checkpoint(*head, clock_.now(), key_);
    if (!checkpoint) {
      spdlog::error("event=audit_checkpoint_failed error=\"{}\" will_retry=true", checkpoint.error().message);
      return fail(checkpoint.error());
    }
    // The fields, and the whole line once more: JSON logs split the fields into keys, and the line
    // keeps a form that scan_checkpoints finds in a CloudWatch export.
    spdlog::info("event=audit_checkpoint {} checkpoint=\"{}\"", audit::fields_text(*checkpoint),
                 audit::to_line(*checkpoint));
    auto posted = chat_.alert(fmt::format("Audit checkpoint: the trail is at event {}. Keep this line; `jit audit "
                                          "verify --checkpoints FILE --public-key KEY` checks the trail against it.\n{}",
                                          checkpoint->seq, audit::to_line(*checkpoint)));
    if (!posted) {
      spdlog::warn("event=audit_checkpoint_post_failed seq={} error=\"{}\" will_retry=true", checkpoint->seq,
                   posted.error().message);
      return fail(posted.error());
    }
    published_ = *head;
    return checkpoint;
  } catch (const std::exception& e) {
    spdlog::error("event=audit_checkpoint_failed error=\"{}\" will_retry=true", e.what());
    return fail(Error::Internal(e.what()));
  }
}

void CheckpointPublisher::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    requested_ = false;
    // The next turn is an interval after this one began, however long a slow post took.
    const TimePoint next = clock_.now() + interval_;
    lock.unlock();
    (void)publish_once();
    lock.lock();
    if (stopping_) break;
    clock_.wait_until(lock, wake_, next, [&] { return stopping_ || requested_; });
  }
}

}  // namespace jit
