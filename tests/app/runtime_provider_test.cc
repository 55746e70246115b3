// The composition root's access provider (issue 16): a router over IAM Identity Center and the
// IAM-role path, each grant going the way its target's ARN says; a policy whose accounts are all on
// the IAM-role path needs no Identity Center instance, and one that has an account on Identity
// Center without [aws].instance_arn is refused naming the account and the ways out.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/runtime.h"
#include "core/load_errors.h"

namespace jit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Both accounts of the loader's tests (external id "jit-7f3a"), with a region for the AWS clients.
std::string with_region(std::string_view accounts) { return "[aws]\nregion = \"us-east-1\"\n\n" + std::string(accounts); }

class RuntimeProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           fmt::format("jit-runtime-provider-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                       ::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Runtime> runtime(const std::string& policy) {
    const auto path = (dir_ / "jit.toml").string();
    std::ofstream(path) << policy;
    auto rt = Runtime::build({.config_flag = path, .need_policy = true, .open_store = false});
    EXPECT_TRUE(rt) << rt.error().message;
    return rt ? std::move(*rt) : nullptr;
  }

  std::filesystem::path dir_;
};

TEST_F(RuntimeProviderTest, AnIamRoleOnlyPolicyNeedsNoIdentityCenter) {
  auto rt = runtime(with_region(test::kMinimalIamRole));
  ASSERT_TRUE(rt);
  auto provider = rt->make_provider(false, "i-1");
  ASSERT_TRUE(provider) << provider.error().message;
  // The role's grant goes to the IAM-role path (the source identity is the e-mail, no AWS call)...
  EXPECT_EQ((*provider)->resolve_principal("dana@example.com", "arn:aws:iam::222233334444:role/jit-admin")
                .value_or(""),
            "dana@example.com");
  // ...and a permission set's would go to Identity Center, which is not set up: refused, saying so.
  auto refused = (*provider)->resolve_principal(
      "dana@example.com", "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("instance_arn"));
}

TEST_F(RuntimeProviderTest, AnIdentityCenterAccountWithoutAnInstanceIsRefusedByName) {
  auto rt = runtime(with_region(std::string(test::kMinimalIamRole) + "\n" + std::string(test::kMinimal)));
  ASSERT_TRUE(rt);
  auto provider = rt->make_provider(false, "i-1");
  ASSERT_FALSE(provider);
  EXPECT_EQ(provider.error().code, Errc::invalid);
  EXPECT_THAT(provider.error().message, HasSubstr("for prod"));
  EXPECT_THAT(provider.error().message, HasSubstr("[aws].instance_arn is not set"));
  EXPECT_THAT(provider.error().message, HasSubstr("provider = \"iam-role\""));
  EXPECT_THAT(provider.error().message, HasSubstr("--dry-run"));
  EXPECT_THAT(provider.error().message, Not(HasSubstr("jit-7f3a")));
  // --dry-run needs neither.
  EXPECT_TRUE(rt->make_provider(true, "i-1"));
}

}  // namespace
}  // namespace jit
