// Where the audit keyring comes from: the [audit] key_file setting and the JIT_AUDIT_KEY variable
// (on ECS, a Secrets Manager secret given to the task as that variable). Read once at start.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "core/error.h"
#include "core/settings.h"
#include "ports/store.h"

namespace jit {

// The variable holding one or more `<key-id>:<secret>` (audit::Keyring::parse_env).
inline constexpr const char* kAuditKeyVariable = "JIT_AUDIT_KEY";

struct LoadedKeyring {
  audit::Keyring keys = audit::Keyring::unkeyed();
  // Where the keys came from, for the log: e.g. "JIT_AUDIT_KEY" or "key file /etc/jit/keys".
  std::vector<std::string> sources;
  // Things the operator should fix that do not stop the service (a key file others may read).
  std::vector<std::string> warnings;
};

// The keyring from `settings.key_file` (a path, as given) and `env_key` (the value of
// JIT_AUDIT_KEY, nullopt or "" when unset). With both, the variable's first key is current and
// the file's keys are kept to verify older events. Neither: the unkeyed keyring. Errc::invalid
// naming the file and line or the variable (never a secret) when they cannot be read or parsed.
Result<LoadedKeyring> load_audit_keys(const AuditSettings& settings, const std::optional<std::string>& env_key);

// The same with this process's JIT_AUDIT_KEY.
Result<LoadedKeyring> load_audit_keys(const AuditSettings& settings);

// Whether a service sealing with `keys` may write to `store`: Errc::invalid when the store's last
// audit event is keyed and `keys` is unkeyed (every event written from then on would be a
// downgrade that `jit audit verify` reports: the key is missing from this process's
// configuration, not from the trail). The store's own error when it cannot be read.
Result<> check_keys_continue_the_trail(Store& store, const audit::Keyring& keys);

}  // namespace jit
