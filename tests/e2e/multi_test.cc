// Three `jit serve` instances on one DynamoDB table (moto_server), each with its own Socket Mode
// connection to the Slack emulator, which spreads envelopes across connections as Slack does:
// every request is handled once, every grant created once and revoked once, on time. Prints the
// revoke lag (the moment the assignment disappeared from the emulated Identity Center minus the
// grant's expiry).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using nlohmann::json;

TEST(MultiInstance, ThreeInstancesOneTableEveryGrantOnceAndRevokedOnTime) {
  // The lease is longer than the World's default: nobody dies here, and a revoke that waits on a
  // loaded moto_server longer than the lease is taken over and deleted a second time (the cold CI
  // run of bc73210: slowest grant 3.5 s against a 3 s lease, 19 deletions for 18 grants).
  World world({.instances = 3, .dynamodb = true, .lease = "15s"});
  auto& slack = world.slack();
  // Every instance has its own connection.
  ASSERT_GE(slack.connections_opened(), 3);

  // Three rounds of six requests, from three people, on two accounts, each for a few seconds; a
  // round starts when the previous one's grants are gone.
  struct Ask {
    const char* user;
    const char* what;
  };
  const std::vector<Ask> asks = {{kDana, "prod admin 4s a"},        {kDana, "sandbox developer 5s b"},
                                 {kEve, "prod admin 5s c"},         {kEve, "sandbox developer 6s d"},
                                 {"U0ADMIN", "prod admin 6s e"},    {"U0ADMIN", "sandbox developer 4s f"}};
  constexpr int kRounds = 3;
  auto key = [](const json& a) {
    return a.value("PrincipalId", "") + "|" + a.value("AccountId", "") + "|" + a.value("PermissionSetArn", "");
  };
  std::vector<std::string> ids;
  std::map<std::string, std::chrono::system_clock::time_point> gone;  // request id -> assignment gone
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> round_ids;
    for (const auto& ask : asks) {
      std::string reply;
      auto id = world.request(ask.user, ask.what, &reply);
      ASSERT_TRUE(id) << reply;
      round_ids.push_back(*id);
    }
    // Approvals: on prod, alice and bob click at the same moment (their envelopes go to different
    // instances); on sandbox alice alone.
    for (std::size_t k = 0; k < round_ids.size(); ++k) {
      const bool prod = std::string(asks[k].what).starts_with("prod");
      const std::string channel = prod ? kProdChannel : "C0SANDBOX";
      auto ts = world.message_ts(channel, round_ids[k]);
      ASSERT_TRUE(ts) << round_ids[k];
      ASSERT_TRUE(slack.click(kAlice, channel, *ts, slack::kApproveAction));
      if (prod) {
        ASSERT_TRUE(slack.click(kBob, channel, *ts, slack::kApproveAction));
      }
    }
    // Watch the emulated Identity Center from the clicks on: each assignment must appear, then
    // disappear. (Watching only once every grant is active would miss a short grant that expired
    // while a slow machine was still granting the others.) A grant's key is known once it is
    // being granted (its principal is resolved then).
    std::map<std::string, std::string> key_of;  // request id -> principal|account|ps
    std::set<std::string> seen;  // request ids whose assignment was listed
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    std::size_t round_gone = 0;
    while (round_gone < round_ids.size() && std::chrono::steady_clock::now() < deadline) {
      for (const auto& id : round_ids)
        if (!key_of.contains(id))
          if (auto r = world.read(id); r && !r->principal.empty())
            key_of[id] = r->principal + "|" + r->account_id + "|" + r->permission_set_arn;
      std::set<std::string> now;
      const json current = world.aws().assignments();  // (a named copy: a range-for over a temporary's member dangles)
      for (const auto& a : current["assignments"]) now.insert(key(a));
      for (const auto& [id, k] : key_of) {
        if (now.contains(k)) seen.insert(id);
        else if (seen.contains(id) && !gone.contains(id)) {
          gone[id] = std::chrono::system_clock::now();
          ++round_gone;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(seen.size(), round_ids.size()) << "grants never seen in Identity Center";
    ASSERT_EQ(round_gone, round_ids.size()) << "assignments left past expiry: " << world.aws().assignments().dump();
    for (const auto& id : round_ids) ASSERT_TRUE(world.wait_state(id, State::revoked)) << id;
    ids.insert(ids.end(), round_ids.begin(), round_ids.end());
  }

  // Revoke lag per grant: from its expiry second to the moment the assignment was gone.
  std::vector<double> lags_ms;
  for (const auto& id : ids) {
    auto r = world.read(id);
    ASSERT_TRUE(r && r->expires_at);
    lags_ms.push_back(std::chrono::duration<double, std::milli>(gone.at(id) - *r->expires_at).count());
  }
  std::sort(lags_ms.begin(), lags_ms.end());
  // Nearest-rank percentiles (with 18 samples, p99 is the largest).
  auto percentile = [&](double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(lags_ms.size())));
    return lags_ms[std::clamp<std::size_t>(rank, 1, lags_ms.size()) - 1];
  };
  const double p50 = percentile(50), p90 = percentile(90), p99 = percentile(99);
  std::cout << "revoke lag over " << lags_ms.size() << " grants, 3 instances: p50 " << p50 << " ms, p90 " << p90
            << " ms, p99 " << p99 << " ms (min " << lags_ms.front() << " ms)\n";
  // On time: never before the expiry second, and each one by the service's own hand (its timers,
  // or the 1 s sweeps behind them) rather than by a lease running out (15 s) or the round's deadline.
  // How fast is a figure, not a pass mark: printed above, and measured on a controlled store by
  // bench/revoke_lag_bench. (This test once held p90 under 2.5 s: the ASan pass of the CI run of
  // 9c6f724, on a loaded machine, measured p50 1.2 s, p90 2.78 s and a slowest grant of 4.1 s with
  // every grant created once and deleted once; the default build measures p50 0.24-0.52 s.)
  EXPECT_GE(lags_ms.front(), 0.0);
  EXPECT_LT(lags_ms.back(), 10000.0) << "a grant outlived its expiry by " << lags_ms.back() << " ms";

  // Once each: one creation and one deletion per grant, whichever instance did it.
  const json calls = world.aws().calls()["operations"];
  EXPECT_EQ(calls["sso-admin:CreateAccountAssignment"].value("ok", 0), 6 * kRounds) << calls.dump();
  EXPECT_EQ(calls["sso-admin:DeleteAccountAssignment"].value("ok", 0), 6 * kRounds) << calls.dump();
  // Every slash command made exactly one request, and the trail has each step once per grant.
  for (const char* user : {kDana, kEve, "U0ADMIN"})
    EXPECT_EQ(world.store().list_requests({.requester = user}).value().size(), 2u * kRounds) << user;
  auto events = world.store().audit_events({}).value();
  std::map<std::string, int> per_action;
  for (const auto& e : events) ++per_action[e.action];
  EXPECT_EQ(per_action["submit"], 6 * kRounds);
  EXPECT_EQ(per_action["approve"], 6 * kRounds);
  EXPECT_EQ(per_action["grant_succeeded"], 6 * kRounds);
  EXPECT_EQ(per_action["revoke_succeeded"], 6 * kRounds);
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
