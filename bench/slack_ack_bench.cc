// Socket Mode under load: how fast envelopes are acked while the work behind them is slow. The
// Slack emulator sends N slash commands at --rate per second (0: all at once, a burst) to our
// SocketModeClient, whose handler takes --work-ms per envelope (an AWS call, say) on its 2 handler
// threads, so work piles up far behind the acks. Slack wants every ack within 3 s; the product's
// target is 100 ms. Prints ack latency percentiles (the emulator's record: from sending the
// envelope to reading its ack) and how long the work took to drain.
//   build/default/bench/slack_ack_bench [--envelopes N] [--rate R] [--work-ms M]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/ack_latency.h"
#include "emulators/slack/slack_emulator.h"
#include "net/https_client.h"
#include "slack/socket_mode.h"
#include "slack/web_api.h"

int main(int argc, char** argv) {
  using namespace jit;
  int envelopes = 2000;
  int work_ms = 20;
  int rate = 500;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--envelopes") == 0) envelopes = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--work-ms") == 0) work_ms = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rate") == 0) rate = std::atoi(argv[i + 1]);
  }

  emulators::SlackEmulatorOptions options;
  options.users = {{"U0DANA", "dana", "dana@example.com"}};
  options.retry_unacked_after = std::chrono::seconds(3);
  auto slack = emulators::SlackEmulator::start(options);
  if (!slack) {
    std::fprintf(stderr, "slack emulator: %s\n", slack.error().message.c_str());
    return 1;
  }
  auto http = net::make_http_client();
  SystemClock clock;
  slack::WebApi app(*http, *net::Endpoint::parse((*slack)->api_url()), options.app_token, clock);
  std::atomic<int> handled{0};
  slack::SocketModeHandlers handlers;
  handlers.on_envelope = [&](const slack::Envelope&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(work_ms));  // the slow work after the ack
    ++handled;
  };
  slack::SocketModeClient client(app, clock, {}, handlers);
  client.start();
  if (!client.wait_connected(std::chrono::seconds(10))) {
    std::fprintf(stderr, "no Socket Mode connection\n");
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < envelopes; ++i) {
    (*slack)->slash_command("U0DANA", "help");
    if (rate > 0) std::this_thread::sleep_until(start + std::chrono::microseconds(1000000LL * (i + 1) / rate));
  }
  const auto sent = std::chrono::steady_clock::now();
  const bool all_acked = (*slack)->wait_for(
      [&](const emulators::SlackEmulator& s) {
        const auto records = s.envelopes();
        return static_cast<int>(records.size()) >= envelopes &&
               std::all_of(records.begin(), records.end(), [](const auto& e) { return e.value("acked", false); });
      },
      std::chrono::seconds(60));
  const auto acked = std::chrono::steady_clock::now();
  while (handled < envelopes && std::chrono::steady_clock::now() - acked < std::chrono::minutes(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto drained = std::chrono::steady_clock::now();
  client.stop();

  const auto acks = bench::ack_latencies((*slack)->envelopes());
  const int retried = acks.redelivered;
  auto pct = [&](double p) { return acks.percentile(p); };
  using ms = std::chrono::duration<double, std::milli>;
  std::printf("envelopes: %d sent in %.0f ms (rate %s), all acked: %s (after %.0f ms), handled: %d (work %d ms each, 2 threads, "
              "drained after %.0f ms)\n",
              envelopes, ms(sent - start).count(), rate > 0 ? (std::to_string(rate) + "/s").c_str() : "burst", all_acked ? "yes" : "NO", ms(acked - start).count(), handled.load(),
              work_ms, ms(drained - start).count());
  std::printf("ack latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (target: 100; Slack retries after 3000)\n",
              pct(0.50), pct(0.90), pct(0.99), acks.max());
  std::printf("redelivered by the emulator for a missing ack: %d\n", retried);
  // The 100 ms target is for paced traffic; a burst is judged by Slack's 3 s.
  const bool ok = all_acked && handled == envelopes && retried == 0 && pct(0.99) <= (rate > 0 ? 100.0 : 3000.0);
  std::printf("%s\n", ok ? "OK" : "TARGET MISSED");
  return ok ? 0 : 1;
}
