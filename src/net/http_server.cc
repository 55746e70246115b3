// HttpServer: an accept loop and one coroutine per connection, on `threads` I/O threads (each
// connection on its own strand).
#include "net/http_server.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/asio.h"
#include "net/websocket_internal.h"

namespace jit::net {

using namespace detail;
using boost::system::error_code;

struct HttpServer::Impl {
  ServerOptions options;
  HttpHandler handler;
  std::optional<asio::io_context> io;  // reset by stop(): that destroys every connection
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::atomic<std::size_t> accepted{0};
  std::uint16_t port = 0;
  std::vector<std::thread> threads;
  std::mutex stop_mutex;
  detail::WebSocketRegistry websockets;
};

namespace {

HttpRequest from_beast(http::request<http::string_body>&& request) {
  HttpRequest out;
  out.method = std::string(request.method_string());
  out.target = std::string(request.target());
  for (const auto& field : request) out.headers.emplace_back(field.name_string(), field.value());
  out.body = std::move(request.body());
  return out;
}

http::response<http::string_body> to_beast(HttpResponse&& response, const http::request<http::string_body>& request) {
  http::response<http::string_body> out;
  out.version(request.version());
  out.result(static_cast<unsigned>(response.status));
  for (const auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = std::move(response.body);
  if (!request.keep_alive()) out.keep_alive(false);
  // A HEAD answer keeps the Content-Length the handler gave (the size a GET would have).
  if (request.method() != http::verb::head) out.prepare_payload();
  return out;
}

HttpResponse call_handler(HttpServer::Impl& impl, const HttpRequest& request) {
  try {
    return impl.handler(request);
  } catch (const std::exception& e) {
    spdlog::error("http server: handler for {} {} threw: {}", request.method, request.target, e.what());
  } catch (...) {
    spdlog::error("http server: handler for {} {} threw", request.method, request.target);
  }
  HttpResponse failed{500, {{"Content-Type", "text/plain"}}, "internal error\n"};
  failed.headers.insert(failed.headers.end(), impl.options.own_answer_headers.begin(),
                        impl.options.own_answer_headers.end());
  return failed;
}

const WebSocketAcceptHandler* websocket_route(HttpServer::Impl& impl, const http::request<http::string_body>& request) {
  if (impl.options.websocket_routes.empty() || !detail::is_websocket_upgrade(request)) return nullptr;
  const auto target = request.target();
  const auto path = target.substr(0, target.find('?'));
  const auto it = impl.options.websocket_routes.find(std::string(path));
  return it == impl.options.websocket_routes.end() ? nullptr : &it->second;
}

// Requests and answers on one connection until either side closes it. True when the connection
// became a WebSocket: `stream` was moved away and must not be touched.
template <class Stream>
awaitable<bool> serve(HttpServer::Impl& impl, Stream& stream) {
  beast::flat_buffer buffer;
  int answered = 0;
  for (;;) {
    beast::get_lowest_layer(stream).expires_after(impl.options.idle_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(impl.options.max_body_bytes);
    error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::body_limit) {
      http::response<http::string_body> too_large{http::status::payload_too_large, 11};
      too_large.keep_alive(false);
      too_large.body() = "request body too large\n";
      for (const auto& [name, value] : impl.options.own_answer_headers) too_large.insert(name, value);
      too_large.prepare_payload();
      co_await http::async_write(stream, too_large, asio::redirect_error(use_awaitable, ec));
      co_return false;
    }
    if (ec) co_return false;
    const int limit = impl.options.max_requests_per_connection;
    if (limit > 0 && answered >= limit) co_return false;  // drop it unanswered (see ServerOptions)
    auto request = parser.release();
    if (const auto* route = websocket_route(impl, request)) {
      detail::accept_websocket(std::move(stream), std::move(request), *route, impl.websockets,
                               impl.options.websocket_handshake_timeout);
      co_return true;
    }
    auto response = to_beast(call_handler(impl, from_beast(http::request<http::string_body>(request))), request);
    beast::get_lowest_layer(stream).expires_after(impl.options.idle_timeout);  // the handler may have been slow
    co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    ++answered;
    if (!response.keep_alive()) co_return false;
  }
}

awaitable<void> session(HttpServer::Impl& impl, tcp::socket socket) {
  error_code ec;
  if (impl.tls) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *impl.tls);
    beast::get_lowest_layer(stream).expires_after(impl.options.idle_timeout);
    co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;  // e.g. the client refused our certificate
    if (co_await serve(impl, stream)) co_return;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  } else {
    beast::tcp_stream stream(std::move(socket));
    if (co_await serve(impl, stream)) co_return;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

awaitable<void> accept_loop(HttpServer::Impl& impl) {
  for (;;) {
    tcp::socket socket(asio::make_strand(*impl.io));
    error_code ec;
    co_await impl.acceptor->async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !impl.acceptor->is_open()) co_return;
    if (ec) {
      spdlog::warn("http server: accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    ++impl.accepted;
    socket.set_option(tcp::no_delay(true), ec);  // small WebSocket frames must not wait for Nagle
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(impl, std::move(socket)), asio::detached);
  }
}

// Loads `identity` into `context`: the chain, then the key, which must be the leaf's.
Result<> use_identity(ssl::context& context, const TlsIdentity& identity) {
  error_code ec;
  context.use_certificate_chain(asio::buffer(identity.certificate_chain_pem), ec);
  if (ec) return fail(Error::Invalid(fmt::format("bad TLS certificate chain: {}", ec.message())));
  context.use_private_key(asio::buffer(identity.private_key_pem), ssl::context::pem, ec);
  // OpenSSL also refuses a key that is not the leaf's ("key values mismatch").
  if (ec) return fail(Error::Invalid(fmt::format("bad TLS private key: {}", ec.message())));
  return {};
}

}  // namespace

Result<> check_tls_identity(const TlsIdentity& identity) {
  ssl::context context(ssl::context::tls_server);
  return use_identity(context, identity);
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(ServerOptions options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  impl->io.emplace();
  const auto& o = impl->options;
  error_code ec;
  const auto address = asio::ip::make_address(o.address, ec);
  if (ec) return fail(Error::Invalid(fmt::format("http server: bad listen address '{}'", o.address)));
  if (o.threads < 1) return fail(Error::Invalid("http server: threads must be at least 1"));
  if (o.tls) {
    impl->tls.emplace(ssl::context::tls_server);
    if (auto used = use_identity(*impl->tls, *o.tls); !used)
      return fail(Error::Invalid("http server: " + used.error().message));
  }
  const tcp::endpoint where(address, o.port);
  const std::string where_text = fmt::format("{}:{}", o.address, o.port);
  auto& acceptor = impl->acceptor.emplace(*impl->io);
  acceptor.open(where.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Error::Unavailable(fmt::format("http server: listening on {} failed: {}", where_text, ec.message())));
  impl->port = acceptor.local_endpoint().port();

  asio::co_spawn(*impl->io, accept_loop(*impl), asio::detached);
  for (int i = 0; i < o.threads; ++i) impl->threads.emplace_back([io = &*impl->io] { io->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const { return endpoint().to_string(); }

Endpoint HttpServer::endpoint() const {
  Endpoint e;
  e.scheme = impl_->options.tls ? "https" : "http";
  e.host = impl_->options.address;
  e.port = impl_->port;
  return e;
}

std::size_t HttpServer::connections_accepted() const { return impl_->accepted.load(); }

void HttpServer::stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (!impl_->io) return;
  impl_->io->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->websockets.shutdown_all();  // while their io_context still exists
  impl_->acceptor.reset();
  impl_->io.reset();  // destroys the suspended connection coroutines, closing their sockets
}

}  // namespace jit::net
