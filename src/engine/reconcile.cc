// The reconciler: standing access that no grant explains is found, and removed or reported.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/duration.h"
#include "engine/engine.h"

#include <set>

namespace jit {

std::map<ManagedPermissionSet, ReconcileMode> managed_permission_sets(const Policy& policy) {
  std::map<ManagedPermissionSet, ReconcileMode> out;
  for (const auto& account : policy.accounts)
    for (const auto& role : account.roles) {
      auto [it, fresh] = out.emplace(ManagedPermissionSet{account.id, role.permission_set_arn}, role.reconcile);
      if (!fresh && role.reconcile == ReconcileMode::alert) it->second = ReconcileMode::alert;
    }
  return out;
}

void Engine::put_on_probation(const Policy* before, const Policy& after) {
  const auto old_sets = before ? managed_permission_sets(*before) : std::map<ManagedPermissionSet, ReconcileMode>{};
  std::lock_guard lock(reconcile_mu_);
  for (const auto& [set, mode] : managed_permission_sets(after)) {
    const auto old = old_sets.find(set);
    const bool newly_revoking = old != old_sets.end() && old->second == ReconcileMode::alert && mode == ReconcileMode::revoke;
    if (old == old_sets.end() || newly_revoking) on_probation_.insert(set);
  }
}

ReconcileReport Engine::reconcile() {
  ReconcileReport report;
  const auto policy = this->policy();
  // List the provider first, then the store: an assignment can only exist after its row was
  // written as `granting`, so a grant racing this pass is never mistaken for a stray.
  struct Listed {
    ManagedPermissionSet set;
    bool revoke = false;  // its mode is revoke and it was reconciled before
    std::vector<Assignment> assignments;
  };
  std::vector<Listed> listed_sets;
  std::set<ManagedPermissionSet> probation;
  {
    std::lock_guard lock(reconcile_mu_);
    probation = on_probation_;
  }
  for (const auto& [set, mode] : managed_permission_sets(*policy)) {
    auto listed = provider_.list(set.account_id, set.permission_set_arn);
    if (!listed) {
      ++report.errors;
      spdlog::error("event=reconcile_failed account={} permission_set={} error=\"{}\"", set.account_id,
                    set.permission_set_arn, listed.error().message);
      continue;
    }
    report.checked += static_cast<int>(listed->size());
    listed_sets.push_back({set, mode == ReconcileMode::revoke && !probation.contains(set), std::move(*listed)});
  }
  auto holding = store_.holding_access(100000);
  if (!holding) {
    ++report.errors;
    spdlog::error("event=reconcile_failed step=store error=\"{}\"", holding.error().message);
    return report;
  }
  // Every grant held to the expiry its chain proves (events read once per grant, then cached):
  // an edited expiry lasts at most one reconcile interval on an instance that did not grant it.
  SweepReport held;
  hold_to_chain(*holding, clock_.now(), clock_.now() + settings()->sweep_interval, /*complete=*/true, held);
  report.errors += held.errors;
  std::set<Assignment> known;
  for (const auto& r : *holding) known.insert(assignment_of(r));
  std::set<Assignment> left_in_place;
  for (const auto& set : listed_sets) {
    std::vector<Assignment> unexplained;
    for (const auto& a : set.assignments)
      if (!known.contains(a)) unexplained.push_back(a);
    if (unexplained.empty()) continue;
    // A grant revoked between the listing and the store's read is gone from the provider but no
    // longer holding in the store: listed again after the store was read, it is absent. Only what
    // is still there is a stray (a mass expiry raised false "standing access" alerts before).
    auto again = provider_.list(set.set.account_id, set.set.permission_set_arn);
    if (!again) {
      ++report.errors;
      spdlog::error("event=reconcile_failed account={} permission_set={} error=\"{}\"", set.set.account_id,
                    set.set.permission_set_arn, again.error().message);
      continue;
    }
    const std::set<Assignment> still(again->begin(), again->end());
    for (const auto& a : unexplained) {
      if (!still.contains(a)) continue;
      if (!set.revoke) {
        left_in_place.insert(a);
        report_stray(a, probation.contains(set.set), report);
        continue;
      }
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
      record_reconciler_event("stray_revoked", detail);
      alert("Standing access found and removed: " + detail, "");
    }
  }
  // Session cut-offs (issue 14) that no live session needs any more leave room for new grants'.
  // Arming prunes too; this pass keeps quiet permission sets tidy.
  prune_cutoffs(*policy, report);
  std::lock_guard lock(reconcile_mu_);
  for (const auto& set : listed_sets) on_probation_.erase(set.set);
  std::erase_if(strays_reported_, [&](const auto& entry) { return !left_in_place.contains(entry.first); });
  return report;
}

void Engine::report_stray(const Assignment& a, bool first_pass, ReconcileReport& report) {
  ++report.stray_reported;
  const TimePoint now = clock_.now();
  {
    std::lock_guard lock(reconcile_mu_);
    auto [it, fresh] = strays_reported_.emplace(a, now);
    if (!fresh) {
      if (now - it->second < options_.alert_repeat) return;
      it->second = now;
    }
  }
  const std::string why = first_pass ? "the first reconcile since this permission set became managed only reports; "
                                       "the next one removes it unless its role says reconcile = \"alert\""
                                     : "its role says reconcile = \"alert\"";
  const std::string detail = fmt::format("principal {} holds {} on account {} without an active grant; left in place ({})",
                                         a.principal, a.permission_set_arn, a.account_id, why);
  spdlog::warn("event=stray_found {}", detail);
  record_reconciler_event("stray_found", detail);
  alert("Standing access found: " + detail, "");
}

void Engine::record_reconciler_event(const std::string& action, const std::string& detail) {
  AuditEvent event{.at = clock_.now(), .actor = "system:reconciler", .action = action, .detail = detail};
  mark_dry_run(event);
  if (auto e = store_.append_audit(event); !e)
    spdlog::error("event=audit_append_failed error=\"{}\"", e.error().message);
}

}  // namespace jit
