// `jit audit export` and `jit audit verify`: the audit trail, printed or checked.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/migrate.h"
#include "app/render.h"
#include "app/runtime.h"
#include "audit/chain.h"
#include "cmd/jit/audit_checkpoints.h"
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
  return result.ok && anchored && anchors->ok ? kExitOk : kExitFailure;
}

}  // namespace jit
