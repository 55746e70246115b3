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

TEST(SlackCommand, ExtendTakesAGrantADurationAndAReason) {
  auto extend = parse_command("extend r7k2m9x 1h30m still  debugging INC-1");
  ASSERT_TRUE(std::holds_alternative<Extend>(extend));
  EXPECT_EQ(std::get<Extend>(extend).request_id, "r7k2m9x");
  EXPECT_EQ(std::get<Extend>(extend).duration, "1h30m");
  EXPECT_EQ(std::get<Extend>(extend).reason, "still  debugging INC-1");
  for (const char* incomplete : {"extend", "extend r7k2m9x", "extend r7k2m9x 1h", "extend r7k2m9x 1h   "}) {
    auto parsed = parse_command(incomplete);
    ASSERT_TRUE(std::holds_alternative<Unknown>(parsed)) << incomplete;
    EXPECT_THAT(std::get<Unknown>(parsed).message, HasSubstr("/jit extend <grant id> <duration> <reason…>"));
  }
  EXPECT_THAT(help_text(), HasSubstr("/jit extend <id> <duration> <reason…>"));
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

// Issue 15: enrolling security keys for the step-up.
TEST(SlackCommand, EnrollListAndRemove) {
  EXPECT_TRUE(std::holds_alternative<Enroll>(parse_command("enroll")));
  EXPECT_TRUE(std::holds_alternative<Enroll>(parse_command(" Enrol  ")));
  EXPECT_TRUE(std::holds_alternative<EnrollList>(parse_command("enroll list")));
  auto by_prefix = parse_command("enroll remove AbCdEf12");
  ASSERT_TRUE(std::holds_alternative<EnrollRemove>(by_prefix));
  EXPECT_EQ(std::get<EnrollRemove>(by_prefix).credential, "AbCdEf12");
  EXPECT_EQ(std::get<EnrollRemove>(by_prefix).owner, "");
  // A name keeps its spaces; a trailing mention names the owner (Slack's escaped form, with or
  // without the display name).
  auto by_name = parse_command("enroll remove  security key  <@U0BOB|bob>");
  ASSERT_TRUE(std::holds_alternative<EnrollRemove>(by_name));
  EXPECT_EQ(std::get<EnrollRemove>(by_name).credential, "security key");
  EXPECT_EQ(std::get<EnrollRemove>(by_name).owner, "U0BOB");
  auto plain_mention = parse_command("enroll remove AbCdEf12 <@W0ALICE>");
  ASSERT_TRUE(std::holds_alternative<EnrollRemove>(plain_mention));
  EXPECT_EQ(std::get<EnrollRemove>(plain_mention).owner, "W0ALICE");
}

TEST(SlackCommand, BadEnrollInputNamesTheFix) {
  auto message = [](const char* text) {
    auto c = parse_command(text);
    EXPECT_TRUE(std::holds_alternative<Unknown>(c)) << text;
    return std::holds_alternative<Unknown>(c) ? std::get<Unknown>(c).message : std::string();
  };
  EXPECT_THAT(message("enroll list everything"), HasSubstr("`/jit enroll list` takes no arguments"));
  EXPECT_THAT(message("enroll remove"), HasSubstr("Say which credential to remove"));
  EXPECT_THAT(message("enroll remove <@U0BOB>"), HasSubstr("Say which credential to remove"));
  EXPECT_THAT(message("enroll remove key <@u0bob>"), HasSubstr("is not a Slack user"));
  EXPECT_THAT(message("enroll remove key <@!channel>"), Not(HasSubstr("<@!channel>")));
  EXPECT_THAT(message("enroll remove key <@U0BOBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB>"), HasSubstr("pick the person"));
  EXPECT_THAT(message("enroll <!here>"), HasSubstr("I don't know `/jit enroll &lt;!here&gt;`"));
  EXPECT_THAT(message("enroll <!here>"), HasSubstr("/jit enroll remove"));
  const std::string long_reference = "enroll remove " + std::string(1401, 'a');
  EXPECT_THAT(message(long_reference.c_str()), HasSubstr("is 1401 bytes long; the limit is 1400 bytes"));
  const std::string at_limit = "enroll remove " + std::string(1400, 'a');
  EXPECT_TRUE(std::holds_alternative<EnrollRemove>(parse_command(at_limit)));
  EXPECT_THAT(help_text(), HasSubstr("/jit enroll`"));
  EXPECT_THAT(help_text(), HasSubstr("/jit enroll list"));
  EXPECT_THAT(help_text(), HasSubstr("/jit enroll remove"));
}

// Issue 17: several accounts in one request, as a comma list.
TEST(SlackBundleCommand, ACommaListNamesSeveralAccounts) {
  auto c = parse_command("request prod,staging,vault admin 1h rotate the keys --ticket OPS-1");
  ASSERT_TRUE(std::holds_alternative<RequestAccess>(c));
  const auto& r = std::get<RequestAccess>(c);
  EXPECT_EQ(r.account, "prod");
  EXPECT_THAT(r.more_accounts, ::testing::ElementsAre("staging", "vault"));
  EXPECT_EQ(r.role, "admin");
  EXPECT_EQ(r.reason, "rotate the keys");
  EXPECT_EQ(r.ticket, "OPS-1");
  EXPECT_TRUE(std::get<RequestAccess>(parse_command("request prod admin 1h x")).more_accounts.empty());
  for (const char* bad : {"request prod,,staging admin 1h x", "request prod, admin 1h x", "request ,prod admin 1h x"}) {
    auto u = parse_command(bad);
    ASSERT_TRUE(std::holds_alternative<Unknown>(u)) << bad;
    EXPECT_THAT(std::get<Unknown>(u).message, HasSubstr("An account name is missing")) << bad;
  }
  std::string eleven = "a";
  for (std::size_t i = 1; i <= limits::kMaxBundleAccounts; ++i) eleven += fmt::format(",a{}", i);
  auto u = parse_command("request " + eleven + " admin 1h x");
  ASSERT_TRUE(std::holds_alternative<Unknown>(u));
  EXPECT_THAT(std::get<Unknown>(u).message, HasSubstr("at most 10 accounts"));
  EXPECT_THAT(help_text(), HasSubstr("/jit request prod,staging <role>"));
}

}  // namespace
}  // namespace jit::slack
