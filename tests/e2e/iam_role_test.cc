// The IAM-role path end to end (issue 16): a real `jit serve` grants the "legacy" account's admin
// role, an IAM role, by writing a time-conditioned statement into the role's trust policy and a
// cut-off deny into its inline policy, on the AWS emulator's IAM and STS. People assume the role
// from their base-role sessions with Debian's awscli, as the active DM tells them to; AWS itself
// (the emulator's trust and deny evaluation) ends the access at the expiry second, and the
// service's revoke tidies the statements up afterwards. The admin's own trust statement survives
// every rewrite byte for byte.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "e2e/world.h"
#include "slack/ids.h"
#include "support/awscli_run.h"

namespace jit::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace awscli = emulators::awscli;

class IamRoleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("jit-e2e-awscli-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The legacy admin role as IAM stores it now.
  static json admin_role(World& world) {
    const json iam = world.aws().iam();
    for (const auto& role : iam["roles"])
      if (role.value("arn", "") == demo::kLegacyAdminRole) return role;
    return json::object();
  }
  static std::string trust_policy(World& world) { return admin_role(world).value("trust_policy", ""); }
  // Its inline policies by name.
  static json inline_policies(World& world) { return admin_role(world).value("inline_policies", json::object()); }

  // `who` assumes the legacy admin role from their base-role session, with `identity` as the
  // source identity: the command of the active DM.
  awscli::CliRun assume(World& world, const char* who, const std::string& identity = "") {
    const demo::Person& p = demo::person_of(who);
    return awscli::run_awscli({"sts", "assume-role", "--role-arn", demo::kLegacyAdminRole, "--role-session-name", p.name,
                               "--source-identity", identity.empty() ? p.email() : identity},
                              world.aws().url(), dir_, {p.base_access_key_id(), p.base_secret_access_key()});
  }
  static std::string session_key(const awscli::CliRun& assumed) {
    return assumed.output()["Credentials"].value("AccessKeyId", "");
  }

  // A request of the legacy admin role by `who` for `duration`, approved by alice; its id once active.
  std::string grant(World& world, const char* who, const std::string& duration) {
    std::string reply;
    auto id = world.request(who, fmt::format("legacy admin {} checking the billing job", duration), &reply);
    EXPECT_TRUE(id) << reply;
    if (!id) return "";
    EXPECT_TRUE(world.click(kAlice, *id, slack::kApproveAction, demo::kLegacy));
    EXPECT_TRUE(world.wait_state(*id, State::active, 30s)) << world.log(0);
    return *id;
  }

  std::filesystem::path dir_;
};

TEST_F(IamRoleE2eTest, RequestApproveAssumeAndAwsEndsItAtTheExpirySecond) {
  World world({.iam_role = true});
  const std::string before = trust_policy(world);
  ASSERT_NE(before.find(demo::kLegacyForeignStatement), std::string::npos) << before;

  const std::string id = grant(world, kDana, demo::kGrantSeconds);
  ASSERT_FALSE(id.empty());
  const auto expires_at = world.read(id)->expires_at.value();
  // The DM says how to use it: no portal, an assume-role call with the e-mail as source identity.
  EXPECT_TRUE(world.wait_dm(kDana, fmt::format("aws sts assume-role --role-arn {} --role-session-name dana@example.com "
                                               "--source-identity dana@example.com",
                                               demo::kLegacyAdminRole)));

  // Active means written: dana's window in the trust policy, the admin's statement as it was, and
  // the cut-off deny in the inline policy.
  const std::string during = trust_policy(world);
  EXPECT_NE(during.find("JitGrant" + id), std::string::npos) << during;
  EXPECT_NE(during.find("dana@example.com"), std::string::npos) << during;
  EXPECT_NE(during.find(demo::kLegacyForeignStatement), std::string::npos) << during;
  EXPECT_NE(inline_policies(world).dump().find("JitCutoff" + id), std::string::npos) << inline_policies(world).dump();

  // dana assumes it; eve, with no grant, cannot; nor can dana under another source identity.
  auto assumed = assume(world, kDana);
  ASSERT_EQ(assumed.exit_code, 0) << assumed.err;
  const std::string key = session_key(assumed);
  EXPECT_TRUE(key.starts_with("ASIA")) << assumed.out;
  auto eve = assume(world, kEve);
  EXPECT_NE(eve.exit_code, 0);
  EXPECT_NE(eve.err.find("AccessDenied"), std::string::npos) << eve.err;
  auto posing = assume(world, kDana, "alice@example.com");
  EXPECT_NE(posing.exit_code, 0) << posing.out;

  // AWS ends it, whatever the service does: dana's live session is denied from the expiry second
  // (the cut-off), and with IAM's clock past the expiry, AssumeRole is refused (the trust window).
  auto live = world.aws().role_session_allowed(key, expires_at - 1s);
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_TRUE(live->allowed) << live->reason;
  auto cut = world.aws().role_session_allowed(key, expires_at + 1s);
  ASSERT_TRUE(cut) << cut.error().message;
  EXPECT_FALSE(cut->allowed) << cut->reason;
  EXPECT_EQ(cut->statement, "JitCutoff" + id) << cut->reason;
  world.aws().set_clock_offset(std::chrono::duration_cast<std::chrono::milliseconds>(
      expires_at + 1s - std::chrono::system_clock::now()));
  auto late = assume(world, kDana);
  world.aws().set_clock_offset(0ms);
  EXPECT_NE(late.exit_code, 0) << late.out;
  EXPECT_NE(late.err.find("AccessDenied"), std::string::npos) << late.err;

  // The service's revoke at the expiry tidies up: dana's statement goes, the admin's stays as it was.
  ASSERT_TRUE(world.wait_state(id, State::revoked, 30s)) << world.log(0);
  const std::string after = trust_policy(world);
  EXPECT_EQ(after.find("JitGrant"), std::string::npos) << after;
  EXPECT_NE(after.find(demo::kLegacyForeignStatement), std::string::npos) << after;
  EXPECT_NE(world.read(id)->end_reason.find("expired"), std::string::npos) << world.read(id)->end_reason;
  EXPECT_EQ(world.audit_verify().first, 0) << world.audit_verify().second;
  EXPECT_EQ(world.check_acks(), "");
}

TEST_F(IamRoleE2eTest, TwoGrantsOnOneRoleAndAnEarlyReleaseEndOnlyItsOwn) {
  World world({.iam_role = true});
  const std::string dana = grant(world, kDana, "30m");
  const std::string bob = grant(world, kBob, "30m");
  ASSERT_FALSE(dana.empty());
  ASSERT_FALSE(bob.empty());
  const std::string both = trust_policy(world);
  EXPECT_NE(both.find("JitGrant" + dana), std::string::npos) << both;
  EXPECT_NE(both.find("JitGrant" + bob), std::string::npos) << both;
  auto dana_session = assume(world, kDana);
  ASSERT_EQ(dana_session.exit_code, 0) << dana_session.err;
  ASSERT_EQ(assume(world, kBob).exit_code, 0);

  // dana is done early: her window and her live session end; bob's grant is untouched.
  world.slack().slash_command(kDana, "release " + dana);
  ASSERT_TRUE(world.wait_state(dana, State::revoked, 30s)) << world.log(0);
  const std::string after = trust_policy(world);
  EXPECT_EQ(after.find("JitGrant" + dana), std::string::npos) << after;
  EXPECT_NE(after.find("JitGrant" + bob), std::string::npos) << after;
  EXPECT_NE(after.find(demo::kLegacyForeignStatement), std::string::npos) << after;
  auto again = assume(world, kDana);
  EXPECT_NE(again.exit_code, 0) << again.out;
  // The release moved dana's cut-off to now (with the margin): her session opened during the grant
  // is denied within the margin, and bob's newer session is not cut by it.
  auto released = world.aws().role_session_allowed(session_key(dana_session), std::chrono::system_clock::now() + 2min);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_FALSE(released->allowed) << released->reason;
  auto bob_session = assume(world, kBob);
  ASSERT_EQ(bob_session.exit_code, 0) << bob_session.err;
  auto bob_now = world.aws().role_session_allowed(session_key(bob_session));
  ASSERT_TRUE(bob_now) << bob_now.error().message;
  EXPECT_TRUE(bob_now->allowed) << bob_now->reason;
  EXPECT_EQ(world.read(bob)->state, State::active);
  EXPECT_EQ(world.audit_verify().first, 0) << world.audit_verify().second;
}

TEST_F(IamRoleE2eTest, AFullTrustPolicyRefusesTheNextGrantAndSaysWhy) {
  // Room for the admin's statement and one grant's (about 300 characters each), not two.
  World world({.iam_role = true, .trust_policy_size_limit = 700});
  const std::string dana = grant(world, kDana, "30m");
  ASSERT_FALSE(dana.empty());
  std::string reply;
  auto bob = world.request(kBob, "legacy admin 30m checking the billing job", &reply);
  ASSERT_TRUE(bob) << reply;
  ASSERT_TRUE(world.click(kAlice, *bob, slack::kApproveAction, demo::kLegacy));
  ASSERT_TRUE(world.wait_state(*bob, State::failed, 30s)) << world.log(0);
  const std::string why = world.read(*bob)->end_reason;
  EXPECT_NE(why.find(demo::kLegacyAdminRole), std::string::npos) << why;
  EXPECT_NE(why.find("700"), std::string::npos) << why;
  const std::string trust = trust_policy(world);
  EXPECT_EQ(trust.find("JitGrant" + *bob), std::string::npos) << trust;
  EXPECT_NE(trust.find("JitGrant" + dana), std::string::npos) << trust;
  EXPECT_NE(assume(world, kBob).exit_code, 0);
  EXPECT_EQ(world.read(dana)->state, State::active);
  EXPECT_EQ(world.audit_verify().first, 0) << world.audit_verify().second;
}

// More time on a role grant (issue 17): the extension writes its own window into the trust
// policy and its own cut-off; the old grant's cut-off no longer cuts the session dana holds, the
// extension's does, at the new end; she assumes the role again under the extension.
TEST_F(IamRoleE2eTest, AnExtensionWritesItsOwnWindowAndMovesTheCutoff) {
  World world({.iam_role = true});
  const std::string id = grant(world, kDana, "30m");
  ASSERT_FALSE(id.empty());
  const auto old_end = world.read(id)->expires_at.value();
  auto assumed = assume(world, kDana);
  ASSERT_EQ(assumed.exit_code, 0) << assumed.err;
  const std::string key = session_key(assumed);

  world.slack().slash_command(kDana, fmt::format("extend {} 1h the billing job is still running", id));
  const std::string ext = wait_posted_extension(world, id);
  ASSERT_FALSE(ext.empty()) << world.log(0);
  ASSERT_TRUE(world.click(kAlice, ext, slack::kApproveAction, demo::kLegacy));
  ASSERT_TRUE(world.wait_state(ext, State::active, 30s)) << world.log(0);
  EXPECT_EQ(world.read(id)->state, State::revoked);
  EXPECT_EQ(world.read(id)->end_reason, "extended by " + ext);
  const auto new_end = world.read(ext)->expires_at.value();
  EXPECT_GT(new_end, old_end);

  const std::string trust = trust_policy(world);
  EXPECT_NE(trust.find("JitGrant" + ext), std::string::npos) << trust;
  // (The old grant's window stays until its own end, inside the extension's, and is pruned by the
  // next write after it: AWS refuses it by time like any closed window.)
  EXPECT_NE(trust.find(demo::kLegacyForeignStatement), std::string::npos) << trust;
  EXPECT_NE(inline_policies(world).dump().find("JitCutoff" + ext), std::string::npos) << inline_policies(world).dump();
  // The session dana holds goes on past the old end and is cut at the new one.
  auto past_old = world.aws().role_session_allowed(key, old_end + 1s);
  ASSERT_TRUE(past_old) << past_old.error().message;
  EXPECT_TRUE(past_old->allowed) << past_old->reason;
  auto past_new = world.aws().role_session_allowed(key, new_end + 1s);
  ASSERT_TRUE(past_new) << past_new.error().message;
  EXPECT_FALSE(past_new->allowed) << past_new->reason;
  // She assumes it afresh under the extension; eve still cannot.
  auto again = assume(world, kDana);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(assume(world, kEve).exit_code, 0);
  auto [code, out] = world.audit_verify();
  EXPECT_EQ(code, 0) << out;
}

}  // namespace
}  // namespace jit::testing
