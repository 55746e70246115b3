#include "audit/chain.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "crypto/digest.h"

namespace jit::audit {

namespace {

// Length-prefixed fields: no choice of field contents can make two events serialise alike.
void put(std::string& out, std::string_view field) { fmt::format_to(std::back_inserter(out), "{}:{};", field.size(), field); }

// The text an event's hash or MAC is computed over (the forms are described in chain.h).
std::string canonical_form(const AuditEvent& e) {
  const bool v1 = e.facts.empty() && e.key_id.empty();
  std::string canonical = v1 ? "jit-audit-v1;" : "jit-audit-v2;";
  put(canonical, std::to_string(e.seq));
  put(canonical, std::to_string(epoch_seconds(e.at)));
  put(canonical, e.actor);
  put(canonical, e.action);
  put(canonical, e.request_id);
  put(canonical, e.from_state);
  put(canonical, e.to_state);
  put(canonical, e.detail);
  put(canonical, e.prev_hash);
  if (!v1) {
    put(canonical, e.facts);
    put(canonical, e.key_id);
  }
  return canonical;
}

}  // namespace

Result<std::string> compute_hash(const AuditEvent& e, const Keyring& keys) {
  if (e.key_id.empty()) return crypto::sha256_hex(canonical_form(e));
  if (!keys.has(e.key_id))
    return fail(Error::Invalid(fmt::format(
        "audit event {} was sealed by key {}, which this keyring lacks ({}): configure that key ([audit] key_file "
        "or JIT_AUDIT_KEY) to verify it",
        e.seq, e.key_id, keys.keyed() ? fmt::format("it holds {}", fmt::join(keys.ids(), ", ")) : "no key is configured")));
  return keys.mac_hex(e.key_id, canonical_form(e));
}

Result<> check_event(const AuditEvent& event, const Keyring& keys) {
  auto expected = compute_hash(event, keys);
  if (!expected) return fail(expected.error());
  if (!crypto::equal_constant_time(*expected, event.hash))
    return fail(Error::Invalid(fmt::format("audit event {} was modified: its contents do not match its {}", event.seq,
                                           event.key_id.empty() ? "hash" : "MAC (key " + event.key_id + ")")));
  return {};
}

void seal(AuditEvent& event, const AuditHead& head, const Keyring& keys) {
  event.seq = head.seq + 1;
  event.prev_hash = head.seq == 0 ? kGenesisHash : head.hash;
  event.key_id = keys.current_id();
  // Cannot fail: the key id is the keyring's own current key, or "".
  event.hash = compute_hash(event, keys).value();
}

VerifyReport verify(const std::vector<AuditEvent>& events, const AuditHead& stored_head, const Keyring& keys,
                    const VerifyOptions& options) {
  VerifyReport report;
  report.head = {0, kGenesisHash};
  auto bad = [&](std::int64_t seq, std::string problem) {
    report.ok = false;
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };
  const bool downgrade_rule = keys.keyed() && !options.allow_unkeyed;
  std::int64_t last_keyed = 0;  // seq of the last keyed event read (0: none yet)
  for (const auto& e : events) {
    ++report.checked;
    const std::int64_t expected_seq = report.head.seq + 1;
    if (e.seq != expected_seq)
      return bad(e.seq, e.seq > expected_seq
                            ? fmt::format("event {} is missing (next event found is {})", expected_seq, e.seq)
                            : fmt::format("event {} is out of order or duplicated after event {}", e.seq,
                                          report.head.seq));
    if (e.prev_hash != report.head.hash)
      return bad(e.seq, fmt::format("event {} does not follow event {}: its prev_hash does not match",
                                    e.seq, report.head.seq));
    if (auto checked = check_event(e, keys); !checked) return bad(e.seq, checked.error().message);
    if (e.key_id.empty()) {
      ++report.unkeyed;
      if (downgrade_rule && last_keyed > 0)
        return bad(e.seq, fmt::format("event {} is not keyed but follows keyed event {}: once the trail is keyed, "
                                      "an unkeyed event is one sealed without the key, i.e. by someone who does not "
                                      "hold it (pass --allow-unkeyed only if the service really ran without its key)",
                                      e.seq, last_keyed));
    } else {
      last_keyed = e.seq;
      if (std::find(report.key_ids.begin(), report.key_ids.end(), e.key_id) == report.key_ids.end())
        report.key_ids.push_back(e.key_id);
    }
    report.head = {e.seq, e.hash};
  }
  if (downgrade_rule && report.head.seq > last_keyed)
    return bad(last_keyed + 1, fmt::format("events {} to {} are not keyed although a key is configured: whoever "
                                           "holds the store alone can write such events (a trail that ends keyed "
                                           "proves its unkeyed start; pass --allow-unkeyed for a trail not yet "
                                           "written by the keyed service)",
                                           last_keyed + 1, report.head.seq));
  const std::string stored_hash = stored_head.seq == 0 ? kGenesisHash : stored_head.hash;
  if (stored_head.seq != report.head.seq || stored_hash != report.head.hash)
    return bad(report.head.seq + 1,
               stored_head.seq > report.head.seq
                   ? fmt::format("events {} to {} are missing: the recorded head is event {}", report.head.seq + 1,
                                 stored_head.seq, stored_head.seq)
                   : fmt::format("the recorded head (event {}) does not match the last event ({})",
                                 stored_head.seq, report.head.seq));
  return report;
}

}  // namespace jit::audit
