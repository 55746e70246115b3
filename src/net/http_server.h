// A small HTTP/1.1 server: local test peers, emulators, and the ops endpoint (/healthz,
// /metrics). Not meant to face the internet. Plain types; Beast stays in http_server.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "net/http.h"
#include "net/websocket.h"

namespace jit::net {

// Runs on one of the server's I/O threads, once per request, and may block it (a slow handler
// delays the other connections that thread serves: give the server more threads). With more than
// one thread it is called concurrently, so it must be thread-safe. An exception becomes a 500
// answer (logged, never sent).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A certificate chain and its private key, PEM text (not file names).
struct TlsIdentity {
  std::string certificate_chain_pem;  // the leaf first, then any intermediates
  std::string private_key_pem;
};

// Whether a server could serve `identity`: both PEM texts parse and the key is the leaf's.
// Errc::invalid saying which part is wrong.
Result<> check_tls_identity(const TlsIdentity& identity);

struct ServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 0;             // 0: the system picks a free port (see HttpServer::port)
  int threads = 1;
  std::optional<TlsIdentity> tls;     // set: HTTPS only
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // larger requests get 413
  // Added to the answers the server makes itself (that 413, and the 500 for a handler that threw),
  // so a handler's security headers are on every answer.
  Headers own_answer_headers;
  // A connection with no complete request for this long is closed.
  std::chrono::milliseconds idle_timeout{60000};
  // Tests: after this many answers on one connection (0: no limit), the server waits for the next
  // request and closes the connection without answering it, as a server does when it drops an
  // idle connection just as the client reuses it.
  int max_requests_per_connection = 0;
  // WebSocket endpoints, by path (the query is ignored): an upgrade request on one of these paths
  // goes to its handler (see WebSocketAcceptHandler) and the connection becomes that WebSocket;
  // every other request, upgrades included, goes to the HttpHandler. Server sockets run on the
  // server's I/O threads; stop() ends them (on_closed: 1006).
  std::map<std::string, WebSocketAcceptHandler> websocket_routes;
  // The WebSocket opening and closing handshakes, each.
  std::chrono::milliseconds websocket_handshake_timeout{5000};
};

class HttpServer {
 public:
  // Binds, listens and starts serving before it returns. Errc::unavailable when the address
  // cannot be bound (naming it), Errc::invalid for a bad address or TLS identity.
  static Result<std::unique_ptr<HttpServer>> start(ServerOptions options, HttpHandler handler);

  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  std::uint16_t port() const;
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" ("[::1]" for IPv6).
  std::string url() const;
  Endpoint endpoint() const;
  // Connections accepted since start (keep-alive tests).
  std::size_t connections_accepted() const;

  // Stops accepting, closes every connection and joins the I/O threads. Waits for handlers that
  // are running to return. Idempotent; must not be called from a handler.
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jit::net
