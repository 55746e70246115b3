// SocketModeClient: one supervisor thread owns the list of connections (opens, pings, retires and
// replaces them); each WebSocket's I/O thread parses what arrives and acks envelopes itself; a
// small pool runs the application's handler. Nothing here ever logs a token or a connection URL.
#include "slack/socket_mode.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>


namespace jit::slack {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long ms(SteadyClock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

// One WebSocket and what the supervisor knows about it.
struct Connection : std::enable_shared_from_this<Connection> {
  int id = 0;
  std::mutex mutex;                         // guards socket and pending
  std::unique_ptr<net::WebSocket> socket;   // set and reset by the supervisor only
  std::vector<std::string> pending;         // acks read before `socket` was set
  std::atomic<bool> hello{false};
  std::atomic<bool> closed{false};
  std::atomic<bool> replace{false};         // Slack asked for a replacement
  std::atomic<bool> closing{false};         // we closed it on purpose (set by the supervisor)
  std::atomic<bool> crowded{false};         // Slack said too_many_websockets: close it, open none beside it
  SteadyClock::time_point opened_at, last_ping, close_started;
  std::optional<SteadyClock::time_point> hello_at;  // supervisor's view, set at the first step after hello

  // Sends now, or right after the socket is set. False once the socket is gone.
  bool send(std::string text) {
    std::lock_guard lock(mutex);
    if (socket) return socket->send_text(std::move(text)).has_value();
    if (closed) return false;
    pending.push_back(std::move(text));
    return true;
  }
};

// An envelope whose ack waits for ack_payload (bounded by sync_ack_deadline), queued for an ack thread.
struct SyncAck {
  std::shared_ptr<Connection> connection;
  Envelope envelope;
  SteadyClock::time_point deadline;
  std::mutex mutex;
  bool acked = false;
  std::atomic<bool> done{false};
};

// apps.connections.open errors that retrying cannot fix.
bool is_fatal(const std::string& error) {
  return is_credential_error(error) || error == "invalid_arguments";
}

}  // namespace

struct SocketModeClient::Impl {
  Impl(WebApi& api_, const Clock& clock_, SocketModeOptions options_, SocketModeHandlers handlers_)
      : api(api_), clock(clock_), options(std::move(options_)), handlers(std::move(handlers_)),
        ack_queue(options.queue_limit), work(options.queue_limit) {
    options.max_connections = std::max(1, options.max_connections);
    options.handler_threads = std::max(1, options.handler_threads);
    options.ack_threads = std::max(1, options.ack_threads);
    const auto shortest = std::min({options.ping_interval, options.dead_after, options.hello_timeout,
                                    options.sync_ack_deadline});
    tick = std::clamp(shortest / 10, milliseconds(5), milliseconds(100));
  }

  // ---- supervisor thread ----

  void run() {
    std::unique_lock lock(mutex);
    while (!stopping && !stop_error) {
      wake = false;
      lock.unlock();
      step();
      lock.lock();
      cv.wait_for(lock, tick, [&] { return stopping || stop_error || wake; });
    }
    const auto error = stop_error;
    lock.unlock();
    close_all();
    if (error) {
      spdlog::error("event=socket_mode_stopped error=\"{}\"", error->message);
      if (handlers.on_stopped) handlers.on_stopped(*error);
    }
  }

  void step() {
    const auto now = clock.monotonic();
    // too_many_websockets: close that connection and wait (backing off further each time) before
    // opening another; none is opened beside it meanwhile.
    for (auto& c : connections) {
      if (!c->crowded || c->closing) continue;
      c->closing = true;
      c->close_started = now;
      if (c->socket) c->socket->close(1000, "too_many_websockets");
      schedule_reconnect(now, /*at_least_half=*/true);
    }
    // The backoff starts over only once a connection has stayed up a while: a connection that
    // says hello and is then refused must not reset it.
    for (auto& c : connections) {
      if (!c->hello || c->hello_at) continue;
      c->hello_at = now;
    }
    if (failures > 0 && std::any_of(connections.begin(), connections.end(), [&](const auto& c) {
          return c->hello_at && !c->closing && !c->crowded && now - *c->hello_at >= options.ping_interval;
        }))
      failures = 0;
    for (auto it = connections.begin(); it != connections.end();) {
      auto& c = **it;
      std::string drop_reason;
      bool failure = false;
      if (c.closed) {
        if (!c.closing) {
          drop_reason = "closed";
          failure = true;
        }
      } else if (!c.hello && now - c.opened_at > options.hello_timeout) {
        drop_reason = fmt::format("no hello within {} ms", options.hello_timeout.count());
        failure = true;
      } else if (c.closing && now - c.close_started > options.websocket.handshake_timeout) {
        drop_reason = "closing handshake unanswered";
      } else if (c.hello && !c.closing) {
        // The frame's age on the WebSocket layer's clock; the connection's on ours.
        const auto silent = std::min(SteadyClock::now() - c.socket->last_frame_at(), now - c.opened_at);
        if (silent > options.dead_after) {
          ++dead_sockets;
          drop_reason = fmt::format("no frame for {} ms (limit {} ms)", ms(silent), options.dead_after.count());
          failure = true;
        } else if (now - c.last_ping >= options.ping_interval) {
          (void)c.socket->ping();
          c.last_ping = now;
        }
      }
      if (drop_reason.empty() && !c.closed) {
        ++it;
        continue;
      }
      if (!drop_reason.empty())
        spdlog::log(failure ? spdlog::level::warn : spdlog::level::info,
                    "event=socket_mode_connection_dropped connection={} reason=\"{}\"", c.id, drop_reason);
      destroy(c);
      it = connections.erase(it);
      // A lost connection that nothing else covers is replaced after a backoff.
      if (failure && !has_ready_connection()) schedule_reconnect(now);
    }

    // Retire connections Slack asked us to replace, once a replacement is ready.
    if (has_ready_connection()) {
      for (auto& c : connections) {
        if (c->replace && !c->closing && c->hello) {
          c->closing = true;
          c->close_started = now;
          c->socket->close(1000, "replaced");
          spdlog::info("event=socket_mode_connection_retired connection={}", c->id);
        }
      }
    }

    // Open a connection when none is ready or on its way, within max_connections.
    const bool waiting = std::any_of(connections.begin(), connections.end(), [](const auto& c) {
      return (!c->hello && !c->closing && !c->closed) || c->crowded;  // a crowded one must be gone first
    });
    if (!has_ready_connection() && !waiting && now >= next_connect_at) {
      if (static_cast<int>(connections.size()) < options.max_connections) {
        open_connection();
      } else {
        // No room for a replacement (max_connections 1): let a replaced connection go first.
        for (auto& c : connections) {
          if (c->replace && !c->closing) {
            c->closing = true;
            c->close_started = now;
            c->socket->close(1000, "replaced");
            break;
          }
        }
      }
    }

    check_sync_acks(now);
    open_connections = static_cast<int>(connections.size());
  }

  bool has_ready_connection() const {
    return std::any_of(connections.begin(), connections.end(), [](const auto& c) {
      return c->hello && !c->replace && !c->crowded && !c->closing && !c->closed;
    });
  }

  // `at_least_half`: the wait is at least half the backoff's ceiling (Slack asked us to hold off).
  void schedule_reconnect(SteadyClock::time_point now, bool at_least_half = false) {
    auto delay = net::backoff_delay(options.reconnect, failures, clock.random());
    if (at_least_half) delay = std::max(delay, net::backoff_ceiling(options.reconnect, failures) / 2);
    failures = std::min(failures.load() + 1, 30);
    next_connect_at = now + delay;
    last_backoff = delay.count();
    spdlog::info("event=socket_mode_reconnect_scheduled in_ms={} attempt={}", delay.count(), failures);
  }

  void open_connection() {
    ++open_attempts;
    auto opened = api.call_form("apps.connections.open", {});
    if (!opened) {
      const auto& e = opened.error();
      if (is_fatal(e.error)) {
        stop_with(Error::Denied(fmt::format(
            "apps.connections.open failed with '{}': check that SLACK_APP_TOKEN is an app-level token "
            "(xapp-...) with the connections:write scope", e.error)));
        return;
      }
      spdlog::warn("event=socket_mode_open_failed error={} detail=\"{}\"", e.error, e.detail);
      schedule_reconnect(clock.monotonic());
      return;
    }
    const auto url = opened->value("url", std::string());
    auto connection = std::make_shared<Connection>();
    connection->id = ++next_id;
    Connection* raw = connection.get();  // the socket, and so its callbacks, never outlive it
    net::WebSocketCallbacks callbacks{
        .on_text = [this, raw](std::string text) { on_message(*raw, text); },
        .on_closed = [this, raw](const net::WebSocketClosed& how) {
          raw->closed = true;
          spdlog::log(raw->closing ? spdlog::level::debug : spdlog::level::warn,
                      "event=socket_mode_connection_closed connection={} code={} reason=\"{}\"", raw->id, how.code,
                      how.reason);
          notify();
        }};
    connection->opened_at = connection->last_ping = clock.monotonic();
    auto socket = net::WebSocket::connect(url, options.websocket, std::move(callbacks));
    if (!socket) {
      // The message names scheme, host and path only: never the ticket in the query.
      spdlog::warn("event=socket_mode_connect_failed connection={} error=\"{}\"", connection->id,
                   socket.error().message);
      schedule_reconnect(clock.monotonic());
      return;
    }
    {
      std::lock_guard lock(connection->mutex);
      connection->socket = std::move(*socket);
      for (auto& text : connection->pending) (void)connection->socket->send_text(std::move(text));
      connection->pending.clear();
    }
    connections.push_back(std::move(connection));
  }

  // Closes the socket now (without a handshake if it is still open) on the supervisor thread.
  static void destroy(Connection& c) {
    std::unique_ptr<net::WebSocket> socket;
    {
      std::lock_guard lock(c.mutex);
      socket = std::move(c.socket);
      c.closed = true;
    }
    socket.reset();  // joins its I/O thread; must not hold c.mutex (a callback may want it)
  }

  void close_all() {
    for (auto& c : connections) {
      c->closing = true;
      if (c->socket && !c->closed) c->socket->close(1000, "client stopping");
    }
    for (auto& c : connections) {
      if (c->socket) (void)c->socket->wait_closed(options.websocket.handshake_timeout);
      destroy(*c);
    }
    connections.clear();
    open_connections = 0;
  }

  void check_sync_acks(SteadyClock::time_point now) {
    std::unique_lock lock(mutex);
    for (auto it = sync_acks.begin(); it != sync_acks.end();) {
      auto& pending = **it;
      if (pending.done) {
        it = sync_acks.erase(it);
        continue;
      }
      if (now >= pending.deadline) {
        std::lock_guard ack_lock(pending.mutex);
        if (!pending.acked) {
          pending.acked = true;
          spdlog::warn("event=socket_mode_sync_ack_late envelope_type={} deadline_ms={}", pending.envelope.type,
                       options.sync_ack_deadline.count());
          if (ack(*pending.connection, pending.envelope, std::nullopt)) enqueue(pending.envelope);
          else forget(pending.envelope.envelope_id);
        }
      }
      ++it;
    }
  }

  // ---- WebSocket I/O threads ----

  void on_message(Connection& c, const std::string& text) {
    auto message = parse_socket_message(text);
    if (!message) {
      spdlog::warn("event=socket_mode_bad_message connection={} bytes={}", c.id, text.size());
      return;
    }
    if (message->envelope) {
      on_envelope(c, std::move(*message->envelope));
      return;
    }
    const auto& type = message->type;
    if (type == "hello") {
      c.hello = true;
      ++connections_opened;
      spdlog::info("event=socket_mode_connected connection={} num_connections={}", c.id, message->num_connections);
      notify();
    } else if (type == "disconnect") {
      const auto& reason = message->reason;
      spdlog::info("event=socket_mode_disconnect connection={} reason={}", c.id, reason);
      if (reason == "link_disabled") {
        stop_with(Error::Denied(
            "Slack disabled this app's Socket Mode link (disconnect reason link_disabled): turn Socket Mode "
            "back on in the app's settings, then restart"));
      } else {
        if (reason == "too_many_websockets") c.crowded = true;
        else c.replace = true;  // warning, refresh_requested, or anything new: replace the connection
        notify();
      }
    } else {
      spdlog::debug("event=socket_mode_ignored connection={} type={}", c.id, type);
    }
  }

  void on_envelope(Connection& c, Envelope envelope) {
    envelope.received_at = clock.monotonic();
    envelope.priority = handlers.priority ? handlers.priority(envelope) : Priority::normal;
    const bool first_time = remember(envelope.envelope_id);
    if (first_time && envelope.accepts_response_payload && handlers.ack_payload) {
      start_sync_ack(c, std::move(envelope));
      return;
    }
    // Before anything else: Slack retries after 3 s. An envelope whose ack could not be sent (the
    // connection is closing) is left to Slack, which delivers it again on another connection.
    if (!ack(c, envelope, std::nullopt)) {
      if (first_time) forget(envelope.envelope_id);
      return;
    }
    if (!first_time) {
      ++duplicates;
      spdlog::info("event=socket_mode_duplicate connection={} type={} retry_attempt={}", c.id, envelope.type,
                   envelope.retry_attempt);
      return;
    }
    enqueue(std::move(envelope));
  }

  void start_sync_ack(Connection& c, Envelope envelope) {
    auto pending = std::make_shared<SyncAck>();
    pending->connection = c.shared_from_this();
    pending->deadline = clock.monotonic() + options.sync_ack_deadline;
    pending->envelope = std::move(envelope);
    bool stopping_now = false;
    {
      std::lock_guard lock(mutex);
      stopping_now = stopping;
      if (!stopping_now) sync_acks.push_back(pending);
    }
    if (stopping_now) {  // no ack thread will take it
      if (ack(c, pending->envelope, std::nullopt)) enqueue(pending->envelope);
      else forget(pending->envelope.envelope_id);
      return;
    }
    std::optional<std::pair<std::shared_ptr<SyncAck>, Priority>> shed;
    {
      std::lock_guard ack_lock(ack_mutex);
      shed = ack_queue.push(pending, pending->envelope.priority);
    }
    ack_cv.notify_one();
    if (shed) {
      auto& dropped = *shed->first;
      std::lock_guard dropped_lock(dropped.mutex);
      if (!dropped.acked) {
        dropped.acked = true;
        if (!ack(*dropped.connection, dropped.envelope, std::nullopt)) forget(dropped.envelope.envelope_id);
      }
      dropped.done = true;
      report_shed(dropped.envelope, "ack");
    }
  }

  // ---- ack threads ----

  void ack_loop() {
    for (;;) {
      std::shared_ptr<SyncAck> pending;
      {
        std::unique_lock lock(ack_mutex);
        ack_cv.wait(lock, [&] { return !ack_queue.empty() || ack_done; });
        auto next = ack_queue.pop();
        if (!next) return;  // done and drained
        pending = std::move(*next);
      }
      run_sync_ack(*pending);
      pending->done = true;
      notify();
    }
  }

  void run_sync_ack(SyncAck& pending) {
    {
      std::lock_guard ack_lock(pending.mutex);
      if (pending.acked) return;  // its deadline passed while it waited: acked plainly already
    }
    std::optional<nlohmann::json> payload;
    try {
      payload = handlers.ack_payload(pending.envelope);
    } catch (const std::exception& e) {
      spdlog::error("event=socket_mode_ack_payload_threw type={} error=\"{}\"", pending.envelope.type, e.what());
    } catch (...) {
      spdlog::error("event=socket_mode_ack_payload_threw type={}", pending.envelope.type);
    }
    std::lock_guard ack_lock(pending.mutex);
    if (pending.acked) {
      spdlog::warn("event=socket_mode_ack_payload_dropped type={} reason=late", pending.envelope.type);
      return;
    }
    pending.acked = true;
    pending.envelope.answered_in_ack = payload.has_value();
    if (ack(*pending.connection, pending.envelope, payload)) enqueue(pending.envelope);
    else forget(pending.envelope.envelope_id);
  }

  // An envelope dropped because `queue` was full: said in the log, the stats and on_shed.
  void report_shed(const Envelope& envelope, const char* queue) {
    ++shed;
    spdlog::warn("event=socket_mode_envelope_shed kind={} priority={} queue={} queue_limit={} detail=\"acked but not "
                 "handled: more envelopes waiting than the queue holds\"",
                 envelope_kind(envelope), static_cast<int>(envelope.priority), queue, options.queue_limit);
    if (handlers.on_shed) handlers.on_shed(envelope);
  }

  // False when the connection is already closing: the envelope must not be handled here.
  bool ack(Connection& c, const Envelope& envelope, const std::optional<nlohmann::json>& payload) {
    nlohmann::json ack{{"envelope_id", envelope.envelope_id}};
    if (payload) ack["payload"] = *payload;
    if (!c.send(ack.dump())) {
      spdlog::warn("event=socket_mode_ack_failed connection={} type={} reason=\"connection closed; Slack will deliver "
                   "it again\"",
                   c.id, envelope.type);
      return false;
    }
    ++acks_sent;
    if (handlers.on_acked) handlers.on_acked(envelope, clock.monotonic() - envelope.received_at);
    return true;
  }

  // True the first time an id is seen within the window.
  bool remember(const std::string& envelope_id) {
    std::lock_guard lock(seen_mutex);
    if (!seen.insert(envelope_id).second) return false;
    seen_order.push_back(envelope_id);
    while (seen_order.size() > std::max<std::size_t>(1, options.dedupe_window)) {
      seen.erase(seen_order.front());
      seen_order.pop_front();
    }
    return true;
  }

  // An envelope we could not ack: when Slack delivers it again it is new to us.
  void forget(const std::string& envelope_id) {
    std::lock_guard lock(seen_mutex);
    seen.erase(envelope_id);
    std::erase(seen_order, envelope_id);
  }

  // ---- handler threads ----

  void enqueue(Envelope envelope) {
    std::optional<std::pair<Envelope, Priority>> shed_envelope;
    {
      std::lock_guard lock(work_mutex);
      const Priority priority = envelope.priority;
      shed_envelope = work.push(std::move(envelope), priority);
    }
    work_cv.notify_all();  // the thread kept for urgent work must see urgent work
    if (shed_envelope) report_shed(shed_envelope->first, "work");
  }

  // `at_least`: the thread kept for urgent envelopes takes nothing else.
  void work_loop(Priority at_least) {
    for (;;) {
      Envelope envelope;
      {
        std::unique_lock lock(work_mutex);
        work_cv.wait(lock, [&] { return work.has(at_least) || work_done; });
        auto next = work.pop(at_least);
        if (!next) return;  // done and drained
        envelope = std::move(*next);
      }
      ++envelopes_handled;
      if (!handlers.on_envelope) continue;
      try {
        handlers.on_envelope(envelope);
      } catch (const std::exception& e) {
        spdlog::error("event=socket_mode_handler_threw type={} error=\"{}\"", envelope.type, e.what());
      } catch (...) {
        spdlog::error("event=socket_mode_handler_threw type={}", envelope.type);
      }
    }
  }

  // ---- any thread ----

  void notify() {
    {
      std::lock_guard lock(mutex);
      wake = true;
    }
    cv.notify_all();
  }

  void stop_with(Error error) {
    {
      std::lock_guard lock(mutex);
      if (stop_error || stopping) return;
      stop_error = std::move(error);
    }
    cv.notify_all();
  }

  WebApi& api;
  const Clock& clock;
  SocketModeOptions options;
  const SocketModeHandlers handlers;
  milliseconds tick{50};

  std::mutex mutex;  // guards the flags below and sync_acks; cv signals any change
  std::condition_variable cv;
  bool started = false, stopping = false, stopped = false, wake = false;
  std::optional<Error> stop_error;
  std::list<std::shared_ptr<SyncAck>> sync_acks;  // until done: for their deadlines
  std::atomic<int> failures{0};  // consecutive, for the backoff; reset by hello

  // Supervisor thread only.
  std::vector<std::shared_ptr<Connection>> connections;
  int next_id = 0;
  SteadyClock::time_point next_connect_at{};

  std::mutex seen_mutex;
  std::deque<std::string> seen_order;
  std::unordered_set<std::string> seen;

  std::mutex ack_mutex;
  std::condition_variable ack_cv;
  BoundedPriorityQueue<std::shared_ptr<SyncAck>> ack_queue;
  bool ack_done = false;

  std::mutex work_mutex;
  std::condition_variable work_cv;
  BoundedPriorityQueue<Envelope> work;
  bool work_done = false;

  std::thread supervisor;
  std::vector<std::thread> workers, ack_workers;

  std::atomic<int> connections_opened{0}, open_attempts{0}, acks_sent{0}, envelopes_handled{0}, duplicates{0},
      dead_sockets{0}, open_connections{0}, shed{0};
  std::atomic<long long> last_backoff{0};
};

SocketModeClient::SocketModeClient(WebApi& app_api, const Clock& clock, SocketModeOptions options,
                                   SocketModeHandlers handlers)
    : impl_(std::make_unique<Impl>(app_api, clock, std::move(options), std::move(handlers))) {}

SocketModeClient::~SocketModeClient() { stop(); }

void SocketModeClient::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  const int threads = impl_->options.handler_threads;
  for (int i = 0; i < threads; ++i) {
    const Priority at_least = threads >= 2 && i == 0 ? Priority::urgent : Priority::low;
    impl_->workers.emplace_back([this, at_least] { impl_->work_loop(at_least); });
  }
  for (int i = 0; i < impl_->options.ack_threads; ++i) impl_->ack_workers.emplace_back([this] { impl_->ack_loop(); });
  impl_->supervisor = std::thread([this] { impl_->run(); });
}

void SocketModeClient::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->started || impl_->stopped) return;
    impl_->stopping = true;
    impl_->stopped = true;
  }
  impl_->cv.notify_all();
  impl_->supervisor.join();  // closes the connections: no new envelopes after this
  {
    std::lock_guard lock(impl_->ack_mutex);
    impl_->ack_done = true;
  }
  impl_->ack_cv.notify_all();
  for (auto& t : impl_->ack_workers) t.join();
  {
    std::lock_guard lock(impl_->work_mutex);
    impl_->work_done = true;
  }
  impl_->work_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

bool SocketModeClient::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->connections_opened > 0; });
}

std::optional<Error> SocketModeClient::wait_stopped(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->cv.wait_for(lock, timeout, [&] { return impl_->stop_error.has_value(); });
  return impl_->stop_error;
}

SocketModeStats SocketModeClient::stats() const {
  SocketModeStats s;
  s.connections_opened = impl_->connections_opened;
  s.open_attempts = impl_->open_attempts;
  s.acks_sent = impl_->acks_sent;
  s.envelopes_handled = impl_->envelopes_handled;
  s.duplicates = impl_->duplicates;
  s.shed = impl_->shed;
  s.dead_sockets = impl_->dead_sockets;
  s.open_connections = impl_->open_connections;
  s.last_backoff = std::chrono::milliseconds(impl_->last_backoff.load());
  return s;
}

}  // namespace jit::slack
