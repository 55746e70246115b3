// WebSocket (RFC 6455) text messaging for the Slack Socket Mode client and the Slack emulator.
// Plain types; the Beast implementation is in websocket.cc. The same WebSocket class serves both
// ends: WebSocket::connect opens a client connection (ws:// to loopback only, or wss:// verified
// like make_http_client, through HTTPS_PROXY), and HttpServer hands one to a WebSocket route.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "net/http.h"
#include "net/https_client.h"

namespace jit::net {

// How a WebSocket ended.
struct WebSocketClosed {
  // The close code: the peer's (1000 normal, 1001 going away, ...), or 1006 when the connection
  // ended without a close handshake (network error, timeout, the server or client stopped).
  int code = 1006;
  // The peer's close reason, or what failed ("reading failed: end of stream").
  std::string reason;
  bool clean = false;      // the close handshake completed
  bool by_peer = false;    // the peer started the close (or dropped the connection)
};

// Called on the socket's I/O thread, one at a time and in order. They must not block for long
// (they delay every other event of the socket, and for a server every socket of that thread) and
// must not destroy the WebSocket they belong to. Exceptions are logged and swallowed.
struct WebSocketCallbacks {
  // Each complete text message. Unset: messages queue up for WebSocket::receive. Binary messages
  // are ignored.
  std::function<void(std::string message)> on_text;
  // Exactly once, when the socket is closed for any reason (also when closed by us).
  std::function<void(const WebSocketClosed&)> on_closed;
};

struct WebSocketOptions {
  // TLS (ca_file), proxy and connect_timeout (resolve + TCP + CONNECT + TLS) as for HTTP.
  ClientOptions client;
  // The WebSocket upgrade exchange, and separately the closing handshake.
  std::chrono::milliseconds handshake_timeout{5000};
  // A larger incoming message fails the connection (close code 1009).
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  // Extra headers on the upgrade request (never logged).
  Headers headers;
};

// A connected WebSocket. Every method is thread-safe and non-blocking unless it says otherwise.
class WebSocket {
 public:
  // Connects to "ws://host[:port]/path?query" (loopback hosts only) or "wss://...", performs the
  // upgrade and starts reading. Blocks until open or failed: Errc::invalid for a bad URL (or a
  // non-loopback ws:// host), Errc::unavailable naming the URL's host and what failed (connect,
  // TLS verification, proxy, a refused upgrade, a timeout). The URL's query is never logged or put
  // in errors (Slack puts a ticket there). Runs one I/O thread per socket.
  static Result<std::unique_ptr<WebSocket>> connect(std::string_view url, WebSocketOptions options,
                                                    WebSocketCallbacks callbacks);

  // Client sockets: closes abruptly if still open (on_closed runs on the calling thread) and joins
  // the I/O thread. Must not run inside one of this socket's callbacks.
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // Queues a text message; messages go out whole and in the order queued (from any thread).
  // Errc::unavailable once close() was called or the socket closed.
  Result<void> send_text(std::string message);
  // Queues a ping (payload up to 125 bytes). Pings from the peer are answered automatically.
  Result<void> ping(std::string payload = {});
  // Starts the closing handshake after the messages already queued; returns at once. on_closed
  // follows when the peer answers or handshake_timeout passes. Idempotent.
  void close(int code = 1000, std::string reason = {});

  // Cuts the TCP connection at once, without a close frame, as a crashed peer or a lost network
  // would (tests and emulators: the other side sees the connection end, not a close). on_closed
  // follows with 1006. Idempotent.
  void abort();

  // Blocks up to `timeout` for the next text message (only when no on_text callback was given).
  // nullopt on timeout, or when the socket is closed and no message is left.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // Blocks up to `timeout` for the socket to close; how it closed, or nullopt when still open.
  std::optional<WebSocketClosed> wait_closed(std::chrono::milliseconds timeout);

  bool is_open() const;
  // When the last frame of any kind (message, ping, pong, close) arrived, and the last pong; both
  // start at the moment the socket opened. A caller pinging every N s treats a socket whose
  // last_frame_at is too old as dead.
  std::chrono::steady_clock::time_point last_frame_at() const;
  std::chrono::steady_clock::time_point last_pong_at() const;
  // Pongs received so far (tests, metrics).
  std::size_t pongs_received() const;

  struct Impl;
  struct Runner;
  // Two constructors rather than a default argument: clang instantiates a defaulted
  // unique_ptr<Runner>'s destructor wherever this header is included, where Runner is incomplete.
  explicit WebSocket(std::shared_ptr<Impl> impl);
  WebSocket(std::shared_ptr<Impl> impl, std::unique_ptr<Runner> runner);

 private:
  std::shared_ptr<Impl> impl_;
  std::unique_ptr<Runner> runner_;  // client sockets: their io_context and thread
};

// Server side, see ServerOptions::websocket_routes. Runs on a server I/O thread when a client asks
// to upgrade on the route's path. `socket` is usable at once (messages sent now go out right after
// the handshake) and may be kept and used from any thread to push messages. Return the callbacks
// to accept; an error refuses the upgrade with an HTTP answer (invalid 400, denied 403,
// not_found 404, otherwise 503) carrying the error's message.
using WebSocketAcceptHandler =
    std::function<Result<WebSocketCallbacks>(const HttpRequest& request, const std::shared_ptr<WebSocket>& socket)>;

}  // namespace jit::net
