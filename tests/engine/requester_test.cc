// Who gets the access is the person who asked (issue 12): requests from accounts that may not be
// given access are refused at submit, and a requester who lost their standing is refused at the
// click and at the grant.
#include "engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

class RequesterTest : public EngineTest {
 protected:
  UserProfile dev() {
    return {.user_id = "U0DEV", .email = "u0dev@example.com", .email_confirmed = true,
            .team_id = MemoryDirectory::kTeam};
  }
  void set_dev(const std::function<void(UserProfile&)>& change) {
    UserProfile p = dev();
    change(p);
    directory.set_profile("U0DEV", p);
  }
  void expect_submit_refused(const std::function<void(UserProfile&)>& change, const std::string& why) {
    set_dev(change);
    auto r = engine->submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
    ASSERT_FALSE(r) << "submitted, though " << why;
    EXPECT_EQ(r.error().code, Errc::denied);
    EXPECT_THAT(r.error().message, HasSubstr(why));
    EXPECT_TRUE(store.list_requests({}).value().empty()) << "nothing stored";
    EXPECT_TRUE(chat.transcript().empty()) << "nothing posted";
  }
};

TEST_F(RequesterTest, UnconfirmedEmailIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.email_confirmed = false; }, "u0dev@example.com is not confirmed");
}

TEST_F(RequesterTest, DeactivatedAccountIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.deleted = true; }, "deactivated");
}

TEST_F(RequesterTest, BotIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.bot = true; }, "bot or app user");
}

TEST_F(RequesterTest, SingleChannelGuestIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.single_channel_guest = true; }, "single-channel guests");
}

TEST_F(RequesterTest, MultiChannelGuestIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.multi_channel_guest = true; }, "multi-channel guests");
}

TEST_F(RequesterTest, AccountOfAnotherTeamIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.team_id = "T0OTHER"; }, "another workspace (T0OTHER");
}

TEST_F(RequesterTest, AccountWithoutEmailIsRefusedAtSubmit) {
  expect_submit_refused([](UserProfile& p) { p.email = ""; }, "no e-mail address");
}

TEST_F(RequesterTest, GuestsAreAdmittedWhenThePolicySaysSo) {
  config->policy.allow_guests = true;
  engine->set_config(config);
  set_dev([](UserProfile& p) { p.multi_channel_guest = true; });
  AccessRequest r = submit();
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST_F(RequesterTest, DirectoryOutageAtSubmitSaysTryAgain) {
  directory.set_profiles_down(true);
  auto r = engine->submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_THAT(r.error().message, HasSubstr("try again"));
  EXPECT_TRUE(store.list_requests({}).value().empty());
}

TEST_F(RequesterTest, DeactivatedAfterSubmitIsRefusedAtTheClick) {
  AccessRequest r = submit();
  set_dev([](UserProfile& p) { p.deleted = true; });
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, Errc::denied);
  EXPECT_THAT(approved.error().message, HasSubstr("U0DEV cannot be given access: the Slack account is deactivated"));
  EXPECT_EQ(read(r.id).state, State::pending);
  EXPECT_TRUE(read(r.id).decisions.empty());
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
}

TEST_F(RequesterTest, DeactivatedWhileTheGrantWaitsFailsAtGrant) {
  AccessRequest r = submit();
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("AWS is down"));
  ASSERT_EQ(engine->approve(r.id, "U0ALICE")->state, State::approved);
  set_dev([](UserProfile& p) { p.deleted = true; });
  engine->sweep();
  const AccessRequest after = read(r.id);
  EXPECT_EQ(after.state, State::failed);
  EXPECT_THAT(after.end_reason, HasSubstr("deactivated"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  EXPECT_EQ(chat.notices_for("U0DEV").back(), Notice::failed);
}

TEST_F(RequesterTest, TurnedGuestWhileGrantingIsRolledBack) {
  AccessRequest r = submit();
  provider.fail_next(MemoryAccessProvider::Op::grant, 1, Error::Unavailable("AWS is down"));
  ASSERT_EQ(engine->approve(r.id, "U0ALICE")->state, State::granting);
  set_dev([](UserProfile& p) { p.single_channel_guest = true; });
  engine->sweep();
  const AccessRequest after = read(r.id);
  EXPECT_EQ(after.state, State::failed);
  EXPECT_THAT(after.end_reason, HasSubstr("single-channel guests"));
  EXPECT_TRUE(provider.assignments().empty());
}

TEST_F(RequesterTest, EmailAndPrincipalAreFoundAtSubmitAndKept) {
  AccessRequest r = submit();
  EXPECT_EQ(r.requester_email, "u0dev@example.com");
  EXPECT_EQ(r.principal, "p-u0dev");
  EXPECT_EQ(read(r.id).principal, "p-u0dev");
  EXPECT_THAT(store.audit_events({}).value().front().detail, HasSubstr("for u0dev@example.com (principal p-u0dev)"));
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
  EXPECT_EQ(provider.assignments(), (std::set<Assignment>{{"p-u0dev", "123456789012", kAdminPs}}));
}

TEST_F(RequesterTest, NoPrincipalForTheEmailIsRefusedAtSubmit) {
  set_dev([](UserProfile& p) { p.email = "@example.com"; });  // the fake provider knows nobody by it
  auto r = engine->submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_THAT(r.error().message, HasSubstr("nobody in AWS IAM Identity Center has your Slack e-mail address"));
}

TEST_F(RequesterTest, ProviderOutageAtSubmitSaysTryAgainAndStoresNothing) {
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("AWS is down"));
  auto r = engine->submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_THAT(r.error().message, HasSubstr("try again in a minute"));
  EXPECT_TRUE(store.list_requests({}).value().empty());
}

TEST_F(RequesterTest, EmailChangedBeforeTheGrantFailsIt) {
  AccessRequest r = submit();
  directory.set_email("U0DEV", "mallory@example.com");
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_THAT(approved->end_reason,
              HasSubstr("e-mail in Slack changed from u0dev@example.com to mallory@example.com after the request"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  EXPECT_EQ(chat.notices_for("U0DEV").back(), Notice::failed);
}

TEST_F(RequesterTest, EmailChangedOnlyInCaseStillGrants) {
  AccessRequest r = submit();
  directory.set_email("U0DEV", "U0Dev@Example.com");
  EXPECT_EQ(engine->approve(r.id, "U0ALICE")->state, State::active);
}

TEST_F(RequesterTest, PrincipalEditedBeforeTheGrantIsRefusedByTheChain) {
  AccessRequest r = submit();
  // Someone with the store points the request at another identity-store user.
  AccessRequest moved = read(r.id);
  moved.principal = "p-someone-else";
  ASSERT_TRUE(store.update_request(moved, {.at = kStart, .actor = "system:test", .action = "note", .request_id = r.id}));
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_THAT(approved->end_reason, HasSubstr("principal: the row says p-someone-else, the chain p-u0dev"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
}

// A request stored before submit events carried facts cannot be proven: it is refused at grant
// (asked again), never granted on the row's word.
TEST_F(RequesterTest, RowFromBeforeFactsWereKeptIsRefusedAtGrant) {
  AccessRequest r = submit();
  AccessRequest old = read(r.id);
  ASSERT_TRUE(engine->cancel(r.id, "U0DEV"));  // one open request per role
  old.id = "r-old";
  old.version = 0;
  old.requester_email = "";
  old.principal = "";
  ASSERT_TRUE(store.create_request(old, {.at = kStart, .actor = "U0DEV", .action = "submit", .request_id = "r-old",
                                         .to_state = "pending"}));
  auto approved = engine->approve("r-old", "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_THAT(approved->end_reason, HasSubstr("the submit event carries no facts"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
}

}  // namespace
}  // namespace jit::testing
