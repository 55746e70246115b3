#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/aws_services.h"
#include "app/engine.h"
#include "aws/identity_center.h"
#include "app/logging.h"
#include "app/memory_chat.h"
#include "app/memory_provider.h"
#include "app/migrate.h"
#include "app/render.h"
#include "app/serve.h"
#include "app/store_url.h"
#include "audit/chain.h"
#include "core/duration.h"

namespace jit {

int report(const Error& e) {
  std::cerr << ("jit: " + e.message + "\n");
  return e.code == Errc::invalid ? kExitUsage : kExitFailure;
}

namespace {

// What a subcommand works on: the policy (when there is one) and the store.
struct Context {
  std::shared_ptr<Policy> policy;
  std::unique_ptr<Store> store;
};

Result<Context> open_context(const std::string& config_flag, const std::string& store_flag, bool need_policy,
                             bool need_store = true) {
  Context ctx;
  const ConfigChoice choice = choose_config(config_flag);
  if (need_policy || choice.explicit_choice || std::filesystem::exists(choice.path)) {
    auto policy = load_policy_file(choice.path);
    if (!policy) return fail(policy.error());
    ctx.policy = std::move(*policy);
  }
  if (need_store) {
    auto store = open_store(choose_store_url(store_flag, ctx.policy.get()), ctx.policy ? ctx.policy->aws : AwsSettings{});
    if (!store) return fail(store.error());
    ctx.store = std::move(*store);
  }
  return ctx;
}

std::string or_dash(const std::optional<TimePoint>& t) { return t ? format_time(*t) : "-"; }

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

int cmd_check_config(const std::string& path) {
  auto policy = load_policy_file(path);
  if (!policy) return report(policy.error());
  std::size_t roles = 0;
  for (const auto& a : (*policy)->accounts) roles += a.roles.size();
  fmt::print("{}: ok ({} accounts, {} roles, store {})\n", path, (*policy)->accounts.size(), roles,
             (*policy)->store.url);
  return kExitOk;
}

int cmd_requests_list(const std::string& config, const std::string& store, const std::string& output,
                      const std::vector<std::string>& states, const std::string& requester, std::size_t limit) {
  RequestQuery q{.limit = limit};
  if (!requester.empty()) q.requester = requester;
  for (const auto& s : states) {
    auto st = parse_state(s);
    if (!st) {
      std::cerr << fmt::format("jit: --state \"{}\": expected one of pending, approved, granting, active, "
                               "revoking, revoked, denied, cancelled, expired, failed\n", s);
      return kExitUsage;
    }
    q.states.push_back(*st);
  }
  auto ctx = open_context(config, store, false);
  if (!ctx) return report(ctx.error());
  auto rows = ctx->store->list_requests(q);
  if (!rows) return report(rows.error());
  if (output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) out.push_back(to_json(r));
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : *rows)
    table.push_back({r.id, std::string(state_name(r.state)), r.requester, r.account, r.role,
                     format_duration(r.duration), format_time(r.created_at), or_dash(r.expires_at), r.reason});
  fmt::print("{}", text_table({"ID", "STATE", "REQUESTER", "ACCOUNT", "ROLE", "DURATION", "CREATED", "EXPIRES", "REASON"},
                              table));
  if (rows->empty()) fmt::print("(no requests)\n");
  return kExitOk;
}

int cmd_grants_list(const std::string& config, const std::string& store, const std::string& output, bool active,
                    std::size_t limit) {
  auto ctx = open_context(config, store, false);
  if (!ctx) return report(ctx.error());
  auto rows = active ? ctx->store->holding_access(limit)
                     : ctx->store->list_requests({.states = {State::granting, State::active, State::revoking,
                                                             State::revoked, State::failed},
                                                  .limit = limit});
  if (!rows) return report(rows.error());
  std::vector<Grant> grants;
  for (const auto& r : *rows)
    if (auto g = grant_of(r)) grants.push_back(*g);
  if (output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : grants) out.push_back(to_json(g));
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& g : grants)
    table.push_back({g.request_id, std::string(state_name(g.state)), g.requester, g.account, g.role,
                     or_dash(g.granted_at), format_time(g.expires_at), or_dash(g.ended_at)});
  fmt::print("{}", text_table({"REQUEST", "STATE", "REQUESTER", "ACCOUNT", "ROLE", "GRANTED", "EXPIRES", "ENDED"},
                              table));
  if (grants.empty()) fmt::print("(no grants)\n");
  return kExitOk;
}

// The engine as wired for console commands: the in-memory provider, chat and directory.
struct LocalWiring {
  MemoryAccessProvider provider;
  MemoryChat chat;
  MemoryDirectory directory;
  SystemClock clock;
};

int cmd_revoke(const std::string& config, const std::string& store, const std::string& id, const std::string& reason,
               const std::string& operator_name) {
  auto ctx = open_context(config, store, true);
  if (!ctx) return report(ctx.error());
  LocalWiring w;
  // With an Identity Center instance in the policy the assignment is deleted in AWS; without one
  // there is no real provider to call, and the operator is told so.
  std::shared_ptr<AwsServices> aws;
  std::unique_ptr<aws::IdentityCenterProvider> identity_center;
  AccessProvider* provider = &w.provider;
  if (!ctx->policy->aws.instance_arn.empty()) {
    auto services = AwsServices::create(ctx->policy->aws);
    if (!services) return report(services.error());
    aws = *services;
    identity_center = std::make_unique<aws::IdentityCenterProvider>(
        aws::IdentityCenterConfig{.instance_arn = ctx->policy->aws.instance_arn,
                                  .identity_store_id = ctx->policy->aws.identity_store_id},
        aws->sso_admin(), aws->identitystore(), w.clock);
    provider = identity_center.get();
  } else {
    std::cerr << "jit: warning: the policy has no [aws].instance_arn: the grant is ended in the store only, "
                 "nothing is deleted in AWS\n";
  }
  Engine engine(ctx->policy, *ctx->store, *provider, w.chat, w.directory, w.clock);
  auto done = engine.console_revoke(id, operator_name, reason);
  if (!done) return report(done.error());
  fmt::print("{}: {} ({})\n", done->id, state_name(done->state), done->end_reason);
  return done->state == State::revoked ? kExitOk : kExitFailure;
}

int cmd_audit_export(const std::string& config, const std::string& store, const std::string& since,
                     const std::string& until, const std::string& format) {
  AuditQuery q;
  for (auto [flag, text, slot] : {std::tuple{"--since", &since, &q.since}, std::tuple{"--until", &until, &q.until}}) {
    if (text->empty()) continue;
    auto t = parse_time(*text);
    if (!t) {
      std::cerr << fmt::format("jit: {} \"{}\": expected a UTC time like 2026-11-24T10:00:00Z or a date like "
                               "2026-11-24\n", flag, *text);
      return kExitUsage;
    }
    *slot = *t;
  }
  auto ctx = open_context(config, store, false);
  if (!ctx) return report(ctx.error());
  auto events = all_audit_events(*ctx->store, q);
  if (!events) return report(events.error());
  if (format == "csv") fmt::print("{}", csv_header_audit());
  for (const auto& e : *events) fmt::print("{}", format == "csv" ? to_csv(e) : to_json(e).dump() + "\n");
  return kExitOk;
}

int cmd_audit_verify(const std::string& config, const std::string& store) {
  auto ctx = open_context(config, store, false);
  if (!ctx) return report(ctx.error());
  auto events = all_audit_events(*ctx->store);
  if (!events) return report(events.error());
  auto head = ctx->store->audit_head();
  if (!head) return report(head.error());
  auto result = audit::verify(*events, *head);
  if (!result.ok) {
    fmt::print("audit trail BROKEN at event {}: {} ({} events read)\n", result.first_bad_seq, result.problem,
               result.checked);
    return kExitFailure;
  }
  fmt::print("audit trail verified: {} events, head #{} {}\n", result.checked, result.head.seq, result.head.hash);
  return kExitOk;
}

int cmd_store_init(const std::string& config, const std::string& store) {
  auto ctx = open_context(config, store, false, false);
  if (!ctx) return report(ctx.error());
  auto done = init_store(choose_store_url(store, ctx->policy.get()), ctx->policy ? ctx->policy->aws : AwsSettings{});
  if (!done) return report(done.error());
  fmt::print("{}\n", *done);
  return kExitOk;
}

int cmd_store_migrate(const std::string& config, const std::string& from_url, const std::string& to_url) {
  auto ctx = open_context(config, "", false, false);
  if (!ctx) return report(ctx.error());
  const AwsSettings aws = ctx->policy ? ctx->policy->aws : AwsSettings{};
  // Opening a missing SQLite file would create an empty one, and "migrate" nothing from a typo.
  if (constexpr std::string_view kSqlite = "sqlite:"; from_url.starts_with(kSqlite) &&
                                                      !std::filesystem::exists(from_url.substr(kSqlite.size()))) {
    std::cerr << fmt::format("jit: --from {}: no such file: name an existing SQLite store\n", from_url);
    return kExitUsage;
  }
  auto from = open_store(from_url, aws);
  if (!from) return report(from.error());
  auto to = open_store(to_url, aws);
  if (!to) return report(to.error());
  auto done = migrate(**from, **to);
  if (!done) {
    // Whatever went wrong, the migration did not happen: a failure, not a usage error.
    std::cerr << fmt::format("jit: migrating from {} to {}: {}\n", from_url, to_url, done.error().message);
    return kExitFailure;
  }
  fmt::print("migrated {} requests and {} audit events from {} to {}; audit chain verified (head #{} {})\n",
             done->requests, done->audit_events, from_url, to_url, done->head.seq, done->head.hash);
  return kExitOk;
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
               "revoke in IAM Identity Center ([aws] in the policy), expiry timers, sweeper, reconciler");
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
      "demo", "Play the whole lifecycle: jit serve against local Slack and AWS emulators, driven by a script");
  std::string demo_store;
  bool demo_keep_running = false;
  demo->add_option("--store", demo_store,
                   "Keep the demo's state in sqlite:PATH, a new file (left for `jit audit verify --store ...`)");
  demo->add_flag("--keep-running", demo_keep_running,
                 "Afterwards leave the emulators and jit serve up, print how to drive them by hand, and stop on "
                 "Ctrl-C or SIGTERM");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  setup_logging(log_format == "json"   ? LogFormat::json
                : log_format == "text" ? LogFormat::text
                                       : (serve->parsed() ? default_log_format() : LogFormat::text),
                serve->parsed() && app.count("--log-level") == 0 ? "info" : log_level);

  if (serve->parsed())
    return run_serve({.config = config, .store = store, .instance_id = instance_id, .ops_address = ops_address,
                      .lease = lease, .slack = !no_slack});
  if (check->parsed()) return cmd_check_config(check_file);
  if (requests_list->parsed()) return cmd_requests_list(config, store, output, states, requester, limit);
  if (grants_list->parsed()) return cmd_grants_list(config, store, output, active_only, limit);
  if (revoke->parsed()) return cmd_revoke(config, store, revoke_id, reason, operator_name);
  if (audit_export->parsed()) return cmd_audit_export(config, store, since, until, format);
  if (audit_verify->parsed()) return cmd_audit_verify(config, store);
  if (store_init->parsed()) return cmd_store_init(config, store);
  if (store_migrate->parsed()) return cmd_store_migrate(config, from_url, to_url);
  if (demo->parsed()) return run_demo(demo_store, demo_keep_running);
  return kExitUsage;
}

}  // namespace jit
