// jit serve's PagerDuty side (issue 17): the token from JIT_PAGERDUTY_TOKEN or [pagerduty]
// token_file, never shown; the client built only when a role names a schedule, and it answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "app/pagerduty.h"
#include "emulators/pagerduty/pagerduty_emulator.h"
#include "fakes/manual_clock.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

net::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::path(::testing::TempDir()) / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(PagerDutyToken, TheVariableFirstThenTheFileNeverShown) {
  const PagerDutySettings with_file{.token_file = write_file("pd-token", "  u+file-token-1\n")};
  EXPECT_EQ(load_pagerduty_token(with_file, env_of({{"JIT_PAGERDUTY_TOKEN", "u+env-token"}})).value(), "u+env-token");
  EXPECT_EQ(load_pagerduty_token(with_file, env_of({})).value(), "u+file-token-1");
  EXPECT_EQ(load_pagerduty_token(with_file, env_of({{"JIT_PAGERDUTY_TOKEN", ""}})).value(), "u+file-token-1");

  auto none = load_pagerduty_token({}, env_of({}));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::invalid);
  EXPECT_THAT(none.error().message, HasSubstr("set JIT_PAGERDUTY_TOKEN or [pagerduty] token_file"));
  auto missing = load_pagerduty_token({.token_file = "/nonexistent/pd-token"}, env_of({}));
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("[pagerduty] token_file: cannot read /nonexistent/pd-token"));
  for (const std::string& bad : {std::string("two words"), std::string(300, 'x'), std::string("tab\there")}) {
    auto refused = load_pagerduty_token({}, env_of({{"JIT_PAGERDUTY_TOKEN", bad}}));
    ASSERT_FALSE(refused) << bad;
    EXPECT_THAT(refused.error().message, HasSubstr("JIT_PAGERDUTY_TOKEN does not hold a PagerDuty REST API token"));
    EXPECT_THAT(refused.error().message, Not(HasSubstr(bad)));
  }
}

TEST(PagerDutySide, BuiltOnlyWhenARoleNamesAScheduleAndItAsksPagerDuty) {
  spdlog::set_level(spdlog::level::off);
  ManualClock clock;
  Config config;
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
  prod.roles.push_back({.name = "fix", .permission_set_arn = "arn:aws:sso:::permissionSet/i/ps-1",
                        .max_duration = Seconds{3600}, .requesters = {"*"}});
  config.policy.accounts.push_back(prod);
  auto none = make_pagerduty(config, clock, env_of({}));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->on_call, nullptr);  // no role asks: no client, no token needed

  config.policy.accounts[0].roles[0].on_call_schedule = "PSCHED1";
  EXPECT_EQ(first_on_call_role(config.policy), "prod/fix");
  auto no_token = make_pagerduty(config, clock, env_of({}));
  ASSERT_FALSE(no_token);
  EXPECT_THAT(no_token.error().message, HasSubstr("a role has auto_approve_if_on_call but no PagerDuty REST API token"));

  auto emulator = emulators::PagerDutyEmulator::start(
      {.users = {{"PDANA01", "dana", "dana@example.com"}}, .schedules = {{"PSCHED1", "Primary", {{"PDANA01"}}}}});
  ASSERT_TRUE(emulator) << emulator.error().message;
  config.settings.pagerduty.api_url = (*emulator)->url();
  auto side = make_pagerduty(config, clock, env_of({{"JIT_PAGERDUTY_TOKEN", emulators::kPagerDutyEmulatorToken}}));
  ASSERT_TRUE(side) << side.error().message;
  ASSERT_NE(side->on_call, nullptr);
  auto answer = side->on_call->on_call("PSCHED1", "dana@example.com", clock.now());
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->on_call);
  EXPECT_EQ(answer->user_id, "PDANA01");
}

}  // namespace
}  // namespace jit
