// `jit serve`: the long-running service. Wires the engine to its adapters (the store named by the
// URL, IAM Identity Center when the policy names an instance, Slack over Socket Mode), serves the
// ops endpoint, and runs the expiry timers, sweeper and reconciler until SIGTERM or SIGINT.
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
};

// Slack's tokens come from the environment only, never the config file:
//   SLACK_BOT_TOKEN (xoxb-…) or SLACK_BOT_TOKEN_FILE, SLACK_APP_TOKEN (xapp-…) or SLACK_APP_TOKEN_FILE,
//   SLACK_API_URL (default https://slack.com/api/).
// Returns the process exit code: 0 after SIGTERM/SIGINT, 1 when Slack refuses the tokens or
// disables the Socket Mode link, 2 for a bad policy, store URL, token or address.
int run_serve(const ServeOptions& options);

}  // namespace jit
