// Several accounts in one request (issue 17): each account becomes its own request through
// submit's own path, linked by a `bundle` fact; a plain mistake files nothing; nothing about the
// bundle changes how one of its requests is decided, granted or expired.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/facts.h"
#include "core/limits.h"
#include "engine/engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

// prod (from test_config) and two more accounts with an "admin" role: staging (its own channel
// and approvers) and vault (two approvals), and "locked", whose admin U0DEV may not request.
class BundleTest : public EngineTest {
 protected:
  BundleTest() {
    AccountPolicy staging{.name = "staging", .id = "222222222222", .owner_channel = "C0STAGING",
                          .approvers = {"U0CAROL"}};
    staging.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{2},
                             .requesters = {"U0DEV"}});
    AccountPolicy vault{.name = "vault", .id = "333333333333", .owner_channel = "C0VAULT", .approvers = {"U0ALICE", "U0BOB"}};
    vault.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{1},
                           .approvals_required = 2, .requesters = {"*"}});
    AccountPolicy locked{.name = "locked", .id = "444444444444", .owner_channel = "C0LOCKED", .approvers = {"U0ALICE"}};
    locked.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{1},
                            .requesters = {"U0ALICE"}});
    config->policy.accounts.push_back(staging);
    config->policy.accounts.push_back(vault);
    config->policy.accounts.push_back(locked);
    engine = make_engine();
  }

  Result<BundleOutcome> bundle(std::vector<std::string> accounts, const std::string& duration = "1h") {
    return engine->submit_bundle({"U0DEV", std::move(accounts), "admin", duration, "rotate the keys everywhere", ""});
  }

  std::string bundle_fact(const std::string& id) {
    const auto events = store.audit_events({}).value();
    for (const auto& e : events)
      if (e.request_id == id && e.action == "submit")
        return audit::facts::text(audit::facts::read(e).value(), "bundle").value_or("");
    return "(no submit event)";
  }

  std::vector<std::string> dms() {
    std::vector<std::string> out;
    for (const auto& line : chat.transcript())
      if (line.kind == ChatLine::Kind::dm && line.channel == "U0DEV") out.push_back(line.text);
    return out;
  }

  std::size_t stored_requests() { return store.list_requests({.requester = "U0DEV"}).value().size(); }
};

TEST_F(BundleTest, EachAccountIsItsOwnRequestInItsOwnChannelLinkedByTheBundleFact) {
  auto out = bundle({"prod", "staging"});
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->filed.size(), 2u);
  EXPECT_TRUE(out->not_filed.empty());
  const AccessRequest& prod = out->filed[0];
  const AccessRequest& staging = out->filed[1];
  EXPECT_NE(prod.id, staging.id);
  EXPECT_EQ(out->bundle, prod.id);
  EXPECT_EQ(prod.chat_channel, "C0PROD");
  EXPECT_EQ(staging.chat_channel, "C0STAGING");
  EXPECT_EQ(prod.account_id, "123456789012");
  EXPECT_EQ(staging.account_id, "222222222222");
  EXPECT_EQ(read(prod.id).state, State::pending);
  EXPECT_EQ(read(staging.id).state, State::pending);
  EXPECT_EQ(bundle_fact(prod.id), prod.id);
  EXPECT_EQ(bundle_fact(staging.id), prod.id);
  // One DM for the bundle, not one `submitted` notice per request.
  ASSERT_EQ(dms().size(), 1u);
  EXPECT_THAT(dms()[0], HasSubstr("bundle " + prod.id + ": filed " + prod.id + " (prod, pending) " + staging.id +
                                  " (staging, pending); not filed:"));
  EXPECT_TRUE(chat.notices_for("U0DEV").empty());
  // A request on its own carries no bundle fact.
  auto alone = engine->submit({"U0DEV", "vault", "admin", "1h", "alone", ""});
  ASSERT_TRUE(alone);
  EXPECT_EQ(bundle_fact(alone->id), "");
  expect_audit_ok();
}

TEST_F(BundleTest, EachRequestIsDecidedGrantedAndExpiredOnItsOwn) {
  auto out = bundle({"prod", "staging", "vault"});
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->filed.size(), 3u);
  const std::string prod = out->filed[0].id, staging = out->filed[1].id, vault = out->filed[2].id;
  // Each account's own approvers: alice approves prod, but not staging (carol's).
  ASSERT_TRUE(engine->approve(prod, "U0ALICE"));
  EXPECT_EQ(read(prod).state, State::active);
  auto refused = engine->approve(staging, "U0ALICE");
  ASSERT_FALSE(refused);
  EXPECT_EQ(read(staging).state, State::pending);
  // vault still needs its two approvals.
  ASSERT_TRUE(engine->approve(vault, "U0ALICE"));
  EXPECT_EQ(read(vault).state, State::pending);
  ASSERT_TRUE(engine->deny(vault, "U0BOB", "not vault"));
  EXPECT_EQ(read(vault).state, State::denied);
  // staging granted ten minutes later: each expires an hour after its own grant.
  clock.advance(std::chrono::minutes{10});
  ASSERT_TRUE(engine->approve(staging, "U0CAROL"));
  EXPECT_EQ(read(staging).state, State::active);
  EXPECT_EQ(provider.assignments().size(), 2u);
  clock.advance(std::chrono::minutes{51});
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(prod).state, State::revoked);
  EXPECT_EQ(read(staging).state, State::active);
  clock.advance(std::chrono::minutes{10});
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(staging).state, State::revoked);
  EXPECT_TRUE(provider.assignments().empty());
  expect_audit_ok();
}

TEST_F(BundleTest, APlainMistakeFilesNothingAndNamesTheAccount) {
  const auto refused = [&](std::vector<std::string> accounts, const std::string& duration = "1h") {
    auto out = bundle(std::move(accounts), duration);
    EXPECT_FALSE(out);
    return out ? std::string("(filed)") : out.error().message;
  };
  EXPECT_THAT(refused({"prod", "locked"}), HasSubstr("account locked: you may not request role admin on account locked"));
  EXPECT_THAT(refused({"prod", "nowhere"}), HasSubstr("account nowhere: account \"nowhere\" is not in policy"));
  EXPECT_THAT(refused({"prod", "123456789012"}), HasSubstr("account prod is named twice"));
  // 2h is within prod's and staging's maximum, not vault's.
  EXPECT_THAT(refused({"prod", "staging", "vault"}, "2h"), HasSubstr("account vault: duration 2h is longer"));
  std::vector<std::string> eleven(limits::kMaxBundleAccounts + 1, "prod");
  EXPECT_THAT(refused(eleven), HasSubstr("at most 10 accounts"));
  EXPECT_EQ(stored_requests(), 0u);
  // One already open: nothing else is filed either.
  auto open = engine->submit({"U0DEV", "staging", "admin", "1h", "earlier", ""});
  ASSERT_TRUE(open);
  EXPECT_THAT(refused({"prod", "staging"}), HasSubstr("account staging: you already have request " + open->id));
  EXPECT_EQ(stored_requests(), 1u);
  EXPECT_TRUE(dms().size() <= 1u);  // the earlier request's own notice, at most
}

TEST_F(BundleTest, AnAccountThatFailsAtWriteTimeIsListedAndTheOthersStand) {
  // While prod is being posted, a request for staging appears (another click, another instance).
  std::string racer;
  chat.after_next_post([&] {
    auto r = engine->submit({"U0DEV", "staging", "admin", "30m", "the racing one", ""});
    if (r) racer = r->id;
  });
  auto out = bundle({"prod", "staging", "vault"});
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_FALSE(racer.empty());
  ASSERT_EQ(out->filed.size(), 2u);
  EXPECT_EQ(out->filed[0].account, "prod");
  EXPECT_EQ(out->filed[1].account, "vault");
  ASSERT_EQ(out->not_filed.size(), 1u);
  EXPECT_EQ(out->not_filed[0].account, "staging");
  EXPECT_THAT(out->not_filed[0].error.message, HasSubstr("you already have request " + racer));
  EXPECT_EQ(bundle_fact(out->filed[1].id), out->filed[0].id);
  EXPECT_EQ(bundle_fact(racer), "");
  const auto lines = dms();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("not filed: staging (you already have request " + racer));
  expect_audit_ok();
}

// Each account's own step-up and auto-approval: the bundle neither skips nor adds them.
TEST_F(BundleTest, AStepUpRoleStillNeedsTheKeyAndAnAutoApprovedOneIsApprovedAsAlone) {
  auto more = std::make_shared<Config>(*config);
  AccountPolicy keys{.name = "keys", .id = "555555555555", .owner_channel = "C0KEYS", .approvers = {"U0ALICE"}};
  keys.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{1},
                        .requesters = {"*"}, .step_up = true});
  AccountPolicy lab{.name = "lab", .id = "666666666666", .owner_channel = "C0LAB", .approvers = {"U0ALICE"}};
  lab.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{1},
                       .approvals_required = 0, .requesters = {"*"}, .auto_approve = true});
  more->policy.accounts.push_back(keys);
  more->policy.accounts.push_back(lab);
  engine->set_config(more);
  auto out = bundle({"keys", "lab"});
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->filed.size(), 2u);
  const std::string with_key = out->filed[0].id, automatic = out->filed[1].id;
  EXPECT_EQ(read(automatic).state, State::active);
  EXPECT_EQ(read(automatic).decisions.at(0).approver, kAutoApprover);
  auto refused = engine->approve(with_key, "U0ALICE");  // no security-key proof
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::denied);
  EXPECT_EQ(read(with_key).state, State::pending);
  EXPECT_TRUE(read(with_key).decisions.empty());
  EXPECT_THAT(dms().back(), HasSubstr(with_key + " (keys, pending) " + automatic + " (lab, active)"));
  expect_audit_ok();
}

}  // namespace
}  // namespace jit::testing
