#include "core/duration.h"

#include <gtest/gtest.h>

namespace jit {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST(ParseDuration, AcceptsCommonForms) {
  EXPECT_EQ(parse_duration("15m").value(), minutes{15});
  EXPECT_EQ(parse_duration("1h30m").value(), minutes{90});
  EXPECT_EQ(parse_duration("2h").value(), hours{2});
  EXPECT_EQ(parse_duration("90s").value(), Seconds{90});
  EXPECT_EQ(parse_duration("1d").value(), hours{24});
  EXPECT_EQ(parse_duration("90m").value(), minutes{90});
  EXPECT_EQ(parse_duration("1d2h3m4s").value(), Seconds{86400 + 7200 + 180 + 4});
  EXPECT_EQ(parse_duration("366d").value(), hours{366 * 24});
}

TEST(ParseDuration, RejectsMalformedInput) {
  for (const char* text : {"", "0m", "0s", "-5m", "+5m", "5", "m", "h1", "1h1h", "30m1h", "1s1m", "1.5h", " 1h",
                           "1h ", "1 h", "1H", "1w", "1h30", "367d", "8785h", "99999999999999999999h"}) {
    auto d = parse_duration(text);
    ASSERT_FALSE(d.has_value()) << '"' << text << "\" parsed as " << d->count() << "s";
    EXPECT_EQ(d.error().code, Errc::invalid) << text;
    EXPECT_FALSE(d.error().message.empty()) << text;
  }
}

TEST(ParseDuration, MessagesSayWhatIsExpected) {
  EXPECT_EQ(parse_duration("3 hours").error().message, "\"3 hours\": expected a duration like 90m or 2h");
  EXPECT_EQ(parse_duration("").error().message, "empty duration: expected a duration like 90m or 2h");
  EXPECT_EQ(parse_duration("5").error().message, "\"5\": missing unit; expected a duration like 90m or 2h");
  EXPECT_EQ(parse_duration("0m").error().message, "\"0m\": a duration must be longer than zero");
  EXPECT_EQ(parse_duration("367d").error().message, "\"367d\": longer than 366 days");
  EXPECT_EQ(parse_duration("99999999999999999999h").error().message,
            "\"99999999999999999999h\": longer than 366 days");
}

TEST(FormatDuration, ShortestCanonicalForm) {
  EXPECT_EQ(format_duration(Seconds{0}), "0s");
  EXPECT_EQ(format_duration(Seconds{30}), "30s");
  EXPECT_EQ(format_duration(minutes{90}), "1h30m");
  EXPECT_EQ(format_duration(hours{2}), "2h");
  EXPECT_EQ(format_duration(hours{24}), "1d");
  EXPECT_EQ(format_duration(Seconds{86400 + 1}), "1d1s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (long long s : {1LL, 59LL, 60LL, 61LL, 3599LL, 3600LL, 5400LL, 86399LL, 86400LL, 90061LL, 366LL * 86400}) {
    const std::string text = format_duration(Seconds{s});
    auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text << ": " << back.error().message;
    EXPECT_EQ(back->count(), s) << text;
  }
  for (const char* text : {"15m", "1h30m", "2h", "45s", "1d", "1d23h59m59s"})
    EXPECT_EQ(format_duration(parse_duration(text).value()), text);
  // Non-canonical input comes back in its shortest form.
  EXPECT_EQ(format_duration(parse_duration("90m").value()), "1h30m");
  EXPECT_EQ(format_duration(parse_duration("90s").value()), "1m30s");
  EXPECT_EQ(format_duration(parse_duration("24h").value()), "1d");
}

}  // namespace
}  // namespace jit
