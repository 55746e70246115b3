// SocketModeClient against a tiny Socket Mode server (net::HttpServer serving
// /api/apps.connections.open and a WebSocket route /link): acks, de-duplication, refresh,
// link_disabled, reconnect with backoff, dead sockets and sync acks.
#include "slack/socket_mode.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "net/http_server.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"

namespace jit::slack {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using nlohmann::json;
constexpr auto kWait = 5s;

long long ms(SteadyClock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A TCP relay whose current connections can be frozen (nothing forwarded either way, nothing
// closed): a peer that stops answering, as behind a dead NAT.
class Relay {
 public:
  explicit Relay(std::uint16_t target) : target_(target) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener_, 16) != 0)
      throw std::runtime_error("relay: bind/listen failed");
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Relay() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : threads_) t.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  void freeze_existing() {
    std::lock_guard lock(mutex_);
    for (auto& flag : frozen_) *flag = true;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(target_);
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        ::close(upstream);
        continue;
      }
      auto frozen = std::make_shared<std::atomic<bool>>(false);
      std::lock_guard lock(mutex_);
      frozen_.push_back(frozen);
      threads_.emplace_back([this, client, upstream, frozen] { pump(client, upstream, *frozen); });
    }
  }
  void pump(int a, int b, std::atomic<bool>& frozen) {
    char buffer[16384];
    while (!stop_) {
      pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (frozen) {
        ::poll(nullptr, 0, 10);
        continue;
      }
      if (::poll(p, 2, 10) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = i == 0 ? a : b, to = i == 0 ? b : a;
        const auto n = ::read(from, buffer, sizeof buffer);
        if (n <= 0 || ::send(to, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
          ::close(a);
          ::close(b);
          return;
        }
      }
    }
    ::close(a);
    ::close(b);
  }

  std::uint16_t target_, port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::shared_ptr<std::atomic<bool>>> frozen_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// The Socket Mode side of Slack, for tests.
class FakeSlack {
 public:
  struct Link {
    std::shared_ptr<net::WebSocket> socket;
    SteadyClock::time_point opened_at;
    std::optional<net::WebSocketClosed> closed;
    SteadyClock::time_point closed_at;
    bool others_open_at_close = false;  // another link was open when this one closed
  };
  struct Ack {
    std::size_t link;
    std::string envelope_id;
    json message;
    SteadyClock::time_point at;
  };

  FakeSlack() {
    net::ServerOptions options{.threads = 2};
    options.websocket_routes["/link"] = [this](const net::HttpRequest& request,
                                               const std::shared_ptr<net::WebSocket>& socket) -> Result<net::WebSocketCallbacks> {
      if (request.target.find("ticket=") == std::string::npos) return fail(Error::Denied("no ticket"));
      std::size_t index;
      {
        // The hello is queued before the link is seen: a test that sends on a link the moment it
        // appears (a disconnect) must never get ahead of it, as Slack never does.
        std::lock_guard lock(mutex);
        index = links.size();
        (void)socket->send_text(json{{"type", "hello"}, {"num_connections", index + 1},
                                     {"connection_info", {{"app_id", "A1"}}}}.dump());
        links.push_back({socket, SteadyClock::now()});
      }
      cv.notify_all();
      return net::WebSocketCallbacks{
          .on_text = [this, index](std::string text) {
            {
              std::lock_guard lock(mutex);
              auto message = json::parse(text);
              acks.push_back({index, message.value("envelope_id", ""), message, SteadyClock::now()});
            }
            cv.notify_all();
          },
          .on_closed = [this, index](const net::WebSocketClosed& how) {
            {
              std::lock_guard lock(mutex);
              links[index].closed = how;
              links[index].closed_at = SteadyClock::now();
              for (std::size_t i = 0; i < links.size(); ++i)
                if (i != index && !links[i].closed) links[index].others_open_at_close = true;
            }
            cv.notify_all();
          }};
    };
    auto server = net::HttpServer::start(std::move(options), [this](const net::HttpRequest& r) { return api(r); });
    if (!server) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
  }

  net::HttpResponse api(const net::HttpRequest& request) {
    std::lock_guard lock(mutex);
    if (request.target != "/api/apps.connections.open") return {404, {}, "{}"};
    bool authorized = false;
    for (const auto& [name, value] : request.headers)
      if (name == "Authorization" && value == "Bearer xapp-1-test") authorized = true;
    if (!authorized) return {200, {}, R"({"ok":false,"error":"invalid_auth"})"};
    open_calls.push_back(SteadyClock::now());
    if (fail_opens > 0) {
      --fail_opens;
      return {500, {}, "down"};
    }
    if (!url_override.empty()) return {200, {}, json{{"ok", true}, {"url", url_override}}.dump()};
    const auto port = relay_port ? relay_port : server_->port();
    return {200, {}, json{{"ok", true}, {"url", fmt("ws://127.0.0.1:{}/link?ticket=secret-{}", port, open_calls.size())}}.dump()};
  }
  static std::string fmt(const char* pattern, std::uint16_t port, std::size_t n) {
    std::string out = pattern;
    out.replace(out.find("{}"), 2, std::to_string(port));
    out.replace(out.find("{}"), 2, std::to_string(n));
    return out;
  }

  template <class Predicate>
  bool wait(Predicate predicate, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, predicate);
  }
  std::shared_ptr<net::WebSocket> link(std::size_t i) {
    EXPECT_TRUE(wait([&] { return links.size() > i; })) << "link " << i;
    std::lock_guard lock(mutex);
    return links.at(i).socket;
  }
  SteadyClock::time_point send_envelope(std::size_t link_index, const std::string& id, int retry_attempt = 0,
                                        bool accepts_response_payload = false, const std::string& type = "slash_commands") {
    json envelope{{"envelope_id", id},
                  {"type", type},
                  {"payload", {{"command", "/jit"}, {"text", "list"}, {"token", "legacy-verification-token"}}},
                  {"accepts_response_payload", accepts_response_payload},
                  {"retry_attempt", retry_attempt},
                  {"retry_reason", retry_attempt ? "timeout" : ""}};
    const auto at = SteadyClock::now();
    EXPECT_TRUE(link(link_index)->send_text(envelope.dump()));
    return at;
  }
  void send(std::size_t link_index, const json& message) { EXPECT_TRUE(link(link_index)->send_text(message.dump())); }
  std::vector<Ack> acks_for(const std::string& id) {
    std::lock_guard lock(mutex);
    std::vector<Ack> out;
    for (const auto& a : acks)
      if (a.envelope_id == id) out.push_back(a);
    return out;
  }
  std::string base_url() const { return server_->url() + "/api"; }

  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Link> links;
  std::vector<Ack> acks;
  std::vector<SteadyClock::time_point> open_calls;
  int fail_opens = 0;
  std::uint16_t relay_port = 0;
  std::string url_override;
  std::unique_ptr<net::HttpServer> server_;
};

// What the application saw.
struct Recorder {
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, int> handled;
  std::vector<Envelope> envelopes;
  std::optional<Error> stopped;

  SocketModeHandlers handlers() {
    return {.on_envelope = [this](const Envelope& e) {
              {
                std::lock_guard lock(mutex);
                ++handled[e.envelope_id];
                envelopes.push_back(e);
              }
              cv.notify_all();
            },
            .on_stopped = [this](const Error& e) {
              {
                std::lock_guard lock(mutex);
                stopped = e;
              }
              cv.notify_all();
            }};
  }
  bool wait_handled(const std::string& id, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return handled.contains(id); });
  }
  int count(const std::string& id) {
    std::lock_guard lock(mutex);
    return handled.contains(id) ? handled[id] : 0;
  }
};

// Real time (the peer is a real server on real sockets), with random() pinned when a test checks
// the backoff's jitter.
class PinnableRandomClock final : public ClockWrapper {
 public:
  using ClockWrapper::ClockWrapper;
  std::uint64_t random() const override { return pinned ? *pinned : ClockWrapper::random(); }
  std::optional<std::uint64_t> pinned;
};

class SocketMode : public ::testing::Test {
 protected:
  SocketMode()
      : http_(net::make_http_client({.proxy = net::ProxySettings{}})),
        api_(*http_, *net::Endpoint::parse(slack_.base_url()), "xapp-1-test", clock_, WebApiOptions{.max_attempts = 1}) {
    options_.ping_interval = 50ms;
    options_.dead_after = 2s;
    options_.reconnect = {.max_attempts = 0, .base_delay = 50ms, .max_delay = 400ms};
    options_.websocket.client.proxy = net::ProxySettings{};
  }
  std::unique_ptr<SocketModeClient> start(SocketModeHandlers handlers) {
    auto client = std::make_unique<SocketModeClient>(api_, clock_, options_, std::move(handlers));
    client->start();
    EXPECT_TRUE(client->wait_connected(kWait));
    return client;
  }

  FakeSlack slack_;
  SystemClock real_time_;
  PinnableRandomClock clock_{real_time_};
  std::unique_ptr<net::HttpClient> http_;
  WebApi api_;
  SocketModeOptions options_;
  Recorder app_;
};

TEST_F(SocketMode, EnvelopeIsAckedAtOnceThenHandledOnce) {
  std::mutex gate_mutex;
  std::condition_variable gate_cv;
  bool open_gate = false;
  auto handlers = app_.handlers();
  auto record = handlers.on_envelope;
  handlers.on_envelope = [&](const Envelope& e) {  // a slow handler must not delay the next ack
    std::unique_lock lock(gate_mutex);
    gate_cv.wait_for(lock, kWait, [&] { return open_gate; });
    record(e);
  };
  auto client = start(handlers);
  long long worst_us = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "env-" + std::to_string(i);
    const auto sent = slack_.send_envelope(0, id);
    ASSERT_TRUE(slack_.wait([&] {
      for (const auto& a : slack_.acks) if (a.envelope_id == id) return true;
      return false;
    }));
    const auto ack = slack_.acks_for(id).at(0);
    EXPECT_EQ(ack.message, (json{{"envelope_id", id}}));  // no payload
    worst_us = std::max<long long>(worst_us, std::chrono::duration_cast<std::chrono::microseconds>(ack.at - sent).count());
  }
  std::cout << "[ measure  ] worst ack latency over 5 envelopes, handler blocked: " << worst_us << " us\n";
  EXPECT_LT(worst_us, 100'000);
  EXPECT_EQ(app_.count("env-0"), 0);  // the handler is still blocked: acks did not wait for it
  {
    std::lock_guard lock(gate_mutex);
    open_gate = true;
  }
  gate_cv.notify_all();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(app_.wait_handled("env-" + std::to_string(i)));
  client->stop();
  EXPECT_EQ(app_.count("env-0"), 1);
  std::lock_guard lock(app_.mutex);
  EXPECT_EQ(app_.envelopes.at(0).type, "slash_commands");
  EXPECT_EQ(app_.envelopes.at(0).payload["command"], "/jit");
}

TEST_F(SocketMode, DuplicatesAndRetriesAreAckedButHandledOnce) {
  auto client = start(app_.handlers());
  slack_.send_envelope(0, "dup");
  slack_.send_envelope(0, "dup");
  slack_.send_envelope(0, "dup", 1);
  slack_.send_envelope(0, "other", 0);
  ASSERT_TRUE(app_.wait_handled("other"));
  ASSERT_TRUE(slack_.wait([&] { return slack_.acks.size() == 4; }));
  client->stop();
  EXPECT_EQ(app_.count("dup"), 1);
  EXPECT_EQ(client->stats().duplicates, 2);
  EXPECT_EQ(client->stats().acks_sent, 4);
}

TEST_F(SocketMode, RefreshRequestedOpensTheReplacementBeforeClosingTheOld) {
  auto client = start(app_.handlers());
  slack_.send_envelope(0, "before");
  const auto asked = SteadyClock::now();
  slack_.send(0, {{"type", "disconnect"}, {"reason", "refresh_requested"}, {"debug_info", {{"host", "x"}}}});
  slack_.send_envelope(0, "during-old");  // still arrives on the old connection
  slack_.link(1);
  slack_.send_envelope(1, "during-new");
  ASSERT_TRUE(slack_.wait([&] { return slack_.links[0].closed.has_value(); }));
  const auto switched = SteadyClock::now();
  {
    std::lock_guard lock(slack_.mutex);
    EXPECT_TRUE(slack_.links[0].others_open_at_close);
    EXPECT_TRUE(slack_.links[0].closed->by_peer);  // the client closed it...
    EXPECT_EQ(slack_.links[0].closed->reason, "replaced");  // ...on purpose
    EXPECT_LT(slack_.links[1].opened_at, slack_.links[0].closed_at);
  }
  slack_.send_envelope(1, "after");
  for (const char* id : {"before", "during-old", "during-new", "after"}) EXPECT_TRUE(app_.wait_handled(id)) << id;
  std::cout << "[ measure  ] refresh_requested to old connection closed (replacement ready): " << ms(switched - asked)
            << " ms\n";
  EXPECT_LT(switched - asked, 1s);
  EXPECT_EQ(client->stats().connections_opened, 2);
  EXPECT_TRUE(eventually([&] { return client->stats().open_connections == 1; }));  // the old one reaped
  client->stop();
  for (const char* id : {"before", "during-old", "during-new", "after"}) EXPECT_EQ(app_.count(id), 1) << id;
}

TEST_F(SocketMode, WithOneConnectionAllowedTheOldOneGoesFirst) {
  options_.max_connections = 1;
  auto client = start(app_.handlers());
  slack_.send(0, {{"type", "disconnect"}, {"reason", "warning"}});
  slack_.link(1);
  ASSERT_TRUE(eventually([&] { return client->stats().connections_opened == 2; }));
  ASSERT_TRUE(slack_.wait([&] { return slack_.links[0].closed.has_value(); }));
  {
    std::lock_guard lock(slack_.mutex);
    EXPECT_FALSE(slack_.links[0].others_open_at_close);
    EXPECT_GE(slack_.links[1].opened_at, slack_.links[0].closed_at);
  }
  slack_.send_envelope(1, "after");
  EXPECT_TRUE(app_.wait_handled("after"));
  client->stop();
}

TEST_F(SocketMode, LinkDisabledStopsWithAClearError) {
  auto client = start(app_.handlers());
  slack_.send(0, {{"type", "disconnect"}, {"reason", "link_disabled"}});
  const auto error = client->wait_stopped(kWait);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("link_disabled"), std::string::npos) << error->message;
  ASSERT_TRUE(slack_.wait([&] { return slack_.links[0].closed.has_value(); }));
  {
    std::unique_lock lock(app_.mutex);
    ASSERT_TRUE(app_.cv.wait_for(lock, kWait, [&] { return app_.stopped.has_value(); }));
  }
  client->stop();
  std::lock_guard lock(slack_.mutex);
  EXPECT_EQ(slack_.links.size(), 1u);  // no reconnect
}

TEST_F(SocketMode, BadAppTokenStopsWithoutRetrying) {
  WebApi wrong(*http_, *net::Endpoint::parse(slack_.base_url()), "xoxb-bot-token", clock_,
               WebApiOptions{.max_attempts = 1});
  SocketModeClient client(wrong, clock_, options_, app_.handlers());
  client.start();
  const auto error = client.wait_stopped(kWait);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("invalid_auth"), std::string::npos) << error->message;
  EXPECT_EQ(error->message.find("xoxb-bot-token"), std::string::npos);
  EXPECT_EQ(client.stats().open_attempts, 1);
}

TEST_F(SocketMode, DroppedSocketReconnectsWithBackoff) {
  clock_.pinned = 12345;
  auto client = start(app_.handlers());
  {
    std::lock_guard lock(slack_.mutex);
    slack_.fail_opens = 2;  // the next two apps.connections.open calls fail with HTTP 500
  }
  const auto dropped = SteadyClock::now();
  slack_.link(0)->close(1011, "server restarting");
  ASSERT_TRUE(eventually([&] { return client->stats().connections_opened == 2; }));
  const auto reconnected = SteadyClock::now();
  slack_.send_envelope(1, "after-reconnect");
  EXPECT_TRUE(app_.wait_handled("after-reconnect"));
  std::vector<SteadyClock::time_point> calls;
  {
    std::lock_guard lock(slack_.mutex);
    calls = slack_.open_calls;
  }
  ASSERT_EQ(calls.size(), 4u);  // the first connection, two failures, the reconnect
  // Each wait follows net::backoff_delay over consecutive failures (with the injected random).
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const auto expected = net::backoff_delay(options_.reconnect, attempt, 12345);
    EXPECT_GE(calls[attempt + 1] - calls[attempt], expected - 1ms) << attempt;
  }
  std::cout << "[ measure  ] drop to reconnected with 2 failed opens: " << ms(reconnected - dropped) << " ms\n";
  EXPECT_EQ(client->stats().open_attempts, 4);
  client->stop();
}

TEST_F(SocketMode, DropWithoutFailuresReconnectsQuickly) {
  auto client = start(app_.handlers());
  const auto dropped = SteadyClock::now();
  slack_.link(0)->close(1001, "going away");
  ASSERT_TRUE(eventually([&] { return client->stats().connections_opened == 2; }));
  const auto elapsed = SteadyClock::now() - dropped;
  std::cout << "[ measure  ] drop to reconnected (backoff base 50 ms): " << ms(elapsed) << " ms\n";
  EXPECT_LT(elapsed, 1s);
  client->stop();
}

TEST_F(SocketMode, DeadSocketIsDetectedWithinTheBound) {
  Relay relay(slack_.server_->port());
  {
    std::lock_guard lock(slack_.mutex);
    slack_.relay_port = relay.port();
  }
  options_.dead_after = 300ms;
  auto client = start(app_.handlers());
  relay.freeze_existing();  // pings now go unanswered and nothing else arrives
  const auto frozen = SteadyClock::now();
  ASSERT_TRUE(eventually([&] { return client->stats().dead_sockets == 1; }));
  const auto detected = SteadyClock::now() - frozen;
  std::cout << "[ measure  ] silent socket detected after " << ms(detected) << " ms (dead_after 300 ms)\n";
  EXPECT_GE(detected, 250ms);  // not before the bound (less the last frame's age)
  EXPECT_LT(detected, 300ms + 200ms);
  ASSERT_TRUE(eventually([&] { return client->stats().connections_opened == 2; }));
  slack_.send_envelope(1, "after-dead");
  EXPECT_TRUE(app_.wait_handled("after-dead"));
  client->stop();
}

TEST_F(SocketMode, SyncAckCarriesThePayloadAndSlowOnesFallBackToAPlainAck) {
  options_.sync_ack_deadline = 200ms;
  auto handlers = app_.handlers();
  std::mutex slow_mutex;
  std::condition_variable slow_cv;
  bool release = false;
  handlers.ack_payload = [&](const Envelope& e) -> std::optional<json> {
    if (e.envelope_id == "slow") {
      std::unique_lock lock(slow_mutex);
      slow_cv.wait_for(lock, kWait, [&] { return release; });
      return json{{"response_action", "clear"}};
    }
    return json{{"response_action", "errors"}, {"errors", {{"duration", "too long"}}}};
  };
  auto client = start(handlers);
  slack_.send_envelope(0, "view", 0, true, "interactive");
  slack_.send_envelope(0, "plain", 0, false, "interactive");  // no response payload accepted: plain ack
  const auto slow_sent = slack_.send_envelope(0, "slow", 0, true, "interactive");
  ASSERT_TRUE(slack_.wait([&] { return slack_.acks.size() == 3; }));
  EXPECT_EQ(slack_.acks_for("view").at(0).message["payload"]["errors"]["duration"], "too long");
  EXPECT_FALSE(slack_.acks_for("plain").at(0).message.contains("payload"));
  const auto slow = slack_.acks_for("slow").at(0);
  EXPECT_FALSE(slow.message.contains("payload"));
  EXPECT_GE(slow.at - slow_sent, 190ms);
  EXPECT_LT(slow.at - slow_sent, 1s);
  {
    std::lock_guard lock(slow_mutex);
    release = true;
  }
  slow_cv.notify_all();
  for (const char* id : {"view", "plain", "slow"}) EXPECT_TRUE(app_.wait_handled(id)) << id;
  client->stop();
  for (const char* id : {"view", "plain", "slow"}) EXPECT_EQ(app_.count(id), 1) << id;
  EXPECT_EQ(slack_.acks.size(), 3u);  // the late answer was dropped
}

// A flood of slow commands: approve clicks go ahead of them (a handler thread is kept for urgent
// work) and, with the queue full, the newest low-priority envelope is shed, never the click.
TEST_F(SocketMode, UrgentEnvelopesAreHandledFirstAndShedLast) {
  options_.handler_threads = 2;
  options_.queue_limit = 3;
  std::mutex gate_mutex;
  std::condition_variable gate_cv;
  bool open_gate = false;
  std::vector<std::string> shed;
  auto handlers = app_.handlers();
  auto record = handlers.on_envelope;
  handlers.priority = [](const Envelope& e) {
    return e.envelope_id.starts_with("click") ? Priority::urgent : Priority::low;
  };
  handlers.on_envelope = [&](const Envelope& e) {
    if (!e.envelope_id.starts_with("click")) {
      std::unique_lock lock(gate_mutex);
      gate_cv.wait_for(lock, kWait, [&] { return open_gate; });
    }
    record(e);
  };
  handlers.on_shed = [&](const Envelope& e) {
    std::lock_guard lock(gate_mutex);
    shed.push_back(e.envelope_id);
  };
  auto client = start(handlers);
  slack_.send_envelope(0, "slow");  // takes the one thread for everything
  ASSERT_TRUE(slack_.wait([&] { return slack_.acks.size() == 1; }));
  ASSERT_TRUE(eventually([&] { return client->stats().envelopes_handled == 1; }));
  for (const char* id : {"low-1", "low-2", "low-3", "low-4"}) slack_.send_envelope(0, id);  // low-4: queue full
  slack_.send_envelope(0, "click-approve");  // sheds low-3, the newest below it
  EXPECT_TRUE(app_.wait_handled("click-approve"));  // while every slow one still waits
  EXPECT_EQ(app_.count("slow"), 0);
  ASSERT_TRUE(slack_.wait([&] { return slack_.acks.size() == 6; }));  // shed ones are acked all the same
  {
    std::lock_guard lock(gate_mutex);
    EXPECT_EQ(shed, (std::vector<std::string>{"low-4", "low-3"}));
    open_gate = true;
  }
  gate_cv.notify_all();
  for (const char* id : {"slow", "low-1", "low-2"}) EXPECT_TRUE(app_.wait_handled(id)) << id;
  client->stop();
  EXPECT_EQ(app_.count("low-3"), 0);
  EXPECT_EQ(app_.count("low-4"), 0);
  EXPECT_EQ(client->stats().shed, 2);
}

// Slack refuses a connection beyond its limit with too_many_websockets: the client closes it,
// opens nothing beside it, and waits longer after each refusal (apps.connections.open is Tier 1).
TEST_F(SocketMode, TooManyWebsocketsClosesThatConnectionAndBacksOffWithoutOverlap) {
  clock_.pinned = 0;  // full jitter would wait 0 ms: the floor of half the ceiling is what remains
  options_.ping_interval = 1s;  // no connection lives long enough to start the backoff over
  options_.dead_after = 5s;
  auto client = start(app_.handlers());
  constexpr int kRefusals = 3;
  for (int k = 0; k < kRefusals; ++k) {
    slack_.link(static_cast<std::size_t>(k));
    slack_.send(static_cast<std::size_t>(k), {{"type", "disconnect"}, {"reason", "too_many_websockets"}});
    ASSERT_TRUE(slack_.wait([&] { return slack_.links.size() > static_cast<std::size_t>(k + 1); })) << k;
  }
  ASSERT_TRUE(eventually([&] { return client->stats().connections_opened >= kRefusals + 1; }));
  ASSERT_EQ(client->stats().connections_opened, kRefusals + 1) << "open attempts " << client->stats().open_attempts;
  slack_.send_envelope(kRefusals, "after");
  EXPECT_TRUE(app_.wait_handled("after"));
  std::vector<SteadyClock::time_point> calls;
  {
    std::lock_guard lock(slack_.mutex);
    for (int k = 0; k < kRefusals; ++k) {
      const auto& refused = slack_.links[static_cast<std::size_t>(k)];
      ASSERT_TRUE(refused.closed.has_value()) << k;
      EXPECT_TRUE(refused.closed->by_peer) << k;  // the client closed it
      EXPECT_FALSE(refused.others_open_at_close) << k;  // no overlap
      EXPECT_LE(refused.closed_at, slack_.links[static_cast<std::size_t>(k + 1)].opened_at) << k;
    }
    calls = slack_.open_calls;
  }
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kRefusals + 1));
  for (int k = 0; k < kRefusals; ++k) {
    const auto floor = net::backoff_ceiling(options_.reconnect, k) / 2;  // 25, 50, 100 ms
    const auto gap = calls[static_cast<std::size_t>(k + 1)] - calls[static_cast<std::size_t>(k)];
    std::cout << "[ measure  ] too_many_websockets #" << k + 1 << ": next apps.connections.open after " << ms(gap)
              << " ms (floor " << floor.count() << " ms)\n";
    EXPECT_GE(gap, floor - 1ms) << k;
  }
  client->stop();
}

TEST_F(SocketMode, PlainWsUrlForARemoteHostIsRefused) {
  {
    std::lock_guard lock(slack_.mutex);
    slack_.url_override = "ws://wss-primary.slack.com/link/?ticket=secret";
  }
  SocketModeClient client(api_, clock_, options_, app_.handlers());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.stats().open_attempts >= 2; }));  // retried, with backoff
  EXPECT_EQ(client.stats().connections_opened, 0);
  client.stop();
  std::lock_guard lock(slack_.mutex);
  EXPECT_TRUE(slack_.links.empty());
}

}  // namespace
}  // namespace jit::slack
