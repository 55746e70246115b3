#include "cmd/jit/serve.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "app/checkpoint_key.h"
#include "app/config.h"
#include "app/dry_run.h"
#include "app/pagerduty.h"
#include "app/runtime.h"
#include "app/step_up_page.h"
#include "app/step_up_tls.h"
#include "cmd/jit/cli.h"
#include "core/duration.h"
#include "engine/announcer.h"
#include "engine/checkpoint_publisher.h"
#include "engine/engine.h"
#include "engine/timer_loop.h"
#include "net/https_client.h"
#include "observability/metrics.h"
#include "observability/ops_server.h"
#include "platform/signals.h"
#include "slack/inbound.h"
#include "slack/home_tab.h"
#include "slack/slack_chat.h"
#include "slack/socket_mode.h"
#include "slack/step_up_service_links.h"
#include "slack/web_api.h"

namespace jit {

namespace {

// A secret from the variable `name`, or from the file that `name`_FILE names (one trailing newline
// dropped). nullopt when neither is set. Errors name the variable or file, never the value.
Result<std::optional<std::string>> read_secret(const std::string& name) {
  if (auto value = net::process_env(name); value && !value->empty()) return std::optional(*value);
  auto file = net::process_env(name + "_FILE");
  if (!file || file->empty()) return std::optional<std::string>();
  std::ifstream in(*file, std::ios::binary);
  if (!in) return fail(Error::Invalid(fmt::format("{}_FILE: cannot read {}", name, *file)));
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return fail(Error::Invalid(fmt::format("{}_FILE: {} is empty", name, *file)));
  return std::optional(std::move(secret));
}

struct SlackTokens {
  std::string bot, app;
};

Result<SlackTokens> slack_tokens() {
  SlackTokens tokens;
  for (auto [name, slot, prefix, what] :
       {std::tuple{"SLACK_BOT_TOKEN", &tokens.bot, "xoxb-", "the app's Bot User OAuth Token (OAuth & Permissions)"},
        std::tuple{"SLACK_APP_TOKEN", &tokens.app, "xapp-",
                   "an app-level token with the connections:write scope (Basic Information)"}}) {
    auto secret = read_secret(name);
    if (!secret) return fail(secret.error());
    if (!*secret)
      return fail(Error::Invalid(fmt::format("{} is not set: set it (or {}_FILE) to {}; or run `jit serve --no-slack` "
                                             "for timers only",
                                             name, name, what)));
    if (!(*secret)->starts_with(prefix))
      return fail(Error::Invalid(fmt::format("{} does not start with {}: it should be {}", name, prefix, what)));
    *slot = std::move(**secret);
  }
  return tokens;
}

// AWS error codes after which AWS cannot be used at all (readiness says so until a call works).
bool is_aws_outage(std::string_view code) {
  static constexpr std::string_view kCodes[] = {
      "Transport", "Credentials", "Signing", "UnrecognizedClientException", "InvalidSignatureException",
      "ExpiredTokenException", "AccessDeniedException", "InternalServerException", "ServiceUnavailableException"};
  for (auto c : kCodes)
    if (c == code) return true;
  return false;
}

void register_serve_metrics(Metrics& metrics) {
  register_engine_metrics(metrics);
  register_announcer_metrics(metrics);
  metrics.gauge("jit_grants_active", "Grants holding access now (granting, active or revoking).");
  metrics.histogram("jit_slack_envelope_ack_seconds", "Time from a Socket Mode envelope's arrival to its ack, by type.",
                    {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  metrics.counter("jit_slack_calls_total", "Slack Web API calls, by method.");
  metrics.counter("jit_slack_call_errors_total", "Slack Web API calls that failed, by method and Slack's error.");
  metrics.counter("jit_slack_envelopes_shed_total",
                  "Socket Mode envelopes acked but dropped unhandled because the work queue was full, by kind.");
  metrics.counter("jit_slack_connections_opened_total", "Socket Mode connections opened (hello received).");
  metrics.counter("jit_slack_reconnects_total", "Socket Mode connections opened after the first one.");
  metrics.gauge("jit_slack_connections_open", "Socket Mode connections open now.");
  metrics.counter("jit_aws_calls_total", "AWS API calls, by service and operation.");
  metrics.counter("jit_aws_call_errors_total", "AWS API calls that failed, by service, operation and error code.");
}

// What the last AWS call said about AWS as a whole, for readiness; counts every call.
class AwsHealth {
 public:
  explicit AwsHealth(Metrics& metrics) : metrics_(metrics) {}
  AwsServices::CallObserver observer() {
    return [this](std::string_view service, std::string_view operation, std::string_view code) {
      const Labels labels{{"service", std::string(service)}, {"operation", std::string(operation)}};
      metrics_.inc("jit_aws_calls_total", labels);
      if (!code.empty()) {
        Labels with_code = labels;
        with_code.emplace_back("code", std::string(code));
        metrics_.inc("jit_aws_call_errors_total", with_code);
      }
      std::lock_guard lock(mu_);
      if (code.empty() || !is_aws_outage(code)) problem_.clear();
      else problem_ = fmt::format("the last {} {} call failed: {}", service, operation, code);
    };
  }
  std::string problem() const {
    std::lock_guard lock(mu_);
    return problem_;
  }

 private:
  Metrics& metrics_;
  mutable std::mutex mu_;
  std::string problem_;
};

// Slack, when the service runs with it: the Web API clients, the Chat and Directory adapters.
struct SlackSide {
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<slack::WebApi> bot_api, app_api;
  slack::SlackChat* chat = nullptr;
  slack::SlackDirectory* directory = nullptr;
};

// Builds the Slack side and checks the bot token with auth.test. An error that is the operator's
// to fix ends start-up (exit 1 for a refused token, 2 for a missing or malformed one).
Result<SlackSide> connect_slack(const std::shared_ptr<const Config>& config, const Clock& clock, Metrics& metrics,
                                bool dry_run, std::unique_ptr<Chat>& chat, std::unique_ptr<Directory>& directory) {
  SlackSide side;
  auto tokens = slack_tokens();
  if (!tokens) return fail(tokens.error());
  auto base = slack::slack_api_endpoint(net::process_env);
  if (!base) return fail(base.error());
  side.http = net::make_http_client();
  slack::WebApiOptions api_options;
  api_options.on_result = [&metrics](std::string_view method, std::string_view error) {
    metrics.inc("jit_slack_calls_total", {{"method", std::string(method)}});
    if (!error.empty())
      metrics.inc("jit_slack_call_errors_total", {{"method", std::string(method)}, {"error", std::string(error)}});
  };
  side.bot_api = std::make_unique<slack::WebApi>(*side.http, *base, tokens->bot, clock, api_options);
  side.app_api = std::make_unique<slack::WebApi>(*side.http, *base, tokens->app, clock, api_options);
  auto me = side.bot_api->call("auth.test", nlohmann::json::object());
  if (!me && slack::is_credential_error(me.error().error))
    return fail(Error::Denied(fmt::format(
        "Slack refused SLACK_BOT_TOKEN ({}): use the Bot User OAuth Token of the installed app", me.error().error)));
  if (me)
    spdlog::info("event=slack_auth team={} bot_user={} url={}", me->value("team", ""), me->value("user_id", ""),
                 me->value("url", ""));
  else
    spdlog::warn("event=slack_auth_failed error={} detail=\"{}\" will_retry=true", me.error().error, me.error().detail);
  auto owned_chat = std::make_unique<slack::SlackChat>(*side.bot_api, config, dry_run);
  auto owned_directory = std::make_unique<slack::SlackDirectory>(
      *side.bot_api, std::shared_ptr<const Policy>(config, &config->policy), clock);
  if (me) owned_directory->set_own_team(me->value("team_id", ""));
  owned_directory->set_unknown_group_alert([chat = owned_chat.get()](const std::string& text) {
    if (auto a = chat->alert(text); !a) spdlog::warn("event=alert_failed error=\"{}\"", a.error().message);
  });
  side.chat = owned_chat.get();
  side.directory = owned_directory.get();
  chat = std::move(owned_chat);
  directory = std::move(owned_directory);
  return side;
}

// Readiness: the store answers, Slack has a Socket Mode connection, AWS's last call worked.
std::vector<ReadinessCheck> readiness_checks(Store& store, slack::SocketModeClient* socket, const AwsHealth* aws) {
  std::vector<ReadinessCheck> checks;
  checks.push_back({"store", [&store] {
                      auto head = store.audit_head();
                      return head ? std::string() : head.error().message;
                    }});
  if (socket)
    checks.push_back({"slack", [socket] {
                        return socket->stats().open_connections > 0 ? std::string()
                                                                    : std::string("no Socket Mode connection to Slack");
                      }});
  if (aws) checks.push_back({"aws", [aws] { return aws->problem(); }});
  return checks;
}

// Gauges read at each scrape: grants holding access, Socket Mode connections.
std::function<void()> on_scrape(Metrics& metrics, Store& store, slack::SocketModeClient* socket) {
  auto seen = std::make_shared<std::pair<std::mutex, int>>();
  return [&metrics, &store, socket, seen] {
    if (auto holding = store.holding_access(1000000))
      metrics.set("jit_grants_active", {}, static_cast<double>(holding->size()));
    if (!socket) return;
    const auto stats = socket->stats();
    std::lock_guard lock(seen->first);
    int& connections_seen = seen->second;
    if (stats.connections_opened > connections_seen) {
      const int before = connections_seen;
      metrics.inc("jit_slack_connections_opened_total", {}, stats.connections_opened - before);
      metrics.inc("jit_slack_reconnects_total", {}, stats.connections_opened - std::max(before, 1));
      connections_seen = stats.connections_opened;
    }
    metrics.set("jit_slack_connections_open", {}, stats.open_connections);
  };
}

// SIGHUP: reads the file again. A file with errors changes nothing. Otherwise the policy and every
// setting that can change at once are applied together (engine, timer loop and Slack see one new
// configuration); settings that need a restart keep their running values and are named in the
// log and the ops channel.
void reload(const std::string& path, Engine& engine, SlackSide* slack, Chat& chat) {
  auto loaded = load_config_file(path);
  if (!loaded) {
    spdlog::error("event=config_reload_rejected file={} error=\"{}\"", path, loaded.error().message);
    if (auto a = chat.alert(fmt::format("Configuration reload rejected, nothing changed: {}", loaded.error().message));
        !a)
      spdlog::warn("event=alert_failed error=\"{}\"", a.error().message);
    return;
  }
  Reload plan = plan_reload(*engine.config(), **loaded);
  auto next = std::make_shared<const Config>(std::move(plan.config));
  engine.set_config(next);
  if (slack) {
    slack->chat->set_config(next);
    slack->directory->set_policy(std::shared_ptr<const Policy>(next, &next->policy));
  }
  spdlog::info("event=config_reloaded file={} settings_applied=\"{}\" need_restart=\"{}\"", path,
               fmt::join(plan.applied, ","), fmt::join(plan.need_restart, ","));
  if (!plan.need_restart.empty())
    if (auto a = chat.alert(fmt::format("Configuration reloaded from {}: the policy and {} are in effect; {} changed "
                                        "but keep their running values until jit serve is restarted.",
                                        path, plan.applied.empty() ? "no changed setting" : fmt::format("{}", fmt::join(plan.applied, ", ")),
                                        fmt::join(plan.need_restart, ", ")));
        !a)
      spdlog::warn("event=alert_failed error=\"{}\"", a.error().message);
}

// Says how the audit trail is sealed: the current key id, or a warning (log and ops channel) that
// the trail is unkeyed, so that whoever can write the store could rewrite it unnoticed.
void announce_audit_keys(const LoadedKeyring& keys, Chat& chat) {
  for (const auto& warning : keys.warnings) spdlog::warn("event=audit_key_warning detail=\"{}\"", warning);
  if (keys.keys.keyed()) {
    spdlog::info("event=audit_keyed current_key={} keys=\"{}\" from=\"{}\"", keys.keys.current_id(),
                 fmt::join(keys.keys.ids(), ","), fmt::join(keys.sources, ","));
    return;
  }
  spdlog::warn("event=audit_unkeyed detail=\"no audit key ([audit] key_file or {}): the audit trail is plain SHA-256, "
               "so whoever can write the store can rewrite it unnoticed\"",
               kAuditKeyVariable);
  if (auto a = chat.alert(fmt::format("The audit trail is unkeyed: no audit key is configured ([audit] key_file or "
                                      "{}), so whoever can write the store could rewrite the trail unnoticed. See "
                                      "docs/operations.md, \"Audit keys\".",
                                      kAuditKeyVariable));
      !a)
    spdlog::warn("event=alert_failed error=\"{}\"", a.error().message);
}

// Socket Mode on the app token, each envelope handed to `inbound` after its ack.
std::unique_ptr<slack::SocketModeClient> make_socket(SlackSide& slack, slack::InboundHandler& inbound,
                                                     const Clock& clock, Metrics& metrics, std::size_t queue_limit,
                                                     std::function<void(const Error&)> on_fatal) {
  slack::SocketModeHandlers handlers;
  handlers.on_envelope = [&inbound](const slack::Envelope& e) { inbound.handle(e); };
  handlers.ack_payload = [&inbound](const slack::Envelope& e) { return inbound.ack_payload(e); };
  handlers.priority = &slack::InboundHandler::priority;
  handlers.on_shed = [&metrics](const slack::Envelope& e) {
    metrics.inc("jit_slack_envelopes_shed_total", {{"kind", slack::envelope_kind(e)}});
  };
  handlers.on_acked = [&metrics](const slack::Envelope& e, std::chrono::steady_clock::duration latency) {
    metrics.observe("jit_slack_envelope_ack_seconds", {{"type", e.type}}, std::chrono::duration<double>(latency).count());
  };
  handlers.on_stopped = std::move(on_fatal);
  // Reconnect quickly once Slack is back: at most 10 s between attempts (with jitter).
  slack::SocketModeOptions options;
  options.reconnect.max_delay = std::chrono::seconds(10);
  options.queue_limit = queue_limit;
  return std::make_unique<slack::SocketModeClient>(*slack.app_api, clock, options, std::move(handlers));
}

}  // namespace

// The order of start-up, step by step (each step a named helper above): the runtime, the
// provider, Slack, the engine and its loop, the ops server, the signal thread, then run.
int run_serve(const ServeOptions& o) {
  // SIGUSR1 is internal: it wakes the signal thread when the service stops by itself.
  const SignalWaiter signals({SIGINT, SIGTERM, SIGHUP, SIGUSR1});

  auto ops_options = parse_ops_address(o.ops_address);
  if (!ops_options) return report(ops_options.error());
  auto lease = parse_duration(o.lease);
  if (!lease) return report(Error::Invalid("--lease: " + lease.error().message));

  Metrics metrics;
  register_serve_metrics(metrics);
  AwsHealth aws_health(metrics);
  auto runtime = Runtime::build(
      {.config_flag = o.config, .store_flag = o.store, .need_policy = true, .on_aws_call = aws_health.observer()});
  if (!runtime) return report(runtime.error());
  Runtime& rt = **runtime;
  if (auto continued = check_keys_continue_the_trail(rt.store(), rt.audit_keys().keys); !continued)
    return report(continued.error());
  // The IAM-role path reads each account's settings from the policy as it is at the call: the
  // engine's, once it exists (a SIGHUP reload changes it), the runtime's until then.
  std::atomic<const Engine*> live_engine{nullptr};
  auto provider = rt.make_provider(o.dry_run, o.instance_id, [&live_engine, &rt] {
    const Engine* e = live_engine.load();
    return e ? e->config() : rt.config();
  });
  if (!provider) return report(provider.error());
  if (auto checked = check_lease(*lease, (*provider)->call_deadline()); !checked) return report(checked.error());
  if (o.dry_run)
    spdlog::warn("event=dry_run detail=\"--dry-run: nothing is granted or revoked in AWS; every message says so\"");

  std::unique_ptr<Chat> chat;
  std::unique_ptr<Directory> directory;
  std::optional<SlackSide> slack;
  if (o.slack) {
    auto connected = connect_slack(rt.config(), rt.clock(), metrics, o.dry_run, chat, directory);
    if (!connected) return report(connected.error());
    slack = std::move(*connected);
  } else {
    spdlog::warn("event=no_slack detail=\"--no-slack: nothing is sent to or received from Slack\"");
    chat = std::make_unique<LogOnlyChat>();
    directory = std::make_unique<NoDirectory>();
  }

  // Signed checkpoints of the audit trail, posted straight to Slack (not through the announcer,
  // which always succeeds) so that a failed post is retried; on a thread of their own.
  auto checkpoint_key = load_checkpoint_key(rt.config()->settings.audit);
  if (!checkpoint_key) return report(checkpoint_key.error());
  std::unique_ptr<CheckpointPublisher> checkpoints;
  if (*checkpoint_key) {
    spdlog::info("event=audit_checkpoints_on key={} interval={}", (*checkpoint_key)->public_key().key_id(),
                 format_duration(rt.config()->settings.audit.checkpoint_interval));
    checkpoints = std::make_unique<CheckpointPublisher>(rt.store(), *chat, rt.clock(), std::move(**checkpoint_key),
                                                        rt.config()->settings.audit.checkpoint_interval);
  } else {
    spdlog::warn("event=audit_checkpoints_off detail=\"[audit] checkpoint_key_file is not set: no signed checkpoints "
                 "are published, so truncating or rewriting the audit trail in the store cannot be detected\"");
  }

  // On-call auto-approval (issue 17): PagerDuty is asked only when a role names a schedule; a
  // missing or unusable token stops the start, as a missing Slack token does.
  auto pagerduty = make_pagerduty(*rt.config(), rt.clock());
  if (!pagerduty) return report(pagerduty.error());

  EngineOptions engine_options;
  engine_options.audit_keys = rt.audit_keys().keys;
  engine_options.on_call = pagerduty->on_call.get();
  if (checkpoints) engine_options.on_granted = [publisher = checkpoints.get()] { publisher->request(); };
  engine_options.instance_id = o.instance_id;
  engine_options.lease = *lease;
  engine_options.metrics = &metrics;
  engine_options.dry_run = o.dry_run;
  // The engine's announcements go through a queue with its own thread: a revocation never waits on
  // Slack (post_request, which needs the message's place, still passes straight through).
  Announcer announcer(*chat, rt.clock(),
                      {.capacity = static_cast<std::size_t>(rt.config()->settings.announce_queue), .metrics = &metrics});
  announce_audit_keys(rt.audit_keys(), announcer);
  Engine engine(rt.config(), rt.store(), **provider, announcer, *directory, rt.clock(), engine_options);
  live_engine = &engine;
  // Expired grants are revoked by workers at the configured rate, never on the timers' thread.
  const AwsSettings& aws_settings = rt.config()->settings.aws;
  TimerLoop loop(engine, rt.clock(),
                 {.revoke_concurrency = aws_settings.revoke_concurrency,
                  .revoke_rate = aws_settings.revoke_rate});

  // The WebAuthn step-up page (issue 15), only when a role needs it; stopped before the engine goes.
  std::unique_ptr<StepUpPage> step_up;
  std::unique_ptr<slack::ServiceStepUpLinks> step_up_links;
  if (any_step_up(*engine.policy())) {
    auto page = start_step_up_page(rt.config()->settings.step_up, engine, rt.step_up_store(), rt.store(), rt.clock());
    if (!page) return report(page.error());
    step_up = std::move(*page);
    step_up_links = std::make_unique<slack::ServiceStepUpLinks>(*step_up->service);
    spdlog::info("event=step_up_listening url={} origin={}", step_up->url, rt.config()->settings.step_up.origin);
  }

  std::atomic<bool> fatal{false};
  std::unique_ptr<slack::HomeTab> home;
  std::unique_ptr<slack::InboundHandler> inbound;
  std::unique_ptr<slack::SocketModeClient> socket;
  if (slack) {
    // The Home tab (issue 17) follows the engine's changes on a thread of its own.
    home = std::make_unique<slack::HomeTab>(engine, *slack->bot_api, *directory, rt.clock(),
                                            slack::HomeTabOptions{.dry_run = o.dry_run});
    inbound = std::make_unique<slack::InboundHandler>(engine, *slack->bot_api, *directory, rt.clock(), o.dry_run,
                                                      step_up_links.get(), home.get());
    socket = make_socket(*slack, *inbound, rt.clock(), metrics,
                         static_cast<std::size_t>(rt.config()->settings.slack.queue_limit), [&](const Error& e) {
      spdlog::critical("event=slack_stopped error=\"{}\"", e.message);
      std::cerr << ("jit: " + e.message + "\n");  // one write: log lines from other threads share stderr
      fatal = true;
      loop.stop();
    });
  }

  auto ops = OpsServer::start(*ops_options, metrics,
                              readiness_checks(rt.store(), socket.get(), rt.aws_if_made() ? &aws_health : nullptr),
                              on_scrape(metrics, rt.store(), socket.get()));
  if (!ops) return report(ops.error());

  std::thread signal_thread([&] {
    // SIGHUP reloads; anything else stops the loop (SIGUSR1: it stopped by itself).
    int sig = signals.wait();
    for (; sig == SIGHUP; sig = signals.wait()) reload(rt.config_path(), engine, slack ? &*slack : nullptr, announcer);
    if (sig != SIGUSR1) spdlog::info("event=stopping signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    loop.stop();
  });
  if (socket) socket->start();
  if (checkpoints) checkpoints->start();
  std::string paths = "dry_run";
  if (!o.dry_run) {
    std::set<std::string_view> used;
    for (const auto& account : rt.config()->policy.accounts) used.insert(access_path_name(account.provider));
    paths = fmt::format("{}", fmt::join(used, "+"));
  }
  spdlog::info("event=serving store={} instance={} ops=http://{}:{} provider={} chat={}", rt.store_url(),
               o.instance_id, ops_options->address, (*ops)->port(), paths, o.slack ? "slack" : "none");
  loop.run();
  if (checkpoints) checkpoints->stop();
  // Stop taking envelopes and finish the ones already acked, then close the sockets.
  if (socket) socket->stop();
  if (home) home->stop();
  if (step_up) step_up->server->stop();  // no approval through the page once the loop has stopped
  SignalWaiter::raise_in_process(SIGUSR1);  // wakes the signal thread if the loop stopped by itself
  signal_thread.join();
  return fatal ? kExitFailure : kExitOk;
}

}  // namespace jit
