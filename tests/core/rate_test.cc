#include "core/rate.h"

#include <gtest/gtest.h>

namespace jit {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

TEST(ParseRate, ReadsCountAndUnit) {
  EXPECT_EQ(parse_rate("10/min").value(), (Rate{10, 60s}));
  EXPECT_EQ(parse_rate("1/s").value(), (Rate{1, 1s}));
  EXPECT_EQ(parse_rate("600/Hour").value(), (Rate{600, 3600s}));
  EXPECT_EQ(format_rate(parse_rate("600/hour").value()), "600/hour");
  for (const char* bad : {"", "10", "/min", "0/min", "-1/min", "10/week", "10 /min", "2000000/s", "1e3/s"})
    EXPECT_FALSE(parse_rate(bad).has_value()) << bad;
}

TEST(TokenBucketTest, BurstThenOneTokenPerIntervalAndItSaysHowLongToWait) {
  const TimePoint t0{};
  const Rate rate{6, 60s};  // one token every 10 s
  TokenBucket bucket(t0, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(t0, rate, 3)) << i;
  EXPECT_FALSE(bucket.take(t0, rate, 3));
  EXPECT_EQ(bucket.wait(t0, rate, 3), 10s);
  EXPECT_FALSE(bucket.take(t0 + 9s, rate, 3));
  EXPECT_TRUE(bucket.take(t0 + 10s, rate, 3));
  EXPECT_FALSE(bucket.full(t0 + 30s, rate, 3));
  EXPECT_TRUE(bucket.full(t0 + 10h, rate, 3));  // never more than the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(t0 + 10h, rate, 3)) << i;
  EXPECT_FALSE(bucket.take(t0 + 10h, rate, 3));
}

}  // namespace
}  // namespace jit
