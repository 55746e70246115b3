#include "cmd/jit/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cmd/jit/commands.h"
#include "cmd/jit/serve.h"
#include "demo/demo.h"
#include "observability/logging.h"

namespace jit {

int report(const Error& e) {
  std::cerr << ("jit: " + e.message + "\n");
  return e.code == Errc::invalid ? kExitUsage : kExitFailure;
}

namespace {

void add_config_option(CLI::App* cmd, std::string& config) {
  cmd->add_option("--config", config, "Policy file (default: $JIT_CONFIG, else ./jit.toml)");
}
void add_store_option(CLI::App* cmd, std::string& store) {
  cmd->add_option("--store", store,
                  "State store: sqlite:PATH or dynamodb:TABLE (default: $JIT_STORE, else the config's store.url, "
                  "else sqlite:jit.db)");
}
void add_output_option(CLI::App* cmd, std::string& output) {
  cmd->add_option("--output", output, "Output format: text or json")->check(CLI::IsMember({"text", "json"}));
}

std::string default_instance_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0]) return host;
  return "jit";
}

std::string default_operator() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v && *v) return v;
  return "operator";
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"jit: just-in-time AWS access, requested and approved in Slack.\n"
               "Exit codes: 0 ok, 1 failure, 2 usage or config error."};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--log-level) may also follow the subcommand
  std::string log_level = "warn";
  std::string log_format = "auto";
  app.add_option("--log-format", log_format,
                 "json, text, or auto (serve: JSON lines unless stderr is a terminal; other commands: text)")
      ->check(CLI::IsMember({"auto", "json", "text"}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (serve defaults to info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  std::string config, store, output = "text";

  auto* serve = app.add_subcommand(
      "serve", "Run the service: answer /jit in Slack over Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN), grant and "
               "revoke in IAM Identity Center ([aws].instance_arn in the policy, or --dry-run), expiry timers, "
               "sweeper, reconciler");
  std::string instance_id = default_instance_id();
  add_config_option(serve, config);
  add_store_option(serve, store);
  std::string ops_address = "127.0.0.1:9090";
  serve->add_option("--ops-address", ops_address,
                    "Where /healthz, /readyz and /metrics are served (default 127.0.0.1:9090; port 0: any free port)");
  serve->add_option("--instance-id", instance_id,
                    "Lease owner name: stable across restarts, distinct between instances (default: host name)");
  std::string lease = "2m";
  serve->add_option("--lease", lease,
                    "How long an in-flight grant or revoke stays reserved for this instance before another may take "
                    "it over if this one died (default 2m; keep it above an AWS call's own deadline)");
  bool no_slack = false;
  serve->add_flag("--no-slack", no_slack,
                  "Run the expiry timers, sweeper and reconciler only, without Slack (otherwise SLACK_BOT_TOKEN and "
                  "SLACK_APP_TOKEN, or their _FILE variants, must be set; SLACK_API_URL overrides "
                  "https://slack.com/api/)");
  bool dry_run = false;
  serve->add_flag("--dry-run", dry_run,
                  "Grant and revoke nothing in AWS, and say so in every Slack message and audit event: to try the "
                  "flow before IAM Identity Center is set up (without it, [aws].instance_arn must be set)");

  auto* check = app.add_subcommand("check-config", "Validate a policy file and report every error with its line");
  std::string check_file;
  check->add_option("FILE", check_file, "Policy file")->required();

  auto* requests = app.add_subcommand("requests", "Access requests");
  requests->require_subcommand(1);
  auto* requests_list = requests->add_subcommand("list", "List requests, newest first");
  std::vector<std::string> states;
  std::string requester;
  std::size_t limit = 100;
  add_config_option(requests_list, config);
  add_store_option(requests_list, store);
  add_output_option(requests_list, output);
  requests_list->add_option("--state", states, "Only these states (repeatable)");
  requests_list->add_option("--requester", requester, "Only this requester (Slack user id)");
  requests_list->add_option("--limit", limit, "At most this many (default 100)");

  auto* grants = app.add_subcommand("grants", "Grants: requests that were given access");
  grants->require_subcommand(1);
  auto* grants_list = grants->add_subcommand("list", "List grants");
  bool active_only = false;
  add_config_option(grants_list, config);
  add_store_option(grants_list, store);
  add_output_option(grants_list, output);
  grants_list->add_flag("--active", active_only, "Only grants that hold access now (granting, active, revoking)");
  grants_list->add_option("--limit", limit, "At most this many (default 100)");

  auto* revoke = app.add_subcommand("revoke", "End an active grant now (admin)");
  std::string revoke_id, reason, operator_name = default_operator();
  add_config_option(revoke, config);
  add_store_option(revoke, store);
  revoke->add_option("ID", revoke_id, "Request id")->required();
  revoke->add_option("--reason", reason, "Why (recorded in the audit trail)")->required();
  revoke->add_option("--operator", operator_name, "Who you are, for the audit trail (default: $USER)");
  bool revoke_dry_run = false;
  revoke->add_flag("--dry-run", revoke_dry_run,
                   "End the grant in the store only, deleting nothing in AWS (for a policy without [aws].instance_arn)");

  auto* audit = app.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);
  auto* audit_export = audit->add_subcommand("export", "Print audit events in order");
  std::string since, until, format = "jsonl";
  add_config_option(audit_export, config);
  add_store_option(audit_export, store);
  audit_export->add_option("--since", since, "From this UTC time (inclusive), e.g. 2026-11-24T10:00:00Z");
  audit_export->add_option("--until", until, "Up to this UTC time (exclusive)");
  audit_export->add_option("--format", format, "jsonl or csv")->check(CLI::IsMember({"jsonl", "csv"}));
  auto* audit_verify = audit->add_subcommand("verify", "Check the hash chain; name the first bad event");
  add_config_option(audit_verify, config);
  add_store_option(audit_verify, store);

  auto* store_cmd = app.add_subcommand("store", "The state store");
  store_cmd->require_subcommand(1);
  auto* store_init = store_cmd->add_subcommand(
      "init", "Create the store: the DynamoDB table with its indexes and TTL, or the SQLite file");
  add_config_option(store_init, config);
  add_store_option(store_init, store);
  auto* store_migrate = store_cmd->add_subcommand(
      "migrate", "Copy every request and the whole audit trail into a new, empty store, and verify the copy "
                 "(stop `jit serve` first)");
  std::string from_url, to_url;
  add_config_option(store_migrate, config);
  store_migrate->add_option("--from", from_url, "The store to copy: sqlite:PATH or dynamodb:TABLE")->required();
  store_migrate->add_option("--to", to_url,
                            "The new, empty store: sqlite:PATH or dynamodb:TABLE (run `jit store init` on it first)")
      ->required();

  auto* demo = app.add_subcommand(
      "demo", "Play the whole lifecycle: jit serve against the local Slack and AWS emulators (the jit-slack-emulator "
              "and jit-aws-emulator executables, run as child processes on 127.0.0.1), driven by a script");
  demo::DemoOptions demo_options;
  demo->add_option("--store", demo_options.store_url,
                   "Keep the demo's state in sqlite:PATH, a new file (left for `jit audit verify --store ...`)");
  demo->add_flag("--keep-running", demo_options.keep_running,
                 "Afterwards leave the emulators and jit serve up, print how to drive them by hand, and stop on "
                 "Ctrl-C or SIGTERM");
  demo->add_option("--emulators-dir", demo_options.emulators_dir,
                   "The directory holding jit-slack-emulator and jit-aws-emulator (default: $JIT_EMULATORS_DIR, "
                   "else beside jit, else the build tree's emulators/slack and emulators/aws)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  setup_logging(log_format == "json"   ? LogFormat::json
                : log_format == "text" ? LogFormat::text
                                       : (serve->parsed() ? default_log_format() : LogFormat::text),
                serve->parsed() && app.count("--log-level") == 0 ? "info" : log_level);

  const Output out = output == "json" ? Output::json : Output::text;
  if (serve->parsed())
    return run_serve({.config = config, .store = store, .instance_id = instance_id, .ops_address = ops_address,
                      .lease = lease, .slack = !no_slack, .dry_run = dry_run});
  if (check->parsed()) return cmd_check_config(check_file);
  if (requests_list->parsed()) return cmd_requests_list(config, store, out, states, requester, limit);
  if (grants_list->parsed()) return cmd_grants_list(config, store, out, active_only, limit);
  if (revoke->parsed()) return cmd_revoke(config, store, revoke_id, reason, operator_name, revoke_dry_run);
  if (audit_export->parsed()) return cmd_audit_export(config, store, since, until, format);
  if (audit_verify->parsed()) return cmd_audit_verify(config, store);
  if (store_init->parsed()) return cmd_store_init(config, store);
  if (store_migrate->parsed()) return cmd_store_migrate(config, from_url, to_url);
  if (demo->parsed()) return demo::run_demo(demo_options);
  return kExitUsage;
}

}  // namespace jit
