#include "observability/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Logging, KeyValueMessagesBecomeJsonFields) {
  auto j = nlohmann::json::parse(message_to_json(
      "event=revoke_failed request=r7k2m9x error=\"AWS said \\\"no\\\" twice\" will_retry=true"));
  EXPECT_EQ(j["event"], "revoke_failed");
  EXPECT_EQ(j["request"], "r7k2m9x");
  EXPECT_EQ(j["error"], "AWS said \"no\" twice");
  EXPECT_EQ(j["will_retry"], "true");
  EXPECT_FALSE(j.contains("msg"));
  auto plain = nlohmann::json::parse(message_to_json("just words here, x=1"));
  EXPECT_EQ(plain["msg"], "just words here, x=1");
  EXPECT_EQ(plain["event"], "log");
  EXPECT_FALSE(plain.contains("x"));
}

TEST(Logging, JsonLinesHaveTimeAndLevel) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("json-test", sink);
  logger.set_formatter(make_json_formatter());
  logger.info("event=granted request={} until={}", "r1", "2026-11-24T10:00:00Z");
  logger.warn("plain text with a \"quote\"");
  std::istringstream lines(out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);  // throws if a line is not valid JSON
    EXPECT_TRUE(j.contains("time"));
    EXPECT_TRUE(j.contains("level"));
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_THAT(out.str(), HasSubstr(R"("level":"info","event":"granted","request":"r1")"));
}

// Log lines may carry whatever a user typed. std::regex recursed once per character of a match,
// so a long token-shaped run overflowed the stack; the scan is now linear.
TEST(Logging, MaskSecretsOnAMegabyteLine) {
  const std::string filler(500'000, 'a');
  const std::string line = "x " + filler + " xoxb-" + std::string(500'000, '7') + " xapp-1-secret end";
  EXPECT_EQ(mask_secrets(line), "x " + filler + " xoxb-*** xapp-*** end");
  EXPECT_EQ(mask_secrets(std::string(1'000'000, 'x')), std::string(1'000'000, 'x'));
}

TEST(Logging, MaskSecretsEdges) {
  EXPECT_EQ(mask_secrets(""), "");
  EXPECT_EQ(mask_secrets("xoxb-"), "xoxb-");                  // a prefix alone is no token
  EXPECT_EQ(mask_secrets("xoxb- xoxz-1 xoxp-2"), "xoxb- xoxz-1 xoxp-***");
  EXPECT_EQ(mask_secrets("axoxs-1.b"), "axoxs-***.b");        // found anywhere, ends at a non-token char
  EXPECT_EQ(mask_secrets("xoxb-xoxr-9"), "xoxb-***");
}

TEST(Logging, SlackTokensAreMaskedInBothFormats) {
  EXPECT_EQ(mask_secrets("token xoxb-1234-5678-abcdEF and xapp-1-A1B2-99"), "token xoxb-*** and xapp-***");
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("mask-test", sink);
  logger.set_formatter(make_json_formatter());
  logger.error("event=oops token=xoxb-1111-2222-secretsecret");
  EXPECT_THAT(out.str(), Not(HasSubstr("secretsecret")));
}

}  // namespace
}  // namespace jit
