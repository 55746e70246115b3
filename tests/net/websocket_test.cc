// net::WebSocket against net::HttpServer's WebSocket routes: echo, TLS verification, proxies,
// server push, the closing handshake, pings, ordering and concurrent senders.
#include "net/websocket.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "net/connect_proxy.h"
#include "net/http_server.h"
#include "net/test_certs.h"

namespace jit::net {
namespace {

using namespace std::chrono_literals;
using testing::ConnectProxy;
using testing::TestCa;

constexpr auto kWait = 5s;  // upper bound for anything that should happen at once

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Polls `done` until it holds or `timeout` passes (for state without a notification).
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Waits for a predicate over state guarded by `mutex`, notified through `cv`.
struct Waiter {
  std::mutex mutex;
  std::condition_variable cv;
  template <class Predicate>
  bool wait(Predicate predicate, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, predicate);
  }
  template <class F>
  void update(F f) {
    {
      std::lock_guard lock(mutex);
      f();
    }
    cv.notify_all();
  }
};

// A server with "/echo" (sends every text back) and "/record" (keeps what arrives and the server
// side socket, for pushes and closes).
class WsServer {
 public:
  explicit WsServer(std::optional<TlsIdentity> tls = std::nullopt) {
    ServerOptions options{.threads = 2, .tls = std::move(tls)};
    options.websocket_routes["/echo"] = [](const HttpRequest&, const std::shared_ptr<WebSocket>& socket) -> Result<WebSocketCallbacks> {
      std::weak_ptr<WebSocket> weak = socket;
      return WebSocketCallbacks{.on_text = [weak](std::string m) {
        if (auto s = weak.lock()) (void)s->send_text("echo:" + m);
      }};
    };
    options.websocket_routes["/record"] = [this](const HttpRequest& request, const std::shared_ptr<WebSocket>& socket) -> Result<WebSocketCallbacks> {
      if (contains(request.target, "deny")) return fail(Error::Denied("not you"));
      state.update([&] {
        sockets.push_back(socket);
        targets.push_back(request.target);
      });
      return WebSocketCallbacks{
          .on_text = [this](std::string m) { state.update([&] { received.push_back(std::move(m)); }); },
          .on_closed = [this](const WebSocketClosed& c) { state.update([&] { closes.push_back(c); }); }};
    };
    // "/stall": the handler of the first message blocks until `stalled` is cleared.
    options.websocket_routes["/stall"] = [this](const HttpRequest&, const std::shared_ptr<WebSocket>& socket) -> Result<WebSocketCallbacks> {
      state.update([&] { sockets.push_back(socket); });
      return WebSocketCallbacks{.on_text = [this, first = true](std::string) mutable {
        if (!std::exchange(first, false)) return;
        state.update([&] { stalled = true; });
        state.wait([&] { return !stalled; }, 30s);
      }};
    };
    auto server = HttpServer::start(std::move(options), [](const HttpRequest&) { return HttpResponse{200, {}, "plain"}; });
    if (!server) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
  }

  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const {
    return fmt(server_->endpoint().scheme == "https" ? "wss" : "ws", host, path);
  }
  std::string fmt(std::string_view scheme, std::string_view host, std::string_view path) const {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(server_->port()) + std::string(path);
  }
  std::shared_ptr<WebSocket> socket(std::size_t i) {
    EXPECT_TRUE(state.wait([&] { return sockets.size() > i; }));
    std::lock_guard lock(state.mutex);
    return sockets.at(i);
  }

  Waiter state;
  std::vector<std::shared_ptr<WebSocket>> sockets;
  std::vector<std::string> targets, received;
  std::vector<WebSocketClosed> closes;
  bool stalled = false;
  std::unique_ptr<HttpServer> server_;
};

WebSocketOptions direct() {
  WebSocketOptions options;
  options.client.proxy = ProxySettings{};
  return options;
}

std::unique_ptr<WebSocket> open(const std::string& url, WebSocketOptions options = direct(), WebSocketCallbacks callbacks = {}) {
  auto socket = WebSocket::connect(url, std::move(options), std::move(callbacks));
  if (!socket) throw std::runtime_error(socket.error().message);
  return std::move(*socket);
}

TEST(NetWebSocket, EchoOverPlainWsToLoopback) {
  WsServer server;
  auto client = open(server.url("/echo?ticket=abc"));
  ASSERT_TRUE(client->send_text("hello"));
  EXPECT_EQ(client->receive(kWait), "echo:hello");
  ASSERT_TRUE(client->send_text(std::string(100000, 'x')));
  EXPECT_EQ(client->receive(kWait), "echo:" + std::string(100000, 'x'));
  EXPECT_TRUE(client->is_open());
}

TEST(NetWebSocket, PlainWsIsOnlyForLoopbackAndErrorsHideTheQuery) {
  auto remote = WebSocket::connect("ws://example.com/link?ticket=secret", direct(), {});
  ASSERT_FALSE(remote);
  EXPECT_EQ(remote.error().code, Errc::invalid);
  EXPECT_TRUE(contains(remote.error().message, "loopback")) << remote.error().message;
  EXPECT_FALSE(contains(remote.error().message, "secret"));
  EXPECT_FALSE(WebSocket::connect("http://127.0.0.1/x", direct(), {}));

  WsServer server;
  auto refused = WebSocket::connect(server.url("/nowhere?ticket=secret"), direct(), {});  // a plain 200
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(refused.error().message, "/nowhere")) << refused.error().message;
  EXPECT_FALSE(contains(refused.error().message, "secret"));

  auto denied = WebSocket::connect(server.url("/record?deny"), direct(), {});
  ASSERT_FALSE(denied);
  EXPECT_TRUE(contains(denied.error().message, "403")) << denied.error().message;
}

TEST(NetWebSocket, ServerPushesAtAnyTime) {
  WsServer server;
  auto client = open(server.url("/record?who=a"));
  auto pushed = server.socket(0);
  EXPECT_EQ(server.targets.at(0), "/record?who=a");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pushed->send_text("push " + std::to_string(i)));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client->receive(kWait), "push " + std::to_string(i));
  EXPECT_EQ(client->receive(10ms), std::nullopt);
}

TEST(NetWebSocket, ClientCloseHandshakeCarriesCodeAndReason) {
  WsServer server;
  auto client = open(server.url("/record"));
  ASSERT_TRUE(client->send_text("last words"));
  client->close(4001, "bye now");
  EXPECT_FALSE(client->send_text("too late"));
  auto closed = client->wait_closed(kWait);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closed->clean) << closed->reason;
  EXPECT_FALSE(closed->by_peer);
  EXPECT_EQ(closed->code, 4001);  // the server echoes our code
  ASSERT_TRUE(server.state.wait([&] { return !server.closes.empty(); }));
  std::lock_guard lock(server.state.mutex);
  EXPECT_EQ(server.received, std::vector<std::string>{"last words"});  // queued before the close: delivered
  EXPECT_EQ(server.closes[0].code, 4001);
  EXPECT_EQ(server.closes[0].reason, "bye now");
  EXPECT_TRUE(server.closes[0].clean);
  EXPECT_TRUE(server.closes[0].by_peer);
}

TEST(NetWebSocket, ServerCloseReachesTheClientCallback) {
  WsServer server;
  Waiter waiter;
  std::optional<WebSocketClosed> seen;
  auto client = open(server.url("/record"), direct(),
                     {.on_text = [](std::string) {},
                      .on_closed = [&](const WebSocketClosed& c) { waiter.update([&] { seen = c; }); }});
  server.socket(0)->close(1001, "going away");
  ASSERT_TRUE(waiter.wait([&] { return seen.has_value(); }));
  EXPECT_EQ(seen->code, 1001);
  EXPECT_EQ(seen->reason, "going away");
  EXPECT_TRUE(seen->clean);
  EXPECT_TRUE(seen->by_peer);
  EXPECT_FALSE(client->is_open());
}

TEST(NetWebSocket, ServerStopEndsClientsAbnormally) {
  auto server = std::make_unique<WsServer>();
  auto client = open(server->url("/record"));
  auto pushed = server->socket(0);
  server->server_->stop();
  auto closed = client->wait_closed(kWait);
  ASSERT_TRUE(closed);
  EXPECT_FALSE(closed->clean);
  EXPECT_EQ(closed->code, 1006);
  EXPECT_FALSE(pushed->send_text("after stop"));  // a kept server socket fails cleanly
  EXPECT_FALSE(pushed->is_open());
}

TEST(NetWebSocket, AbortCutsTheConnectionWithoutACloseFrame) {
  WsServer server;
  auto client = open(server.url("/record"));
  auto pushed = server.socket(0);
  pushed->abort();
  auto closed = client->wait_closed(kWait);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, 1006);  // no close frame arrived
  EXPECT_FALSE(closed->clean);
  EXPECT_TRUE(closed->by_peer);
  ASSERT_TRUE(server.state.wait([&] { return !server.closes.empty(); }));
  EXPECT_EQ(server.closes[0].code, 1006);
  EXPECT_FALSE(server.closes[0].by_peer);
  EXPECT_FALSE(pushed->send_text("after abort"));
  pushed->abort();  // idempotent
  // A client may cut its side too.
  auto second = open(server.url("/record"));
  second->abort();
  ASSERT_TRUE(second->wait_closed(kWait));
  ASSERT_TRUE(server.state.wait([&] { return server.closes.size() == 2; }));
  EXPECT_TRUE(server.closes[1].by_peer);
  EXPECT_FALSE(server.closes[1].clean);
}

// A peer that stops reading leaves the client's writes, its pong and its close frame pending.
// Destroying the client cuts the connection and lets those operations finish at once (not after
// the 2 s bound that stops the I/O loop outright); LeakSanitizer in the asan preset checks that
// nothing is left behind.
TEST(NetWebSocket, DestroyingAClientWithWritesStuckOnAStalledPeerIsPromptAndLeaksNothing) {
  WsServer server;
  auto client = open(server.url("/stall"));
  auto pushed = server.socket(0);
  ASSERT_TRUE(client->send_text("stall"));  // the server's handler now blocks: it reads no more
  ASSERT_TRUE(server.state.wait([&] { return server.stalled; }));
  const std::string big(1 << 20, 'x');
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(client->send_text(big));
  (void)pushed->ping();
  client->close(1000, "bye");
  const auto start = std::chrono::steady_clock::now();
  client.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  server.state.update([&] { server.stalled = false; });
}

// Our close frame goes unanswered (the server's I/O is stuck in a handler): the close gives up after
// handshake_timeout and cuts the connection, on our own timer rather than Beast's (see Session::start).
TEST(NetWebSocket, AnUnansweredCloseEndsAfterTheHandshakeTimeout) {
  WsServer server;
  auto options = direct();
  options.handshake_timeout = 300ms;
  auto client = open(server.url("/stall"), options);
  ASSERT_TRUE(client->send_text("stall"));
  ASSERT_TRUE(server.state.wait([&] { return server.stalled; }));
  const auto start = std::chrono::steady_clock::now();
  client->close(1000, "bye");
  auto closed = client->wait_closed(kWait);
  ASSERT_TRUE(closed);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(closed->code, 1006);
  EXPECT_FALSE(closed->clean);
  EXPECT_TRUE(contains(closed->reason, "closing handshake timed out after 300 ms")) << closed->reason;
  server.state.update([&] { server.stalled = false; });
}

TEST(NetWebSocket, PingsAreAnsweredAndTimed) {
  WsServer server;
  auto client = open(server.url("/record"));
  const auto before = client->last_pong_at();
  ASSERT_TRUE(client->ping("p1"));
  ASSERT_TRUE(eventually([&] { return client->pongs_received() >= 1; }));
  EXPECT_GT(client->last_pong_at(), before);
  EXPECT_GE(client->last_frame_at(), client->last_pong_at());

  // The server pings too; the client answers without help.
  auto pushed = server.socket(0);
  ASSERT_TRUE(pushed->ping());
  EXPECT_TRUE(eventually([&] { return pushed->pongs_received() == 1; }));
}

TEST(NetWebSocket, ManyMessagesArriveInOrder) {
  WsServer server;
  auto client = open(server.url("/echo"));
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(client->send_text(std::to_string(i)));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(client->receive(kWait), "echo:" + std::to_string(i));
}

TEST(NetWebSocket, ConcurrentSendersKeepEachOthersOrder) {
  WsServer server;
  auto client = open(server.url("/record"));
  constexpr int kEach = 500;
  auto sender = [&](char tag) {
    for (int i = 0; i < kEach; ++i)
      if (!client->send_text(tag + std::to_string(i))) return false;
    return true;
  };
  auto a = std::async(std::launch::async, sender, 'a');
  auto b = std::async(std::launch::async, sender, 'b');
  EXPECT_TRUE(a.get());
  EXPECT_TRUE(b.get());
  ASSERT_TRUE(server.state.wait([&] { return server.received.size() == 2 * kEach; }));
  std::lock_guard lock(server.state.mutex);
  int next_a = 0, next_b = 0;
  for (const auto& m : server.received) {
    int& next = m[0] == 'a' ? next_a : next_b;
    ASSERT_EQ(m.substr(1), std::to_string(next)) << m;
    ++next;
  }
}

class WebSocketTls : public ::testing::Test {
 protected:
  WebSocketTls() {
    auto cert = ca_.issue({"DNS:localhost", "IP:127.0.0.1", "DNS:wss.example.test"});
    server_ = std::make_unique<WsServer>(TlsIdentity{cert.certificate_pem, cert.private_key_pem});
    ca_file_ = testing::write_temp_file(ca_.certificate_pem(), ".pem");
  }
  ~WebSocketTls() override { std::remove(ca_file_.c_str()); }
  WebSocketOptions trusting() {
    auto options = direct();
    options.client.ca_file = ca_file_;
    return options;
  }
  TestCa ca_;
  std::unique_ptr<WsServer> server_;
  std::string ca_file_;
};

TEST_F(WebSocketTls, TestCaIsAcceptedForEitherLoopbackName) {
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto client = open(server_->url("/echo", host), trusting());
    ASSERT_TRUE(client->send_text("over tls"));
    EXPECT_EQ(client->receive(kWait), "echo:over tls") << host;
    client->close();
    EXPECT_TRUE(client->wait_closed(kWait));
  }
}

TEST_F(WebSocketTls, DefaultClientRefusesAnUnknownCa) {
  auto client = WebSocket::connect(server_->url("/echo"), direct(), {});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(client.error().message, "certificate verify failed")) << client.error().message;
}

TEST_F(WebSocketTls, WssTunnelsThroughTheHttpsProxy) {
  ConnectProxy proxy(server_->server_->port());
  auto options = trusting();
  options.client.proxy = ProxySettings{.proxy = ProxySettings::Proxy{"127.0.0.1", proxy.port()}};
  auto client = open(server_->fmt("wss", "wss.example.test", "/echo"), options);
  ASSERT_TRUE(client->send_text("tunnelled"));
  EXPECT_EQ(client->receive(kWait), "echo:tunnelled");
  EXPECT_EQ(proxy.requested(), std::vector<std::string>{"wss.example.test:" + std::to_string(server_->server_->port())});
}

}  // namespace
}  // namespace jit::net
