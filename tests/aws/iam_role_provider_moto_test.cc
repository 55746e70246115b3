// IamRoleProvider through the real AwsQueryClient against moto_server's IAM (a third-party
// implementation of the Query protocol; fails, never skips, without moto_server): grant, list,
// arm, revoke and prune on a real role, every request on the wire checked against the IAM model.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "aws/cutoff_policy.h"
#include "aws/iam_role_provider.h"
#include "aws/query_client.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "support/aws_model_check.h"
#include "support/moto_suite.h"

namespace jit::aws {
namespace {
namespace iam_role_provider_moto_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;

constexpr char kAccount[] = "123456789012";  // moto's default account
constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/jit-admin";
constexpr char kAdmin[] =
    R"({"Sid":"Saml","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}})";
constexpr char kWho[] = "ana+ops@example.com";

class IamRoleProviderMoto : public jit::testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    auto endpoint = net::Endpoint::parse(moto().url());
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    auto config = AwsQueryClientConfig::for_service(AwsService::iam, *endpoint, "us-east-1");
    config.transport.retry.max_attempts = 2;
    iam_ = std::make_shared<AwsQueryClient>(config, base_, checked_http_, system_clock_);
    auto created = iam_->call("CreateRole", {{"RoleName", "jit-admin"},
                                             {"AssumeRolePolicyDocument", fmt::format(R"({{"Version":"2012-10-17","Statement":[{}]}})", kAdmin)},
                                             {"MaxSessionDuration", "3600"}});
    ASSERT_TRUE(created) << created.error().code << ": " << created.error().message;

    IamRoleConfig provider_config;
    provider_config.account = [](const std::string& id) -> std::optional<IamRoleAccount> {
      if (id != kAccount) return std::nullopt;
      return IamRoleAccount{kAccount, "arn:aws:iam::123456789012:role/jit-access-management", "jit-7f3a",
                            "arn:aws:iam::123456789012:role/okta-engineer"};
    };
    provider_config.iam_for = [this](const IamRoleAccount&) -> Result<std::shared_ptr<AwsQueryApi>> { return iam_; };
    provider_ = std::make_unique<IamRoleProvider>(std::move(provider_config), clock_);
  }

  // The statements as moto has them now (documents may come back URL-encoded or as written).
  cutoff::Json statements(std::string_view action, const QueryParams& params, std::string_view path) {
    auto reply = iam_->call(action, params);
    if (!reply) return cutoff::Json::array();
    std::string text = reply->text(path).value_or("");
    if (!text.starts_with("{")) text = net::percent_decode(text, false);
    return cutoff::Json::parse(text)["Statement"];
  }
  cutoff::Json trust() { return statements("GetRole", {{"RoleName", "jit-admin"}}, "GetRoleResult/Role/AssumeRolePolicyDocument"); }

  std::unique_ptr<net::HttpClient> http_ = net::make_http_client({.proxy = net::ProxySettings{}});
  jit::testing::QueryModelCheckedHttp checked_http_{*http_};
  SystemClock system_clock_;
  ManualClock clock_{std::chrono::floor<Seconds>(std::chrono::system_clock::now())};
  StaticCredentialsProvider base_{Credentials{"TESTJITBASEKEYID0001", "base-secret", ""}};
  std::shared_ptr<AwsQueryApi> iam_;
  std::unique_ptr<IamRoleProvider> provider_;
};

TEST_F(IamRoleProviderMoto, GrantListArmRevokePrune) {
  const Assignment ana{kWho, kAccount, kRoleArn};
  ASSERT_TRUE(provider_->grant(ana, {"r1", clock_.now() + 3600s}));
  auto t = trust();
  ASSERT_EQ(t.size(), 2u) << t.dump();
  EXPECT_EQ(t[0].dump(), kAdmin);
  EXPECT_EQ(t[1]["Sid"], "JitGrantr1");
  EXPECT_EQ(t[1]["Condition"]["StringEquals"]["sts:SourceIdentity"], kWho);  // the '+' survives the form
  auto listed = provider_->list(kAccount, kRoleArn);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<Assignment>{ana});

  const SessionCutoff cut{"r1", ana, clock_.now() + 3600s, clock_.now() + 3720s};
  auto armed = provider_->arm_cutoff(cut);
  ASSERT_TRUE(armed) << armed.error().message;
  auto deny = statements("GetRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}},
                         "GetRolePolicyResult/PolicyDocument");
  ASSERT_EQ(deny.size(), 1u);
  EXPECT_EQ(deny[0], cutoff::statement_of(cut, cutoff::PrincipalKey::source_identity));

  ASSERT_TRUE(provider_->revoke(ana));
  t = trust();
  ASSERT_EQ(t.size(), 1u) << t.dump();
  EXPECT_EQ(t[0].dump(), kAdmin);

  clock_.advance(3720s + 3600s + 1s);
  auto pruned = provider_->prune_cutoffs(kRoleArn);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 1);
  auto gone = iam_->call("GetRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "NoSuchEntity");
  EXPECT_GT(checked_http_.checked("iam"), 10);
}

TEST_F(IamRoleProviderMoto, AMissingRoleIsNotFound) {
  auto r = provider_->grant({kWho, kAccount, "arn:aws:iam::123456789012:role/missing"}, {"r1", clock_.now() + 60s});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found) << r.error().message;
  EXPECT_TRUE(r.error().message.find("arn:aws:iam::123456789012:role/missing") != std::string::npos);
}

}  // namespace iam_role_provider_moto_test
}  // namespace
}  // namespace jit::aws
