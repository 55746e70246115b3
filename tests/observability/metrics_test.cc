#include "observability/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace jit {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, RendersPrometheusTextFormat) {
  Metrics m;
  m.counter("jit_requests_total", "Requests by outcome.");
  m.gauge("jit_grants_active", "Grants holding access now.");
  m.histogram("jit_revoke_lag_seconds", "Revoke time minus expiry.", {0.5, 1, 5});
  m.inc("jit_requests_total", {{"outcome", "approved"}});
  m.inc("jit_requests_total", {{"outcome", "approved"}}, 2);
  m.inc("jit_requests_total", {{"outcome", "de\"nied\n"}});
  m.set("jit_grants_active", {}, 7);
  m.observe("jit_revoke_lag_seconds", {}, 0.2);
  m.observe("jit_revoke_lag_seconds", {}, 3);
  const std::string text = m.render();
  EXPECT_THAT(text, HasSubstr("# HELP jit_requests_total Requests by outcome.\n# TYPE jit_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("jit_requests_total{outcome=\"approved\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("jit_requests_total{outcome=\"de\\\"nied\\n\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE jit_grants_active gauge\njit_grants_active 7\n"));
  EXPECT_THAT(text, HasSubstr("jit_revoke_lag_seconds_bucket{le=\"0.5\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jit_revoke_lag_seconds_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jit_revoke_lag_seconds_bucket{le=\"5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("jit_revoke_lag_seconds_bucket{le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("jit_revoke_lag_seconds_sum 3.2\n"));
  EXPECT_THAT(text, HasSubstr("jit_revoke_lag_seconds_count 2\n"));
  EXPECT_EQ(m.value("jit_requests_total", {{"outcome", "approved"}}), 3);
}

TEST(Metrics, MisuseIsAProgrammingError) {
  Metrics m;
  m.counter("a", "A.");
  m.counter("a", "A.");  // same kind twice is fine
  EXPECT_THROW(m.gauge("a", "A."), std::logic_error);
  EXPECT_THROW(m.inc("nope"), std::logic_error);
  EXPECT_THROW(m.set("a", {}, 1), std::logic_error);
  EXPECT_THROW(m.histogram("h", "H.", {2, 1}), std::logic_error);
}

TEST(Metrics, CountsFromManyThreads) {
  Metrics m;
  m.counter("c", "C.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) m.inc("c", {{"k", "v"}});
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.value("c", {{"k", "v"}}), 4000);
}

}  // namespace
}  // namespace jit
