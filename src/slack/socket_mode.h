// Slack Socket Mode: receives slash commands, interactions and events over WebSockets opened with
// apps.connections.open, acknowledges every envelope at once, and hands it to the application on
// a worker thread. See DESIGN.md "Slack Socket Mode" for the protocol facts.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "net/http.h"
#include "net/websocket.h"
#include "slack/envelope_queue.h"
#include "slack/web_api.h"

namespace jit::slack {

// One Socket Mode envelope, as Slack sent it.
struct Envelope {
  std::string envelope_id;
  std::string type;  // "slash_commands", "interactive", "events_api"
  nlohmann::json payload;
  bool accepts_response_payload = false;
  int retry_attempt = 0;
  std::string retry_reason;
  std::chrono::steady_clock::time_point received_at{};  // when it was read off the socket
  // Set by SocketModeClient before on_envelope: the ack carried ack_payload's answer, so Slack
  // already showed the user the reply (or the modal's errors). False for a plain ack, including
  // one sent because ack_payload missed sync_ack_deadline.
  bool answered_in_ack = false;
  // Set by SocketModeClient from SocketModeHandlers::priority when the envelope arrives.
  Priority priority = Priority::normal;
};

// What an envelope is, for logs and metrics: the interaction's type for "interactive" envelopes
// ("block_actions", "view_submission", ...), the envelope type otherwise ("slash_commands", ...).
std::string envelope_kind(const Envelope& envelope);

// One message read off a Socket Mode WebSocket, taken apart without trusting its shape: a field of
// the wrong type reads as absent, and nothing throws.
struct SocketMessage {
  // Set for an envelope (a message with a string `envelope_id`); received_at is left for the caller.
  std::optional<Envelope> envelope;
  // Otherwise, a control message: its type ("hello", "disconnect", ...; "" when absent), the
  // disconnect reason and hello's num_connections.
  std::string type;
  std::string reason;
  int num_connections = 0;
};
// nullopt when `text` is not a JSON object.
std::optional<SocketMessage> parse_socket_message(std::string_view text);

struct SocketModeOptions {
  // Open WebSockets at most, counting a replacement being opened next to the one it replaces
  // (with 1, a replaced connection is closed before its replacement opens).
  int max_connections = 2;
  // We ping every open connection this often...
  std::chrono::milliseconds ping_interval{5000};
  // ...and drop (then replace) one on which no frame at all (message, ping, pong) arrived for this long.
  std::chrono::milliseconds dead_after{30000};
  // A connection without `hello` this long after its upgrade is dropped.
  std::chrono::milliseconds hello_timeout{10000};
  // Waits before reconnecting: net::backoff_delay (full jitter) over consecutive failures;
  // max_attempts is ignored (the client retries until stopped).
  net::RetryPolicy reconnect{.max_attempts = 0, .base_delay = std::chrono::milliseconds(250),
                             .max_delay = std::chrono::milliseconds(30000)};
  // Envelope ids remembered for de-duplication (oldest forgotten first).
  std::size_t dedupe_window = 5000;
  // Threads running on_envelope. With 2 or more, one of them takes only urgent envelopes, so an
  // approve click never waits for a slow command to finish.
  int handler_threads = 2;
  // Threads running ack_payload (sync acks), urgent envelopes first.
  int ack_threads = 2;
  // Envelopes waiting for a handler thread, and envelopes waiting for an ack thread, at most
  // each. Beyond it one is shed (logged, counted, on_shed): the newest of the lowest priority,
  // never one that outranks the newcomer. A shed envelope is acked plainly and not handled.
  std::size_t queue_limit = 1000;
  // How long ack_payload may take before a plain ack goes out instead (Slack's limit is 3 s).
  std::chrono::milliseconds sync_ack_deadline{2000};
  // TLS, proxy and timeouts of the WebSocket connections.
  net::WebSocketOptions websocket;
};

struct SocketModeHandlers {
  // Every envelope, once (duplicates and retries of an id already seen are acked but not handed
  // over again), after its ack was sent, on one of handler_threads. May block; must be thread-safe.
  std::function<void(const Envelope&)> on_envelope;
  // Optional "sync ack": for envelopes with accepts_response_payload (view submissions, ...), the
  // ack is sent only when this returns, with its result as the ack's "payload" (nullopt: a plain
  // ack), e.g. {"response_action":"errors","errors":{...}}. It runs on a thread of its own so other
  // acks never wait; if it has not returned after sync_ack_deadline a plain ack goes out and its
  // late answer is dropped (logged). on_envelope still follows, after the ack. Keep it to quick,
  // local validation: everything slow belongs in on_envelope.
  std::function<std::optional<nlohmann::json>(const Envelope&)> ack_payload;
  // Optional: how urgent an envelope is (default normal). Urgent ones are acked (sync acks) and
  // handled first and shed last. Called on the I/O thread: must be quick and thread-safe.
  std::function<Priority(const Envelope&)> priority;
  // Optional, for each envelope shed because a queue was full (metrics). Quick, thread-safe.
  std::function<void(const Envelope&)> on_shed;
  // Once, when the client stops by itself (Slack sent link_disabled, or apps.connections.open
  // failed for good: invalid_auth, ...). Not called for stop().
  std::function<void(const Error&)> on_stopped;
  // Optional, after each ack went out: how long after its arrival (metrics). Runs on the thread
  // that acked; must be quick and thread-safe.
  std::function<void(const Envelope&, std::chrono::steady_clock::duration)> on_acked;
};

struct SocketModeStats {
  int connections_opened = 0;  // WebSockets that got `hello`
  int open_attempts = 0;       // apps.connections.open calls
  int acks_sent = 0;
  int envelopes_handled = 0;   // handed to on_envelope
  int duplicates = 0;          // acked but not handed over again
  int shed = 0;                // dropped because a queue was full
  int dead_sockets = 0;        // dropped for silence
  int open_connections = 0;
  std::chrono::milliseconds last_backoff{0};
};

// Keeps one Socket Mode connection up (two while one replaces the other). Thread-safe.
//
// - Connect: apps.connections.open through `app_api` (made with the app-level xapp- token) gives
//   a wss:// URL (ws:// is accepted only for loopback hosts: local emulators); the connection is
//   ready when Slack's `hello` arrives. Neither token nor URL ticket is ever logged.
// - Every envelope is acked on the I/O thread that read it, before anything else happens to it.
// - `disconnect` warning / refresh_requested: a replacement is opened first and the old
//   connection closed once the replacement got `hello`; envelopes arriving on either in between
//   are handled. link_disabled: the client stops with an error (on_stopped). too_many_websockets:
//   that connection is closed, no other is opened beside it, and the next one only after a
//   backoff of at least half the current ceiling, growing with each refusal.
// - apps.connections.open is Tier 1: every reconnect waits a backoff with jitter, bounded by
//   reconnect.max_delay; the backoff starts over only once a connection has stayed up for
//   ping_interval.
// - A connection that closes, or stays silent for dead_after although pinged, is replaced after
//   a backoff with jitter.
// Time: connection ages, pings, the reconnect backoff (jittered by clock.random()), sync-ack
// deadlines and ack latencies are on the clock's monotonic time; how long a socket has been
// silent is the WebSocket layer's own I/O timing. The supervisor looks at them every few ms of
// real time.
class SocketModeClient {
 public:
  // `app_api` and `clock` must outlive the client.
  SocketModeClient(WebApi& app_api, const Clock& clock, SocketModeOptions options, SocketModeHandlers handlers);
  ~SocketModeClient();  // stop()
  SocketModeClient(const SocketModeClient&) = delete;
  SocketModeClient& operator=(const SocketModeClient&) = delete;

  // Starts connecting in the background and returns at once. Call once.
  void start();
  // Closes the connections, lets the handler threads finish the envelopes already acked, and
  // joins every thread. Idempotent; must not be called from a handler.
  void stop();

  // Blocks up to `timeout` until a connection got `hello`.
  bool wait_connected(std::chrono::milliseconds timeout);
  // Blocks up to `timeout` until the client stopped by itself; the reason, or nullopt.
  std::optional<Error> wait_stopped(std::chrono::milliseconds timeout);
  SocketModeStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace jit::slack
