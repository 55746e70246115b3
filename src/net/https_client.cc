// make_http_client: Beast over Asio, C++20 coroutines on one internal I/O thread.
//
// Every connection and the idle pool are touched only on the I/O thread, so they need no lock;
// `send` hands the request over with co_spawn and waits for the result on a future.
#include "net/https_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <deque>
#include <future>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/asio.h"

namespace jit::net {
namespace {

using namespace detail;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// One TCP connection, plain or TLS, with the bytes read past the last response.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // An idle HTTP connection receives nothing: EOF or any byte (a TLS close_notify, a 408) means
  // the server is done with it.
  bool looks_alive() {
    if (buffer.size() != 0) return false;
    char byte;
    const auto n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// What went wrong with one attempt; `what` follows "<endpoint>: " in the error message.
struct Failure {
  std::string what;
  Errc code = Errc::unavailable;
  bool before_any_byte = false;  // nothing of a response arrived: safe to retry on a new connection
};

template <class T>
using Outcome = std::expected<T, Failure>;

std::string describe(const error_code& ec, std::string_view during, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return fmt::format("{} timed out after {} ms", during, timeout.count());
  return fmt::format("{} failed: {}", during, ec.message());
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

http::request<http::string_body> to_beast(const Endpoint& endpoint, const HttpRequest& request,
                                          const std::string& user_agent) {
  http::request<http::string_body> out;
  out.version(11);
  out.method_string(request.method);
  out.target(request.target);
  bool has_host = false, has_agent = false, has_length = false;
  for (const auto& [name, value] : request.headers) {
    has_host |= beast::iequals(name, "host");
    has_agent |= beast::iequals(name, "user-agent");
    has_length |= beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding");
    out.insert(name, value);
  }
  if (!has_host) out.set(http::field::host, endpoint.host_header());
  if (!has_agent && !user_agent.empty()) out.set(http::field::user_agent, user_agent);
  out.body() = request.body;
  if (!has_length && (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                      request.method == "PATCH"))
    out.content_length(request.body.size());
  return out;
}

HttpResponse from_beast(http::response<http::string_body>&& response) {
  HttpResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response) out.headers.emplace_back(field.name_string(), field.value());
  out.body = std::move(response.body());
  return out;
}

class BeastHttpClient final : public HttpClient {
 public:
  explicit BeastHttpClient(const ClientOptions& options)
      : options_(options), work_(asio::make_work_guard(io_)) {
    if (options_.proxy) {
      proxy_ = *options_.proxy;
    } else if (auto from_env = ProxySettings::from_environment()) {
      proxy_ = std::move(*from_env);
    } else {
      // Keep NO_PROXY and a placeholder proxy, so exactly the requests that would have used the
      // proxy fail (with this message) instead of silently going direct.
      proxy_error_ = from_env.error().message;
      spdlog::error("http client: {}; proxied requests will fail", proxy_error_);
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
    if (!tls_error_.empty()) spdlog::error("http client: {}; https requests will fail", tls_error_);
    tls_.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~BeastHttpClient() override {
    work_.reset();
    // Close pooled connections on the I/O thread, then let it finish.
    asio::post(io_, [this] { idle_.clear(); });
    thread_.join();
  }

  Result<HttpResponse> send(const Endpoint& endpoint, const HttpRequest& request) override {
    std::promise<Result<HttpResponse>> promise;
    auto future = promise.get_future();
    asio::co_spawn(io_, send_async(endpoint, request),
                   [&promise](std::exception_ptr error, Result<HttpResponse> result) {
                     if (error) {
                       try {
                         std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                         result = fail(Error::Internal(fmt::format("http client: {}", e.what())));
                       }
                     }
                     promise.set_value(std::move(result));
                   });
    return future.get();
  }

 private:
  // `endpoint` and `request` outlive the coroutine: send() waits for it.
  awaitable<Result<HttpResponse>> send_async(const Endpoint& endpoint, const HttpRequest& request) {
    auto error = [&](Failure f) { return fail(Error{f.code, endpoint.to_string() + ": " + f.what}); };
    if (endpoint.scheme != "https" && !(endpoint.scheme == "http" && endpoint.is_loopback()))
      co_return error({"only https (or http to a loopback host) is supported", Errc::invalid});
    const auto wire = to_beast(endpoint, request, options_.user_agent);
    const std::string key = fmt::format("{}://{}:{}", endpoint.scheme, endpoint.host, endpoint.port);

    if (auto pooled = take_idle(key)) {
      auto result = co_await exchange(*pooled, wire);
      if (result) {
        keep_or_close(key, std::move(pooled), result->keep_alive);
        co_return std::move(result->response);
      }
      if (!result.error().before_any_byte) co_return error(std::move(result.error()));
      // The server closed the idle connection as we reused it: once more on a new one.
    }
    auto connection = co_await connect(endpoint);
    if (!connection) co_return error(std::move(connection.error()));
    auto result = co_await exchange(**connection, wire);
    if (!result) co_return error(std::move(result.error()));
    keep_or_close(key, std::move(*connection), result->keep_alive);
    co_return std::move(result->response);
  }

  struct Exchanged {
    HttpResponse response;
    bool keep_alive = false;
  };

  awaitable<Outcome<Exchanged>> exchange(Connection& connection, const http::request<http::string_body>& request) {
    connection.tcp().expires_after(options_.request_timeout);
    if (connection.tls) co_return co_await exchange_on(*connection.tls, connection.buffer, request);
    co_return co_await exchange_on(*connection.plain, connection.buffer, request);
  }

  template <class Stream>
  awaitable<Outcome<Exchanged>> exchange_on(Stream& stream, beast::flat_buffer& buffer,
                                            const http::request<http::string_body>& request) {
    error_code ec;
    co_await http::async_write(stream, request, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return std::unexpected(Failure{describe(ec, "sending the request", options_.request_timeout),
                                              Errc::unavailable, true});
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(64 * 1024);
    if (request.method() == http::verb::head) parser.skip(true);  // Content-Length without a body
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    // Beast 1.74 does not apply body_limit to a declared Content-Length (only to chunked and
    // read-to-EOF bodies): check it here, before reading the body.
    if (!ec && parser.content_length() && *parser.content_length() > options_.max_body_bytes)
      ec = http::error::body_limit;
    if (!ec && !parser.is_done())
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      const bool nothing = !parser.got_some() && buffer.size() == 0 && ec != beast::error::timeout;
      if (ec == http::error::body_limit)
        co_return std::unexpected(Failure{fmt::format("response body larger than {} bytes", options_.max_body_bytes)});
      co_return std::unexpected(Failure{describe(ec, "reading the response", options_.request_timeout),
                                        Errc::unavailable, nothing});
    }
    Exchanged out;
    out.keep_alive = parser.get().keep_alive() && parser.is_done();
    out.response = from_beast(parser.release());
    co_return out;
  }

  awaitable<Outcome<std::unique_ptr<Connection>>> connect(const Endpoint& endpoint) {
    const bool https = endpoint.scheme == "https";
    if (https && !tls_error_.empty()) co_return std::unexpected(Failure{tls_error_, Errc::invalid});
    const bool direct = proxy_.bypass(endpoint);
    if (!direct && !proxy_error_.empty()) co_return std::unexpected(Failure{proxy_error_, Errc::invalid});
    const std::string& host = direct ? endpoint.host : proxy_.proxy->host;
    const std::uint16_t port = direct ? endpoint.port : proxy_.proxy->port;
    const std::string via = direct ? "" : fmt::format(" proxy {}:{}", host, port);
    const auto deadline = Clock::now() + options_.connect_timeout;
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
  awaitable<Outcome<void>> open_tunnel(beast::tcp_stream& stream, const Endpoint& endpoint) {
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

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& pool = it->second;
    const auto now = Clock::now();
    while (!pool.empty()) {
      auto connection = std::move(pool.back());
      pool.pop_back();
      if (now - connection->idle_since <= options_.max_idle_time && connection->looks_alive()) return connection;
    }
    return nullptr;
  }

  void keep_or_close(const std::string& key, std::unique_ptr<Connection> connection, bool keep_alive) {
    if (!keep_alive || options_.max_idle_per_host == 0) return;  // closed by the destructor
    connection->idle_since = Clock::now();
    auto& pool = idle_[key];
    pool.push_back(std::move(connection));
    while (pool.size() > options_.max_idle_per_host) pool.pop_front();
  }

  const ClientOptions options_;
  ProxySettings proxy_;
  std::string proxy_error_;  // HTTPS_PROXY was not understood
  std::string tls_error_;    // the CA store could not be loaded
  asio::io_context io_;      // declared before everything that holds its sockets
  ssl::context tls_{ssl::context::tls_client};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle_;  // I/O thread only
  std::thread thread_;
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client(const ClientOptions& options) {
  return std::make_unique<BeastHttpClient>(options);
}

}  // namespace jit::net
