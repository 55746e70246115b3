// AccessRouter (aws/access_router.h): which ARNs are roles, and every call going to the provider
// of its target's path (two in-memory providers), or refused when that path has none.
#include "aws/access_router.h"

#include <gtest/gtest.h>

#include "fakes/memory_provider.h"

namespace jit::aws {
namespace {

using namespace std::chrono_literals;
using Op = MemoryAccessProvider::Op;

constexpr char kRole[] = "arn:aws:iam::222233334444:role/jit-admin";
constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef";
const TimePoint kT = *parse_time("2026-12-03T10:00:00Z");

TEST(AccessRouter, TellsRoleArnsFromTheRest) {
  for (std::string_view role :
       {"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a/b", kRole,
        "arn:aws:iam::123456789012:role/service-role/Jit_Admin+x=y,z.w@v-u", "arn:aws-us-gov:iam::123456789012:role/a",
        "arn:aws-cn:iam::123456789012:role/a", "arn:aws-iso-b:iam::123456789012:role/a"})
    EXPECT_TRUE(is_role_arn(role)) << role;
  for (std::string_view other :
       {kPermissionSet, "arn:aws:iam::123456789012:user/x", "arn:aws:iam::12345:role/x",
        "arn:aws:iam::1234567890123:role/x", "arn:aws:iam::12345678901a:role/x", "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/a/", "arn:aws:iam::123456789012:role/a b",
        "arn:aws:iam:us-east-1:123456789012:role/a",
        "arn:aws:sts::123456789012:assumed-role/a/s", "arn:aws-:iam::123456789012:role/a",
        "arn:aws-CN:iam::123456789012:role/a", "arn:gcp:iam::123456789012:role/a", "arn:awsx:iam::123456789012:role/a",
        "arn:aws:iam::123456789012:rolex/a", "", "arn:aws:iam::123456789012:role"})
    EXPECT_FALSE(is_role_arn(other)) << other;
}

class AccessRouterTest : public ::testing::Test {
 protected:
  // Each op once through the router for `target`.
  void call_each(const std::string& target) {
    const Assignment a{"alice@example.com", "222233334444", target};
    ASSERT_TRUE(router.resolve_principal("alice@example.com", target));
    ASSERT_TRUE(router.grant(a, {"rab3k7mnp", kT}));
    ASSERT_TRUE(router.list("222233334444", target));
    ASSERT_TRUE(router.arm_cutoff({"rab3k7mnp", a, kT, kT + 2min}));
    ASSERT_TRUE(router.prune_cutoffs(target));
    ASSERT_TRUE(router.schedule_revoke("rab3k7mnp", a, kT));
    ASSERT_TRUE(router.revoke(a));
  }

  static constexpr Op kRouted[] = {Op::resolve, Op::grant, Op::list, Op::arm, Op::prune, Op::schedule, Op::revoke};

  MemoryAccessProvider identity_center, iam_role;
  AccessRouter router{&identity_center, &iam_role};
};

TEST_F(AccessRouterTest, EveryCallOnARoleGoesToTheIamRoleProvider) {
  call_each(kRole);
  for (Op op : kRouted) {
    EXPECT_EQ(iam_role.calls(op), 1) << static_cast<int>(op);
    EXPECT_EQ(identity_center.calls(op), 0) << static_cast<int>(op);
  }
  EXPECT_EQ(iam_role.created(), 1);
  EXPECT_EQ(iam_role.deleted(), 1);
  EXPECT_EQ(iam_role.cutoffs().count("rab3k7mnp"), 1u);
}

TEST_F(AccessRouterTest, EveryCallOnAPermissionSetGoesToIdentityCenter) {
  call_each(kPermissionSet);
  for (Op op : kRouted) {
    EXPECT_EQ(identity_center.calls(op), 1) << static_cast<int>(op);
    EXPECT_EQ(iam_role.calls(op), 0) << static_cast<int>(op);
  }
  EXPECT_EQ(identity_center.schedules().count("rab3k7mnp"), 1u);
}

TEST_F(AccessRouterTest, ResultsAndErrorsComeBackAsTheProviderGaveThem) {
  EXPECT_EQ(router.resolve_principal("alice@example.com", kRole), "p-alice");
  iam_role.fail_next(Op::grant, 1, Error::Unavailable("throttled"));
  const auto refused = router.grant({"alice@example.com", "222233334444", kRole}, {"r1", kT});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unavailable);
  EXPECT_EQ(refused.error().message, "throttled");
  ASSERT_TRUE(router.grant({"alice@example.com", "222233334444", kRole}, {"r1", kT}));
  const auto listed = router.list("222233334444", kRole);
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<Assignment>{{"alice@example.com", "222233334444", kRole}}));
  EXPECT_TRUE(router.list("222233334444", kPermissionSet)->empty());
}

TEST_F(AccessRouterTest, CancelingAScheduleGoesToIdentityCenter) {
  ASSERT_TRUE(router.schedule_revoke("rab3k7mnp", {"p-alice", "222233334444", kPermissionSet}, kT));
  ASSERT_TRUE(router.cancel_scheduled_revoke("rab3k7mnp"));
  EXPECT_EQ(identity_center.calls(Op::cancel), 1);
  EXPECT_EQ(iam_role.calls(Op::cancel), 0);
  EXPECT_TRUE(identity_center.schedules().empty());
}

TEST(AccessRouter, APathWithoutAProviderIsRefusedByName) {
  MemoryAccessProvider provider;
  AccessRouter identity_center_only{&provider, nullptr};
  const auto role = identity_center_only.grant({"alice@example.com", "222233334444", kRole}, {"r1", kT});
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().code, Errc::invalid);
  EXPECT_NE(role.error().message.find(kRole), std::string::npos) << role.error().message;
  EXPECT_NE(role.error().message.find(R"(provider = "iam-role")"), std::string::npos) << role.error().message;

  AccessRouter iam_role_only{nullptr, &provider};
  const auto set = iam_role_only.resolve_principal("alice@example.com", kPermissionSet);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, Errc::invalid);
  EXPECT_NE(set.error().message.find(kPermissionSet), std::string::npos) << set.error().message;
  EXPECT_NE(set.error().message.find("[aws] instance_arn"), std::string::npos) << set.error().message;
  EXPECT_TRUE(iam_role_only.cancel_scheduled_revoke("r1")) << "no Identity Center: no schedule to cancel";
  EXPECT_EQ(provider.calls(Op::grant) + provider.calls(Op::resolve) + provider.calls(Op::cancel), 0);
}

// Only the deadline differs from the base class's defaults.
class DeadlineProvider final : public AccessProvider {
 public:
  explicit DeadlineProvider(std::chrono::milliseconds deadline) : deadline_(deadline) {}
  Result<std::string> resolve_principal(const std::string&, const std::string&) override { return ""; }
  Result<> grant(const Assignment&, const GrantTerms&) override { return {}; }
  Result<> revoke(const Assignment&) override { return {}; }
  Result<std::vector<Assignment>> list(const std::string&, const std::string&) override { return {}; }
  std::chrono::milliseconds call_deadline() const override { return deadline_; }

 private:
  std::chrono::milliseconds deadline_;
};

TEST(AccessRouter, CallDeadlineIsTheLongerOne) {
  DeadlineProvider short_one(30s), long_one(95s);
  EXPECT_EQ(AccessRouter(&short_one, &long_one).call_deadline(), 95s);
  EXPECT_EQ(AccessRouter(&long_one, &short_one).call_deadline(), 95s);
  EXPECT_EQ(AccessRouter(nullptr, &short_one).call_deadline(), 30s);
  EXPECT_EQ(AccessRouter(&long_one, nullptr).call_deadline(), 95s);
  EXPECT_EQ(AccessRouter(nullptr, nullptr).call_deadline(), 0ms);
}

}  // namespace
}  // namespace jit::aws
