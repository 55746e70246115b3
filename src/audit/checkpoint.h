// Signed checkpoints of the audit trail: "the trail had event SEQ with hash HEAD at time AT",
// signed with an Ed25519 key the store does not hold, and published where the store's writer
// cannot rewrite it (the ops channel, the service log). A checkpoint kept outside the store turns
// two attacks the chain alone cannot see into a failed `jit audit verify`: cutting events off the
// end (with the head row moved back) and rewriting the trail with every hash recomputed.
//
// One line of text carries a checkpoint, so it survives Slack, CloudWatch and copy-and-paste:
//   jit-checkpoint v1 seq=123 head=<hash> at=2026-12-03T12:00:00Z key=<key id> sig=<base64url>
// The service log writes the same fields after "event=audit_checkpoint" instead of
// "jit-checkpoint v1"; scan_checkpoints finds both, anywhere in any text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "crypto/ed25519.h"
#include "ports/store.h"

namespace jit::audit {

struct Checkpoint {
  std::int64_t seq = 0;   // the head event's seq (>= 1)
  std::string head;       // the head event's hash as stored (AuditHead.hash), opaque text
  TimePoint at{};         // when the checkpoint was made
  std::string key_id;     // crypto::Ed25519PublicKey::key_id() of the signing key
  std::string signature;  // 64 raw bytes, Ed25519 over signed_text()
  bool operator==(const Checkpoint&) const = default;
};

// The longest head a checkpoint carries, and the characters it may hold: letters, digits and
// "-_.:" (hex, base64url and "key:mac" forms fit; no whitespace, quote, '/' or '=' can appear, so
// a line parses one way and reads back the same from a JSON export that escapes '/').
inline constexpr std::size_t kMaxHeadLength = 256;
bool is_head_text(std::string_view head);

// The exact bytes signed: one "name=value" per line after a version line. Every value is free of
// newlines (seq digits, is_head_text, a UTC time, a hex key id), so no two checkpoints share it.
std::string signed_text(const Checkpoint& checkpoint);

// The checkpoint of `head` at `at`, signed by `key`. Errc::invalid when head.seq < 1 or its hash
// is not is_head_text (a store that returns such a head is broken or tampered with).
Result<Checkpoint> make_checkpoint(const AuditHead& head, TimePoint at, const crypto::Ed25519PrivateKey& key);

// True when `checkpoint` names `key` and its signature is `key`'s over signed_text().
bool signature_valid(const Checkpoint& checkpoint, const crypto::Ed25519PublicKey& key);

// "seq=… head=… at=… key=… sig=…": the fields, as both text forms carry them.
std::string fields_text(const Checkpoint& checkpoint);
// "jit-checkpoint v1 " + fields_text: the form posted to Slack and printed for people.
std::string to_line(const Checkpoint& checkpoint);

// Limits of scan_checkpoints: more text than this is not read, more checkpoints are not kept.
inline constexpr std::size_t kMaxScanBytes = 64u << 20;
inline constexpr std::size_t kMaxCheckpoints = 100'000;

struct ScanResult {
  std::vector<Checkpoint> found;  // each distinct checkpoint once, in order of first appearance
  bool truncated = false;         // the text or the number of checkpoints went past a limit
};

// Every well-formed checkpoint in `text` (a Slack export, a CloudWatch export, a log file, a
// mix), in either form. Signatures are not checked here. A marker followed by malformed fields
// is skipped. Reads at most kMaxScanBytes; never throws.
ScanResult scan_checkpoints(std::string_view text);

}  // namespace jit::audit
