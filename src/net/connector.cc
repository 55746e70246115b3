// Connector: the client side of a connection, shared by the HTTP and WebSocket clients.
#include "net/connector.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jit::net::detail {
namespace {

using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::string describe(const error_code& ec, std::string_view during, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return fmt::format("{} timed out after {} ms", during, timeout.count());
  return fmt::format("{} failed: {}", during, ec.message());
}

Connector::Connector(const ClientOptions& options, std::string who) : options_(options) {
  if (options_.proxy) {
    proxy_ = *options_.proxy;
  } else if (auto from_env = ProxySettings::from_environment()) {
    proxy_ = std::move(*from_env);
  } else {
    // Keep NO_PROXY and a placeholder proxy, so exactly the connections that would have used the
    // proxy fail (with this message) instead of silently going direct.
    proxy_error_ = from_env.error().message;
    spdlog::error("{}: {}; proxied requests will fail", who, proxy_error_);
    auto without_proxy = ProxySettings::from_environment([](std::string_view name) -> std::optional<std::string> {
      if (name == "HTTPS_PROXY" || name == "https_proxy") return std::nullopt;
      return process_env(name);
    });
    if (without_proxy) proxy_ = std::move(*without_proxy);
    proxy_.proxy = ProxySettings::Proxy{"invalid-proxy", 1};
  }
  error_code ec;
  if (options_.ca_file.empty()) {
    tls_.set_default_verify_paths(ec);
    if (ec) tls_error_ = fmt::format("loading the system CA store failed: {}", ec.message());
  } else {
    tls_.load_verify_file(options_.ca_file, ec);
    if (ec) tls_error_ = fmt::format("loading CA file '{}' failed: {}", options_.ca_file, ec.message());
  }
  if (!tls_error_.empty()) spdlog::error("{}: {}; https requests will fail", who, tls_error_);
  tls_.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
}

// Long on purpose: one coroutine that resolves, connects (directly or through a CONNECT proxy),
// and shakes hands, each step under the same deadline; its steps share the socket being built.
awaitable<Outcome<std::unique_ptr<Connection>>> Connector::connect(const Endpoint& endpoint) {
  const bool https = endpoint.scheme == "https";
  if (https && !tls_error_.empty()) co_return std::unexpected(Failure{tls_error_, Errc::invalid});
  const bool direct = proxy_.bypass(endpoint);
  if (!direct && !proxy_error_.empty()) co_return std::unexpected(Failure{proxy_error_, Errc::invalid});
  const std::string& host = direct ? endpoint.host : proxy_.proxy->host;
  const std::uint16_t port = direct ? endpoint.port : proxy_.proxy->port;
  const std::string via = direct ? "" : fmt::format(" proxy {}:{}", host, port);
  const auto deadline = SteadyClock::now() + options_.connect_timeout;
  auto executor = co_await asio::this_coro::executor;

  // The resolver has no deadline of its own: a timer cancels it.
  auto resolver = std::make_shared<tcp::resolver>(executor);
  auto timer = std::make_shared<asio::steady_timer>(executor, deadline);
  auto timed_out = std::make_shared<bool>(false);
  timer->async_wait([resolver, timed_out](error_code ec) {
    if (!ec) {
      *timed_out = true;
      resolver->cancel();
    }
  });
  error_code ec;
  const auto addresses = co_await resolver->async_resolve(host, std::to_string(port),
                                                          asio::redirect_error(use_awaitable, ec));
  timer->cancel();
  if (*timed_out)
    co_return std::unexpected(Failure{fmt::format("resolving{} {} timed out after {} ms", via, host,
                                                  options_.connect_timeout.count())});
  if (ec) co_return std::unexpected(Failure{fmt::format("resolving{} {} failed: {}", via, host, ec.message())});

  auto connection = std::make_unique<Connection>();
  connection->plain = std::make_unique<beast::tcp_stream>(executor);
  auto& tcp_stream = *connection->plain;
  tcp_stream.expires_at(deadline);
  co_await tcp_stream.async_connect(addresses, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::unexpected(Failure{describe(ec, "connecting to" + via + (via.empty() ? " host" : ""),
                                                     options_.connect_timeout)});
  tcp_stream.socket().set_option(tcp::no_delay(true), ec);

  if (!direct) {
    if (auto tunnel = co_await open_tunnel(tcp_stream, endpoint); !tunnel)
      co_return std::unexpected(std::move(tunnel.error()));
  }
  if (https) {
    connection->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(tcp_stream), tls_);
    connection->plain.reset();
    SSL* ssl = connection->tls->native_handle();
    if (is_ip_literal(endpoint.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), endpoint.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, endpoint.host.c_str());  // SNI (never for IP literals)
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, endpoint.host.c_str());
    }
    beast::get_lowest_layer(*connection->tls).expires_at(deadline);
    co_await connection->tls->async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      std::string what = describe(ec, "TLS handshake", options_.connect_timeout);
      if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK)
        what += fmt::format(" (certificate verify failed: {})", X509_verify_cert_error_string(verify));
      co_return std::unexpected(Failure{std::move(what)});
    }
  }
  co_return connection;
}

// CONNECT host:port through the proxy; on success the stream is a raw tunnel to the host.
awaitable<Outcome<void>> Connector::open_tunnel(beast::tcp_stream& stream, const Endpoint& endpoint) {
  const std::string authority = endpoint.host.find(':') != std::string::npos
                                    ? fmt::format("[{}]:{}", endpoint.host, endpoint.port)
                                    : fmt::format("{}:{}", endpoint.host, endpoint.port);
  const std::string proxy = fmt::format("proxy {}:{}", proxy_.proxy->host, proxy_.proxy->port);
  http::request<http::empty_body> request{http::verb::connect, authority, 11};
  request.set(http::field::host, authority);
  request.set(http::field::user_agent, options_.user_agent);
  error_code ec;
  co_await http::async_write(stream, request, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::unexpected(Failure{describe(ec, "sending CONNECT to " + proxy, options_.connect_timeout)});
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // a 2xx answer to CONNECT has no body: what follows is the tunnel
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::unexpected(Failure{describe(ec, "reading the CONNECT answer of " + proxy, options_.connect_timeout)});
  const auto status = parser.get().result_int();
  if (status / 100 != 2)
    co_return std::unexpected(Failure{fmt::format("{} refused CONNECT with status {}", proxy, status)});
  if (buffer.size() != 0) co_return std::unexpected(Failure{proxy + " sent data before the TLS handshake"});
  co_return Outcome<void>{};
}

}  // namespace jit::net::detail
