// make_http_client against HttpServer: keep-alive, stale connections, timeouts, body limits, TLS
// verification, and HTTPS proxies.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>

#include "net/connect_proxy.h"
#include "net/http_server.h"
#include "net/https_client.h"
#include "net/test_certs.h"
#include "support/free_port.h"
#include "support/scoped_env.h"

namespace jit::net {
namespace {

using namespace std::chrono_literals;
using testing::ConnectProxy;
using testing::TestCa;

std::unique_ptr<HttpServer> serve(HttpHandler handler, ServerOptions options = {}) {
  auto server = HttpServer::start(std::move(options), std::move(handler));
  if (!server) throw std::runtime_error(server.error().message);
  return std::move(*server);
}

HttpResponse echo(const HttpRequest& r) {
  HttpResponse out{200, {{"Content-Type", "text/plain"}}, r.method + " " + r.target + " " + r.body};
  for (const auto& [name, value] : r.headers) out.headers.emplace_back("x-echo-" + name, value);
  return out;
}

HttpRequest post(std::string target, std::string body) { return {"POST", std::move(target), {}, std::move(body)}; }

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

using jit::testing::ScopedEnv;

// No proxy from the machine's environment leaks into these tests.
ClientOptions direct() { return {.proxy = ProxySettings{}}; }

TEST(HttpClient, RoundTripAddsHostAndLength) {
  auto server = serve(echo);
  auto client = make_http_client(direct());
  auto r = client->send(server->endpoint(), post("/echo?a=1", "hello"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /echo?a=1 hello");
  EXPECT_EQ(r->header("x-echo-host"), server->endpoint().host_header());
  EXPECT_EQ(r->header("x-echo-content-length"), "5");
  EXPECT_EQ(r->header("content-type"), "text/plain");
}

TEST(HttpClient, KeepAliveReusesOneConnection) {
  auto server = serve(echo);
  auto client = make_http_client(direct());
  for (int i = 0; i < 10; ++i) {
    auto r = client->send(server->endpoint(), post("/n", std::to_string(i)));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "POST /n " + std::to_string(i));
  }
  EXPECT_EQ(server->connections_accepted(), 1u);
}

TEST(HttpClient, ConcurrentSendsFromManyThreads) {
  auto server = serve(echo, {.threads = 2});
  auto client = make_http_client(direct());
  std::vector<std::future<bool>> results;
  for (int t = 0; t < 4; ++t)
    results.push_back(std::async(std::launch::async, [&, t] {
      for (int i = 0; i < 20; ++i) {
        auto r = client->send(server->endpoint(), post("/t", std::to_string(t)));
        if (!r || r->body != "POST /t " + std::to_string(t)) return false;
      }
      return true;
    }));
  for (auto& f : results) EXPECT_TRUE(f.get());
  EXPECT_LE(server->connections_accepted(), 4u);
}

TEST(HttpClient, StaleConnectionIsRetriedOnceOnANewOne) {
  auto server = serve(echo, {.max_requests_per_connection = 1});
  auto client = make_http_client(direct());
  for (int i = 0; i < 3; ++i) {
    auto r = client->send(server->endpoint(), post("/s", "x"));
    ASSERT_TRUE(r) << i << ": " << r.error().message;
  }
  EXPECT_EQ(server->connections_accepted(), 3u);
}

TEST(HttpClient, RequestTimeoutIsUnavailableWithinTheBound) {
  std::promise<void> release;
  auto released = release.get_future().share();
  auto server = serve([released](const HttpRequest& r) {
    released.wait();
    return echo(r);
  });
  auto options = direct();
  options.request_timeout = 300ms;
  auto client = make_http_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto r = client->send(server->endpoint(), post("/slow", "secret-body"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  release.set_value();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, server->endpoint().to_string() + ": ")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "timed out after 300 ms")) << r.error().message;
  EXPECT_FALSE(contains(r.error().message, "secret-body"));
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 3s);
}

// A listener whose accept queue is full (backlog 0, one connection waiting): the kernel drops
// further SYNs, so a connect hangs until the client's own deadline.
TEST(HttpClient, ConnectTimeoutIsUnavailableWithinTheBound) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);

  auto options = direct();
  options.connect_timeout = 300ms;
  auto client = make_http_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto r = client->send({"http", "127.0.0.1", ntohs(address.sin_port), ""}, {"GET", "/", {}, ""});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(filler);
  ::close(listener);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "connecting to host timed out after 300 ms")) << r.error().message;
  EXPECT_LT(elapsed, 3s);
}

TEST(HttpClient, HeadResponseHasNoBody) {
  auto server = serve([](const HttpRequest&) { return HttpResponse{200, {{"Content-Length", "1234"}}, ""}; });
  auto client = make_http_client(direct());
  for (int i = 0; i < 2; ++i) {
    auto r = client->send(server->endpoint(), {"HEAD", "/", {}, ""});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "");
  }
}

TEST(HttpClient, ConnectionRefusedNamesTheEndpoint) {
  auto client = make_http_client(direct());
  const auto port = testing::free_port();
  Endpoint endpoint{"http", "127.0.0.1", port, ""};
  auto r = client->send(endpoint, {"GET", "/", {{"Authorization", "secret-header"}}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "http://127.0.0.1:" + std::to_string(port) + ": connecting")) << r.error().message;
  EXPECT_FALSE(contains(r.error().message, "secret-header"));
}

TEST(HttpClient, PlainHttpRefusedForNonLoopbackHosts) {
  auto client = make_http_client(direct());
  auto r = client->send({"http", "example.com", 80, ""}, {"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
}

TEST(HttpClient, ResponseBodyLimit) {
  auto server = serve([](const HttpRequest&) { return HttpResponse{200, {}, std::string(5000, 'x')}; });
  auto options = direct();
  options.max_body_bytes = 4096;
  auto client = make_http_client(options);
  auto r = client->send(server->endpoint(), {"GET", "/big", {}, ""});
  ASSERT_FALSE(r) << r->status << " " << r->body.size();
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "larger than 4096 bytes")) << r.error().message;
}

TEST(HttpServer, HandlerExceptionIs500AndLargeBodyIs413) {
  auto server = serve([](const HttpRequest& r) -> HttpResponse {
    if (r.target == "/throw") throw std::runtime_error("boom");
    return {204, {}, ""};
  }, {.max_body_bytes = 100});
  auto client = make_http_client(direct());
  auto r = client->send(server->endpoint(), {"GET", "/throw", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 500);
  r = client->send(server->endpoint(), post("/big", std::string(200, 'x')));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 413);
  r = client->send(server->endpoint(), post("/ok", "x"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 204);
}

TEST(HttpServer, PicksAPortAndStopsCleanly) {
  auto server = serve(echo);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()));
  auto client = make_http_client(direct());
  ASSERT_TRUE(client->send(server->endpoint(), {"GET", "/", {}, ""}));
  const auto endpoint = server->endpoint();
  server->stop();
  server->stop();
  auto r = client->send(endpoint, {"GET", "/", {}, ""});  // the pooled connection was closed
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
}

TEST(HttpServer, BindFailureIsUnavailable) {
  auto first = serve(echo);
  auto second = HttpServer::start({.port = first->port()}, echo);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(second.error().message, std::to_string(first->port()))) << second.error().message;
}

// TLS: a test CA, a server certificate for the loopback names (and api.example.test, used by the
// proxy tests), and one for another name.
class Tls : public ::testing::Test {
 protected:
  Tls() {
    auto cert = ca_.issue({"DNS:localhost", "IP:127.0.0.1", "DNS:api.example.test"});
    server_ = serve(echo, {.tls = TlsIdentity{cert.certificate_pem, cert.private_key_pem}});
    ca_file_ = testing::write_temp_file(ca_.certificate_pem(), ".pem");
  }
  ~Tls() override { std::remove(ca_file_.c_str()); }

  ClientOptions trusting() {
    auto options = direct();
    options.ca_file = ca_file_;
    return options;
  }

  TestCa ca_;
  std::unique_ptr<HttpServer> server_;
  std::string ca_file_;
};

TEST_F(Tls, DefaultClientRefusesAnUnknownCa) {
  auto client = make_http_client(direct());
  auto r = client->send(server_->endpoint(), {"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "certificate verify failed")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, server_->endpoint().to_string())) << r.error().message;
}

TEST_F(Tls, ClientWithTheCaFileAcceptsAndKeepsAlive) {
  auto client = make_http_client(trusting());
  for (const char* host : {"127.0.0.1", "localhost"}) {
    Endpoint endpoint{"https", host, server_->port(), ""};
    for (int i = 0; i < 3; ++i) {
      auto r = client->send(endpoint, post("/tls", "x"));
      ASSERT_TRUE(r) << host << ": " << r.error().message;
      EXPECT_EQ(r->body, "POST /tls x");
    }
  }
  EXPECT_EQ(server_->connections_accepted(), 2u);  // one per host name
}

TEST_F(Tls, WrongHostNameIsRefused) {
  auto other = ca_.issue({"DNS:other.example"});
  auto server = serve(echo, {.tls = TlsIdentity{other.certificate_pem, other.private_key_pem}});
  auto client = make_http_client(trusting());
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto r = client->send({"https", host, server->port(), ""}, {"GET", "/", {}, ""});
    ASSERT_FALSE(r) << host;
    EXPECT_EQ(r.error().code, Errc::unavailable);
    EXPECT_TRUE(contains(r.error().message, "mismatch")) << r.error().message;
  }
}

TEST_F(Tls, MissingCaFileFailsEveryHttpsRequest) {
  auto options = direct();
  options.ca_file = "/nonexistent/ca.pem";
  auto client = make_http_client(options);
  auto r = client->send(server_->endpoint(), {"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, "/nonexistent/ca.pem")) << r.error().message;
}

TEST_F(Tls, TunnelsThroughTheHttpsProxyFromTheEnvironment) {
  ConnectProxy proxy(server_->port());
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  ScopedEnv env{{"HTTPS_PROXY", proxy_url.c_str()}, {"https_proxy", nullptr}, {"NO_PROXY", nullptr},
                {"no_proxy", nullptr}};
  auto options = trusting();
  options.proxy.reset();  // from the environment
  auto client = make_http_client(options);
  Endpoint remote{"https", "api.example.test", server_->port(), ""};
  for (int i = 0; i < 3; ++i) {
    auto r = client->send(remote, post("/via-proxy", "x"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "POST /via-proxy x");
    EXPECT_EQ(r->header("x-echo-host"), "api.example.test:" + std::to_string(server_->port()));
  }
  EXPECT_EQ(proxy.requested(), std::vector<std::string>{"api.example.test:" + std::to_string(server_->port())});

  // Loopback hosts never use the proxy.
  auto r = client->send(server_->endpoint(), {"GET", "/direct", {}, ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(proxy.requested().size(), 1u);
}

TEST_F(Tls, NoProxyHostsBypassTheProxy) {
  ConnectProxy proxy(server_->port());
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  ScopedEnv env{{"HTTPS_PROXY", proxy_url.c_str()}, {"NO_PROXY", ".example.test"}};
  auto options = trusting();
  options.proxy.reset();
  auto client = make_http_client(options);
  // Directly, api.example.test does not resolve: the error shows the client tried it itself.
  auto r = client->send({"https", "api.example.test", server_->port(), ""}, {"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "resolving api.example.test")) << r.error().message;
  EXPECT_TRUE(proxy.requested().empty());
}

TEST_F(Tls, InvalidProxySettingFailsProxiedRequestsOnly) {
  ScopedEnv env{{"HTTPS_PROXY", "https://proxy.corp:443"}, {"https_proxy", nullptr}, {"NO_PROXY", "direct.example"},
                {"no_proxy", nullptr}};
  auto options = trusting();
  options.proxy.reset();
  auto client = make_http_client(options);
  auto r = client->send({"https", "api.example.test", 443, ""}, {"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, "HTTPS_PROXY")) << r.error().message;
  r = client->send({"https", "direct.example", 443, ""}, {"GET", "/", {}, ""});  // NO_PROXY: goes direct
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "resolving direct.example")) << r.error().message;
  r = client->send(server_->endpoint(), {"GET", "/", {}, ""});  // loopback: direct
  EXPECT_TRUE(r) << r.error().message;
}

TEST_F(Tls, RefusedConnectIsReported) {
  ConnectProxy proxy(testing::free_port());  // nothing listens there: the proxy answers 502
  auto options = trusting();
  options.proxy = ProxySettings{ProxySettings::Proxy{"127.0.0.1", proxy.port()}, {}};
  auto client = make_http_client(options);
  auto r = client->send({"https", "api.example.test", 443, ""}, {"GET", "/", {}, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "refused CONNECT with status 502")) << r.error().message;
}

}  // namespace
}  // namespace jit::net

namespace jit::net {
namespace {

// The cloud metadata services answer over plain http on link-local addresses; only a client made
// for them (allow_metadata_http) may speak plain http there. Refused before any packet is sent.
TEST(MetadataHttp, PlainHttpToLinkLocalNeedsTheOption) {
  auto client = make_http_client();
  Endpoint imds{.scheme = "http", .host = "169.254.169.254", .port = 80};
  auto refused = client->send(imds, {.method = "GET", .target = "/latest/meta-data/"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_NE(refused.error().message.find("only https"), std::string::npos);
  Endpoint elsewhere{.scheme = "http", .host = "10.0.0.1", .port = 80};
  ClientOptions metadata;
  metadata.allow_metadata_http = true;
  auto metadata_client = make_http_client(metadata);
  auto still_refused = metadata_client->send(elsewhere, {.method = "GET", .target = "/"});
  ASSERT_FALSE(still_refused);
  EXPECT_EQ(still_refused.error().code, Errc::invalid) << "only link-local hosts, not any plain-http host";
  // A name that reads like a link-local address is a name: refused before it is looked up.
  Endpoint lookalike{.scheme = "http", .host = "169.254.example.test", .port = 80};
  auto name_refused = metadata_client->send(lookalike, {.method = "GET", .target = "/"});
  ASSERT_FALSE(name_refused);
  EXPECT_EQ(name_refused.error().code, Errc::invalid);
  EXPECT_NE(name_refused.error().message.find("only https"), std::string::npos) << name_refused.error().message;
}

}  // namespace
}  // namespace jit::net
