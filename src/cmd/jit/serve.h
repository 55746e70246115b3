// `jit serve`: the long-running service. Builds the runtime (store, IAM Identity Center, the one
// clock), Slack over Socket Mode, the engine and its timer loop; serves the ops endpoint; runs
// until SIGTERM or SIGINT, reloading the policy on SIGHUP.
#pragma once

#include <string>

namespace jit {

struct ServeOptions {
  std::string config;        // --config ("" = $JIT_CONFIG, else ./jit.toml)
  std::string store;         // --store ("" = $JIT_STORE, else the policy's store.url)
  std::string instance_id;   // lease owner name
  std::string ops_address;   // "127.0.0.1:9090"
  std::string lease = "2m";  // how long an in-flight grant or revoke is reserved for its instance
  // false (--no-slack): timers, sweeper and reconciler only; nothing is sent to Slack.
  bool slack = true;
  // --dry-run: nothing is granted or revoked in AWS, and every Slack message and audit event says
  // so. Without it, the policy must configure IAM Identity Center.
  bool dry_run = false;
};

// Slack's tokens come from the environment only, never the config file:
//   SLACK_BOT_TOKEN (xoxb-…) or SLACK_BOT_TOKEN_FILE, SLACK_APP_TOKEN (xapp-…) or SLACK_APP_TOKEN_FILE,
//   SLACK_API_URL (default https://slack.com/api/).
// Returns the process exit code: 0 after SIGTERM/SIGINT, 1 when Slack refuses the tokens or
// disables the Socket Mode link, 2 for a bad policy, store URL, token or address, or no Identity
// Center settings without --dry-run.
int run_serve(const ServeOptions& options);

}  // namespace jit
