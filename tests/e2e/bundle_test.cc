// Several accounts in one request (issue 17), end to end: dana asks for one role on three accounts
// from the request form of a real `jit serve` (Slack and AWS emulators); each becomes a request of
// its own in its own owner channel, one is granted, one denied, one granted later, and each grant
// ends at its own expiry; her one DM lists the bundle, and each submit event names it.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "audit/facts.h"
#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {
namespace bundle_e2e {  // its own names: the unity build compiles it beside other files

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kStagingChannel[] = "C0STAGING";

// "admin" on sandbox too (decided by sandbox's approver, alice), and a third account, staging, whose
// admin bob approves in its own channel. Every admin allows the demo's short grant (8s).
const std::string kShortGrants = fmt::format("allowed_durations = {}", demo::toml_list({demo::kGrantSeconds, "30m", "1h"}));
const std::string kAdminEverywhere = role_toml("admin", {"*"}, kShortGrants) +
                                     account_toml("staging", "444455556666", kStagingChannel, {kBob}) +
                                     role_toml("admin", {"*"}, kShortGrants);

// Opens `user`'s request form and picks `account` then `role` (each rebuilds it); its view id.
std::string open_form(World& world, const std::string& user, const std::string& account, const std::string& role) {
  auto& slack = world.slack();
  slack.slash_command(user, "");
  if (!slack.wait_for([&](const emulators::SlackEmulator& s) { return !s.views(user).empty(); },
                      std::chrono::seconds(5)))
    return "";
  const std::string view_id = slack.views(user)[0].value("id", "");
  for (const auto& [field, value] : {std::pair{slack::kAccountField, account}, std::pair{slack::kRoleField, role}}) {
    const std::string hash = slack.views(user)[0].value("hash", "");
    if (!slack.select_in_view(user, view_id, field, field, value)) return "";
    if (!slack.wait_for([&](const emulators::SlackEmulator& s) { return s.views(user)[0].value("hash", "") != hash; },
                        std::chrono::seconds(5)))
      return "";
  }
  return view_id;
}

// The `bundle` fact of each submit event, by request id.
std::map<std::string, std::string> bundle_facts(World& world) {
  std::map<std::string, std::string> out;
  const auto events = world.store().audit_events({}).value();
  for (const auto& e : events)
    if (e.action == "submit")
      out[e.request_id] = audit::facts::text(audit::facts::read(e).value(), "bundle").value_or("");
  return out;
}

TEST(E2eBundle, OneRoleOnThreeAccountsFromTheFormIsThreeRequestsEachDecidedAndExpiredOnItsOwn) {
  World world({.policy_tail = kAdminEverywhere});
  // sandbox first: its admin offers the short grant in the form (prod's offers 15m and more, and
  // takes any duration up to 2h).
  const std::string view_id = open_form(world, kDana, "sandbox", "admin");
  ASSERT_FALSE(view_id.empty()) << world.log(0);
  const std::string form = world.slack().views(kDana)[0].dump();
  ASSERT_THAT(form, HasSubstr(slack::kAlsoAccountsField));
  auto submitted = world.slack().submit_view(kDana, view_id,
                                             {{"account", "sandbox"}, {"role", "admin"}, {"duration", demo::kGrantSeconds},
                                              {"reason", "rotate the deploy keys everywhere"},
                                              {slack::kAlsoAccountsField, "prod,staging"}});
  ASSERT_TRUE(submitted) << submitted.error().message;
  EXPECT_TRUE((*submitted)["ack_payload"].is_null()) << submitted->dump();

  // Three requests, each in its own owner channel.
  std::map<std::string, AccessRequest> by_account;
  ASSERT_TRUE(World::poll(
      [&] {
        auto mine = world.store().list_requests({.requester = kDana});
        if (!mine || mine->size() < 3) return false;
        for (const auto& r : *mine) by_account[r.account] = r;
        return true;
      },
      std::chrono::seconds(15)))
      << world.log(0);
  ASSERT_EQ(by_account.size(), 3u);
  const std::string prod = by_account.at("prod").id, sandbox = by_account.at("sandbox").id,
                    staging = by_account.at("staging").id;
  ASSERT_TRUE(world.message_ts(kProdChannel, prod));
  ASSERT_TRUE(world.message_ts(demo::kSandbox, sandbox));
  ASSERT_TRUE(world.message_ts(kStagingChannel, staging));
  EXPECT_FALSE(world.message_ts(kProdChannel, staging));

  // One DM lists the bundle: each request, where it waits; no separate "waiting" notice per request.
  ASSERT_TRUE(world.wait_dm(kDana, "bundle `" + sandbox + "`")) << world.slack().dm(kDana).dump(1);
  const std::string dm = world.slack().dm(kDana).dump();
  for (const auto& [account, channel] : {std::pair{"prod", kProdChannel}, std::pair{"sandbox", demo::kSandbox},
                                         std::pair{"staging", kStagingChannel}})
    EXPECT_THAT(dm, HasSubstr(fmt::format("*{}* (`{}`): waiting for approval in <#{}>", account,
                                          by_account.at(account).id, channel)));
  EXPECT_THAT(dm, Not(HasSubstr("is waiting for approval")));  // no per-request "submitted" notice
  const auto facts = bundle_facts(world);
  EXPECT_EQ(facts.at(sandbox), sandbox);
  EXPECT_EQ(facts.at(prod), sandbox);
  EXPECT_EQ(facts.at(staging), sandbox);

  // Each account's own approvers: bob may not decide sandbox, and alice denies it; alice may not
  // decide staging (bob's); alice grants prod, and bob staging a little later, so it ends later.
  ASSERT_TRUE(world.click(kBob, sandbox, slack::kApproveAction, demo::kSandbox));
  EXPECT_TRUE(world.wait_ephemeral(kBob, "not an approver"));
  EXPECT_EQ(world.read(sandbox)->state, State::pending);
  ASSERT_TRUE(world.click(kAlice, sandbox, slack::kDenyAction, demo::kSandbox));
  ASSERT_TRUE(world.slack().wait_for([](const emulators::SlackEmulator& s) { return !s.views(kAlice).empty(); },
                                     std::chrono::seconds(5)));
  ASSERT_TRUE(world.slack().submit_view(kAlice, world.slack().views(kAlice)[0].value("id", ""),
                                        {{"reason", "not on sandbox"}}));
  ASSERT_TRUE(world.wait_state(sandbox, State::denied)) << world.log(0);
  EXPECT_TRUE(world.wait_dm(kDana, "not on sandbox"));
  ASSERT_TRUE(world.click(kAlice, staging, slack::kApproveAction, kStagingChannel));
  EXPECT_TRUE(world.wait_ephemeral_in(kStagingChannel, kAlice, "not an approver"));
  EXPECT_EQ(world.read(staging)->state, State::pending);
  ASSERT_TRUE(world.click(kAlice, prod, slack::kApproveAction, kProdChannel));
  ASSERT_TRUE(world.wait_state(prod, State::active)) << world.log(0);
  const auto granted = world.read(prod)->granted_at;
  ASSERT_TRUE(granted);
  ASSERT_TRUE(World::poll([&] { return std::chrono::system_clock::now() >= *granted + std::chrono::seconds(2); },
                          std::chrono::seconds(10)));
  ASSERT_TRUE(world.click(kBob, staging, slack::kApproveAction, kStagingChannel));
  ASSERT_TRUE(world.wait_state(staging, State::active)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 2u);

  // Each grant ends at its own expiry.
  ASSERT_TRUE(world.wait_state(prod, State::revoked, std::chrono::seconds(30))) << world.log(0);
  ASSERT_TRUE(world.wait_state(staging, State::revoked, std::chrono::seconds(30))) << world.log(0);
  const auto p = world.read(prod), s = world.read(staging);
  ASSERT_TRUE(p && s && p->expires_at && s->expires_at && p->ended_at && s->ended_at);
  EXPECT_GE(*s->expires_at - *p->expires_at, std::chrono::seconds(2));
  EXPECT_GE(*p->ended_at, *p->expires_at);
  EXPECT_GE(*s->ended_at, *s->expires_at);
  EXPECT_LT(*p->ended_at, *s->ended_at);
  EXPECT_EQ(world.assignment_count(), 0u);
  EXPECT_EQ(world.read(sandbox)->state, State::denied);
  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;
  EXPECT_EQ(world.check_acks(), "");
}

// The command form: `/jit request prod,staging ...` files both and answers with the bundle; a
// plain mistake (an account she may not request) files nothing and names the account.
TEST(E2eBundle, TheCommandFormFilesEachAccountAndAPlainMistakeFilesNothing) {
  World world({.policy_tail = kAdminEverywhere + account_toml("vault", "777788889999", "C0VAULT", {kAlice}) +
                               role_toml("admin", {kAlice})});
  world.slack().slash_command(kEve, "request prod,staging,vault admin 30m check the alarms");
  auto refused = world.wait_ephemeral(kEve, "nothing was filed");
  ASSERT_TRUE(refused) << world.log(0);
  EXPECT_THAT(*refused, HasSubstr("account vault: you may not request role admin on account vault"));
  EXPECT_TRUE(world.store().list_requests({.requester = kEve})->empty());

  world.slack().slash_command(kEve, "request prod,staging admin 30m check the alarms");
  auto answer = world.wait_ephemeral(kEve, "bundle `");
  ASSERT_TRUE(answer) << world.log(0);
  const auto mine = world.store().list_requests({.requester = kEve}).value();
  ASSERT_EQ(mine.size(), 2u);
  std::vector<std::string> accounts;
  for (const auto& r : mine) {
    accounts.push_back(r.account);
    EXPECT_THAT(*answer, HasSubstr(r.id));
    EXPECT_EQ(r.state, State::pending);
  }
  EXPECT_THAT(accounts, UnorderedElementsAre("prod", "staging"));
  EXPECT_TRUE(world.wait_dm(kEve, "bundle `"));
  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;
}

}  // namespace bundle_e2e
}  // namespace
}  // namespace jit::testing
