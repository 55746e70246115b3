// WebSocket over Beast: one Session per connection, templated on the layer under the WebSocket
// (TCP or TLS). Everything that touches the Beast stream runs on the stream's executor (a strand
// for server sockets, the socket's own single I/O thread for clients); other threads hand work
// over through the mutex-guarded outbox and asio::post.
#include "net/websocket.h"
#include "core/text.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <thread>

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/connector.h"
#include "net/websocket_internal.h"

namespace jit::net {

using namespace detail;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Outgoing {
  enum Kind { text, ping, close } kind = text;
  std::string data;
  int code = 1000;
};

std::int64_t ticks(SteadyClock::time_point t) { return t.time_since_epoch().count(); }
SteadyClock::time_point from_ticks(std::int64_t n) { return SteadyClock::time_point(SteadyClock::duration(n)); }

template <class F, class... Args>
void call_safely(std::string_view what, const std::string& where, F& f, Args&&... args) {
  if (!f) return;
  try {
    f(std::forward<Args>(args)...);
  } catch (const std::exception& e) {
    spdlog::error("websocket {}: {} callback threw: {}", where, what, e.what());
  } catch (...) {
    spdlog::error("websocket {}: {} callback threw", where, what);
  }
}

}  // namespace

// The state every socket has, whatever its stream type. Guarded by `mutex` unless noted.
struct WebSocket::Impl {
  explicit Impl(std::string where_) : where(std::move(where_)) { touch(true); }
  virtual ~Impl() = default;

  // Starts writing the outbox on the stream's executor. Called with `mutex` held.
  virtual void post_pump() = 0;
  // Cuts the TCP connection on the socket's executor (no close frame).
  virtual void post_abort() = 0;
  // Ends the socket and destroys its stream. REQUIRES: no thread runs the stream's io_context.
  virtual void release_stream() = 0;

  Result<void> enqueue(Outgoing item) {
    std::lock_guard lock(mutex);
    if (closing) return fail(Error::Unavailable(fmt::format("websocket {}: closed", where)));
    if (item.kind == Outgoing::close) closing = closed_by_us = true;
    outbox.push_back(std::move(item));
    if (!pump_posted) {
      pump_posted = true;
      post_pump();
    }
    return {};
  }

  void finish(WebSocketClosed how) {
    std::function<void(const WebSocketClosed&)> on_closed;
    std::shared_ptr<WebSocket> handle;  // released after the callback
    {
      std::lock_guard lock(mutex);
      if (closed) return;
      closing = true;
      outbox.clear();
      closed = how;
      on_closed = callbacks.on_closed;
      handle = std::move(server_handle);
    }
    cv.notify_all();
    spdlog::debug("websocket {}: closed code={} clean={} reason=\"{}\"", where, how.code, how.clean, how.reason);
    call_safely("on_closed", where, on_closed, how);
  }

  void deliver(std::string message) {
    if (callbacks.on_text) {  // set before reading starts, never changed after
      call_safely("on_text", where, callbacks.on_text, std::move(message));
      return;
    }
    {
      std::lock_guard lock(mutex);
      inbox.push_back(std::move(message));
    }
    cv.notify_all();
  }

  void touch(bool pong) {
    const auto now = ticks(SteadyClock::now());
    last_frame.store(now);
    if (pong) last_pong.store(now);
  }

  const std::string where;  // "ws://host:port/path", never the query
  mutable std::mutex mutex;
  std::condition_variable cv;
  WebSocketCallbacks callbacks;  // set before reading starts
  std::deque<Outgoing> outbox;
  bool pump_posted = false;
  bool closing = false;       // close() was called or the socket closed: no more sends
  bool closed_by_us = false;
  std::optional<WebSocketClosed> closed;
  std::deque<std::string> inbox;
  std::atomic<std::int64_t> last_frame{0}, last_pong{0};
  std::atomic<std::size_t> pongs{0};
  // Server sockets: the handle given to the accept handler, kept until the socket closes so a
  // handler may hold only a weak_ptr.
  std::shared_ptr<WebSocket> server_handle;
};

namespace {

template <class Next>
class Session final : public WebSocket::Impl, public std::enable_shared_from_this<Session<Next>> {
 public:
  Session(Next&& next, std::string where_) : Impl(std::move(where_)) {
    ws.emplace(std::move(next));
    ws->control_callback([this](websocket::frame_type kind, beast::string_view) {
      touch(kind == websocket::frame_type::pong);
      if (kind == websocket::frame_type::pong) ++pongs;
    });
  }

  void post_pump() override {
    asio::post(executor(), [self = this->shared_from_this()] { self->pump(); });
  }

  void post_abort() override {
    asio::post(executor(), [self = this->shared_from_this()] {
      if (!self->ws) return;
      error_code ignored;
      auto& socket = beast::get_lowest_layer(*self->ws).socket();
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      socket.close(ignored);  // the pending read ends with operation_aborted
      self->cancel_close_timer();
      self->finish({1006, "aborted locally without a close handshake", false, false});
    });
  }

  void release_stream() override {
    finish({1006, "closed locally without a close handshake", false, false});
    close_timer.reset();  // like the stream, it must not outlive its io_context
    ws.reset();
  }

  asio::any_io_executor executor() { return ws->get_executor(); }

  // On the executor, once the opening handshake is done: writes what was queued and reads.
  void start(std::chrono::milliseconds handshake_timeout, std::size_t max_message_bytes) {
    beast::get_lowest_layer(*ws).expires_never();
    // No Beast timeouts once open: the closing handshake is bounded by our own timer (arm_close_timer).
    // Beast's closing timeout can fire while its read operation waits behind the close for the
    // read lock (the close reading the peer's close frame or tearing down); the resumed read then
    // finds the timeout meant for the close and fails the debug assertion at
    // boost/beast/websocket/impl/read.hpp:114 (boostorg/beast#2264). A plain socket close ends
    // both operations with operation_aborted instead.
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = websocket::stream_base::none();
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws->set_option(timeouts);
    close_timeout = handshake_timeout;
    ws->read_message_max(max_message_bytes);
    touch(true);
    started = true;
    pump();
    asio::co_spawn(executor(), read_loop(this->shared_from_this()), asio::detached);
  }

  std::optional<websocket::stream<Next>> ws;

 private:
  void pump() {
    if (!started || writing || !ws) return;
    {
      std::lock_guard lock(mutex);
      if (outbox.empty()) {
        pump_posted = false;
        return;
      }
      current = std::move(outbox.front());
      outbox.pop_front();
    }
    writing = true;
    auto done = [self = this->shared_from_this()](error_code ec, std::size_t = 0) { self->written(ec); };
    switch (current.kind) {
      case Outgoing::text:
        ws->text(true);
        ws->async_write(asio::buffer(current.data), done);
        break;
      case Outgoing::ping: {
        websocket::ping_data payload;
        // (const char*: a char* would pick static_string's (T, pos, n) overload)
        payload.assign(static_cast<const char*>(current.data.data()), std::min<std::size_t>(current.data.size(), payload.max_size()));
        ws->async_ping(payload, done);
        break;
      }
      case Outgoing::close: {
        // No control callback from here on. With one, a read that starts while the peer's close
        // frame is already buffered defers itself (a post) still holding the read lock; our close,
        // its frame written meanwhile, then waits for that lock while holding the write lock the
        // read needs to finish the peer's close: both wait forever (Beast 1.74). Seen when both
        // ends close at once after a message, as a refused Socket Mode connection does.
        ws->control_callback();
        arm_close_timer();
        websocket::close_reason reason;
        reason.code = static_cast<std::uint16_t>(current.code);
        reason.reason.assign(static_cast<const char*>(current.data.data()), std::min<std::size_t>(current.data.size(), reason.reason.max_size()));
        ws->async_close(reason, done);
        break;
      }
    }
  }

  // Cuts the connection when the peer has not answered our close frame within close_timeout.
  void arm_close_timer() {
    close_timer.emplace(executor());
    close_timer->expires_after(close_timeout);
    close_timer->async_wait([weak = this->weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || !self->ws) return;  // cancelled: the close finished
      self->close_timed_out = true;
      error_code ignored;
      beast::get_lowest_layer(*self->ws).socket().close(ignored);  // pending operations end aborted
    });
  }

  void cancel_close_timer() {
    if (close_timer) close_timer->cancel();
  }

  void written(error_code ec) {
    writing = false;
    if (current.kind == Outgoing::close) cancel_close_timer();
    if (close_timed_out) ec = beast::error::timeout;
    if (ec) {
      if (ws) {
        error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);  // the read loop ends too
      }
      if (ec != asio::error::operation_aborted || current.kind == Outgoing::close)
        finish({1006, describe(ec, current.kind == Outgoing::close ? "closing handshake" : "writing", close_timeout),
                false, false});
      return;
    }
    if (current.kind != Outgoing::close) {
      pump();
      return;
    }
    // Our closing handshake completed: the read loop sees only operation_aborted.
    const auto& reason = ws->reason();
    finish({reason.code, std::string(reason.reason.data(), reason.reason.size()), true, false});
  }

  static awaitable<void> read_loop(std::shared_ptr<Session> self) {
    beast::flat_buffer buffer;
    for (;;) {
      error_code ec;
      co_await self->ws->async_read(buffer, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        bool by_us;
        {
          std::lock_guard lock(self->mutex);
          by_us = self->closed_by_us;
        }
        if (ec == asio::error::operation_aborted && by_us) {
          // Our close completed (written() reports it) or failed (written() reports that too).
        } else if (ec == websocket::error::closed) {
          const auto& reason = self->ws->reason();
          self->finish({reason.code, std::string(reason.reason.data(), reason.reason.size()), true, !by_us});
        } else {
          self->finish({1006, describe(ec, "reading", std::chrono::milliseconds(0)), false, !by_us});
        }
        error_code ignored;
        beast::get_lowest_layer(*self->ws).socket().close(ignored);
        self->cancel_close_timer();  // (a close still under way ends with the socket)
        co_return;
      }
      self->touch(false);
      if (self->ws->got_text()) self->deliver(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
  }

  bool started = false;  // executor only, like the ones below
  bool writing = false;
  Outgoing current;
  std::chrono::milliseconds close_timeout{5000};
  std::optional<asio::steady_timer> close_timer;
  bool close_timed_out = false;
};

// ws(s)://authority/path?query → the endpoint (https/http), the request target, and a loggable
// "scheme://authority/path".
struct WebSocketUrl {
  Endpoint endpoint;
  std::string target;
  std::string where;
};

Result<WebSocketUrl> parse_url(std::string_view url) {
  const auto sep = url.find("://");
  const std::string scheme = sep == std::string_view::npos ? "" : text::to_lower(url.substr(0, sep));
  if (scheme != "ws" && scheme != "wss")
    return fail(Error::Invalid("websocket URL: scheme must be wss:// (or ws:// for a loopback host)"));
  std::string_view rest = url.substr(sep + 3);
  const auto path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  auto endpoint = Endpoint::parse((scheme == "wss" ? "https://" : "http://") + std::string(authority));
  if (!endpoint) {
    const bool plain = scheme == "ws";
    return fail(Error::Invalid(fmt::format("websocket URL {}://{}: {}", scheme, authority,
                                           plain && endpoint.error().message.find("loopback") != std::string::npos
                                               ? "ws:// is accepted only for loopback hosts; use wss://"
                                               : endpoint.error().message)));
  }
  WebSocketUrl out;
  out.endpoint = std::move(*endpoint);
  out.target = target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
  const auto query = out.target.find('?');
  out.where = fmt::format("{}://{}{}", scheme, out.endpoint.host_header(), out.target.substr(0, query));
  return out;
}

template <class Next>
awaitable<Result<std::shared_ptr<WebSocket::Impl>>> client_handshake(Next&& next, const WebSocketUrl& url,
                                                                      const WebSocketOptions& options,
                                                                      WebSocketCallbacks callbacks) {
  auto session = std::make_shared<Session<Next>>(std::move(next), url.where);
  session->callbacks = std::move(callbacks);
  auto& ws = *session->ws;
  ws.set_option(websocket::stream_base::decorator(
      [agent = options.client.user_agent, headers = options.headers](websocket::request_type& request) {
        if (!agent.empty()) request.set(http::field::user_agent, agent);
        for (const auto& [name, value] : headers) request.set(name, value);
      }));
  beast::get_lowest_layer(ws).expires_after(options.handshake_timeout);
  websocket::response_type response;
  error_code ec;
  co_await ws.async_handshake(response, url.endpoint.host_header(), url.target, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    std::string what = describe(ec, "WebSocket upgrade", options.handshake_timeout);
    if (response.result_int() != 0 && response.result_int() != 101)
      what += fmt::format(" (HTTP status {})", response.result_int());
    co_return fail(Error::Unavailable(fmt::format("websocket {}: {}", url.where, what)));
  }
  session->start(options.handshake_timeout, options.max_message_bytes);
  co_return session;
}

template <class Next>
void accept_on(Next&& next, http::request<http::string_body>&& request, WebSocketAcceptHandler handler,
               WebSocketRegistry& registry, std::chrono::milliseconds handshake_timeout) {
  auto session = std::make_shared<Session<Next>>(std::move(next), "server " + std::string(request.target().substr(0, request.target().find('?'))));
  registry.add(session);
  auto run = [](std::shared_ptr<Session<Next>> session, http::request<http::string_body> request,
                WebSocketAcceptHandler handler, std::chrono::milliseconds handshake_timeout) -> awaitable<void> {
    HttpRequest plain;
    plain.method = std::string(request.method_string());
    plain.target = std::string(request.target());
    for (const auto& field : request) plain.headers.emplace_back(field.name_string(), field.value());
    auto handle = std::make_shared<WebSocket>(session);
    Result<WebSocketCallbacks> accepted = fail(Error::Internal("websocket handler threw"));
    try {
      accepted = handler(plain, handle);
    } catch (const std::exception& e) {
      spdlog::error("websocket {}: accept handler threw: {}", session->where, e.what());
    }
    error_code ec;
    if (!accepted) {
      const auto status = accepted.error().code == Errc::invalid     ? http::status::bad_request
                          : accepted.error().code == Errc::denied    ? http::status::forbidden
                          : accepted.error().code == Errc::not_found ? http::status::not_found
                                                                     : http::status::service_unavailable;
      http::response<http::string_body> refusal{status, request.version()};
      refusal.set(http::field::content_type, "text/plain");
      refusal.keep_alive(false);
      refusal.body() = accepted.error().message + "\n";
      refusal.prepare_payload();
      beast::get_lowest_layer(*session->ws).expires_after(handshake_timeout);
      co_await http::async_write(session->ws->next_layer(), refusal, asio::redirect_error(use_awaitable, ec));
      beast::get_lowest_layer(*session->ws).socket().shutdown(tcp::socket::shutdown_send, ec);
      session->finish({1006, "upgrade refused: " + accepted.error().message, false, false});
      co_return;
    }
    {
      std::lock_guard lock(session->mutex);
      session->callbacks = std::move(*accepted);
      session->server_handle = handle;
    }
    beast::get_lowest_layer(*session->ws).expires_after(handshake_timeout);
    co_await session->ws->async_accept(request, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      session->finish({1006, describe(ec, "WebSocket upgrade", handshake_timeout), false, true});
      co_return;
    }
    session->start(handshake_timeout, 4 * 1024 * 1024);
  };
  auto executor = session->executor();
  asio::co_spawn(executor, run(session, std::move(request), std::move(handler), handshake_timeout), asio::detached);
}

}  // namespace

// The I/O thread of a client socket, and what its connection needs for as long as it lives.
struct WebSocket::Runner {
  explicit Runner(const ClientOptions& options) : connector(options, "websocket client") {}
  Connector connector;  // declared first: the TLS context outlives the connection
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{asio::make_work_guard(io)};
  std::thread thread;
  std::future<void> ran;  // ready once io.run() has returned
};

namespace {
// How long a closing client socket may take to finish its pending operations before its I/O loop
// is stopped outright (they finish within a millisecond once the connection is cut).
constexpr std::chrono::seconds kDrainBound{2};
}  // namespace

WebSocket::WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocket::WebSocket(std::shared_ptr<Impl> impl, std::unique_ptr<Runner> runner)
    : impl_(std::move(impl)), runner_(std::move(runner)) {}

WebSocket::~WebSocket() {
  if (!runner_) return;
  // Cut the connection and let the I/O thread finish every pending operation (each ends with an
  // error, and the read coroutine returns), so nothing is torn down mid-flight. Stopping the loop
  // under pending operations once leaked a whole session at SIGTERM (LeakSanitizer, under load,
  // with a write still in flight after an unanswered closing handshake).
  abort();
  runner_->work.reset();
  if (runner_->ran.wait_for(kDrainBound) != std::future_status::ready) {
    spdlog::warn("websocket {}: pending operations did not finish within {} s of closing; stopping its I/O loop",
                 impl_->where, kDrainBound.count());
    runner_->io.stop();
  }
  if (runner_->thread.joinable()) runner_->thread.join();
  impl_->release_stream();
  runner_.reset();
}

Result<std::unique_ptr<WebSocket>> WebSocket::connect(std::string_view url_text, WebSocketOptions options,
                                                      WebSocketCallbacks callbacks) {
  auto url = parse_url(url_text);
  if (!url) return fail(url.error());
  auto runner = std::make_unique<Runner>(options.client);
  std::promise<void> ran;
  runner->ran = ran.get_future();
  runner->thread = std::thread([io = &runner->io, ran = std::move(ran)]() mutable {
    io->run();
    ran.set_value();
  });

  std::promise<Result<std::shared_ptr<Impl>>> promise;
  auto future = promise.get_future();
  auto open = [](Runner& runner, const WebSocketUrl& url, const WebSocketOptions& options,
                 WebSocketCallbacks callbacks) -> awaitable<Result<std::shared_ptr<Impl>>> {
    auto connection = co_await runner.connector.connect(url.endpoint);
    if (!connection)
      co_return fail(Error{connection.error().code, fmt::format("websocket {}: {}", url.where, connection.error().what)});
    if ((*connection)->tls)
      co_return co_await client_handshake(std::move(*(*connection)->tls), url, options, std::move(callbacks));
    co_return co_await client_handshake(std::move(*(*connection)->plain), url, options, std::move(callbacks));
  };
  asio::co_spawn(runner->io, open(*runner, *url, options, std::move(callbacks)),
                 [&promise](std::exception_ptr error, Result<std::shared_ptr<Impl>> result) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       result = fail(Error::Internal(fmt::format("websocket client: {}", e.what())));
                     }
                   }
                   promise.set_value(std::move(result));
                 });
  auto result = future.get();
  if (!result) {
    runner->io.stop();
    runner->thread.join();
    return fail(result.error());
  }
  return std::make_unique<WebSocket>(std::move(*result), std::move(runner));
}

Result<void> WebSocket::send_text(std::string message) { return impl_->enqueue({Outgoing::text, std::move(message)}); }

Result<void> WebSocket::ping(std::string payload) { return impl_->enqueue({Outgoing::ping, std::move(payload)}); }

void WebSocket::close(int code, std::string reason) { (void)impl_->enqueue({Outgoing::close, std::move(reason), code}); }

void WebSocket::abort() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->closed) return;
    impl_->closing = impl_->closed_by_us = true;
  }
  impl_->post_abort();
}

std::optional<std::string> WebSocket::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (impl_->inbox.empty()) return std::nullopt;
  auto message = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return message;
}

std::optional<WebSocketClosed> WebSocket::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed.has_value(); });
  return impl_->closed;
}

bool WebSocket::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return !impl_->closed;
}

SteadyClock::time_point WebSocket::last_frame_at() const { return from_ticks(impl_->last_frame.load()); }
SteadyClock::time_point WebSocket::last_pong_at() const { return from_ticks(impl_->last_pong.load()); }
std::size_t WebSocket::pongs_received() const { return impl_->pongs.load(); }

namespace detail {

void WebSocketRegistry::add(const std::shared_ptr<WebSocket::Impl>& socket) {
  std::lock_guard lock(mutex_);
  std::erase_if(sockets_, [](const auto& weak) { return weak.expired(); });
  sockets_.push_back(socket);
}

void WebSocketRegistry::shutdown_all() {
  std::vector<std::weak_ptr<WebSocket::Impl>> sockets;
  {
    std::lock_guard lock(mutex_);
    sockets.swap(sockets_);
  }
  for (auto& weak : sockets)
    if (auto socket = weak.lock()) socket->release_stream();
}

bool is_websocket_upgrade(const http::request<http::string_body>& request) { return websocket::is_upgrade(request); }

void accept_websocket(beast::tcp_stream&& stream, http::request<http::string_body>&& request,
                      WebSocketAcceptHandler handler, WebSocketRegistry& registry,
                      std::chrono::milliseconds handshake_timeout) {
  accept_on(std::move(stream), std::move(request), std::move(handler), registry, handshake_timeout);
}

void accept_websocket(beast::ssl_stream<beast::tcp_stream>&& stream, http::request<http::string_body>&& request,
                      WebSocketAcceptHandler handler, WebSocketRegistry& registry,
                      std::chrono::milliseconds handshake_timeout) {
  accept_on(std::move(stream), std::move(request), std::move(handler), registry, handshake_timeout);
}

}  // namespace detail
}  // namespace jit::net
