// Issue 16: what the engine tells people about the requester's AWS principal names the path of
// the role, told apart by its target ARN: an IAM role is reached with the requester's e-mail as
// source identity, a permission set through their Identity Center user.
#include "engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kLegacyRole = "arn:aws:iam::222233334444:role/jit-elevated/admin";

class IamRoleMessagesTest : public EngineTest {
 protected:
  IamRoleMessagesTest() {
    AccountPolicy legacy{.name = "legacy", .id = "222233334444", .owner_channel = "C0LEGACY",
                         .approvers = {"U0ALICE"}, .provider = AccessPath::iam_role,
                         .iam_role = {.management_role_arn = "arn:aws:iam::222233334444:role/jit-access-management",
                                      .external_id = "jit-7f3a",
                                      .base_principal_arn = "arn:aws:iam::222233334444:role/okta-engineer"}};
    legacy.roles.push_back({.name = "admin", .permission_set_arn = kLegacyRole,
                            .max_duration = std::chrono::hours{1}, .requesters = {"*"}, .session_cutoff = true});
    config->policy.accounts.push_back(legacy);
  }

  Result<AccessRequest> submit_legacy() {
    return engine->submit({"U0DEV", "legacy", "admin", "1h", "investigating INC-1", ""});
  }
};

TEST_F(IamRoleMessagesTest, AnAddressThatCannotBeASourceIdentityIsRefusedAtSubmitNamingTheRole) {
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1,
                     Error::Invalid("a source identity is 2 to 64 of letters, digits and +=,.@-"));
  auto r = submit_legacy();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_EQ(r.error().message,
            "your Slack e-mail address u0dev@example.com cannot be the AWS source identity that a grant of IAM role "
            "arn:aws:iam::222233334444:role/jit-elevated/admin is bound to (a source identity is 2 to 64 of letters, "
            "digits and +=,.@-); ask an administrator");
  EXPECT_TRUE(store.list_requests({}).value().empty());
}

TEST_F(IamRoleMessagesTest, AProviderOutageAtSubmitSaysTryAgainWithoutIdentityCenter) {
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("iam: throttled"));
  auto r = submit_legacy();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_EQ(r.error().message,
            "could not check your Slack e-mail address u0dev@example.com as an AWS source identity (iam: throttled); "
            "try again in a minute");
}

TEST_F(IamRoleMessagesTest, IdentityCenterRolesKeepTheirWords) {
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::NotFound("no identity-store user"));
  auto r = engine->submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "nobody in AWS IAM Identity Center has your Slack e-mail address u0dev@example.com; ask an administrator "
            "to add you");
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Unavailable("sso: throttled"));
  auto down = engine->submit({"U0DEV", "prod", "admin", "1h", "investigating INC-1", ""});
  ASSERT_FALSE(down);
  EXPECT_THAT(down.error().message, HasSubstr("in AWS IAM Identity Center (sso: throttled)"));
}

TEST_F(IamRoleMessagesTest, AnAddressRefusedAtGrantFailsTheGrantForGood) {
  auto r = submit_legacy();
  ASSERT_TRUE(r) << r.error().message;
  provider.fail_next(MemoryAccessProvider::Op::resolve, 1, Error::Invalid("not a source identity"));
  auto approved = engine->approve(r->id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_EQ(approved->end_reason,
            "u0dev@example.com cannot be the AWS source identity of a grant of IAM role "
            "arn:aws:iam::222233334444:role/jit-elevated/admin (not a source identity); nothing granted");
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
}

TEST_F(IamRoleMessagesTest, AChangedPrincipalAtGrantNamesTheSourceIdentity) {
  auto r = submit_legacy();
  ASSERT_TRUE(r) << r.error().message;
  provider.set_principal("u0dev@example.com", "mallory@example.com");
  auto approved = engine->approve(r->id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_EQ(approved->end_reason,
            "the AWS source identity for u0dev@example.com is now mallory@example.com, not p-u0dev as when the "
            "request was made; nothing granted, ask again");
  EXPECT_THAT(approved->end_reason, Not(HasSubstr("Identity Center")));
}

TEST_F(IamRoleMessagesTest, AChangedPrincipalOnAPermissionSetNamesTheIdentityCenterUser) {
  AccessRequest r = submit();
  provider.set_principal("u0dev@example.com", "p-mallory");
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_EQ(approved->end_reason,
            "the Identity Center user for u0dev@example.com is now p-mallory, not p-u0dev as when the request was "
            "made; nothing granted, ask again");
}

}  // namespace
}  // namespace jit::testing
