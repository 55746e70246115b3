// SlackEmulator's private state, shared by slack_emulator.cc (Web API, Socket Mode, drivers) and
// control_api.cc. One mutex guards all of it; every change bumps `version` so that wait_for can
// re-check its predicate.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "emulators/slack/slack_emulator.h"
#include "emulators/slack/workspace.h"
#include "net/http_server.h"

namespace jit::emulators {

using SteadyClock = std::chrono::steady_clock;

// Slack's legacy verification "token" field of interaction and event payloads.
inline constexpr char kVerificationToken[] = "emulator-verification-token";
// An action_ts / event_ts as Slack writes them: "1732500000.000100" (now).
std::string action_ts();

struct SlackEmulator::Impl {
  struct Connection {
    int id = 0;
    std::shared_ptr<net::WebSocket> socket;
    bool open = true;
    bool hello_sent = false;
    bool closing = false;  // we closed it (drop, link_disabled, grace over): no deliveries
    std::optional<SteadyClock::time_point> disconnect_sent;
    std::string disconnect_reason;
    SteadyClock::time_point opened_at, last_ping;
    std::optional<SteadyClock::time_point> closed_at;
    int close_code = 0;
  };
  struct Envelope {
    std::string id, type;
    nlohmann::json payload;
    bool accepts_response_payload = false;
    int retry_attempt = 0;
    std::string retry_reason;
    std::optional<int> connection;  // where the latest delivery went; nullopt: queued
    std::optional<SteadyClock::time_point> delivered_at;
    bool acked = false;
    int acks = 0;  // every ack of this id, also of redeliveries
    std::optional<long long> ack_latency_ms;
    nlohmann::json ack_payload;  // null: none
    std::string ack_payload_error;  // a slash command's ack payload Slack would refuse (invalid_blocks, ...)
    std::string view_id;         // view_submission: the view the ack decides about
  };
  struct Call {
    std::string method;
    bool ok = false;
    std::string error;
    int http_status = 200;
    long long at_ms = 0;
    nlohmann::json args;
  };
  struct RateLimit {
    std::string method;
    int remaining = 0;
    int retry_after_s = 1;
  };

  explicit Impl(SlackEmulatorOptions options_);

  net::HttpResponse handle(const net::HttpRequest& request);
  net::HttpResponse web_api(const net::HttpRequest& request, const std::string& method);
  Result<net::WebSocketCallbacks> accept(const net::HttpRequest& request, const std::shared_ptr<net::WebSocket>& socket);
  void on_client_message(int connection, const std::string& text);
  void on_closed(int connection, const net::WebSocketClosed& how);

  // REQUIRES: mutex held.
  std::string create_envelope(const std::string& type, nlohmann::json payload, bool accepts_response_payload,
                              const std::string& view_id = {});
  void deliver(Envelope& envelope, SteadyClock::time_point now);
  // The block_actions payload of a click on a message button (interactions.cc).
  nlohmann::json click_payload(const std::string& user, const std::string& channel_id, const std::string& ts,
                               const nlohmann::json& action);
  // The block_actions payload of a click in `user`'s Home tab (app_home.cc).
  nlohmann::json home_click_payload(const std::string& user, const nlohmann::json& action);
  void deliver_queued(SteadyClock::time_point now);
  void tick(SteadyClock::time_point now);
  std::vector<Connection*> targets(std::optional<int> connection);
  long long ms_since_start(SteadyClock::time_point t) const;
  std::string random_hex(int digits);
  nlohmann::json user_json(const std::string& user) const;
  nlohmann::json team_json() const;

  // Bumps the version and wakes wait_for. Any thread, with or without `mutex`.
  void changed();
  // Blocks until `done` (called without any lock held) is true or the timeout passes.
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds timeout) const;

  SlackEmulatorOptions options;
  const SteadyClock::time_point started = SteadyClock::now();

  mutable std::mutex mutex;
  slack_workspace::Workspace workspace;
  std::vector<Connection> connections;  // connection id n is connections[n - 1]
  std::deque<Envelope> envelopes;
  std::map<std::string, std::size_t> envelope_index;
  std::map<std::string, bool> tickets;  // ticket -> used
  std::vector<Call> calls;
  std::vector<RateLimit> rate_limits;
  bool down = false;
  bool link_enabled = true;
  std::size_t round_robin = 0;
  std::mt19937_64 random{std::random_device{}()};
  bool stopping = false;
  std::condition_variable ticker_cv;
  std::thread ticker;

  mutable std::mutex change_mutex;
  mutable std::condition_variable change_cv;
  std::uint64_t version = 0;

  std::unique_ptr<net::HttpServer> server;
};

// The /_emulator/ control API over `emulator`'s public methods (control_api.cc).
net::HttpResponse control_api(SlackEmulator& emulator, const net::HttpRequest& request, std::string_view path);

}  // namespace jit::emulators
