// The console subcommands of `jit` (serve has serve.h; demo is src/demo). Each returns the
// process exit code. `config` and `store` are the --config and --store flags ("" = default).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace jit {

enum class Output { text, json };

int cmd_check_config(const std::string& path);
int cmd_requests_list(const std::string& config, const std::string& store, Output output,
                      const std::vector<std::string>& states, const std::string& requester, std::size_t limit);
int cmd_grants_list(const std::string& config, const std::string& store, Output output, bool active_only,
                    std::size_t limit);
// `dry_run`: end the grant in the store only (the policy need not configure Identity Center).
int cmd_revoke(const std::string& config, const std::string& store, const std::string& id, const std::string& reason,
               const std::string& operator_name, bool dry_run);
int cmd_audit_export(const std::string& config, const std::string& store, const std::string& since,
                     const std::string& until, const std::string& format);
// `allow_unkeyed`: do not apply the downgrade rule (audit/chain.h) with a keyed keyring.
int cmd_audit_verify(const std::string& config, const std::string& store, bool allow_unkeyed);
int cmd_store_init(const std::string& config, const std::string& store);
int cmd_store_migrate(const std::string& config, const std::string& from_url, const std::string& to_url);

}  // namespace jit
