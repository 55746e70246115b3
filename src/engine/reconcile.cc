// The reconciler: standing access that no grant explains is found and removed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/duration.h"
#include "engine/engine.h"

#include <set>

namespace jit {

ReconcileReport Engine::reconcile() {
  ReconcileReport report;
  const auto policy = this->policy();
  // List the provider first, then the store: an assignment can only exist after its row was
  // written as `granting`, so a grant racing this pass is never mistaken for a stray.
  std::vector<Assignment> seen;
  for (const auto& account : policy->accounts) {
    for (const auto& role : account.roles) {
      auto listed = provider_.list(account.id, role.permission_set_arn);
      if (!listed) {
        ++report.errors;
        spdlog::error("event=reconcile_failed account={} role={} error=\"{}\"", account.name, role.name,
                      listed.error().message);
        continue;
      }
      report.checked += static_cast<int>(listed->size());
      seen.insert(seen.end(), listed->begin(), listed->end());
    }
  }
  auto holding = store_.holding_access(100000);
  if (!holding) {
    ++report.errors;
    spdlog::error("event=reconcile_failed step=store error=\"{}\"", holding.error().message);
    return report;
  }
  std::set<Assignment> known;
  for (const auto& r : *holding) known.insert(assignment_of(r));
  for (const auto& a : seen) {
    if (known.contains(a)) continue;
    if (auto r = provider_.revoke(a); !r) {
      ++report.errors;
      spdlog::error("event=stray_revoke_failed principal={} account={} error=\"{}\"", a.principal, a.account_id,
                    r.error().message);
      continue;
    }
    ++report.stray_revoked;
    const std::string detail = fmt::format("principal {} held {} on account {} without an active grant; revoked",
                                           a.principal, a.permission_set_arn, a.account_id);
    spdlog::warn("event=stray_revoked {}", detail);
    if (auto e = store_.append_audit({.at = clock_.now(), .actor = "system:reconciler", .action = "stray_revoked",
                                      .detail = detail});
        !e)
      spdlog::error("event=audit_append_failed error=\"{}\"", e.error().message);
    if (auto al = chat_.alert("Standing access found and removed: " + detail); !al)
      spdlog::warn("event=alert_failed error=\"{}\"", al.error().message);
  }
  return report;
}

}  // namespace jit
