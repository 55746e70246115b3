// AssumeRoleCredentials over a fake STS (the request checked against the sts model; caching,
// renewal 5 minutes before expiry on a ManualClock, one call in flight, errors), and IamClients
// against the local server playing STS and IAM: AssumeRole signed with the service's own
// credentials, then IAM signed with the assumed ones.
#include "aws/assume_role_credentials.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "aws/iam_clients.h"
#include "query_test_server.h"

namespace jit::aws {
namespace {

using namespace std::chrono_literals;
using namespace fake_aws;

constexpr char kManagementRole[] = "arn:aws:iam::222233334444:role/jit-access-management";

std::string assume_role_xml(const Credentials& credentials, TimePoint expiration) {
  return fmt::format(R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
  <AssumedRoleUser><Arn>arn:aws:sts::222233334444:assumed-role/jit-access-management/jit-access</Arn>
  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:jit-access</AssumedRoleId></AssumedRoleUser>
  <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken>
  <Expiration>{}</Expiration></Credentials></AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></AssumeRoleResponse>)",
                     credentials.access_key_id, credentials.secret_access_key, credentials.session_token,
                     format_time(expiration));
}

// STS's AssumeRole, answering each call with fresh credentials that last `lifetime`; checks each
// call against the sts model. With `hold`, a call waits until release().
class FakeSts final : public AwsQueryApi {
 public:
  explicit FakeSts(const Clock& clock) : clock_(clock) {
    auto model = jit::testing::load_aws_model("sts/2011-06-15");
    if (!model) ADD_FAILURE() << model.error().message;
    else model_ = std::move(*model);
  }

  std::expected<QueryXml, AwsError> call(std::string_view action, const QueryParams& params) override {
    std::unique_lock lock(mu_);
    ++calls_;
    last_params_ = params;
    for (const auto& problem : jit::testing::check_query_request(model_, action, params))
      ADD_FAILURE() << "request does not match the sts model: " << problem;
    entered_.notify_all();
    entered_.wait(lock, [&] { return !hold_; });
    if (error_) return std::unexpected(*error_);
    const Credentials fresh{fmt::format("ASIAFAKE{:04}", calls_), fmt::format("secret-{}", calls_),
                            fmt::format("token-{}", calls_)};
    return *QueryXml::parse(assume_role_xml(fresh, clock_.now() + lifetime_));
  }

  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  QueryParams last_params() {
    std::lock_guard lock(mu_);
    return last_params_;
  }
  void fail_with(std::optional<AwsError> error) {
    std::lock_guard lock(mu_);
    error_ = std::move(error);
  }
  void hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void wait_entered() {
    std::unique_lock lock(mu_);
    entered_.wait(lock, [&] { return calls_ > 0; });
  }
  void release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    entered_.notify_all();
  }

 private:
  const Clock& clock_;
  nlohmann::json model_;
  std::mutex mu_;
  std::condition_variable entered_;
  int calls_ = 0;
  bool hold_ = false;
  Seconds lifetime_{3600};
  QueryParams last_params_;
  std::optional<AwsError> error_;
};

AssumeRoleRequest management_request() {
  AssumeRoleRequest request;
  request.role_arn = kManagementRole;
  request.external_id = "jit-7f3a";
  return request;
}

TEST(AssumeRole, ASourceIdentityIsSentOnlyWhenSet) {
  AssumeRoleRequest request;
  request.role_arn = kManagementRole;
  request.session_name = "dana@example.com";
  request.source_identity = "dana@example.com";
  const QueryParams params = assume_role_params(request);
  EXPECT_EQ(params, (QueryParams{{"RoleArn", kManagementRole},
                                 {"RoleSessionName", "dana@example.com"},
                                 {"DurationSeconds", "3600"},
                                 {"SourceIdentity", "dana@example.com"}}));
  auto model = jit::testing::load_aws_model("sts/2011-06-15");
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_EQ(jit::testing::check_query_request(*model, "AssumeRole", params), std::vector<std::string>{});
  for (const auto& [name, value] : assume_role_params(management_request())) EXPECT_NE(name, "SourceIdentity");
}

TEST(AssumeRole, TheRequestIsTheRoleTheSessionNameTheExternalIdAndAnHour) {
  const QueryParams params = assume_role_params(management_request());
  EXPECT_EQ(params, (QueryParams{{"RoleArn", kManagementRole},
                                 {"RoleSessionName", "jit-access"},
                                 {"ExternalId", "jit-7f3a"},
                                 {"DurationSeconds", "3600"}}));
  auto model = jit::testing::load_aws_model("sts/2011-06-15");
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_EQ(jit::testing::check_query_request(*model, "AssumeRole", params), std::vector<std::string>{});
  // The check itself refuses what STS would: a session name with a space, a duration too short.
  const auto bad = jit::testing::check_query_request(
      *model, "AssumeRole", {{"RoleArn", kManagementRole}, {"RoleSessionName", "jit access"}, {"DurationSeconds", "60"}});
  EXPECT_EQ(bad.size(), 2u) << ::testing::PrintToString(bad);
  EXPECT_FALSE(jit::testing::check_query_request(*model, "AssumeRole", {{"RoleSessionName", "jit-access"}}).empty())
      << "RoleArn is required";
  EXPECT_FALSE(jit::testing::check_query_request(*model, "AssumeRole", {{"RoleArn", kManagementRole},
                                                                          {"RoleSessionName", "jit-access"},
                                                                          {"Unknown", "x"}})
                   .empty());
  EXPECT_EQ(jit::testing::check_query_request(*model, "AssumeRole",
                                              {{"RoleArn", kManagementRole},
                                               {"RoleSessionName", "jit-access"},
                                               {"Tags.member.1.Key", "team"},
                                               {"Tags.member.1.Value", "sec"},
                                               {"PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}),
            std::vector<std::string>{})
      << "lists of structures are read as member.N";
  EXPECT_FALSE(jit::testing::check_query_request(*model, "AssumeRole", {{"RoleArn", kManagementRole},
                                                                          {"RoleSessionName", "jit-access"},
                                                                          {"Tags.member.2.Key", "team"},
                                                                          {"Tags.member.2.Value", "sec"}})
                   .empty())
      << "a list with a hole";
}

TEST(AssumeRole, CachedThenRenewedFiveMinutesBeforeExpiry) {
  ManualClock clock(*parse_time("2026-12-03T10:00:00Z"));
  auto sts = std::make_shared<FakeSts>(clock);
  AssumeRoleCredentials credentials(management_request(), sts, clock);
  auto first = credentials.get();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->access_key_id, "ASIAFAKE0001");
  EXPECT_EQ(first->session_token, "token-1");
  clock.advance(54min + 59s);
  EXPECT_EQ(credentials.get()->access_key_id, "ASIAFAKE0001");
  EXPECT_EQ(sts->calls(), 1);
  clock.advance(2s);  // 4 min 59 s left
  EXPECT_EQ(credentials.get()->access_key_id, "ASIAFAKE0002");
  EXPECT_EQ(sts->calls(), 2);
}

TEST(AssumeRole, AFailedRenewalKeepsTheValidCredentialsAndAFailureNamesTheRoleNotASecret) {
  ManualClock clock(*parse_time("2026-12-03T10:00:00Z"));
  auto sts = std::make_shared<FakeSts>(clock);
  AssumeRoleCredentials credentials(management_request(), sts, clock);
  ASSERT_TRUE(credentials.get());
  sts->fail_with(AwsError{503, "ServiceUnavailable", "busy", nullptr, true});
  clock.advance(56min);
  EXPECT_EQ(credentials.get()->access_key_id, "ASIAFAKE0001") << "still valid for 4 minutes";
  clock.advance(5min);
  auto gone = credentials.get();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::unavailable);
  EXPECT_NE(gone.error().message.find(kManagementRole), std::string::npos) << gone.error().message;
  EXPECT_NE(gone.error().message.find("ServiceUnavailable"), std::string::npos) << gone.error().message;
  EXPECT_EQ(gone.error().message.find("secret-1"), std::string::npos);

  sts->fail_with(AwsError{403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole", nullptr, false});
  auto denied = assume_role(*sts, management_request());
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::denied);
  EXPECT_EQ(denied.error().message,
            fmt::format("STS AssumeRole of {}: AccessDenied: User is not authorized to perform: sts:AssumeRole",
                        kManagementRole));
}

TEST(AssumeRole, ConcurrentCallersShareOneCall) {
  ManualClock clock(*parse_time("2026-12-03T10:00:00Z"));
  auto sts = std::make_shared<FakeSts>(clock);
  AssumeRoleCredentials credentials(management_request(), sts, clock);
  sts->hold();
  std::vector<std::string> keys(6);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { keys[0] = credentials.get().value_or(Credentials{}).access_key_id; });
  sts->wait_entered();  // the first caller is in AssumeRole; the others queue behind it
  for (int i = 1; i < 6; ++i)
    threads.emplace_back([&, i] { keys[i] = credentials.get().value_or(Credentials{}).access_key_id; });
  sts->release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(sts->calls(), 1);
  for (const auto& key : keys) EXPECT_EQ(key, "ASIAFAKE0001");
}

TEST(AssumeRole, AReplyWithoutCredentialsIsUnavailable) {
  class Empty final : public AwsQueryApi {
    std::expected<QueryXml, AwsError> call(std::string_view, const QueryParams&) override {
      return *QueryXml::parse("<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>");
    }
  } empty;
  auto got = assume_role(empty, management_request());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::unavailable);
  EXPECT_NE(got.error().message.find("AssumeRoleResult/Credentials/"), std::string::npos) << got.error().message;
}

class IamClientsTest : public QueryServerTest {
 protected:
  IamClients clients() {
    IamClientsConfig config;
    config.iam_endpoint = server_->endpoint();
    config.sts_endpoint = server_->endpoint();
    config.region = "eu-west-1";
    config.retry = {.max_attempts = 2, .base_delay = 10ms, .max_delay = 10ms};
    return IamClients(config, provider_, *http_, clock_);
  }
  IamRoleAccount account_{"222233334444", kManagementRole, "jit-7f3a",
                          "arn:aws:iam::222233334444:role/okta-engineer"};
};

TEST_F(IamClientsTest, AssumesTheManagementRoleWithOurCredentialsThenSignsIamWithItsOwn) {
  const Credentials assumed{"ASIAMANAGEMENT000001", "assumed-secret", "assumed-token"};
  add_signer(assumed);
  answers_ = {{200, assume_role_xml(assumed, clock_.now() + 1h)},
              {200, "<GetRoleResponse><GetRoleResult/></GetRoleResponse>"}};
  auto iam_clients = clients();
  auto iam = iam_clients.client_for(account_);
  ASSERT_TRUE(iam) << iam.error().message;
  EXPECT_TRUE(received().empty()) << "making a client calls nothing";
  ASSERT_TRUE((*iam)->call("GetRole", {{"RoleName", "jit-admin"}}));
  ASSERT_TRUE((*iam)->call("GetRole", {{"RoleName", "jit-admin"}}));
  const auto got = received();
  ASSERT_EQ(got.size(), 3u) << "one AssumeRole, then two IAM calls on the cached credentials";
  EXPECT_EQ(got[0].service, "sts");
  EXPECT_EQ(got[0].request.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222233334444%3Arole%2Fjit-access-management"
            "&RoleSessionName=jit-access&ExternalId=jit-7f3a&DurationSeconds=3600");
  EXPECT_EQ(header(got[0].request, "X-Amz-Security-Token"), kToken) << "STS is called with our own credentials";
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].service, "iam");
    EXPECT_EQ(header(got[i].request, "X-Amz-Security-Token"), "assumed-token");
    EXPECT_TRUE(contains(*header(got[i].request, "Authorization"), "Credential=ASIAMANAGEMENT000001/"));
  }
  for (const auto& one : got) {
    EXPECT_EQ(one.signature_problem, "");
    EXPECT_EQ(one.model_problems, std::vector<std::string>{});
  }
}

TEST_F(IamClientsTest, OneClientPerAccountRoleAndExternalId) {
  auto iam_clients = clients();
  auto a = iam_clients.client_for(account_);
  auto again = iam_clients.client_for(account_);
  ASSERT_TRUE(a && again);
  EXPECT_EQ(a->get(), again->get());
  IamRoleAccount rotated = account_;
  rotated.external_id = "jit-8b4c";
  EXPECT_NE(iam_clients.client_for(rotated)->get(), a->get());
  IamRoleAccount other = account_;
  other.account_id = "333344445555";
  other.management_role_arn = "arn:aws:iam::333344445555:role/jit-access-management";
  EXPECT_NE(iam_clients.client_for(other)->get(), a->get());
  IamRoleAccount incomplete = account_;
  incomplete.external_id.clear();
  auto refused = iam_clients.client_for(incomplete);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_NE(refused.error().message.find("222233334444"), std::string::npos);
}

TEST_F(IamClientsTest, ARefusedAssumeRoleComesBackFromTheIamCallNamingTheRole) {
  answers_ = {{403, query_error_xml("AccessDenied", "not authorized to perform sts:AssumeRole")}};
  auto iam_clients = clients();
  auto iam = iam_clients.client_for(account_);
  ASSERT_TRUE(iam);
  auto r = (*iam)->call("GetRole", {{"RoleName", "jit-admin"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Credentials");
  EXPECT_NE(r.error().message.find(kManagementRole), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("AccessDenied"), std::string::npos) << r.error().message;
  EXPECT_EQ(received().size(), 1u) << "nothing is sent to IAM without credentials";
}

TEST(IamClientsConfig, EndpointsFromTheEnvironment) {
  auto config = IamClientsConfig::resolve("eu-west-1", [](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL_IAM") return "http://127.0.0.1:4566";
    return std::nullopt;
  });
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->iam_endpoint.to_string(), "http://127.0.0.1:4566");
  EXPECT_EQ(config->sts_endpoint.to_string(), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(config->region, "eu-west-1");
}

}  // namespace
}  // namespace jit::aws
