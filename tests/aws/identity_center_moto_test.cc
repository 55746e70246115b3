// IdentityCenterProvider against moto_server's sso-admin and identitystore, through the real
// AwsJsonClient, every request checked against the official models. moto_server must be
// installed: when it is missing these tests fail with an install hint, never skip.
//
// What moto does differently from AWS (moto 5.2): a status is SUCCEEDED at once; a second
// CreateAccountAssignment for the same assignment is stored again (the provider lists first, so
// it never sends one); the instance and permission set ARNs of an assignment are not checked (its
// own permission set ARNs, "...:instance/ssoins-.../ps-...", do not even match AWS's pattern, so
// these tests use an AWS-shaped one); any identity store id works, created on first use.
#include <gtest/gtest.h>

#include "aws/identity_center.h"
#include "fakes/manual_clock.h"
#include "aws/json_client.h"
#include "net/https_client.h"
#include "support/aws_model_check.h"
#include "moto_config.h"
#include "support/moto_suite.h"

namespace jit::aws {
namespace {

using json = nlohmann::json;

constexpr char kStore[] = "d-1234567890";
constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef";
constexpr char kAccount[] = "111122223333";

class IdentityCenterMoto : public testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    auto client = [&](AwsService service) {
      return std::make_unique<AwsJsonClient>(moto_config(moto().url(), service), credentials_, *http_, clock_);
    };
    sso_client_ = client(AwsService::sso_admin);
    identitystore_client_ = client(AwsService::identitystore);
    auto sso_model = testing::load_aws_model("sso-admin/2020-07-20");
    auto store_model = testing::load_aws_model("identitystore/2020-06-15");
    ASSERT_TRUE(sso_model) << sso_model.error().message;
    ASSERT_TRUE(store_model) << store_model.error().message;
    sso_ = std::make_unique<testing::ModelCheckedApi>(*sso_client_, std::move(*sso_model), "sso-admin");
    identitystore_ = std::make_unique<testing::ModelCheckedApi>(*identitystore_client_, std::move(*store_model),
                                                                "identitystore");

    // moto has one instance per account and region from the start.
    auto instances = sso_->call("ListInstances", json::object());
    ASSERT_TRUE(instances) << instances.error().code << ": " << instances.error().message;
    ASSERT_EQ((*instances)["Instances"].size(), 1u) << instances->dump();
    instance_arn_ = (*instances)["Instances"][0]["InstanceArn"];
  }

  // A user in moto's identity store; its UserId.
  std::string create_user(const std::string& name, const std::string& email) {
    auto r = identitystore_->call("CreateUser",
                                  {{"IdentityStoreId", kStore},
                                   {"UserName", name},
                                   {"DisplayName", name},
                                   {"Name", {{"GivenName", name}, {"FamilyName", "Tester"}}},
                                   {"Emails", {{{"Value", email}, {"Type", "work"}, {"Primary", true}}}}});
    EXPECT_TRUE(r) << r.error().code << ": " << r.error().message;
    return r ? (*r)["UserId"].get<std::string>() : "";
  }

  IdentityCenterProvider& provider(IdentityCenterOptions options = {}) {
    provider_ = std::make_unique<IdentityCenterProvider>(IdentityCenterConfig{instance_arn_, kStore, options}, *sso_,
                                                         *identitystore_, clock_);
    return *provider_;
  }

  StaticCredentialsProvider credentials_{Credentials{"AKIDEXAMPLE", "secret", ""}};
  ManualClock clock_;  // polls and retries sleep on it: no test waits
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client();
  std::unique_ptr<AwsJsonClient> sso_client_, identitystore_client_;
  std::unique_ptr<AwsJsonApi> sso_, identitystore_;
  std::string instance_arn_;
  std::unique_ptr<IdentityCenterProvider> provider_;
};


TEST_F(IdentityCenterMoto, ResolveGrantListRevoke) {
  const std::string user = create_user("alice", "alice@example.com");
  ASSERT_FALSE(user.empty());
  auto& p = provider();

  auto principal = p.resolve_principal("alice@example.com", kPermissionSet);
  ASSERT_TRUE(principal) << principal.error().message;
  EXPECT_EQ(*principal, user);

  const Assignment a{user, kAccount, kPermissionSet};
  auto granted = p.grant(a, {});
  ASSERT_TRUE(granted) << granted.error().message;
  EXPECT_TRUE(clock_.sleeps().empty()) << "moto's status is SUCCEEDED at once";
  auto listed = p.list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<Assignment>{a});

  auto revoked = p.revoke(a);
  ASSERT_TRUE(revoked) << revoked.error().message;
  listed = p.list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_TRUE(listed->empty());

  // Already gone: moto answers ResourceNotFoundException, which is success.
  auto again = p.revoke(a);
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(IdentityCenterMoto, GrantTwiceLeavesOneAssignment) {
  const std::string user = create_user("bob", "bob@example.com");
  auto& p = provider();
  const Assignment a{user, kAccount, kPermissionSet};
  ASSERT_TRUE(p.grant(a, {}));
  ASSERT_TRUE(p.grant(a, {}));
  auto listed = p.list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<Assignment>{a});
  ASSERT_TRUE(p.revoke(a));
  listed = p.list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

TEST_F(IdentityCenterMoto, MotoStoresADuplicateCreateTwice) {
  // Why grant lists first: a plain second CreateAccountAssignment is stored again by moto (AWS
  // keeps one assignment). If moto changes, this documents the assumption that no longer holds.
  const std::string user = create_user("carol", "carol@example.com");
  const json create = {{"InstanceArn", instance_arn_}, {"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"},
                       {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", user}};
  ASSERT_TRUE(sso_->call("CreateAccountAssignment", create));
  ASSERT_TRUE(sso_->call("CreateAccountAssignment", create));
  auto listed = provider().list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->size(), 2u);
}

TEST_F(IdentityCenterMoto, ListFollowsMotosPages) {
  std::vector<Assignment> expected;
  auto& p = provider({.list_page_size = 1});
  for (const std::string name : {"dave", "erin", "frank"}) {
    const Assignment a{create_user(name, name + "@example.com"), kAccount, kPermissionSet};
    ASSERT_TRUE(p.grant(a, {}));
    expected.push_back(a);
  }
  auto listed = p.list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed) << listed.error().message;
  std::sort(expected.begin(), expected.end());
  std::sort(listed->begin(), listed->end());
  EXPECT_EQ(*listed, expected);
}

TEST_F(IdentityCenterMoto, UnknownEmailIsNotFound) {
  create_user("grace", "grace@example.com");
  auto r = provider().resolve_principal("nobody@example.com", kPermissionSet);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found) << r.error().message;
  EXPECT_NE(r.error().message.find("nobody@example.com"), std::string::npos);
}

}  // namespace
}  // namespace jit::aws
