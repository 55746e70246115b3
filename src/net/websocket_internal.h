// Private to jit_net: how HttpServer hands an upgraded connection to the WebSocket code, so
// http_server.cc never includes Beast's WebSocket headers (websocket.cc compiles them once).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "net/asio.h"
#include "net/websocket.h"

namespace jit::net::detail {

// The server's live WebSockets, so HttpServer::stop can end them. Thread-safe.
class WebSocketRegistry {
 public:
  void add(const std::shared_ptr<WebSocket::Impl>& socket);
  // Ends every live socket (on_closed: 1006 "server stopped") and frees its stream.
  // REQUIRES: no thread runs their io_context, which is still alive.
  void shutdown_all();

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<WebSocket::Impl>> sockets_;
};

bool is_websocket_upgrade(const http::request<http::string_body>& request);

// Takes over `stream` after `request` asked to upgrade on a route: asks `handler`, then answers
// the upgrade (or refuses it over HTTP) and serves the socket on the stream's executor. Returns at
// once; the socket lives on in its own coroutine.
void accept_websocket(beast::tcp_stream&& stream, http::request<http::string_body>&& request,
                      WebSocketAcceptHandler handler, WebSocketRegistry& registry,
                      std::chrono::milliseconds handshake_timeout);
void accept_websocket(beast::ssl_stream<beast::tcp_stream>&& stream, http::request<http::string_body>&& request,
                      WebSocketAcceptHandler handler, WebSocketRegistry& registry,
                      std::chrono::milliseconds handshake_timeout);

}  // namespace jit::net::detail
