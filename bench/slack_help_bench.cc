// `/jit help` under load, through the real inbound side: the Slack emulator sends N `/jit help`
// slash commands at --rate per second (0: one burst) to our SocketModeClient + InboundHandler
// (engine on in-memory fakes, Web API on the emulator), wired as `jit serve` wires them. Prints
// the Web API calls made after the connection was set up (the answer goes in the ack: target 0),
// envelopes per second, ack latency, and this process's CPU per envelope.
//
// The emulator runs in a child process (forked before any thread starts), so the CPU figure is
// the client's alone: Socket Mode framing, JSON, the handler, the ack.
//   build/default/bench/slack_help_bench [--envelopes N] [--rate R]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bench/ack_latency.h"
#include "emulators/slack/slack_emulator.h"
#include "engine/engine.h"
#include "fakes/memory_chat.h"
#include "fakes/memory_provider.h"
#include "fakes/memory_store.h"
#include "net/https_client.h"
#include "slack/inbound.h"
#include "slack/socket_mode.h"
#include "slack/web_api.h"

namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
constexpr const char* kUser = "U0DANA";

// A line over a pipe (the child's figures as JSON, or a one-word signal).
bool write_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}
std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The child: the emulator. Sends the commands on "go", then reports what Slack saw.
int run_emulator(int to_parent, int from_parent, int envelopes, int rate) {
  jit::emulators::SlackEmulatorOptions options;
  options.users = {{kUser, "dana", "dana@example.com"}};
  options.threads = 2;
  auto slack = jit::emulators::SlackEmulator::start(options);
  if (!slack) {
    write_line(to_parent, json{{"error", slack.error().message}}.dump());
    return 1;
  }
  write_line(to_parent, json{{"api_url", (*slack)->api_url()}, {"app_token", options.app_token},
                             {"bot_token", options.bot_token}}.dump());
  if (read_line(from_parent) != "go") return 1;
  const auto setup_calls = (*slack)->calls().size();
  const auto start = SteadyClock::now();
  for (int i = 0; i < envelopes; ++i) {
    (*slack)->slash_command(kUser, "help");
    if (rate > 0) std::this_thread::sleep_until(start + std::chrono::microseconds(1000000LL * (i + 1) / rate));
  }
  const auto sent = SteadyClock::now();
  auto answered = [&](const jit::emulators::SlackEmulator& s) {
    int n = 0;
    for (const auto& m : s.messages("C0GENERAL")) n += m.value("ephemeral_to", "") == kUser;
    return n;
  };
  const bool all = (*slack)->wait_for([&](const auto& s) { return answered(s) >= envelopes; }, std::chrono::seconds(120));
  const auto done = SteadyClock::now();
  const auto acks = jit::bench::ack_latencies((*slack)->envelopes());
  json after = json::object();
  const auto calls = (*slack)->calls();
  for (std::size_t i = setup_calls; i < calls.size(); ++i) {
    const std::string method = calls[i].value("method", "");
    after[method] = after.value(method, 0) + 1;
  }
  using ms = std::chrono::duration<double, std::milli>;
  write_line(to_parent, json{{"all_answered", all},
                             {"answered", answered(**slack)},
                             {"send_ms", ms(sent - start).count()},
                             {"done_ms", ms(done - start).count()},
                             {"calls_after_setup", after},
                             {"setup_calls", (*slack)->call_counts()},
                             {"retried", acks.redelivered},
                             {"p50", acks.percentile(0.5)},
                             {"p99", acks.percentile(0.99)},
                             {"max", acks.max()}}
                            .dump());
  (void)read_line(from_parent);  // "bye": the client has stopped
  return 0;
}

int arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace jit;
  const int envelopes = arg(argc, argv, "--envelopes", 5000);
  const int rate = arg(argc, argv, "--rate", 1000);
  spdlog::set_level(spdlog::level::warn);

  int down[2], up[2];  // parent -> child, child -> parent
  if (::pipe(down) != 0 || ::pipe(up) != 0) return 1;
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    ::close(down[1]);
    ::close(up[0]);
    ::_exit(run_emulator(up[1], down[0], envelopes, rate));
  }
  ::close(down[0]);
  ::close(up[1]);
  auto finish = [&](int code) {
    write_line(down[1], "bye");
    int status = 0;
    ::waitpid(child, &status, 0);
    return code;
  };
  const json hello = json::parse(read_line(up[0]), nullptr, false);
  if (!hello.is_object() || !hello.contains("api_url")) {
    std::fprintf(stderr, "slack emulator did not start: %s\n", hello.dump().c_str());
    return finish(1);
  }

  // The inbound side as `jit serve` builds it, on fakes for everything but Slack.
  auto config = std::make_shared<Config>();
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
  prod.roles.push_back({.name = "admin",
                        .permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-bench",
                        .max_duration = std::chrono::hours{1},
                        .requesters = {"*"}});
  config->policy.accounts.push_back(prod);
  MemoryStore store;
  MemoryAccessProvider provider;
  MemoryChat chat;
  MemoryDirectory directory;
  SystemClock clock;
  Engine engine(config, store, provider, chat, directory, clock, EngineOptions{.instance_id = "bench"});
  auto http = net::make_http_client();
  const auto base = *net::Endpoint::parse(hello["api_url"].get<std::string>());
  slack::WebApi bot(*http, base, hello["bot_token"].get<std::string>(), clock);
  slack::WebApi app(*http, base, hello["app_token"].get<std::string>(), clock);
  slack::InboundHandler inbound(engine, bot, directory, clock);
  slack::SocketModeHandlers handlers;
  handlers.on_envelope = [&](const slack::Envelope& e) { inbound.handle(e); };
  handlers.ack_payload = [&](const slack::Envelope& e) { return inbound.ack_payload(e); };
  handlers.priority = &slack::InboundHandler::priority;
  slack::SocketModeClient client(app, clock, {}, handlers);
  client.start();
  if (!client.wait_connected(std::chrono::seconds(10))) {
    std::fprintf(stderr, "no Socket Mode connection\n");
    return finish(1);
  }

  const double cpu_before = cpu_seconds();
  write_line(down[1], "go");
  const json result = json::parse(read_line(up[0]), nullptr, false);
  const double cpu = cpu_seconds() - cpu_before;
  client.stop();
  if (!result.is_object() || !result.contains("all_answered")) {
    std::fprintf(stderr, "no figures from the emulator: %s\n", result.dump().c_str());
    return finish(1);
  }
  int calls = 0;
  for (const auto& [method, n] : result["calls_after_setup"].items()) calls += n.get<int>();
  const double seconds = result["done_ms"].get<double>() / 1000.0;
  const int answered = result["answered"].get<int>();
  std::printf("/jit help: %d sent (rate %s) in %.0f ms, %d answered after %.0f ms: %.0f envelopes/s\n", envelopes,
              rate > 0 ? (std::to_string(rate) + "/s").c_str() : "burst", result["send_ms"].get<double>(), answered,
              result["done_ms"].get<double>(), seconds > 0 ? answered / seconds : 0.0);
  std::printf("Web API calls after connection setup: %d %s (setup: %s)\n", calls,
              result["calls_after_setup"].dump().c_str(), result["setup_calls"].dump().c_str());
  std::printf("ack latency ms: p50 %.1f  p99 %.1f  max %.1f; redelivered for a missing ack: %d\n",
              result["p50"].get<double>(), result["p99"].get<double>(), result["max"].get<double>(),
              result["retried"].get<int>());
  std::printf("client CPU: %.3f s in all, %.1f us per envelope (emulator excluded: another process)\n", cpu,
              answered ? cpu * 1e6 / answered : 0.0);
  const bool ok = result["all_answered"].get<bool>() && calls == 0 && result["retried"].get<int>() == 0;
  std::printf("%s\n", ok ? "OK" : "TARGET MISSED");
  return finish(ok ? 0 : 1);
}
