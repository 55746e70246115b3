// `jit audit export` and `jit audit verify`: the audit trail, printed or checked.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "app/migrate.h"
#include "app/render.h"
#include "app/runtime.h"
#include "audit/chain.h"
#include "cmd/jit/audit_checkpoints.h"
#include "audit/proof.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"

namespace jit {

int cmd_audit_export(const std::string& config, const std::string& store, const std::string& since,
                     const std::string& until, const std::string& format) {
  AuditQuery q;
  for (auto [flag, text, slot] : {std::tuple{"--since", &since, &q.since}, std::tuple{"--until", &until, &q.until}}) {
    if (text->empty()) continue;
    auto t = parse_time_flag(flag, *text);
    if (!t) return kExitUsage;
    *slot = *t;
  }
  auto rt = Runtime::build({.config_flag = config, .store_flag = store});
  if (!rt) return report(rt.error());
  auto events = all_audit_events((*rt)->store(), q);
  if (!events) return report(events.error());
  if (format == "csv") fmt::print("{}", csv_header_audit());
  for (const auto& e : *events) fmt::print("{}", format == "csv" ? to_csv(e) : to_json(e).dump() + "\n");
  return kExitOk;
}

namespace {

// "keys k1, k2 (12 events unkeyed)", or "no key (every event unkeyed)": what sealed the events read.
std::string keys_seen(const audit::VerifyReport& result) {
  if (result.key_ids.empty()) return "no key (every event unkeyed)";
  return fmt::format("key{} {}{}", result.key_ids.size() > 1 ? "s" : "", fmt::join(result.key_ids, ", "),
                     result.unkeyed > 0 ? fmt::format(" ({} events unkeyed)", result.unkeyed) : "");
}

// Every request that holds or may hold access (approved, granting, active, revoking) set against
// its own events (audit::examine_request; with `policy`, policy as it is now for those not granted
// yet): one line per mismatch. The number of mismatches that are not policy changes (edits of the
// store), or the store's error.
Result<int> cross_check_requests(Store& store, const audit::Keyring& keys, const Policy* policy) {
  auto holding = store.holding_access(100000);
  if (!holding) return fail(holding.error());
  auto flying = store.in_flight(100000);
  if (!flying) return fail(flying.error());
  std::map<std::string, AccessRequest> rows;
  for (auto* list : {&*holding, &*flying})
    for (auto& r : *list)
      if (r.state == State::approved || r.state == State::granting || r.state == State::active ||
          r.state == State::revoking)
        rows.emplace(r.id, r);
  int mismatches = 0;
  for (const auto& [id, row] : rows) {
    auto events = store.audit_events({.request_id = id});
    if (!events) return fail(events.error());
    const bool granted = row.state == State::active || row.state == State::revoking;
    const auto exam = audit::examine_request(row, *events, keys, granted ? nullptr : policy);
    for (const auto& m : exam.mismatches) {
      if (!m.policy) ++mismatches;
      fmt::print("request {} ({}) MISMATCH {}: row {}, chain {}{}\n", id, state_name(row.state), m.field,
                 m.row.empty() ? "-" : m.row, m.chain.empty() ? "-" : m.chain,
                 m.policy ? " (policy changed since; not an edit of the store)" : "");
    }
    // An extension that took its grant's assignment over (issue 17): the grant's hand_over names it,
    // and its own chain extends that grant and was approved.
    if (granted && !exam.proof.extends.empty()) {
      auto old_row = store.get_request(exam.proof.extends);
      auto old_events = store.audit_events({.request_id = exam.proof.extends});
      if (!old_row || !old_events) continue;  // the grant is gone: nothing was handed over
      const auto old_exam = audit::examine_request(*old_row, *old_events, keys, nullptr);
      if (old_exam.proof.handed_over_to.empty()) continue;  // an ordinary grant after it ended
      if (const auto problem = audit::handover_problem(old_row->id, old_exam.proof, id, exam.proof); !problem.empty()) {
        ++mismatches;
        fmt::print("request {} ({}) MISMATCH hand_over: {}\n", id, state_name(row.state), problem);
      }
    }
  }
  fmt::print("requests cross-checked against the trail: {} holding or about to hold access, {} mismatch{}\n",
             rows.size(), mismatches, mismatches == 1 ? "" : "es");
  return mismatches;
}

}  // namespace

int cmd_audit_verify(const std::string& config, const std::string& store, const CheckpointFlags& checkpoints,
                     bool allow_unkeyed) {
  auto anchors = gather_anchors(checkpoints);
  if (!anchors) return report(anchors.error());
  auto rt = Runtime::build({.config_flag = config, .store_flag = store});
  if (!rt) return report(rt.error());
  const LoadedKeyring& keys = (*rt)->audit_keys();
  for (const auto& warning : keys.warnings) std::cerr << ("jit: warning: " + warning + "\n");
  auto events = all_audit_events((*rt)->store());
  if (!events) return report(events.error());
  auto head = (*rt)->store().audit_head();
  if (!head) return report(head.error());
  auto result = audit::verify(*events, *head, keys.keys, {.allow_unkeyed = allow_unkeyed});
  const std::string configured =
      keys.keys.keyed() ? fmt::format("keys configured: {} from {}", fmt::join(keys.keys.ids(), ", "),
                                      fmt::join(keys.sources, " and "))
                        : "no key configured";
  if (!result.ok)
    fmt::print("audit trail BROKEN at event {}: {} ({} events read; sealed by {}; {})\n", result.first_bad_seq,
               result.problem, result.checked, keys_seen(result), configured);
  else
    fmt::print("audit trail verified: {} events, head #{} {}; sealed by {}; {}\n", result.checked, result.head.seq,
               result.head.hash, keys_seen(result), configured);
  const bool anchored = verify_anchors(*events, *head, anchors->anchors);
  const auto& loaded = (*rt)->config();
  auto mismatches = cross_check_requests((*rt)->store(), keys.keys, loaded ? &loaded->policy : nullptr);
  if (!mismatches) return report(mismatches.error());
  return result.ok && anchored && anchors->ok && *mismatches == 0 ? kExitOk : kExitFailure;
}

}  // namespace jit
