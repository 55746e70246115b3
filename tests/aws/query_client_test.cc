// AwsQueryClient (IAM, STS) against a local server playing AWS: the form body byte for byte,
// RFC 3986 escaping, SigV4 (verified on the server side; IAM always for us-east-1), Query XML
// errors, which are retried, what is logged; every request checked against the official models.
#include "aws/query_client.h"

#include <gtest/gtest.h>

#include "credentials_test_support.h"
#include "query_test_server.h"
#include "support/free_port.h"

namespace jit::aws {
namespace {

using namespace std::chrono_literals;
using namespace fake_aws;

constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:role/okta engineer"},"Action":"sts:AssumeRole"}]})";

class QueryClientTest : public QueryServerTest {
 protected:
  AwsQueryClient client(AwsService service = AwsService::iam, int max_attempts = 4) {
    auto config = AwsQueryClientConfig::for_service(service, server_->endpoint(), "eu-west-1");
    config.transport.retry = {.max_attempts = max_attempts, .base_delay = 100ms, .max_delay = 1000ms};
    return AwsQueryClient(config, provider_, *http_, slow_clock_);
  }
};

TEST(QueryForm, ActionVersionThenParamsInOrderEscapedAsRfc3986) {
  EXPECT_EQ(query_form("UpdateAssumeRolePolicy", "2010-05-08",
                       {{"RoleName", "jit-admin"}, {"PolicyDocument", R"({"a":"b c+d/e=f&g~h_i.j-k"})"}}),
            "Action=UpdateAssumeRolePolicy&Version=2010-05-08&RoleName=jit-admin"
            "&PolicyDocument=%7B%22a%22%3A%22b%20c%2Bd%2Fe%3Df%26g~h_i.j-k%22%7D");
  // Non-ASCII goes as its UTF-8 bytes; names are escaped too (Tags.member.1.Key keeps its dots).
  EXPECT_EQ(query_form("TagRole", "2010-05-08", {{"Tags.member.1.Key", "é"}, {"Tags.member.1.Value", "*"}}),
            "Action=TagRole&Version=2010-05-08&Tags.member.1.Key=%C3%A9&Tags.member.1.Value=%2A");
  EXPECT_EQ(query_form("GetCallerIdentity", "2011-06-15", {}), "Action=GetCallerIdentity&Version=2011-06-15");
}

TEST_F(QueryClientTest, SendsASignedFormRequestSignedForUsEast1AndReadsTheXml) {
  answers_ = {{200, R"(<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>
      <RoleName>jit-admin</RoleName><Arn>arn:aws:iam::222233334444:role/jit-admin</Arn>
      <AssumeRolePolicyDocument>%7B%22Version%22%7D</AssumeRolePolicyDocument></Role></GetRoleResult>
      <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetRoleResponse>)"}};
  auto c = client();
  EXPECT_EQ(c.config().transport.region, "us-east-1") << "IAM is signed for us-east-1 whatever region is configured";
  EXPECT_EQ(c.config().transport.signing_name, "iam");
  EXPECT_EQ(c.config().api_version, "2010-05-08");
  auto r = c.call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(r) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->text("GetRoleResult/Role/Arn"), "arn:aws:iam::222233334444:role/jit-admin");
  const auto got = received();
  ASSERT_EQ(got.size(), 1u);
  const auto& sent = got[0].request;
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/");
  EXPECT_EQ(sent.body, "Action=GetRole&Version=2010-05-08&RoleName=jit-admin");
  EXPECT_EQ(header(sent, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(header(sent, "X-Amz-Date"), "20261124T120000Z");
  EXPECT_EQ(header(sent, "X-Amz-Security-Token"), kToken);
  EXPECT_TRUE(contains(*header(sent, "Authorization"), "Credential=AKIDEXAMPLE/20261124/us-east-1/iam/aws4_request"))
      << *header(sent, "Authorization");
  EXPECT_TRUE(contains(*header(sent, "Authorization"), "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"))
      << *header(sent, "Authorization");
  EXPECT_EQ(got[0].signature_problem, "");
  EXPECT_EQ(got[0].model_problems, std::vector<std::string>{});
}

TEST_F(QueryClientTest, PolicyDocumentsTravelEscapedAndMatchTheModel) {
  auto c = client();
  ASSERT_TRUE(c.call("UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", kTrust}}));
  ASSERT_TRUE(c.call("PutRolePolicy", {{"RoleName", "jit-admin"},
                                       {"PolicyName", "jit-access-cutoffs"},
                                       {"PolicyDocument", kTrust}}));
  const auto got = received();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& r : got) {
    EXPECT_EQ(r.signature_problem, "");
    EXPECT_EQ(r.model_problems, std::vector<std::string>{});
    EXPECT_EQ(net::parse_form(r.request.body).at("PolicyDocument"), kTrust) << "decodes to the document, spaces kept";
    EXPECT_FALSE(contains(r.request.body, "+")) << "a space is %20 and a plus %2B, never '+'";
  }
}

TEST_F(QueryClientTest, StsIsSignedForTheConfiguredRegion) {
  answers_ = {{200, "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x</Arn>"
                    "</GetCallerIdentityResult></GetCallerIdentityResponse>"}};
  auto c = client(AwsService::sts);
  auto r = c.call("GetCallerIdentity", {});
  ASSERT_TRUE(r) << r.error().message;
  const auto got = received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request.body, "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_TRUE(contains(*header(got[0].request, "Authorization"), "/eu-west-1/sts/aws4_request"));
  EXPECT_EQ(got[0].signature_problem, "");
  EXPECT_EQ(got[0].model_problems, std::vector<std::string>{});
}

TEST_F(QueryClientTest, RetriesThrottlingAndSignsEachAttemptAfresh) {
  answers_ = {{400, query_error_xml("Throttling", "Rate exceeded")},
              {400, query_error_xml("Throttling", "Rate exceeded")},
              {200, "<GetRoleResponse><GetRoleResult/></GetRoleResponse>"}};
  auto c = client();
  auto r = c.call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_TRUE(r) << r.error().code;
  const auto got = received();
  ASSERT_EQ(got.size(), 3u);
  const auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);  // full jitter under the exponential cap: [0, 100 ms], [0, 200 ms]
  EXPECT_LE(sleeps[0], 100ms);
  EXPECT_LE(sleeps[1], 200ms);
  for (const auto& one : got) EXPECT_EQ(one.signature_problem, "");
  EXPECT_EQ(header(got[0].request, "X-Amz-Date"), "20261124T120000Z");
  EXPECT_EQ(header(got[2].request, "X-Amz-Date"), "20261124T120002Z");
}

TEST_F(QueryClientTest, EveryRetryableKindIsRetriedUpToTheLimit) {
  for (const char* code : {"Throttling", "ThrottlingException", "RequestLimitExceeded"}) {
    const auto error = parse_query_error_response({400, {}, query_error_xml(code, "slow down")});
    EXPECT_EQ(error.code, code);
    EXPECT_EQ(error.message, "slow down");
    EXPECT_TRUE(error.retryable) << code;
    EXPECT_TRUE(error.body.is_null());
  }
  const auto busy = parse_query_error_response({503, {}, "<html>Service Unavailable</html>"});
  EXPECT_EQ(busy.code, "ServiceUnavailable");
  EXPECT_TRUE(busy.retryable);
  const auto internal = parse_query_error_response({500, {}, query_error_xml("ServiceFailure", "oops")});
  EXPECT_EQ(internal.code, "ServiceFailure");
  EXPECT_TRUE(internal.retryable);

  answers_ = {{500, query_error_xml("ServiceFailure", "oops")}};
  auto r = client(AwsService::iam, 3).call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ServiceFailure");
  EXPECT_EQ(r.error().http_status, 500);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(received().size(), 3u);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(QueryClientTest, AnswersAreNotRetried) {
  for (auto [status, code] : {std::pair{404, "NoSuchEntity"}, std::pair{400, "MalformedPolicyDocument"},
                              std::pair{403, "AccessDenied"}, std::pair{409, "EntityAlreadyExists"},
                              std::pair{409, "ConcurrentModification"}}) {
    const auto error = parse_query_error_response({status, {}, query_error_xml(code, "The role with name x cannot be found.")});
    EXPECT_EQ(error.code, code);
    EXPECT_EQ(error.http_status, status);
    EXPECT_FALSE(error.retryable) << code;
  }
  const auto unknown = parse_query_error_response({400, {}, "not xml"});
  EXPECT_EQ(unknown.code, "Http400");
  EXPECT_FALSE(unknown.retryable);

  answers_ = {{404, query_error_xml("NoSuchEntity", "The role with name jit-admin cannot be found.")}};
  auto r = client().call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "NoSuchEntity");
  EXPECT_EQ(r.error().message, "The role with name jit-admin cannot be found.");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(received().size(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(QueryClientTest, A200ThatIsNotXmlIsAnInvalidResponse) {
  answers_ = {{200, "{\"not\": \"xml\"}"}};
  auto r = client().call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidResponse");
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(received().size(), 1u);
}

TEST_F(QueryClientTest, TransportErrorsAreRetriedAndLoggedOnceWithoutSecretsOrTheForm) {
  testing::LogCapture log;
  net::Endpoint closed{"http", "127.0.0.1", jit::testing::free_port(), ""};
  auto config = AwsQueryClientConfig::for_service(AwsService::iam, closed, "eu-west-1");
  config.transport.retry.max_attempts = 3;
  std::vector<std::string> results;
  config.transport.on_result = [&](std::string_view operation, std::string_view code) {
    results.push_back(fmt::format("{} {}", operation, code));
  };
  AwsQueryClient c(config, provider_, *http_, clock_);
  auto r = c.call("UpdateAssumeRolePolicy", {{"RoleName", "jit-admin"}, {"PolicyDocument", "secret-looking-value"}});

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Transport");
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
  EXPECT_EQ(results, std::vector<std::string>{"UpdateAssumeRolePolicy Transport"});
  const std::string line = log.text();
  EXPECT_TRUE(contains(line, "operation=iam.UpdateAssumeRolePolicy")) << line;
  EXPECT_TRUE(contains(line, "attempts=3")) << line;
  EXPECT_FALSE(contains(line, kSecret));
  EXPECT_FALSE(contains(line, kToken));
  EXPECT_FALSE(contains(line, "secret-looking-value"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
}

TEST_F(QueryClientTest, CredentialsFailureIsNotRetriedAndSendsNothing) {
  FailingCredentials none;
  auto config = AwsQueryClientConfig::for_service(AwsService::iam, server_->endpoint(), "eu-west-1");
  AwsQueryClient c(config, none, *http_, clock_);
  auto r = c.call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Credentials");
  EXPECT_TRUE(received().empty());
}

TEST(IamEndpoint, GlobalWhateverTheRegionUnlessConfigured) {
  EXPECT_EQ(resolve_endpoint(AwsService::iam, "eu-west-1", env_of({}))->to_string(), "https://iam.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::iam, "", env_of({}))->to_string(), "https://iam.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::iam, "eu-west-1", env_of({{"AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:4566"}}))
                ->to_string(),
            "http://127.0.0.1:4566");
  EXPECT_EQ(resolve_endpoint(AwsService::iam, "eu-west-1", env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}}))
                ->to_string(),
            "http://127.0.0.1:5000");
  auto sts = AwsQueryClientConfig::for_service(AwsService::sts, *net::Endpoint::parse("https://sts.eu-west-1.amazonaws.com"),
                                               "eu-west-1");
  EXPECT_EQ(sts.transport.region, "eu-west-1");
  EXPECT_EQ(sts.transport.signing_name, "sts");
  EXPECT_EQ(sts.api_version, "2011-06-15");
}

}  // namespace
}  // namespace jit::aws
