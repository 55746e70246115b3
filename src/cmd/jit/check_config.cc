// `jit check-config FILE`: every problem of a policy file, each with file:line:col.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "app/audit_keys.h"
#include "app/checkpoint_key.h"
#include "app/config.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "core/duration.h"

namespace jit {

namespace {

std::string_view on_off(bool on) { return on ? "on" : "off"; }

// What AWS itself enforces for each role (issue 14), defaults resolved: one line per role.
void print_enforcement(const Policy& policy, const AwsSettings& aws) {
  for (const auto& account : policy.accounts)
    for (const auto& role : account.roles)
      fmt::print("  {}/{} (tier {}): session_cutoff {}, scheduled_revoke {}\n", account.name, role.name,
                 tier_name(role.tier), on_off(role.session_cutoff), on_off(role.scheduled_revoke));
  fmt::print("  scheduler: role {}, group {}; cut-off margin {}\n",
             aws.scheduler_role_arn.empty() ? "(none)" : aws.scheduler_role_arn, aws.scheduler_group,
             format_duration(aws.cutoff_margin));
}

}  // namespace

int cmd_check_config(const std::string& path) {
  auto config = load_config_file(path);
  if (!config) return report(config.error());
  auto key = load_checkpoint_key((*config)->settings.audit);
  if (!key) return report(key.error());
  const Policy& policy = (*config)->policy;
  std::size_t roles = 0;
  for (const auto& a : policy.accounts) roles += a.roles.size();
  auto keys = load_audit_keys((*config)->settings.audit);
  if (!keys) return report(keys.error());
  for (const auto& warning : keys->warnings) std::cerr << ("jit: warning: " + warning + "\n");
  fmt::print("{}: ok ({} accounts, {} roles, store {}, audit {}, {})\n", path, policy.accounts.size(), roles,
             (*config)->settings.store.url,
             keys->keys.keyed()
                 ? fmt::format("keyed by {} from {}", keys->keys.current_id(), fmt::join(keys->sources, " and "))
                 : "unkeyed",
             *key ? "audit checkpoints signed by key " + (**key).public_key().key_id() : "no audit checkpoints");
  print_enforcement(policy, (*config)->settings.aws);
  return kExitOk;
}

}  // namespace jit
