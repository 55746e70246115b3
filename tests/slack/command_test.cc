#include "slack/command.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/limits.h"

namespace jit::slack {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SlackCommand, EmptyOpensTheModal) {
  EXPECT_TRUE(std::holds_alternative<OpenModal>(parse_command("")));
  EXPECT_TRUE(std::holds_alternative<OpenModal>(parse_command("   ")));
}

// Issue 12: every text input is bounded before any work; a slash command is refused whole.
TEST(SlackCommand, TextOverTheLimitIsRefusedBeforeParsing) {
  const std::string text = "request prod admin 1h " + std::string(100'000, 'x') + " --ticket INC-" +
                           std::string(40'000, '7');
  auto c = parse_command(text);
  ASSERT_TRUE(std::holds_alternative<Unknown>(c));
  EXPECT_EQ(std::get<Unknown>(c).message,
            fmt::format("That command is {} bytes long; the limit is {} bytes. Shorten the reason, or type `/jit` "
                        "alone to use the request form.",
                        text.size(), limits::kMaxCommandBytes));
  const std::string at_limit = "request prod admin 1h " + std::string(limits::kMaxCommandBytes - 22, 'x');
  ASSERT_EQ(at_limit.size(), limits::kMaxCommandBytes);
  EXPECT_TRUE(std::holds_alternative<RequestAccess>(parse_command(at_limit)));
}

TEST(SlackCommand, HelpListReleaseCancel) {
  EXPECT_TRUE(std::holds_alternative<Help>(parse_command("help")));
  EXPECT_TRUE(std::holds_alternative<Help>(parse_command(" HELP ")));
  EXPECT_TRUE(std::holds_alternative<ListMine>(parse_command("list")));
  auto release = parse_command("release r7k2m9x");
  ASSERT_TRUE(std::holds_alternative<Release>(release));
  EXPECT_EQ(std::get<Release>(release).request_id, "r7k2m9x");
  auto cancel = parse_command("cancel  r7k2m9x ");
  ASSERT_TRUE(std::holds_alternative<Cancel>(cancel));
  EXPECT_EQ(std::get<Cancel>(cancel).request_id, "r7k2m9x");
}

TEST(SlackCommand, RequestTakesTheRestAsReason) {
  auto c = parse_command("request prod admin 1h30m rotate  the TLS key, see INC-9");
  ASSERT_TRUE(std::holds_alternative<RequestAccess>(c));
  const auto& r = std::get<RequestAccess>(c);
  EXPECT_EQ(r.account, "prod");
  EXPECT_EQ(r.role, "admin");
  EXPECT_EQ(r.duration, "1h30m");
  EXPECT_EQ(r.reason, "rotate  the TLS key, see INC-9");
  EXPECT_EQ(r.ticket, "");
}

TEST(SlackCommand, TicketMayBeGivenAnywhereInTheReason) {
  for (const char* text : {"request prod admin 1h --ticket OPS-42 rotate the key",
                           "request prod admin 1h rotate the key --ticket OPS-42",
                           "request prod admin 1h rotate ticket=OPS-42 the key"}) {
    auto c = parse_command(text);
    ASSERT_TRUE(std::holds_alternative<RequestAccess>(c)) << text;
    EXPECT_EQ(std::get<RequestAccess>(c).ticket, "OPS-42") << text;
    EXPECT_THAT(std::get<RequestAccess>(c).reason, HasSubstr("rotate")) << text;
    EXPECT_THAT(std::get<RequestAccess>(c).reason, ::testing::Not(HasSubstr("OPS-42"))) << text;
  }
}

TEST(SlackCommand, IncompleteRequestsExplainTheUsage) {
  for (const char* text : {"request", "request prod", "request prod admin", "request prod admin 1h",
                           "request prod admin 1h   ", "request prod admin 1h --ticket"}) {
    auto c = parse_command(text);
    ASSERT_TRUE(std::holds_alternative<Unknown>(c)) << text;
    EXPECT_THAT(std::get<Unknown>(c).message, HasSubstr("/jit request <account> <role> <duration>")) << text;
  }
}

TEST(SlackCommand, UnknownInputIsEchoedEscaped) {
  const Command c = parse_command("<!channel> <!here> <@U0BOSS> <#C0PROD> <https://evil.example|click> & done");
  ASSERT_TRUE(std::holds_alternative<Unknown>(c));
  const std::string& message = std::get<Unknown>(c).message;
  EXPECT_THAT(message, HasSubstr("I don't know `&lt;!channel&gt; &lt;!here&gt; &lt;@U0BOSS&gt; &lt;#C0PROD&gt; "
                                 "&lt;https://evil.example|click&gt; &amp; done`"));
  for (const char* live : {"<!channel>", "<!here>", "<@U0BOSS>", "<#C0PROD>", "<https://evil"})
    EXPECT_THAT(message, Not(HasSubstr(live))) << live;
}

TEST(SlackCommand, UnknownInputGetsHelp) {
  auto c = parse_command("gimme prod");
  ASSERT_TRUE(std::holds_alternative<Unknown>(c));
  EXPECT_THAT(std::get<Unknown>(c).message, HasSubstr("I don't know `gimme prod`"));
  EXPECT_THAT(std::get<Unknown>(c).message, HasSubstr("/jit release <id>"));
  EXPECT_TRUE(std::holds_alternative<Unknown>(parse_command("release")));
  EXPECT_TRUE(std::holds_alternative<Unknown>(parse_command("release a b")));
  EXPECT_TRUE(std::holds_alternative<Unknown>(parse_command("list everything")));
}

}  // namespace
}  // namespace jit::slack
