// `jit audit export` and `jit audit verify`: the audit trail, printed or checked.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "app/migrate.h"
#include "app/render.h"
#include "app/runtime.h"
#include "audit/chain.h"
#include "audit/proof.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"

namespace jit {

int cmd_audit_export(const std::string& config, const std::string& store, const std::string& since,
                     const std::string& until, const std::string& format) {
  AuditQuery q;
  for (auto [flag, text, slot] : {std::tuple{"--since", &since, &q.since}, std::tuple{"--until", &until, &q.until}}) {
    if (text->empty()) continue;
    auto t = parse_time(*text);
    if (!t) {
      std::cerr << fmt::format("jit: {} \"{}\": expected a UTC time like 2026-11-24T10:00:00Z or a date like "
                               "2026-11-24\n", flag, *text);
      return kExitUsage;
    }
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

// Every request that holds or may hold access (approved, granting, active, revoking) set against
// its own events (audit::examine_request; with `policy`, policy as it is now for those not granted
// yet): one line per mismatch. The number of mismatches that are not policy changes (edits of the
// store), or the store's error.
Result<int> cross_check_requests(Store& store, const Policy* policy) {
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
    for (const auto& m : audit::examine_request(row, *events, granted ? nullptr : policy).mismatches) {
      if (!m.policy) ++mismatches;
      fmt::print("request {} ({}) MISMATCH {}: row {}, chain {}{}\n", id, state_name(row.state), m.field,
                 m.row.empty() ? "-" : m.row, m.chain.empty() ? "-" : m.chain,
                 m.policy ? " (policy changed since; not an edit of the store)" : "");
    }
  }
  fmt::print("requests cross-checked against the trail: {} holding or about to hold access, {} mismatch{}\n",
             rows.size(), mismatches, mismatches == 1 ? "" : "es");
  return mismatches;
}

}  // namespace

int cmd_audit_verify(const std::string& config, const std::string& store) {
  auto rt = Runtime::build({.config_flag = config, .store_flag = store});
  if (!rt) return report(rt.error());
  auto events = all_audit_events((*rt)->store());
  if (!events) return report(events.error());
  auto head = (*rt)->store().audit_head();
  if (!head) return report(head.error());
  auto result = audit::verify(*events, *head);
  if (!result.ok) {
    fmt::print("audit trail BROKEN at event {}: {} ({} events read)\n", result.first_bad_seq, result.problem,
               result.checked);
    return kExitFailure;
  }
  fmt::print("audit trail verified: {} events, head #{} {}\n", result.checked, result.head.seq, result.head.hash);
  const auto& loaded = (*rt)->config();
  auto mismatches = cross_check_requests((*rt)->store(), loaded ? &loaded->policy : nullptr);
  if (!mismatches) return report(mismatches.error());
  return *mismatches == 0 ? kExitOk : kExitFailure;
}

}  // namespace jit
