#include "audit/chain.h"

#include <fmt/format.h>

#include "crypto/digest.h"

namespace jit::audit {

namespace {

// Length-prefixed fields: no choice of field contents can make two events serialise alike.
void put(std::string& out, std::string_view field) { fmt::format_to(std::back_inserter(out), "{}:{};", field.size(), field); }

}  // namespace

std::string compute_hash(const AuditEvent& e) {
  std::string canonical = "jit-audit-v1;";
  put(canonical, std::to_string(e.seq));
  put(canonical, std::to_string(epoch_seconds(e.at)));
  put(canonical, e.actor);
  put(canonical, e.action);
  put(canonical, e.request_id);
  put(canonical, e.from_state);
  put(canonical, e.to_state);
  put(canonical, e.detail);
  put(canonical, e.prev_hash);
  return crypto::sha256_hex(canonical);
}

Result<> check_event(const AuditEvent& event) {
  if (compute_hash(event) != event.hash)
    return fail(Error::Invalid(fmt::format("audit event {} was modified: its contents do not match its hash", event.seq)));
  return {};
}

void seal(AuditEvent& event, const AuditHead& head) {
  event.seq = head.seq + 1;
  event.prev_hash = head.seq == 0 ? kGenesisHash : head.hash;
  event.hash = compute_hash(event);
}

VerifyReport verify(const std::vector<AuditEvent>& events, const AuditHead& stored_head) {
  VerifyReport report;
  report.head = {0, kGenesisHash};
  auto bad = [&](std::int64_t seq, std::string problem) {
    report.ok = false;
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };
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
    if (auto checked = check_event(e); !checked) return bad(e.seq, checked.error().message);
    report.head = {e.seq, e.hash};
  }
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
