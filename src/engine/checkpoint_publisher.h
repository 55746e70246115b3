// Publishes signed checkpoints of the audit trail (audit/checkpoint.h) where the store's writer
// cannot rewrite them: a structured log line (event=audit_checkpoint seq=… head=… at=… key=… sig=…
// checkpoint="jit-checkpoint v1 …", CloudWatch on ECS) and the
// ops channel (Chat::alert). At every interval and soon after every grant (request()), on a thread
// of its own, so that nothing in the lifecycle waits on the store read, the signature or Slack.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "audit/checkpoint.h"
#include "crypto/ed25519.h"
#include "ports/chat.h"
#include "ports/clock.h"
#include "ports/store.h"

namespace jit {

class CheckpointPublisher {
 public:
  // `chat` should post at once (not a queue that always succeeds), so that a failed post is known
  // and retried at the next turn. `interval` > 0.
  CheckpointPublisher(Store& store, Chat& chat, const Clock& clock, crypto::Ed25519PrivateKey key, Seconds interval);
  // Stops the thread if it runs.
  ~CheckpointPublisher();
  CheckpointPublisher(const CheckpointPublisher&) = delete;
  CheckpointPublisher& operator=(const CheckpointPublisher&) = delete;

  // Starts the thread: a turn at once, then one each `interval` and one after each request().
  void start();
  // Thread-safe; idempotent. Returns once the thread has finished its turn.
  void stop();
  // Asks for a turn soon (after a grant). Thread-safe, never blocks on I/O, never throws.
  void request();

  // One turn, on the calling thread: reads the head, and unless it was published already (logged
  // and posted), signs it, logs it and posts it. The checkpoint when one was made (even if the
  // post failed: the next turn posts again), nullopt when there was nothing new. Never throws: a
  // store or chat failure is logged and returned as an error.
  Result<std::optional<audit::Checkpoint>> publish_once();

 private:
  void run();

  Store& store_;
  Chat& chat_;
  const Clock& clock_;
  const crypto::Ed25519PrivateKey key_;
  const Seconds interval_;
  AuditHead published_;  // the head last logged and posted (publish_once's thread only)

  std::mutex mu_;
  std::condition_variable wake_;
  bool requested_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace jit
