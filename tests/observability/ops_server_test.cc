#include "observability/ops_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "net/https_client.h"

namespace jit {
namespace {

using ::testing::HasSubstr;

net::HttpResponse get(std::uint16_t port, const std::string& path) {
  auto client = net::make_http_client();
  auto endpoint = net::Endpoint::parse("http://127.0.0.1:" + std::to_string(port));
  auto r = client->send(*endpoint, {.method = "GET", .target = path});
  EXPECT_TRUE(r) << r.error().message;
  return r.value_or(net::HttpResponse{});
}

TEST(OpsServer, HealthReadinessAndMetrics) {
  Metrics metrics;
  metrics.gauge("jit_grants_active", "Grants holding access now.");
  std::atomic<bool> store_ok = true;
  std::atomic<int> scrapes = 0;
  auto ops = OpsServer::start(
      {.address = "127.0.0.1", .port = 0}, metrics,
      {{"store", [&] { return store_ok ? std::string() : std::string("cannot reach sqlite:jit.db"); }}},
      [&] { metrics.set("jit_grants_active", {}, ++scrapes); });
  ASSERT_TRUE(ops) << ops.error().message;
  const auto port = (*ops)->port();
  EXPECT_EQ(get(port, "/healthz").status, 200);
  EXPECT_EQ(get(port, "/readyz").status, 200);
  store_ok = false;
  auto not_ready = get(port, "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_THAT(not_ready.body, HasSubstr("store: cannot reach sqlite:jit.db"));
  EXPECT_EQ(get(port, "/healthz").status, 200) << "alive even when not ready";
  auto m = get(port, "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_THAT(*m.header("Content-Type"), HasSubstr("version=0.0.4"));
  EXPECT_THAT(m.body, HasSubstr("jit_grants_active 1\n"));
  EXPECT_THAT(get(port, "/metrics").body, HasSubstr("jit_grants_active 2\n"));
  EXPECT_EQ(get(port, "/nope").status, 404);
}

TEST(OpsServer, AddressParsing) {
  auto a = parse_ops_address("127.0.0.1:9191");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "127.0.0.1");
  EXPECT_EQ(a->port, 9191);
  auto v6 = parse_ops_address("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address, "::1");
  auto bare = parse_ops_address(":9090");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->address, "127.0.0.1");
  EXPECT_FALSE(parse_ops_address("localhost"));
  EXPECT_FALSE(parse_ops_address("127.0.0.1:99999"));
  EXPECT_FALSE(parse_ops_address("127.0.0.1:http"));
}

}  // namespace
}  // namespace jit
