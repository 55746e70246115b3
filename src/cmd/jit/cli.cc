#include "cmd/jit/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "cmd/jit/audit_checkpoints.h"
#include "cmd/jit/commands.h"
#include "cmd/jit/serve.h"
#include "demo/demo.h"
#include "observability/logging.h"

namespace jit {

int report(const Error& e) {
  std::cerr << ("jit: " + e.message + "\n");
  return e.code == Errc::invalid ? kExitUsage : kExitFailure;
}

std::optional<TimePoint> parse_time_flag(std::string_view flag, std::string_view text) {
  auto t = parse_time(text);
  if (!t)
    std::cerr << fmt::format("jit: {} \"{}\": expected a UTC time like 2026-11-24T10:00:00Z or a date like "
                             "2026-11-24\n", flag, text);
  return t;
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

// Each subcommand that runs something, and what it runs once the arguments are parsed.
using Commands = std::vector<std::pair<CLI::App*, std::function<int()>>>;

// Flags several console commands share.
struct Common {
  std::string config, store, output = "text";
  Output out() const { return output == "json" ? Output::json : Output::text; }
};

// --config and --store (and --output, for listings) on a console command.
void add_common_options(CLI::App* cmd, Common& c, bool with_output = false) {
  add_config_option(cmd, c.config);
  add_store_option(cmd, c.store);
  if (with_output) add_output_option(cmd, c.output);
}

CLI::App* declare_serve(CLI::App& app, Commands& commands) {
  auto* cmd = app.add_subcommand(
      "serve", "Run the service: answer /jit in Slack over Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN), grant and "
               "revoke in IAM Identity Center ([aws].instance_arn in the policy, or --dry-run), expiry timers, "
               "sweeper, reconciler");
  auto o = std::make_shared<ServeOptions>();
  o->instance_id = default_instance_id();
  o->ops_address = "127.0.0.1:9090";
  add_config_option(cmd, o->config);
  add_store_option(cmd, o->store);
  cmd->add_option("--ops-address", o->ops_address,
                  "Where /healthz, /readyz and /metrics are served (default 127.0.0.1:9090; port 0: any free port)");
  cmd->add_option("--instance-id", o->instance_id,
                  "Lease owner name: stable across restarts, distinct between instances (default: host name)");
  cmd->add_option("--lease", o->lease,
                  "How long an in-flight grant or revoke stays reserved for this instance before another may take "
                  "it over if this one died (default 2m; at least [aws].call_timeout and a quarter more, else serve "
                  "refuses to start)");
  auto no_slack = std::make_shared<bool>(false);
  cmd->add_flag("--no-slack", *no_slack,
                "Run the expiry timers, sweeper and reconciler only, without Slack (otherwise SLACK_BOT_TOKEN and "
                "SLACK_APP_TOKEN, or their _FILE variants, must be set; SLACK_API_URL overrides "
                "https://slack.com/api/)");
  cmd->add_flag("--dry-run", o->dry_run,
                "Grant and revoke nothing in AWS, and say so in every Slack message and audit event: to try the "
                "flow before IAM Identity Center is set up (without it, [aws].instance_arn must be set)");
  commands.emplace_back(cmd, [o, no_slack] {
    o->slack = !*no_slack;
    return run_serve(*o);
  });
  return cmd;
}

void declare_check_config(CLI::App& app, Commands& commands) {
  auto* cmd = app.add_subcommand("check-config", "Validate a policy file and report every error with its line");
  auto file = std::make_shared<std::string>();
  cmd->add_option("FILE", *file, "Policy file")->required();
  commands.emplace_back(cmd, [file] { return cmd_check_config(*file); });
}

void declare_lists(CLI::App& app, Common& c, Commands& commands) {
  struct Flags {
    std::vector<std::string> states;
    std::string requester;
    std::size_t limit = 100;
    bool active_only = false;
  };
  auto f = std::make_shared<Flags>();
  auto* requests = app.add_subcommand("requests", "Access requests");
  requests->require_subcommand(1);
  auto* requests_list = requests->add_subcommand("list", "List requests, newest first");
  add_common_options(requests_list, c, true);
  requests_list->add_option("--state", f->states, "Only these states (repeatable)");
  requests_list->add_option("--requester", f->requester, "Only this requester (Slack user id)");
  requests_list->add_option("--limit", f->limit, "At most this many (default 100)");
  commands.emplace_back(requests_list, [&c, f] {
    return cmd_requests_list(c.config, c.store, c.out(), f->states, f->requester, f->limit);
  });

  auto* grants = app.add_subcommand("grants", "Grants: requests that were given access");
  grants->require_subcommand(1);
  auto* grants_list = grants->add_subcommand("list", "List grants");
  add_common_options(grants_list, c, true);
  grants_list->add_flag("--active", f->active_only, "Only grants that hold access now (granting, active, revoking)");
  grants_list->add_option("--limit", f->limit, "At most this many (default 100)");
  commands.emplace_back(grants_list,
                        [&c, f] { return cmd_grants_list(c.config, c.store, c.out(), f->active_only, f->limit); });
}

void declare_revoke(CLI::App& app, Common& c, Commands& commands) {
  struct Flags {
    std::string id, reason, operator_name = default_operator();
    bool dry_run = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("revoke", "End an active grant now (admin)");
  add_common_options(cmd, c);
  cmd->add_option("ID", f->id, "Request id")->required();
  cmd->add_option("--reason", f->reason, "Why (recorded in the audit trail)")->required();
  cmd->add_option("--operator", f->operator_name, "Who you are, for the audit trail (default: $USER)");
  cmd->add_flag("--dry-run", f->dry_run,
                "End the grant in the store only, deleting nothing in AWS (for a policy without [aws].instance_arn)");
  commands.emplace_back(cmd, [&c, f] {
    return cmd_revoke(c.config, c.store, f->id, f->reason, f->operator_name, f->dry_run);
  });
}

// --checkpoint, --checkpoints and --public-key, as `jit audit verify` and `jit audit report` take them.
void add_checkpoint_options(CLI::App* command, CheckpointFlags& flags) {
  command->add_option("--checkpoint", flags.anchors,
                      "SEQ:HASH of a checkpoint: the trail must hold event SEQ with this hash, and its head must "
                      "not be before it (repeatable)");
  command->add_option("--checkpoints", flags.files,
                      "A file holding checkpoint lines (a Slack or CloudWatch export, a log): every one found is "
                      "checked (repeatable)");
  command->add_option("--public-key", flags.public_keys,
                      "The checkpoint key's public PEM (`jit audit public-key`): each checkpoint's signature must "
                      "hold under it (repeatable, for rotated keys)");
}

void declare_audit(CLI::App& app, Common& c, Commands& commands) {
  struct Flags {
    std::string since, until, format = "jsonl";
    bool allow_unkeyed = false;
  };
  auto f = std::make_shared<Flags>();
  auto* audit = app.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);
  auto* audit_export = audit->add_subcommand("export", "Print audit events in order");
  add_common_options(audit_export, c);
  audit_export->add_option("--since", f->since, "From this UTC time (inclusive), e.g. 2026-11-24T10:00:00Z");
  audit_export->add_option("--until", f->until, "Up to this UTC time (exclusive)");
  audit_export->add_option("--format", f->format, "jsonl or csv")->check(CLI::IsMember({"jsonl", "csv"}));
  commands.emplace_back(audit_export,
                        [&c, f] { return cmd_audit_export(c.config, c.store, f->since, f->until, f->format); });
  auto* audit_verify = audit->add_subcommand(
      "verify", "Check the hash chain with the configured audit keys ([audit] key_file, JIT_AUDIT_KEY), naming the "
                "first bad event and the key ids seen, and, with checkpoints, that the trail is the one they were "
                "taken of");
  add_common_options(audit_verify, c);
  audit_verify->add_flag("--allow-unkeyed", f->allow_unkeyed,
                         "With a key configured, accept unkeyed events after keyed ones and a trail that ends "
                         "unkeyed (only if the service really ran without its key for a while)");
  auto checkpoints = std::make_shared<CheckpointFlags>();
  add_checkpoint_options(audit_verify, *checkpoints);
  commands.emplace_back(audit_verify, [&c, f, checkpoints] {
    return cmd_audit_verify(c.config, c.store, *checkpoints, f->allow_unkeyed);
  });
  auto* public_key = audit->add_subcommand(
      "public-key", "Print the public key of [audit] checkpoint_key_file (PEM), for auditors to verify checkpoints");
  add_config_option(public_key, c.config);
  commands.emplace_back(public_key, [&c] { return cmd_audit_public_key(c.config); });
  auto r = std::make_shared<AuditReportFlags>();
  auto* audit_report = audit->add_subcommand(
      "report", "The grants whose access overlaps a window, for auditors: who had which role on which account, from "
                "when to when, how it ended, the reason, ticket, approvals and Slack thread, with the audit chain's "
                "status");
  add_common_options(audit_report, c);
  audit_report->add_option("--since", r->since, "From this UTC time (inclusive), e.g. 2026-11-01T00:00:00Z or 2026-11-01")
      ->required();
  audit_report->add_option("--until", r->until, "Up to this UTC time (exclusive), after --since")->required();
  audit_report->add_option("--account", r->account, "Only this account (its name in the policy)");
  audit_report->add_option("--format", r->format, "csv (default), jsonl or html");
  audit_report->add_option("--output", r->output, "Write the report to this file (default: stdout)");
  add_checkpoint_options(audit_report, r->checkpoints);
  commands.emplace_back(audit_report, [&c, r] { return cmd_audit_report(c.config, c.store, *r); });
}

void declare_store(CLI::App& app, Common& c, Commands& commands) {
  auto* store_cmd = app.add_subcommand("store", "The state store");
  store_cmd->require_subcommand(1);
  auto* init = store_cmd->add_subcommand(
      "init", "Create the store: the DynamoDB table with its indexes and TTL, or the SQLite file");
  add_common_options(init, c);
  commands.emplace_back(init, [&c] { return cmd_store_init(c.config, c.store); });
  auto* migrate = store_cmd->add_subcommand(
      "migrate", "Copy every request and the whole audit trail into a new, empty store, and verify the copy "
                 "(stop `jit serve` first)");
  auto urls = std::make_shared<std::pair<std::string, std::string>>();
  add_config_option(migrate, c.config);
  migrate->add_option("--from", urls->first, "The store to copy: sqlite:PATH or dynamodb:TABLE")->required();
  migrate->add_option("--to", urls->second,
                      "The new, empty store: sqlite:PATH or dynamodb:TABLE (run `jit store init` on it first)")
      ->required();
  commands.emplace_back(migrate, [&c, urls] { return cmd_store_migrate(c.config, urls->first, urls->second); });
}

void declare_doctor(CLI::App& app, Common& c, Commands& commands) {
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check the deployment's AWS side and say what to fix: the Identity Center instance and identity store "
      "answer; each permission set in policy exists, its session duration (PT1H recommended), and how many more "
      "cut-off statements its inline policy holds (roles with session_cutoff); the Scheduler group and execution "
      "role work and the role can be passed (roles with scheduled_revoke: a disabled probe schedule is created and "
      "deleted); the DynamoDB table is ACTIVE with TTL on. For accounts with provider = \"iam-role\": the management "
      "role can be assumed with the external id, and each role exists, its MaxSessionDuration (1 h recommended), how "
      "many more grants fit its trust policy, and statements that let someone assume it without a time condition "
      "(the Identity Center checks are skipped when no account uses it). Run it with the task role's credentials to "
      "check its permissions too.");
  cmd->footer("Exit codes: 0 all is well; 1 something to fix (a FAILED line, or with --strict a warning); "
              "2 usage or configuration error.");
  auto strict = std::make_shared<bool>(false);
  add_common_options(cmd, c, true);
  cmd->add_flag("--strict", *strict,
                "Warnings fail too (exit 1): a long session duration, few cut-off slots or trust policy room left, "
                "standing assume statements");
  commands.emplace_back(cmd, [&c, strict] { return cmd_doctor(c.config, c.store, c.out(), *strict); });
}

void declare_demo(CLI::App& app, Commands& commands) {
  auto* cmd = app.add_subcommand(
      "demo", "Play the whole lifecycle: jit serve against the local Slack and AWS emulators (the jit-slack-emulator "
              "and jit-aws-emulator executables, run as child processes on 127.0.0.1), driven by a script");
  auto o = std::make_shared<demo::DemoOptions>();
  cmd->add_option("--store", o->store_url,
                  "Keep the demo's state in sqlite:PATH, a new file (left for `jit audit verify --store ...`)");
  cmd->add_flag("--keep-running", o->keep_running,
                "Afterwards leave the emulators and jit serve up, print how to drive them by hand, and stop on "
                "Ctrl-C or SIGTERM");
  cmd->add_option("--emulators-dir", o->emulators_dir,
                  "The directory holding jit-slack-emulator and jit-aws-emulator (default: $JIT_EMULATORS_DIR, "
                  "else beside jit, else the build tree's emulators/slack and emulators/aws)");
  cmd->add_flag("--step-up", o->step_up,
                "Also a break-glass approval confirmed with security keys on serve's step-up page (WebAuthn), in a "
                "headless Chromium with virtual authenticators (needs node, playwright-core and chromium: "
                "scripts/setup)");
  commands.emplace_back(cmd, [o] { return demo::run_demo(*o); });
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

  Common common;
  Commands commands;
  CLI::App* serve = declare_serve(app, commands);
  declare_check_config(app, commands);
  declare_lists(app, common, commands);
  declare_revoke(app, common, commands);
  declare_audit(app, common, commands);
  declare_store(app, common, commands);
  declare_doctor(app, common, commands);
  declare_demo(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  setup_logging(log_format == "json"   ? LogFormat::json
                : log_format == "text" ? LogFormat::text
                                       : (serve->parsed() ? default_log_format() : LogFormat::text),
                serve->parsed() && app.count("--log-level") == 0 ? "info" : log_level);
  for (const auto& [cmd, run] : commands)
    if (cmd->parsed()) return run();
  return kExitUsage;
}

}  // namespace jit
