#include "app/serve.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "app/aws_services.h"
#include "app/cli.h"
#include "app/config.h"
#include "app/engine.h"
#include "app/memory_chat.h"
#include "app/memory_provider.h"
#include "app/metrics.h"
#include "app/ops_server.h"
#include "app/service.h"
#include "app/slack_app.h"
#include "app/store_url.h"
#include "core/duration.h"
#include "aws/identity_center.h"
#include "net/https_client.h"
#include "slack/slack_chat.h"
#include "slack/socket_mode.h"
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

// Slack errors that mean the token itself is wrong: retrying cannot help.
bool is_token_error(const std::string& error) {
  static const std::unordered_set<std::string> errors = {"invalid_auth",  "not_authed",    "account_inactive",
                                                         "token_revoked", "token_expired", "not_allowed_token_type"};
  return errors.contains(error);
}

// AWS error codes after which AWS cannot be used at all (readiness says so until a call works).
bool is_aws_outage(std::string_view code) {
  static const std::unordered_set<std::string_view> codes = {
      "Transport", "Credentials", "Signing", "UnrecognizedClientException", "InvalidSignatureException",
      "ExpiredTokenException", "AccessDeniedException", "InternalServerException", "ServiceUnavailableException"};
  return codes.contains(code);
}

void register_serve_metrics(Metrics& metrics) {
  register_engine_metrics(metrics);
  metrics.gauge("jit_grants_active", "Grants holding access now (granting, active or revoking).");
  metrics.histogram("jit_slack_envelope_ack_seconds", "Time from a Socket Mode envelope's arrival to its ack, by type.",
                    {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  metrics.counter("jit_slack_calls_total", "Slack Web API calls, by method.");
  metrics.counter("jit_slack_call_errors_total", "Slack Web API calls that failed, by method and Slack's error.");
  metrics.counter("jit_slack_connections_opened_total", "Socket Mode connections opened (hello received).");
  metrics.counter("jit_slack_reconnects_total", "Socket Mode connections opened after the first one.");
  metrics.gauge("jit_slack_connections_open", "Socket Mode connections open now.");
  metrics.counter("jit_aws_calls_total", "AWS API calls, by service and operation.");
  metrics.counter("jit_aws_call_errors_total", "AWS API calls that failed, by service, operation and error code.");
}

}  // namespace

int run_serve(const ServeOptions& o) {
  // Signals are taken by one thread with sigwait, so no handler runs in an arbitrary thread. They
  // are blocked before any thread starts, so every thread inherits the mask. SIGUSR1 is internal:
  // it wakes the signal thread when the service stops by itself.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto ops_options = parse_ops_address(o.ops_address);
  if (!ops_options) return report(ops_options.error());
  auto lease = parse_duration(o.lease);
  if (!lease) return report(Error::Invalid("--lease: " + lease.error().message));
  const std::string config_path = choose_config(o.config).path;
  auto loaded = load_policy_file(config_path);
  if (!loaded) return report(loaded.error());
  std::shared_ptr<Policy> policy = *loaded;
  const std::string store_url = choose_store_url(o.store, policy.get());

  Metrics metrics;
  register_serve_metrics(metrics);

  // AWS: one layer for the store and Identity Center, built only when one of them needs it.
  // Credentials are looked up at the first call, so a missing one shows in readiness, not here.
  std::mutex aws_mu;
  std::string aws_problem;
  std::shared_ptr<AwsServices> aws;
  const bool identity_center = !policy->aws.instance_arn.empty();
  if (identity_center || store_url.starts_with("dynamodb:")) {
    auto services = AwsServices::create(
        policy->aws, [&](std::string_view service, std::string_view operation, std::string_view code) {
          const Labels labels{{"service", std::string(service)}, {"operation", std::string(operation)}};
          metrics.inc("jit_aws_calls_total", labels);
          if (!code.empty()) {
            Labels with_code = labels;
            with_code.emplace_back("code", std::string(code));
            metrics.inc("jit_aws_call_errors_total", with_code);
          }
          std::lock_guard lock(aws_mu);
          if (code.empty() || !is_aws_outage(code)) aws_problem.clear();
          else aws_problem = fmt::format("the last {} {} call failed: {}", service, operation, code);
        });
    if (!services) return report(services.error());
    aws = *services;
  }
  auto opened = open_store(store_url, policy->aws, aws);
  if (!opened) return report(opened.error());
  std::unique_ptr<Store> store = std::move(*opened);

  SystemClock clock;
  MemoryAccessProvider memory_provider;
  std::unique_ptr<aws::IdentityCenterProvider> identity_center_provider;
  AccessProvider* provider = &memory_provider;
  if (identity_center) {
    identity_center_provider = std::make_unique<aws::IdentityCenterProvider>(
        aws::IdentityCenterConfig{.instance_arn = policy->aws.instance_arn,
                                  .identity_store_id = policy->aws.identity_store_id},
        aws->sso_admin(), aws->identitystore(), clock);
    provider = identity_center_provider.get();
  } else {
    spdlog::warn("event=no_identity_center detail=\"the policy has no [aws].instance_arn: grants are kept in memory "
                 "only and nothing is granted in AWS\"");
  }

  // Slack: the bot token for the Web API, the app token for Socket Mode.
  std::unique_ptr<net::HttpClient> slack_http;
  std::unique_ptr<slack::WebApi> bot_api, app_api;
  std::unique_ptr<Chat> chat;
  std::unique_ptr<Directory> directory;
  slack::SlackChat* slack_chat = nullptr;
  slack::SlackDirectory* slack_directory = nullptr;
  if (o.slack) {
    auto tokens = slack_tokens();
    if (!tokens) return report(tokens.error());
    auto base = slack::slack_api_endpoint(net::process_env);
    if (!base) return report(base.error());
    slack_http = net::make_http_client();
    slack::WebApiOptions api_options;
    api_options.on_result = [&metrics](std::string_view method, std::string_view error) {
      metrics.inc("jit_slack_calls_total", {{"method", std::string(method)}});
      if (!error.empty())
        metrics.inc("jit_slack_call_errors_total", {{"method", std::string(method)}, {"error", std::string(error)}});
    };
    bot_api = std::make_unique<slack::WebApi>(*slack_http, *base, tokens->bot, api_options);
    app_api = std::make_unique<slack::WebApi>(*slack_http, *base, tokens->app, api_options);
    auto me = bot_api->call("auth.test", nlohmann::json::object());
    if (!me && is_token_error(me.error().error)) {
      std::cerr << fmt::format("jit: Slack refused SLACK_BOT_TOKEN ({}): use the Bot User OAuth Token of the "
                               "installed app\n", me.error().error);
      return kExitFailure;
    }
    if (me) {
      spdlog::info("event=slack_auth team={} bot_user={} url={}", me->value("team", ""), me->value("user_id", ""),
                   me->value("url", ""));
    } else {
      spdlog::warn("event=slack_auth_failed error={} detail=\"{}\" will_retry=true", me.error().error,
                   me.error().detail);
    }
    auto owned_chat = std::make_unique<slack::SlackChat>(*bot_api, policy);
    auto owned_directory = std::make_unique<slack::SlackDirectory>(*bot_api, policy);
    slack_chat = owned_chat.get();
    slack_directory = owned_directory.get();
    chat = std::move(owned_chat);
    directory = std::move(owned_directory);
  } else {
    spdlog::warn("event=no_slack detail=\"--no-slack: nothing is sent to or received from Slack\"");
    chat = std::make_unique<MemoryChat>();
    directory = std::make_unique<MemoryDirectory>();
  }

  EngineOptions engine_options;
  engine_options.instance_id = o.instance_id;
  engine_options.lease = *lease;
  engine_options.metrics = &metrics;
  Engine engine(policy, *store, *provider, *chat, *directory, clock, engine_options);
  Service service(engine, policy->sweep_interval, policy->reconcile_interval);

  std::atomic<bool> fatal{false};
  std::unique_ptr<SlackApp> slack_app;
  std::unique_ptr<slack::SocketModeClient> socket;
  if (o.slack) {
    slack_app = std::make_unique<SlackApp>(engine, *bot_api, *directory);
    slack::SocketModeHandlers handlers;
    handlers.on_envelope = [&](const slack::Envelope& e) { slack_app->handle(e); };
    handlers.ack_payload = [&](const slack::Envelope& e) { return slack_app->ack_payload(e); };
    handlers.on_acked = [&metrics](const slack::Envelope& e, std::chrono::steady_clock::duration latency) {
      metrics.observe("jit_slack_envelope_ack_seconds", {{"type", e.type}},
                      std::chrono::duration<double>(latency).count());
    };
    handlers.on_stopped = [&](const Error& e) {
      spdlog::critical("event=slack_stopped error=\"{}\"", e.message);
      std::cerr << ("jit: " + e.message + "\n");  // one write: log lines from other threads share stderr
      fatal = true;
      service.stop();
    };
    // Reconnect quickly once Slack is back: at most 10 s between attempts (with jitter).
    slack::SocketModeOptions socket_options;
    socket_options.reconnect.max_delay = std::chrono::seconds(10);
    socket = std::make_unique<slack::SocketModeClient>(*app_api, socket_options, std::move(handlers));
  }

  std::vector<ReadinessCheck> checks;
  Store& state = *store;
  checks.push_back({"store", [&state] {
                      auto head = state.audit_head();
                      return head ? std::string() : head.error().message;
                    }});
  if (socket)
    checks.push_back({"slack", [&socket] {
                        return socket->stats().open_connections > 0 ? std::string()
                                                                    : std::string("no Socket Mode connection to Slack");
                      }});
  if (aws)
    checks.push_back({"aws", [&] {
                        std::lock_guard lock(aws_mu);
                        return aws_problem;
                      }});
  int connections_seen = 0;
  std::mutex scrape_mu;
  auto ops = OpsServer::start(*ops_options, metrics, std::move(checks), [&] {
    if (auto holding = state.holding_access(1000000))
      metrics.set("jit_grants_active", {}, static_cast<double>(holding->size()));
    if (!socket) return;
    const auto stats = socket->stats();
    std::lock_guard lock(scrape_mu);
    if (stats.connections_opened > connections_seen) {
      const int before = connections_seen;
      metrics.inc("jit_slack_connections_opened_total", {}, stats.connections_opened - before);
      metrics.inc("jit_slack_reconnects_total", {}, stats.connections_opened - std::max(before, 1));
      connections_seen = stats.connections_opened;
    }
    metrics.set("jit_slack_connections_open", {}, stats.open_connections);
  });
  if (!ops) return report(ops.error());

  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        auto reloaded = load_policy_file(config_path);
        if (!reloaded) {
          spdlog::error("event=policy_reload_rejected error=\"{}\"", reloaded.error().message);
          continue;
        }
        engine.set_policy(*reloaded);
        if (slack_chat) slack_chat->set_policy(*reloaded);
        if (slack_directory) slack_directory->set_policy(*reloaded);
        spdlog::info("event=policy_reloaded file={}", config_path);
        continue;
      }
      if (sig != SIGUSR1) spdlog::info("event=stopping signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      service.stop();
      return;
    }
  });
  if (socket) socket->start();
  spdlog::info("event=serving store={} instance={} ops=http://{}:{} provider={} chat={}", store_url, o.instance_id,
               ops_options->address, (*ops)->port(), identity_center ? "identity_center" : "memory",
               o.slack ? "slack" : "none");
  service.run();
  // Stop taking envelopes and finish the ones already acked, then close the sockets.
  if (socket) socket->stop();
  kill(getpid(), SIGUSR1);  // wakes the signal thread if the service stopped by itself
  signal_thread.join();
  return fatal ? kExitFailure : kExitOk;
}

}  // namespace jit
