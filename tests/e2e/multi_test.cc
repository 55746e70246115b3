// Three `jit serve` instances on one DynamoDB table (moto_server), each with its own Socket Mode
// connection to the Slack emulator, which spreads envelopes across connections as Slack does:
// every request is handled once, every grant created once and revoked once, on time. Prints the
// revoke lag (the moment the assignment disappeared from the emulated Identity Center minus the
// grant's expiry).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <thread>

#include "e2e/world.h"

namespace jit::testing {
namespace {

using nlohmann::json;

TEST(MultiInstance, ThreeInstancesOneTableEveryGrantOnceAndRevokedOnTime) {
  World world({.instances = 3, .dynamodb = true});
  auto& slack = world.slack();
  // Every instance has its own connection.
  ASSERT_GE(slack.connections_opened(), 3);

  // Six requests, from three people, on two accounts, each for a few seconds.
  struct Ask {
    const char* user;
    const char* what;
  };
  const std::vector<Ask> asks = {{kDana, "prod admin 4s a"},        {kDana, "sandbox developer 5s b"},
                                 {kEve, "prod admin 5s c"},         {kEve, "sandbox developer 6s d"},
                                 {"U0ADMIN", "prod admin 6s e"},    {"U0ADMIN", "sandbox developer 4s f"}};
  std::vector<std::string> ids;
  for (const auto& ask : asks) {
    std::string reply;
    auto id = world.request(ask.user, ask.what, &reply);
    ASSERT_TRUE(id) << reply;
    ids.push_back(*id);
  }
  // Approvals: on prod, alice and bob click at the same moment (their envelopes go to different
  // instances); on sandbox alice alone.
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const bool prod = std::string(asks[k].what).starts_with("prod");
    const std::string channel = prod ? kProdChannel : "C0SANDBOX";
    auto ts = world.message_ts(channel, ids[k]);
    ASSERT_TRUE(ts) << ids[k];
    ASSERT_TRUE(slack.click(kAlice, channel, *ts, "jit_approve"));
    if (prod) ASSERT_TRUE(slack.click(kBob, channel, *ts, "jit_approve"));
  }
  for (const auto& id : ids) ASSERT_TRUE(world.wait_state(id, State::active)) << id;

  // Watch the emulated Identity Center: when does each assignment disappear?
  std::map<std::string, std::chrono::system_clock::time_point> gone;  // principal|account|ps -> when
  auto key = [](const json& a) {
    return a.value("PrincipalId", "") + "|" + a.value("AccountId", "") + "|" + a.value("PermissionSetArn", "");
  };
  std::map<std::string, bool> seen;
  const json at_start = world.aws().assignments();
  for (const auto& a : at_start["assignments"]) seen[key(a)] = true;
  EXPECT_EQ(seen.size(), ids.size());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (gone.size() < seen.size() && std::chrono::steady_clock::now() < deadline) {
    std::map<std::string, bool> now;
    const json current = world.aws().assignments();
    for (const auto& a : current["assignments"]) now[key(a)] = true;
    for (const auto& [k, _] : seen)
      if (!now.contains(k) && !gone.contains(k)) gone[k] = std::chrono::system_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(gone.size(), seen.size()) << "assignments left past expiry: " << world.aws().assignments().dump();

  // Revoke lag per grant: from its expiry second to the moment the assignment was gone.
  std::vector<double> lags_ms;
  for (const auto& id : ids) {
    ASSERT_TRUE(world.wait_state(id, State::revoked)) << id;
    auto r = world.read(id);
    ASSERT_TRUE(r && r->expires_at);
    for (const auto& [k, when] : gone)
      if (k == r->principal + "|" + r->account_id + "|" + r->permission_set_arn)
        lags_ms.push_back(std::chrono::duration<double, std::milli>(when - *r->expires_at).count());
  }
  ASSERT_EQ(lags_ms.size(), ids.size());
  std::sort(lags_ms.begin(), lags_ms.end());
  const double p50 = lags_ms[lags_ms.size() / 2], p99 = lags_ms.back();
  std::cout << "revoke lag over " << lags_ms.size() << " grants, 3 instances: p50 " << p50 << " ms, p99 " << p99
            << " ms (min " << lags_ms.front() << " ms)\n";
  // On time: no later than one sweep interval (1 s) after the expiry second, never before it.
  EXPECT_GE(lags_ms.front(), 0.0);
  EXPECT_LT(p99, 1500.0);

  // Once each: one creation and one deletion per grant, whichever instance did it.
  const json calls = world.aws().calls()["operations"];
  EXPECT_EQ(calls["sso-admin:CreateAccountAssignment"].value("ok", 0), 6) << calls.dump();
  EXPECT_EQ(calls["sso-admin:DeleteAccountAssignment"].value("ok", 0), 6) << calls.dump();
  // Every slash command made exactly one request, and the trail has each step once per grant.
  for (const char* user : {kDana, kEve, "U0ADMIN"})
    EXPECT_EQ(world.store().list_requests({.requester = user}).value().size(), 2u) << user;
  auto events = world.store().audit_events({}).value();
  std::map<std::string, int> per_action;
  for (const auto& e : events) ++per_action[e.action];
  EXPECT_EQ(per_action["submit"], 6);
  EXPECT_EQ(per_action["approve"], 6);
  EXPECT_EQ(per_action["grant_succeeded"], 6);
  EXPECT_EQ(per_action["revoke_succeeded"], 6);
  // The envelopes really were spread: more than one instance handled work.
  int instances_with_work = 0;
  for (int i = 0; i < 3; ++i)
    instances_with_work += world.log(i).find(R"("event":"submit")") != std::string::npos ||
                           world.log(i).find(R"("event":"approve")") != std::string::npos;
  EXPECT_GE(instances_with_work, 2);
  EXPECT_EQ(world.check_acks(), "");
}

}  // namespace
}  // namespace jit::testing
