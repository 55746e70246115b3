// AwsQueryClient, AssumeRoleCredentials and IamClients against moto_server's IAM and STS (a
// third-party implementation of the Query protocol; the test fails, never skips, without
// moto_server). Every request on the wire is checked against the official iam and sts models.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <mutex>

#include "aws/assume_role_credentials.h"
#include "aws/iam_clients.h"
#include "aws/query_client.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "support/aws_model_check.h"
#include "support/moto_suite.h"

namespace jit::aws {
namespace {
namespace iam_query_moto_test {  // its own names: the unity build compiles it beside other files

constexpr char kAccount[] = "123456789012";  // moto's default account
constexpr char kTrust[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"Base","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]})";
constexpr char kTrustWithGrant[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"Base","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},{"Sid":"JitGrantabc123","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/okta-engineer"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"sts:SourceIdentity":"ana+ops@example.com"},"DateLessThan":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}}}]})";
constexpr char kCutoffs[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"JitCutoffabc123","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceIdentity":"ana+ops@example.com","aws:PrincipalAccount":"123456789012"},"DateGreaterThan":{"aws:CurrentTime":"2026-12-03T10:00:00Z"},"DateLessThan":{"aws:TokenIssueTime":"2026-12-03T10:00:10Z"}}}]})";

// IAM returns policy documents URL-encoded (RFC 3986); moto may return them as they were sent.
std::string document_of(const std::string& text) {
  return text.starts_with("%7B") ? net::percent_decode(text, /*plus_is_space=*/false) : text;
}

class IamQueryMoto : public jit::testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    auto endpoint = net::Endpoint::parse(moto().url());
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    endpoint_ = *endpoint;
  }

  AwsQueryClient client(AwsService service, CredentialsProvider& credentials) {
    auto config = AwsQueryClientConfig::for_service(service, endpoint_, "us-east-1");
    config.transport.retry.max_attempts = 2;
    return AwsQueryClient(config, credentials, checked_http_, clock_);
  }

  void create_role(AwsQueryClient& iam, const std::string& name) {
    auto created = iam.call("CreateRole", {{"RoleName", name}, {"AssumeRolePolicyDocument", kTrust},
                                           {"Description", "jit-access test role"}, {"MaxSessionDuration", "3600"}});
    ASSERT_TRUE(created) << created.error().code << ": " << created.error().message;
    EXPECT_EQ(created->text("CreateRoleResult/Role/Arn"), fmt::format("arn:aws:iam::{}:role/{}", kAccount, name));
  }

  net::Endpoint endpoint_;
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client({.proxy = net::ProxySettings{}});
  jit::testing::QueryModelCheckedHttp checked_http_{*http_};
  SystemClock clock_;
  StaticCredentialsProvider base_{Credentials{"TESTJITBASEKEYID0001", "base-secret", ""}};
};

TEST_F(IamQueryMoto, CreateGetUpdateTrustAndInlinePolicyRoundTrip) {
  auto iam = client(AwsService::iam, base_);
  create_role(iam, "jit-admin");

  auto role = iam.call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ(nlohmann::json::parse(document_of(role->text("GetRoleResult/Role/AssumeRolePolicyDocument").value_or(""))),
            nlohmann::json::parse(kTrust));
  EXPECT_EQ(role->text("GetRoleResult/Role/MaxSessionDuration"), "3600");

  auto updated = iam.call("UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", kTrustWithGrant}});
  ASSERT_TRUE(updated) << updated.error().message;
  role = iam.call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(role) << role.error().message;
  const std::string trust = document_of(role->text("GetRoleResult/Role/AssumeRolePolicyDocument").value_or(""));
  EXPECT_EQ(nlohmann::json::parse(trust), nlohmann::json::parse(kTrustWithGrant))
      << "the '+' in the source identity and every character survive the form encoding: " << trust;

  auto put = iam.call("PutRolePolicy",
                      {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}, {"PolicyDocument", kCutoffs}});
  ASSERT_TRUE(put) << put.error().message;
  auto got = iam.call("GetRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->text("GetRolePolicyResult/PolicyName"), "jit-access-cutoffs");
  EXPECT_EQ(nlohmann::json::parse(document_of(got->text("GetRolePolicyResult/PolicyDocument").value_or(""))),
            nlohmann::json::parse(kCutoffs));

  auto deleted = iam.call("DeleteRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}});
  ASSERT_TRUE(deleted) << deleted.error().message;
  auto missing = iam.call("GetRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyName", "jit-access-cutoffs"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "NoSuchEntity");
  EXPECT_EQ(missing.error().http_status, 404);
  EXPECT_FALSE(missing.error().retryable);

  auto no_role = iam.call("GetRole", {{"RoleName", "jit-nobody"}});
  ASSERT_FALSE(no_role);
  EXPECT_EQ(no_role.error().code, "NoSuchEntity");
  auto twice = iam.call("CreateRole", {{"RoleName", "jit-admin"}, {"AssumeRolePolicyDocument", kTrust}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "EntityAlreadyExists");
  EXPECT_GE(checked_http_.checked("iam"), 9);
}

TEST_F(IamQueryMoto, AssumedManagementRoleCredentialsSignIamCallsMotoAttributesToTheRole) {
  auto iam = client(AwsService::iam, base_);
  create_role(iam, "jit-access-management");
  create_role(iam, "jit-admin");

  auto sts = std::make_shared<AwsQueryClient>(client(AwsService::sts, base_));
  AssumeRoleRequest request;
  request.role_arn = fmt::format("arn:aws:iam::{}:role/jit-access-management", kAccount);
  request.external_id = "jit-7f3a";
  AssumeRoleCredentials management(request, sts, clock_);
  auto credentials = management.get();
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_TRUE(credentials->access_key_id.starts_with("ASIA")) << credentials->access_key_id;
  EXPECT_FALSE(credentials->session_token.empty());

  // moto knows who signed: STS GetCallerIdentity with the assumed credentials names the session.
  auto as_management = client(AwsService::sts, management);
  auto who = as_management.call("GetCallerIdentity", {});
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->text("GetCallerIdentityResult/Arn"),
            fmt::format("arn:aws:sts::{}:assumed-role/jit-access-management/jit-access", kAccount));

  // And IAM takes calls signed with them.
  auto iam_as_management = client(AwsService::iam, management);
  auto role = iam_as_management.call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ(role->text("GetRoleResult/Role/RoleName"), "jit-admin");
  EXPECT_EQ(checked_http_.checked("sts"), 2);
}

TEST_F(IamQueryMoto, IamClientsAssumeOncePerAccountAndCallIam) {
  auto iam = client(AwsService::iam, base_);
  create_role(iam, "jit-access-management");
  create_role(iam, "jit-admin");

  IamClientsConfig config;
  config.iam_endpoint = endpoint_;
  config.sts_endpoint = endpoint_;
  config.region = "us-east-1";
  config.retry.max_attempts = 2;
  std::vector<std::string> calls;
  std::mutex calls_mu;
  config.on_result = [&](std::string_view service, std::string_view operation, std::string_view code) {
    std::lock_guard lock(calls_mu);
    calls.push_back(fmt::format("{}.{}{}", service, operation, code.empty() ? "" : " " + std::string(code)));
  };
  auto clients = std::make_shared<IamClients>(config, base_, checked_http_, clock_);
  const IamApiFor iam_for = make_iam_client_for(clients);
  const IamRoleAccount account{kAccount, fmt::format("arn:aws:iam::{}:role/jit-access-management", kAccount),
                               "jit-7f3a", fmt::format("arn:aws:iam::{}:role/okta-engineer", kAccount)};
  auto api = iam_for(account);
  ASSERT_TRUE(api) << api.error().message;
  auto updated = (*api)->call("UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", kTrustWithGrant}});
  ASSERT_TRUE(updated) << updated.error().message;
  auto role = (*iam_for(account))->call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ(nlohmann::json::parse(document_of(role->text("GetRoleResult/Role/AssumeRolePolicyDocument").value_or(""))),
            nlohmann::json::parse(kTrustWithGrant));
  EXPECT_EQ(calls, (std::vector<std::string>{"sts.AssumeRole", "iam.UpdateAssumeRolePolicy", "iam.GetRole"}));
}

// moto_server with IAM authorization on (after INITIAL_NO_AUTH_ACTION_COUNT set-up calls, moto
// checks every request's SigV4 signature against the secret it issued and evaluates the caller's
// IAM policies): the service's own keys assume the management role, and the role's credentials,
// session token included, sign IAM calls that moto verifies and allows only as the role's policy
// says. A wrong secret is refused.
TEST(IamQueryMotoAuth, ASignatureMotoVerifiesAndTheRolesPolicyDecides) {
  constexpr int kSetupCalls = 6;
  auto moto = jit::testing::MotoServer::start({{"INITIAL_NO_AUTH_ACTION_COUNT", std::to_string(kSetupCalls)}});
  ASSERT_TRUE(moto) << moto.error().message;
  auto endpoint = net::Endpoint::parse(moto->url());
  ASSERT_TRUE(endpoint);
  auto http = net::make_http_client({.proxy = net::ProxySettings{}});
  jit::testing::QueryModelCheckedHttp checked_http(*http);
  SystemClock clock;
  auto client = [&](AwsService service, CredentialsProvider& credentials) {
    auto config = AwsQueryClientConfig::for_service(service, *endpoint, "us-east-1");
    config.transport.retry.max_attempts = 1;
    return AwsQueryClient(config, credentials, checked_http, clock);
  };

  // The set-up calls, before moto checks anything: the service's user and key, the roles.
  StaticCredentialsProvider anyone{Credentials{"TESTJITBASEKEYID0001", "anything", ""}};
  auto setup = client(AwsService::iam, anyone);
  const std::string allow_assume =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})";
  const std::string allow_get_role =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:UpdateAssumeRolePolicy"],"Resource":"*"}]})";
  ASSERT_TRUE(setup.call("CreateUser", {{"UserName", "jit-service"}}));
  auto key = setup.call("CreateAccessKey", {{"UserName", "jit-service"}});
  ASSERT_TRUE(key) << key.error().message;
  ASSERT_TRUE(setup.call("PutUserPolicy", {{"UserName", "jit-service"}, {"PolicyName", "assume"},
                                           {"PolicyDocument", allow_assume}}));
  // As deploy/iam-role-management.yaml: trusted by the service's principal with the external id.
  const std::string management_trust = fmt::format(
      R"({{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/jit-service"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"jit-7f3a"}}}}}}]}})",
      kAccount);
  ASSERT_TRUE(setup.call("CreateRole", {{"RoleName", "jit-access-management"},
                                        {"AssumeRolePolicyDocument", management_trust}}));
  ASSERT_TRUE(setup.call("PutRolePolicy", {{"RoleName", "jit-access-management"}, {"PolicyName", "manage"},
                                           {"PolicyDocument", allow_get_role}}));
  ASSERT_TRUE(setup.call("CreateRole", {{"RoleName", "jit-admin"}, {"AssumeRolePolicyDocument", kTrust}}));

  const Credentials service_keys{key->text("CreateAccessKeyResult/AccessKey/AccessKeyId").value_or(""),
                                 key->text("CreateAccessKeyResult/AccessKey/SecretAccessKey").value_or(""), ""};
  ASSERT_FALSE(service_keys.secret_access_key.empty());

  // From here moto checks. A wrong secret is refused.
  StaticCredentialsProvider forged{Credentials{service_keys.access_key_id, "not-the-secret", ""}};
  auto refused = client(AwsService::iam, forged).call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "SignatureDoesNotMatch") << refused.error().message;

  StaticCredentialsProvider base{service_keys};
  IamClientsConfig config;
  config.iam_endpoint = *endpoint;
  config.sts_endpoint = *endpoint;
  config.region = "us-east-1";
  config.retry.max_attempts = 1;
  IamClients clients(config, base, checked_http, clock);
  IamRoleAccount account{kAccount, fmt::format("arn:aws:iam::{}:role/jit-access-management", kAccount), "jit-7f3a",
                         fmt::format("arn:aws:iam::{}:role/okta-engineer", kAccount)};
  // The trust policy's external id condition is evaluated: another id is refused.
  IamRoleAccount wrong_id = account;
  wrong_id.external_id = "jit-0000";
  auto refused_assume = (*clients.client_for(wrong_id))->call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(refused_assume);
  EXPECT_EQ(refused_assume.error().code, "Credentials");
  EXPECT_NE(refused_assume.error().message.find("AccessDenied"), std::string::npos) << refused_assume.error().message;

  auto iam = clients.client_for(account);
  ASSERT_TRUE(iam) << iam.error().message;
  auto role = (*iam)->call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(role) << role.error().code << ": " << role.error().message;
  EXPECT_EQ(role->text("GetRoleResult/Role/RoleName"), "jit-admin");
  auto updated = (*iam)->call("UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", kTrustWithGrant}});
  ASSERT_TRUE(updated) << updated.error().code << ": " << updated.error().message;
  // The role's policy allows GetRole and UpdateAssumeRolePolicy only.
  auto denied = (*iam)->call("DeleteRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, "AccessDenied") << denied.error().message;
  EXPECT_NE(denied.error().message.find("assumed-role/jit-access-management/jit-access"), std::string::npos)
      << denied.error().message;
  EXPECT_EQ(checked_http.checked("sts"), 2);
}

}  // namespace iam_query_moto_test
}  // namespace
}  // namespace jit::aws
