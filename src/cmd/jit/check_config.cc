// `jit check-config FILE`: every problem of a policy file, each with file:line:col.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "app/audit_keys.h"
#include "app/checkpoint_key.h"
#include "app/config.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"

namespace jit {

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
  return kExitOk;
}

}  // namespace jit
