// The tamper-evident audit chain: each event's hash covers its own fields and the hash of the
// event before it, so changing, deleting, inserting or reordering any event breaks the chain
// from that point on. The store also keeps the head (last seq and hash) apart from the events,
// so that cutting events off the end is detected too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "ports/store.h"

namespace jit::audit {

// prev_hash of the first event.
inline const std::string kGenesisHash(64, '0');

// Sets seq, prev_hash and hash of `event` so that it follows `head`.
void seal(AuditEvent& event, const AuditHead& head);

// The hash `event` must carry, given its fields and its prev_hash.
std::string compute_hash(const AuditEvent& event);

// Whether `event` is what was sealed: its hash matches its fields (its place in the chain is not
// checked: verify does that). Errc::invalid naming the event when it does not.
Result<> check_event(const AuditEvent& event);

// The Errc::conflict of Store::import_audit when `event`, sealed elsewhere, does not extend the
// chain at `head` (its seq is not head.seq + 1, or its prev_hash is not head.hash); nullopt when
// it does.
inline std::optional<Error> import_conflict(const AuditEvent& event, const AuditHead& head) {
  if (event.seq == head.seq + 1 && event.prev_hash == head.hash) return std::nullopt;
  return Error::Conflict("audit event " + std::to_string(event.seq) + " (prev_hash " + event.prev_hash +
                         ") does not extend this trail, whose head is event " + std::to_string(head.seq) + " (hash " +
                         head.hash + "): an import must continue from the head, in seq order");
}

struct VerifyReport {
  bool ok = true;
  std::int64_t checked = 0;        // events read
  std::int64_t first_bad_seq = 0;  // seq of the first bad event (0 when ok)
  std::string problem;             // what is wrong with it
  AuditHead head;                  // the last good event
};

// Checks a whole trail, in the order given (the store's seq order), against the stored head.
VerifyReport verify(const std::vector<AuditEvent>& events, const AuditHead& stored_head);

}  // namespace jit::audit
