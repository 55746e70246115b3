// make_http_client: Beast over Asio, C++20 coroutines on one internal I/O thread.
//
// Every connection and the idle pool are touched only on the I/O thread, so they need no lock;
// `send` hands the request over with co_spawn and waits for the result on a future.
#include "net/https_client.h"

#include <sys/socket.h>

#include <cerrno>
#include <deque>
#include <future>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/connector.h"

namespace jit::net {
namespace {

using namespace detail;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// An idle HTTP connection receives nothing: EOF or any byte (a TLS close_notify, a 408) means the
// server is done with it.
bool looks_alive(Connection& connection) {
  if (connection.buffer.size() != 0) return false;
  char byte;
  const auto n = ::recv(connection.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
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
      : options_(options), connector_(options, "http client"), work_(asio::make_work_guard(io_)) {
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
    const bool plain_ok = endpoint.is_loopback() || (options_.allow_metadata_http && endpoint.is_metadata_address());
    if (endpoint.scheme != "https" && !(endpoint.scheme == "http" && plain_ok))
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
    auto connection = co_await connector_.connect(endpoint);
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

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& pool = it->second;
    const auto now = Clock::now();
    while (!pool.empty()) {
      auto connection = std::move(pool.back());
      pool.pop_back();
      if (now - connection->idle_since <= options_.max_idle_time && looks_alive(*connection)) return connection;
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
  Connector connector_;
  asio::io_context io_;  // declared before everything that holds its sockets
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle_;  // I/O thread only
  std::thread thread_;
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client(const ClientOptions& options) {
  return std::make_unique<BeastHttpClient>(options);
}

}  // namespace jit::net
