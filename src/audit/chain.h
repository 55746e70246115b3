// The tamper-evident audit chain: each event's hash covers its own fields and the hash of the
// event before it, so changing, deleting, inserting or reordering any event breaks the chain
// from that point on. The store also keeps the head (last seq and hash) apart from the events,
// so that cutting events off the end is detected too.
//
// Keyed chain: an event with a key_id carries HMAC-SHA256(key[key_id], canonical form) instead of
// SHA-256(canonical form), so that only a holder of the key can compute it (audit/keyring.h).
//
// Canonical forms. v1 ("jit-audit-v1;" then seq, at, actor, action, request_id, from_state,
// to_state, detail, prev_hash, each length-prefixed) is what every event written before facts and
// keys existed was sealed with, and still is for an event with facts == "" and key_id == "": so
// old trails verify unchanged. Any other event is sealed with v2 ("jit-audit-v2;" then the v1
// fields, facts and key_id): its distinct prefix keeps the two forms from ever serialising alike.
//
// Downgrade rule (verify with a keyed keyring): once an event is keyed, every later event must be
// keyed, and a trail that is not empty must end with a keyed event. An unkeyed prefix (a trail
// started before a key was configured) is fine: the first keyed event's MAC covers its prev_hash,
// so the prefix cannot be rewritten either. Without the rule, whoever cannot compute MACs could
// rewrite the trail from any point as unkeyed events. VerifyOptions::allow_unkeyed lifts it, for
// an operator who knows the service ran without its key for a while.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "core/model.h"
#include "ports/store.h"

namespace jit::audit {

// prev_hash of the first event.
inline const std::string kGenesisHash(64, '0');

// Sets seq, prev_hash, key_id (keys.current_id(), "" when unkeyed) and hash of `event` so that it
// follows `head`.
void seal(AuditEvent& event, const AuditHead& head, const Keyring& keys);

// The hash `event` must carry, given its fields, its prev_hash and its key_id: SHA-256 when key_id
// is "", else the HMAC under that key. Errc::invalid naming the event and the key id when `keys`
// lacks that key.
Result<std::string> compute_hash(const AuditEvent& event, const Keyring& keys);

// Whether `event` is what was sealed: its hash matches its fields (its place in the chain is not
// checked: verify does that). Errc::invalid naming the event when it was modified, or was sealed
// by a key `keys` lacks. The MAC is compared in constant time.
Result<> check_event(const AuditEvent& event, const Keyring& keys);

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
  std::vector<std::string> key_ids;  // the key ids of the events read, in order of first use
  std::int64_t unkeyed = 0;          // events read that no key sealed
};

struct VerifyOptions {
  // Accept unkeyed events after keyed ones, and a trail that ends unkeyed (the downgrade rule
  // above is not applied).
  bool allow_unkeyed = false;
};

// Checks a whole trail, in the order given (the store's seq order), against the stored head, with
// `keys` for the keyed events; with a keyed keyring, also the downgrade rule (see the top).
VerifyReport verify(const std::vector<AuditEvent>& events, const AuditHead& stored_head, const Keyring& keys,
                    const VerifyOptions& options = {});

}  // namespace jit::audit
