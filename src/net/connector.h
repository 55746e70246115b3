// Private to jit_net: opening a client connection the way every client of the project does —
// resolve, connect, HTTPS_PROXY CONNECT tunnel (https only), TLS with the peer's chain and host
// name verified and SNI set. Shared by the HTTP client and the WebSocket client so both treat
// proxies and certificates alike.
#pragma once

#include <memory>
#include <string>

#include "net/asio.h"
#include "net/https_client.h"

namespace jit::net::detail {

// One TCP connection, plain or TLS (exactly one of the two is set), with the bytes read past the
// last message.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// What went wrong with one attempt; `what` follows "<endpoint>: " in the error message.
struct Failure {
  std::string what;
  Errc code = Errc::unavailable;
  bool before_any_byte = false;  // nothing of a response arrived: safe to retry on a new connection
};

template <class T>
using Outcome = std::expected<T, Failure>;

// "<during> timed out after N ms" or "<during> failed: <reason>".
std::string describe(const boost::system::error_code& ec, std::string_view during, std::chrono::milliseconds timeout);

class Connector {
 public:
  // Reads options.proxy (or HTTPS_PROXY / NO_PROXY) and loads the CA store; problems are logged
  // under `who` ("http client") and make the affected connections fail, never the constructor.
  Connector(const ClientOptions& options, std::string who);

  // A connected (and for https, handshaken) connection to `endpoint`, on the calling coroutine's
  // executor, within options.connect_timeout. endpoint.scheme is "https" or "http".
  awaitable<Outcome<std::unique_ptr<Connection>>> connect(const Endpoint& endpoint);

 private:
  awaitable<Outcome<void>> open_tunnel(beast::tcp_stream& stream, const Endpoint& endpoint);

  const ClientOptions options_;
  ProxySettings proxy_;
  std::string proxy_error_;  // HTTPS_PROXY was not understood
  std::string tls_error_;    // the CA store could not be loaded
  ssl::context tls_{ssl::context::tls_client};
};

}  // namespace jit::net::detail
