// Issue 16: the policy of iam-role accounts (provider, management role, external id, base
// principal, role_arn) and [aws] trust_policy_size_limit, as load_config reads and refuses them.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/load_errors.h"
#include "core/policy_loader.h"
#include "support/example_policy.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kIamRole = test::kMinimalIamRole;

// An Identity Center account (role table from line 7).
constexpr std::string_view kIdentityCenter = test::kMinimal;

// `text` with the first occurrence of `from` replaced by `to`.
std::string with(std::string_view text, std::string_view from, std::string_view to) {
  return test::replaced(text, from, to);
}

// kIamRole without the line holding `key` (the line numbers after it move up by one).
std::string without(std::string_view key) {
  std::string out(kIamRole);
  const auto at = out.find(std::string(key) + " = ");
  EXPECT_NE(at, std::string::npos) << key;
  if (at != std::string::npos) out.erase(at, out.find('\n', at) + 1 - at);
  return out;
}

// kIamRole with lines added to its role (from line 15 on).
std::string role_plus(std::string_view lines) { return std::string(kIamRole) + std::string(lines); }

using test::errors;

// ---- Valid iam-role accounts ----

TEST(IamRolePolicy, AnIamRoleAccountLoadsWithItsDefaults) {
  auto p = load_config(kIamRole, "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  const AccountPolicy& a = p->policy.accounts[0];
  EXPECT_EQ(a.provider, AccessPath::iam_role);
  EXPECT_EQ(a.iam_role, (IamRoleAccess{.management_role_arn = "arn:aws:iam::222233334444:role/jit-access-management",
                                       .external_id = "jit-7f3a",
                                       .base_principal_arn = "arn:aws:iam::222233334444:role/okta-engineer"}));
  ASSERT_EQ(a.roles.size(), 1u);
  EXPECT_EQ(a.roles[0].permission_set_arn, "arn:aws:iam::222233334444:role/jit-admin");
  EXPECT_TRUE(a.roles[0].session_cutoff);
  EXPECT_FALSE(a.roles[0].scheduled_revoke);
  EXPECT_EQ(access_path_of(a.roles[0].permission_set_arn), AccessPath::iam_role);
}

TEST(IamRolePolicy, AnIdentityCenterAccountIsTheDefault) {
  auto p = load_config(kIdentityCenter, "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->policy.accounts[0].provider, AccessPath::identity_center);
  EXPECT_EQ(p->policy.accounts[0].iam_role, IamRoleAccess{});
  auto named = load_config(with(kIdentityCenter, "id = ", "provider = \"identity-center\"\nid = "), "jit.toml");
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(named->policy.accounts[0].provider, AccessPath::identity_center);
}

TEST(IamRolePolicy, ExplicitSettingsAreKept) {
  // Another management role of the account, a base user in another account, and an external id
  // of every allowed character at the longest length.
  const std::string external_id = "aZ09_+=,.@:/-" + std::string(1224 - 13, 'x');
  std::string text = with(kIamRole, "external_id = \"jit-7f3a\"",
                          fmt::format("external_id = \"{}\"\nmanagement_role_arn = "
                                      "\"arn:aws:iam::222233334444:role/ops/jit-manager\"",
                                      external_id));
  text = with(text, "arn:aws:iam::222233334444:role/okta-engineer", "arn:aws:iam::999988887777:user/alice@example.com");
  auto p = load_config(text + "tier = \"break-glass\"\nstep_up = \"none\"\nsession_cutoff = true\n"
                              "scheduled_revoke = false\n",
                       "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  const IamRoleAccess& iam = p->policy.accounts[0].iam_role;
  EXPECT_EQ(iam.management_role_arn, "arn:aws:iam::222233334444:role/ops/jit-manager");
  EXPECT_EQ(iam.external_id, external_id);
  EXPECT_EQ(iam.base_principal_arn, "arn:aws:iam::999988887777:user/alice@example.com");
  EXPECT_TRUE(p->policy.accounts[0].roles[0].session_cutoff);
  EXPECT_FALSE(p->policy.accounts[0].roles[0].scheduled_revoke);
}

TEST(IamRolePolicy, TheSourceIdentityIsTheEmailUnlessTheAccountSaysItsLocalPart) {
  EXPECT_EQ(source_identity_of("dana.smith@example.com", SourceIdentityForm::email), "dana.smith@example.com");
  EXPECT_EQ(source_identity_of("dana.smith@example.com", SourceIdentityForm::email_local_part), "dana.smith");
  EXPECT_EQ(source_identity_of("\"a@b\"@example.com", SourceIdentityForm::email_local_part), "\"a@b\"");
  for (std::string_view form : {"email", "email-local-part"}) {
    auto p = load_config(with(kIamRole, "owner_channel", fmt::format("source_identity = \"{}\"\nowner_channel", form)),
                         "jit.toml");
    ASSERT_TRUE(p) << form << ": " << p.error().message;
    EXPECT_EQ(source_identity_form_name(p->policy.accounts[0].iam_role.source_identity), form);
  }
}

TEST(IamRolePolicyErrors, TheSourceIdentityFormIsOneOfTwo) {
  EXPECT_EQ(errors(with(kIamRole, "owner_channel", "source_identity = \"username\"\nowner_channel")),
            "jit.toml:7:19: accounts[0].source_identity \"username\": expected \"email\" (the default: base sessions "
            "carry the person's e-mail address as aws:SourceIdentity) or \"email-local-part\" (they carry the part "
            "before the @)");
  EXPECT_THAT(errors(with(kIdentityCenter, "owner_channel", "source_identity = \"email\"\nowner_channel")),
              HasSubstr("accounts[0].source_identity: only for accounts with provider = \"iam-role\""));
}

TEST(IamRolePolicy, CutoffIsOnAndNothingIsScheduledWhateverTheTier) {
  // With instance_arn and no scheduler role, a high Identity Center role would need the scheduler;
  // an iam-role role never does.
  const std::string aws = "[aws]\ninstance_arn = \"arn:aws:sso:::instance/ssoins-0000000000000000\"\n";
  for (std::string_view tier : {"standard", "high", "break-glass"}) {
    auto p = load_config(aws + role_plus(fmt::format("tier = \"{}\"\nstep_up = \"none\"\n", tier)), "jit.toml");
    ASSERT_TRUE(p) << tier << ": " << p.error().message;
    EXPECT_TRUE(p->policy.accounts[0].roles[0].session_cutoff) << tier;
    EXPECT_FALSE(p->policy.accounts[0].roles[0].scheduled_revoke) << tier;
  }
}

// examples/jit.toml's commented iam-role account loads once uncommented, beside the others.
TEST(IamRolePolicy, TheExamplesIamRoleAccountLoads) {
  std::ifstream in(std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
  std::stringstream text;
  text << in.rdbuf();
  auto p = load_config(testing::with_iam_role_example(text.str()), "examples/jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->policy.accounts.size(), 4u);
  const AccountPolicy* legacy = p->policy.find_account("legacy-prod");
  ASSERT_NE(legacy, nullptr);
  EXPECT_EQ(legacy->provider, AccessPath::iam_role);
  EXPECT_EQ(legacy->iam_role.management_role_arn, "arn:aws:iam::222233334444:role/jit-access-management");
  ASSERT_NE(legacy->find_role("admin"), nullptr);
  EXPECT_EQ(legacy->find_role("admin")->permission_set_arn, "arn:aws:iam::222233334444:role/jit-elevated/admin");
  EXPECT_EQ(p->settings.aws.trust_policy_size_limit, 2048);
}

TEST(IamRolePolicy, BothPathsInOnePolicy) {
  std::string both = std::string(kIdentityCenter) + std::string(kIamRole);
  auto p = load_config(both, "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->policy.accounts.size(), 2u);
  EXPECT_EQ(p->policy.find_account("prod")->provider, AccessPath::identity_center);
  EXPECT_EQ(p->policy.find_account("legacy")->provider, AccessPath::iam_role);
  EXPECT_EQ(access_path_of(p->policy.find_account("prod")->roles[0].permission_set_arn), AccessPath::identity_center);
}

TEST(IamRolePolicy, TheTargetsFormNamesThePath) {
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:role/jit-admin"), AccessPath::iam_role);
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:role/path/jit-admin"), AccessPath::iam_role);
  EXPECT_EQ(access_path_of("arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1"),
            AccessPath::identity_center);
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:role/"), AccessPath::identity_center);
  EXPECT_EQ(access_path_of("arn:aws:iam::22223333444:role/x"), AccessPath::identity_center);
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:user/x"), AccessPath::identity_center);
  EXPECT_EQ(access_path_of(""), AccessPath::identity_center);
  // Every partition is a role (never sent to Identity Center), as aws::is_role_arn routes it.
  EXPECT_EQ(access_path_of("arn:aws-cn:iam::222233334444:role/x"), AccessPath::iam_role);
  EXPECT_EQ(access_path_of("arn:aws-us-gov:iam::222233334444:role/x"), AccessPath::iam_role);
  EXPECT_EQ(access_path_of("arn:aws-:iam::222233334444:role/x"), AccessPath::identity_center);
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:role/path/"), AccessPath::identity_center);
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:role/x y"), AccessPath::identity_center);
  EXPECT_EQ(access_path_of("arn:aws:iam::222233334444:role/jit+=,.@_-x"), AccessPath::iam_role);
  EXPECT_EQ(access_path_name(AccessPath::iam_role), "iam-role");
  EXPECT_EQ(access_path_name(AccessPath::identity_center), "identity-center");
}

// ---- The account's keys ----

TEST(IamRolePolicyErrors, AnUnknownProviderNamesBothValues) {
  EXPECT_EQ(errors(with(kIamRole, "\"iam-role\"", "\"sts\"")),
            "jit.toml:4:12: accounts[0].provider \"sts\": expected \"identity-center\" (the default: grants are IAM "
            "Identity Center assignments) or \"iam-role\" (grants are statements on IAM roles' trust policies)");
  // Read as the path its keys suggest: no second round of errors about role_arn.
  EXPECT_EQ(errors(with(kIdentityCenter, "id = ", "provider = 1\nid = ")),
            "jit.toml:3:12: accounts[0].provider 1: expected a string, not an integer");
}

TEST(IamRolePolicyErrors, IamRoleKeysOnAnIdentityCenterAccount) {
  const std::string text = with(kIdentityCenter, "owner_channel",
                                "external_id = \"jit-secret-7f3a\"\nbase_principal_arn = \"arn:aws:iam::123456789012:"
                                "role/base\"\nmanagement_role_arn = \"arn:aws:iam::123456789012:role/m\"\n"
                                "owner_channel");
  const std::string message = errors(text);
  EXPECT_EQ(message,
            "jit.toml:4:15: accounts[0].external_id: only for accounts with provider = \"iam-role\": set provider = "
            "\"iam-role\" on this account, or remove external_id\n"
            "jit.toml:5:22: accounts[0].base_principal_arn: only for accounts with provider = \"iam-role\": set "
            "provider = \"iam-role\" on this account, or remove base_principal_arn\n"
            "jit.toml:6:23: accounts[0].management_role_arn: only for accounts with provider = \"iam-role\": set "
            "provider = \"iam-role\" on this account, or remove management_role_arn");
  EXPECT_THAT(message, Not(HasSubstr("jit-secret-7f3a")));
}

TEST(IamRolePolicyErrors, ExternalIdAndBasePrincipalAreRequired) {
  EXPECT_EQ(errors(without("external_id")),
            "jit.toml:1:1: accounts[0].external_id: required for provider = \"iam-role\": the external id the "
            "management role's trust policy asks for (2 to 1224 characters, each a letter, digit, '_' or one of "
            "+=,.@:/-)");
  EXPECT_EQ(errors(without("base_principal_arn")),
            "jit.toml:1:1: accounts[0].base_principal_arn: required for provider = \"iam-role\": the ARN of the IAM "
            "role or user requesters sign in as at their base level, whose sessions carry their e-mail address as "
            "source identity, like arn:aws:iam::123456789012:role/okta-engineer");
}

TEST(IamRolePolicyErrors, TheExternalIdIsCheckedButNeverShown) {
  const auto external_id_error = [](std::string_view value) {
    const std::string message = errors(with(kIamRole, "\"jit-7f3a\"", value));
    if (value.size() > 4) {
      EXPECT_THAT(message, Not(HasSubstr(value.substr(1, value.size() - 2)))) << value;
    }
    return message;
  };
  EXPECT_EQ(external_id_error("\"k\""),
            "jit.toml:5:15: accounts[0].external_id: is 1 character long; expected 2 to 1224 characters, each a "
            "letter, digit, '_' or one of +=,.@:/-");
  EXPECT_EQ(external_id_error(fmt::format("\"{}\"", std::string(1225, 'k'))),
            "jit.toml:5:15: accounts[0].external_id: is 1225 characters long; expected 2 to 1224 characters, each a "
            "letter, digit, '_' or one of +=,.@:/-");
  EXPECT_EQ(external_id_error("\"open sesame\""),
            "jit.toml:5:15: accounts[0].external_id: has a character outside letters, digits, '_' and +=,.@:/- "
            "(expected 2 to 1224 characters, each a letter, digit, '_' or one of +=,.@:/-)");
  EXPECT_EQ(external_id_error("\"jit#7f3a-secret\""),
            "jit.toml:5:15: accounts[0].external_id: has a character outside letters, digits, '_' and +=,.@:/- "
            "(expected 2 to 1224 characters, each a letter, digit, '_' or one of +=,.@:/-)");
  EXPECT_EQ(external_id_error("73619254"), "jit.toml:5:15: accounts[0].external_id: expected a string, not an integer");
}

TEST(IamRolePolicyErrors, TheBasePrincipalIsAnIamRoleOrUser) {
  EXPECT_EQ(errors(with(kIamRole, "role/okta-engineer", "group/engineers")),
            "jit.toml:6:22: accounts[0].base_principal_arn \"arn:aws:iam::222233334444:group/engineers\": expected "
            "the ARN of the IAM role or user requesters sign in as at their base level, whose sessions carry their "
            "e-mail address as source identity, like arn:aws:iam::123456789012:role/okta-engineer");
  EXPECT_THAT(errors(with(kIamRole, "arn:aws:iam::222233334444:role/okta-engineer", "okta-engineer")),
              HasSubstr("jit.toml:6:22: accounts[0].base_principal_arn \"okta-engineer\": expected the ARN"));
}

TEST(IamRolePolicyErrors, TheManagementRoleIsARoleOfThisAccount) {
  EXPECT_EQ(errors(with(kIamRole, "owner_channel",
                        "management_role_arn = \"arn:aws:iam::111111111111:role/jit-access-management\"\n"
                        "owner_channel")),
            "jit.toml:7:23: accounts[0].management_role_arn \"arn:aws:iam::111111111111:role/jit-access-management\": "
            "expected the ARN of an IAM role in account 222233334444 (this account), like "
            "arn:aws:iam::222233334444:role/jit-access-management; or leave management_role_arn out for that one");
  EXPECT_THAT(errors(with(kIamRole, "owner_channel",
                          "management_role_arn = \"arn:aws:iam::222233334444:user/jit\"\nowner_channel")),
              HasSubstr("jit.toml:7:23: accounts[0].management_role_arn \"arn:aws:iam::222233334444:user/jit\": "
                        "expected the ARN of an IAM role in account 222233334444"));
}

// ---- The roles of an iam-role account ----

TEST(IamRolePolicyErrors, RoleArnIsRequired) {
  EXPECT_EQ(errors(without("role_arn")),
            "jit.toml:10:1: accounts[0].roles[0].role_arn: required in an account with provider = \"iam-role\": the "
            "ARN of the elevated IAM role a grant lets the requester assume, like "
            "arn:aws:iam::222233334444:role/<name>");
}

TEST(IamRolePolicyErrors, RoleArnIsARoleOfThisAccount) {
  const std::string expected_tail =
      ": expected the ARN of an IAM role in account 222233334444 (this account), like "
      "arn:aws:iam::222233334444:role/<name>";
  EXPECT_EQ(errors(with(kIamRole, "222233334444:role/jit-admin", "111111111111:role/jit-admin")),
            "jit.toml:12:12: accounts[0].roles[0].role_arn \"arn:aws:iam::111111111111:role/jit-admin\"" +
                expected_tail);
  EXPECT_EQ(errors(with(kIamRole, "role/jit-admin", "role/jit admin")),
            "jit.toml:12:12: accounts[0].roles[0].role_arn \"arn:aws:iam::222233334444:role/jit admin\"" +
                expected_tail);
  EXPECT_EQ(errors(with(kIamRole, "role/jit-admin", "role/jit-elevated/")),
            "jit.toml:12:12: accounts[0].roles[0].role_arn \"arn:aws:iam::222233334444:role/jit-elevated/\"" +
                expected_tail);
  EXPECT_EQ(errors(with(kIamRole, "arn:aws:iam::222233334444:role/jit-admin", "arn:aws-cn:iam::222233334444:role/x")),
            "jit.toml:12:12: accounts[0].roles[0].role_arn \"arn:aws-cn:iam::222233334444:role/x\"" +
                expected_tail);
  EXPECT_EQ(errors(with(kIamRole, "arn:aws:iam::222233334444:role/jit-admin",
                        "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1")),
            "jit.toml:12:12: accounts[0].roles[0].role_arn "
            "\"arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1\"" +
                expected_tail);
}

TEST(IamRolePolicyErrors, APermissionSetInAnIamRoleAccountNamesTheFix) {
  EXPECT_EQ(errors(with(kIamRole, "role_arn = \"arn:aws:iam::222233334444:role/jit-admin\"",
                        "permission_set_arn = \"arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1\"")),
            "jit.toml:12:22: accounts[0].roles[0].permission_set_arn: the roles of an iam-role account are IAM roles, "
            "not permission sets: replace permission_set_arn with role_arn = "
            "\"arn:aws:iam::222233334444:role/<name>\" (the elevated role)");
}

TEST(IamRolePolicyErrors, ARoleArnInAnIdentityCenterAccountNamesTheFix) {
  const std::string text = with(with(kIdentityCenter, "permission_set_arn", "role_arn"),
                                "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1",
                                "arn:aws:iam::123456789012:role/jit-admin");
  EXPECT_EQ(errors(text),
            "jit.toml:9:12: accounts[0].roles[0].role_arn: only for roles of accounts with provider = \"iam-role\": "
            "name the permission set with permission_set_arn, or set provider = \"iam-role\" on the account (with "
            "external_id and base_principal_arn)");
}

TEST(IamRolePolicyErrors, TwoRolesOnOneIamRole) {
  EXPECT_EQ(errors(role_plus("\n[[accounts.roles]]\nname = \"admin-2\"\n"
                             "role_arn = \"arn:aws:iam::222233334444:role/jit-admin\"\nmax_duration = \"1h\"\n"
                             "requesters = [\"*\"]\n")),
            "jit.toml:18:12: accounts[0].roles[1].role_arn \"arn:aws:iam::222233334444:role/jit-admin\": duplicate "
            "IAM role in this account (two roles would share its trust statements, so ending one grant would end "
            "the other: give each role its own IAM role) (also accounts[0].roles[0].role_arn)");
}

TEST(IamRolePolicyErrors, SessionCutoffCannotBeTurnedOff) {
  EXPECT_EQ(errors(role_plus("session_cutoff = false\n")),
            "jit.toml:15:18: accounts[0].roles[0].session_cutoff false: always on for roles of iam-role accounts: its "
            "deny is what ends sessions already assumed at the grant's expiry (the trust policy's condition only "
            "stops new ones); remove session_cutoff = false");
}

TEST(IamRolePolicyErrors, ScheduledRevokeIsRefused) {
  EXPECT_EQ(errors(role_plus("scheduled_revoke = true\n")),
            "jit.toml:15:20: accounts[0].roles[0].scheduled_revoke true: not used by roles of iam-role accounts: "
            "the trust policy's condition ends the grant at its expiry by itself; remove scheduled_revoke = true");
}

TEST(IamRolePolicyErrors, UnknownKeysAreStillRefused) {
  EXPECT_THAT(errors(with(kIamRole, "owner_channel", "session_policy = \"x\"\nowner_channel")),
              HasSubstr("jit.toml:7:1: accounts[0].session_policy: unknown key; allowed keys here: name, id, provider, "
                        "management_role_arn, external_id, base_principal_arn, source_identity, owner_channel, approvers, roles"));
  EXPECT_THAT(errors(role_plus("trust_policy = \"x\"\n")),
              HasSubstr("jit.toml:15:1: accounts[0].roles[0].trust_policy: unknown key; allowed keys here: name, "
                        "permission_set_arn, role_arn, max_duration"));
}

// ---- [aws] trust_policy_size_limit ----

TEST(IamRolePolicy, TrustPolicySizeLimitIsRead) {
  auto defaults = load_config(kIamRole, "jit.toml");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->settings.aws.trust_policy_size_limit, 2048);
  for (int limit : {1, 4096, 8192}) {
    auto p = load_config(fmt::format("[aws]\ntrust_policy_size_limit = {}\n{}", limit, kIamRole), "jit.toml");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->settings.aws.trust_policy_size_limit, limit);
  }
}

TEST(IamRolePolicyErrors, TrustPolicySizeLimitIsBounded) {
  for (std::string_view limit : {"0", "8193"})
    EXPECT_EQ(errors(fmt::format("[aws]\ntrust_policy_size_limit = {}\n{}", limit, kIamRole)),
              fmt::format("jit.toml:2:27: aws.trust_policy_size_limit {}: expected a number from 1 to 8192", limit));
  EXPECT_EQ(errors(fmt::format("[aws]\ntrust_policy_size_limit = \"2k\"\n{}", kIamRole)),
            "jit.toml:2:27: aws.trust_policy_size_limit \"2k\": expected an integer, not a string");
}

}  // namespace
}  // namespace jit
