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
// --checkpoint, --checkpoints and --public-key of `jit audit verify` and `jit audit report`
// (cmd/jit/audit_checkpoints.h reads them).
struct CheckpointFlags {
  std::vector<std::string> anchors;      // --checkpoint SEQ:HASH
  std::vector<std::string> files;        // --checkpoints FILE
  std::vector<std::string> public_keys;  // --public-key FILE
  bool any() const { return !anchors.empty() || !files.empty(); }
};
// With `checkpoints` (cmd/jit/audit_checkpoints.h): the trail must also agree with each checkpoint.
// `allow_unkeyed`: do not apply the downgrade rule (audit/chain.h) with a keyed keyring.
int cmd_audit_verify(const std::string& config, const std::string& store, const CheckpointFlags& checkpoints,
                     bool allow_unkeyed);

// `jit audit report`: the flags as given (checked by the command, which names the flag at fault).
struct AuditReportFlags {
  std::string since, until, account;
  std::string format = "csv";
  std::string output;  // "" or "-": stdout
  CheckpointFlags checkpoints;
};
// Exit 0 with the report; 2 for a bad flag; 1 when the store fails, or the chain or a checkpoint
// did not verify (the report is still written, and says so).
int cmd_audit_report(const std::string& config, const std::string& store, const AuditReportFlags& flags);
// `jit doctor` (app/doctor.h): checks the deployment's AWS side and prints each finding with its
// fix (`output` text or json). Exit 0 when nothing failed (with `strict`, nothing warned either),
// 1 when something is to fix, 2 for a usage or configuration error (no policy, no region).
int cmd_doctor(const std::string& config, const std::string& store, Output output, bool strict);
int cmd_store_init(const std::string& config, const std::string& store);
int cmd_store_migrate(const std::string& config, const std::string& from_url, const std::string& to_url);

}  // namespace jit
