// AwsJsonClient against a local HttpServer that plays AWS: signing (verified on the server side
// with our SigV4), error parsing, which errors are retried, and what is logged. Also endpoints.h.
#include "fakes/manual_clock.h"
#include "aws/json_client.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fmt/format.h>
#include <map>
#include <sstream>

#include "aws/sigv4.h"
#include "net/http_server.h"
#include "net/https_client.h"
#include "support/free_port.h"

namespace jit::aws {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "session-token-EXAMPLE-0123456789";

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::optional<std::string> header(const net::HttpRequest& r, std::string_view name) {
  return net::HttpResponse{0, r.headers, ""}.header(name);
}

// Recomputes the request's SigV4 signature from the headers it says it signed. Returns "" when it
// verifies, or what is wrong.
std::string verify_signature(const net::HttpRequest& received, const Credentials& credentials,
                             const std::string& region, const std::string& service) {
  const auto authorization = header(received, "Authorization");
  const auto date = header(received, "X-Amz-Date");
  if (!authorization || !date) return "no Authorization or X-Amz-Date";
  auto field = [&](std::string_view key) {
    const auto at = authorization->find(key);
    if (at == std::string::npos) return std::string();
    const auto start = at + key.size();
    return authorization->substr(start, authorization->find_first_of(", ", start) - start);
  };
  const std::string signed_headers = field("SignedHeaders="), signature_hex = field("Signature="),
                    credential = field("Credential=");
  if (credential != fmt::format("{}/{}/{}/{}/aws4_request", credentials.access_key_id, date->substr(0, 8), region, service))
    return "credential scope " + credential;
  net::HttpRequest copy{received.method, received.target, {}, received.body};
  std::string_view rest = signed_headers;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const std::string name(rest.substr(0, semi));
    auto value = header(received, name);
    if (!value) return "signed header missing: " + name;
    copy.headers.emplace_back(name, *value);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
  }
  SigningParams params;
  params.region = region;
  params.service = service;
  const std::string iso = fmt::format("{}-{}-{}T{}:{}:{}Z", date->substr(0, 4), date->substr(4, 2), date->substr(6, 2),
                                      date->substr(9, 2), date->substr(11, 2), date->substr(13, 2));
  params.time = *parse_time(iso);
  auto canonical = canonical_request(copy, params);
  if (!canonical) return canonical.error().message;
  if (canonical->signed_headers != signed_headers) return "signed header list " + canonical->signed_headers;
  const auto expected = signature(credentials, params, string_to_sign(canonical->text, params));
  return expected == signature_hex ? "" : "signature mismatch";
}

class FailingCredentials final : public CredentialsProvider {
 public:
  Result<Credentials> get() override { return fail(Error::Unavailable("no credentials: tried env, profile")); }
};

// A fake AWS: answers from a script, one entry per request (the last one repeats).
class AwsJsonClientTest : public ::testing::Test {
 protected:
  struct Answer {
    int status;
    json body;
    net::Headers headers = {};
  };

  void SetUp() override {
    auto server = net::HttpServer::start({}, [this](const net::HttpRequest& r) {
      std::lock_guard lock(mutex_);
      requests_.push_back(r);
      signature_problems_.push_back(verify_signature(r, credentials_, "eu-west-1", "dynamodb"));
      const auto& a = answers_.at(std::min(requests_.size(), answers_.size()) - 1);
      net::HttpResponse out{a.status, a.headers, a.body.dump()};
      out.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
      return out;
    });
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }

  AwsJsonClient client(int max_attempts = 4) {
    auto config = AwsJsonClientConfig::for_service(AwsService::dynamodb, server_->endpoint(), "eu-west-1");
    config.retry = {.max_attempts = max_attempts, .base_delay = 100ms, .max_delay = 1000ms};
    return AwsJsonClient(config, provider_, *http_, slow_clock_);
  }

  std::size_t request_count() {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

  Credentials credentials_{"AKIDEXAMPLE", kSecret, kToken};
  StaticCredentialsProvider provider_{credentials_};
  ManualClock clock_{*parse_time("2026-11-24T12:00:00Z")};
  // Each backoff lasts a second more than asked: each attempt must sign at its own time.
  SleepHookClock slow_clock_{clock_, [this](std::chrono::milliseconds) { clock_.advance(Seconds(1)); }};
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client({.proxy = net::ProxySettings{}});
  std::unique_ptr<net::HttpServer> server_;
  std::vector<Answer> answers_{{200, json::object()}};
  std::mutex mutex_;
  std::vector<net::HttpRequest> requests_;
  std::vector<std::string> signature_problems_;
};

TEST_F(AwsJsonClientTest, SendsASignedJsonRequest) {
  answers_ = {{200, {{"Item", {{"pk", {{"S", "a"}}}}}}}};
  auto c = client();
  const json input = {{"TableName", "grants"}, {"Key", {{"pk", {{"S", "a"}}}}}};
  auto r = c.call("GetItem", input);
  ASSERT_TRUE(r) << r.error().code << ": " << r.error().message;
  EXPECT_EQ((*r)["Item"]["pk"]["S"], "a");
  ASSERT_EQ(requests_.size(), 1u);
  const auto& sent = requests_[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/");
  EXPECT_EQ(header(sent, "X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(header(sent, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(header(sent, "X-Amz-Security-Token"), kToken);
  EXPECT_EQ(header(sent, "X-Amz-Date"), "20261124T120000Z");
  EXPECT_EQ(json::parse(sent.body), input);
  EXPECT_EQ(signature_problems_[0], "");
  EXPECT_TRUE(contains(*header(sent, "Authorization"), "x-amz-security-token;x-amz-target"));
}

TEST_F(AwsJsonClientTest, RetriesThrottlingAndSignsEachAttemptAfresh) {
  const json throttled = {{"__type", "com.amazonaws.dynamodb.v20120810#ThrottlingException"}, {"message", "Rate exceeded"}};
  answers_ = {{400, throttled}, {400, throttled}, {200, {{"ok", true}}}};
  auto c = client();
  auto r = c.call("PutItem", {{"TableName", "grants"}});
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(request_count(), 3u);
  const auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);  // full jitter under the exponential cap: [0, 100 ms], [0, 200 ms]
  EXPECT_LE(sleeps[0], 100ms);
  EXPECT_LE(sleeps[1], 200ms);
  for (const auto& problem : signature_problems_) EXPECT_EQ(problem, "");
  EXPECT_EQ(header(requests_[0], "X-Amz-Date"), "20261124T120000Z");
  EXPECT_EQ(header(requests_[2], "X-Amz-Date"), "20261124T120002Z");
}

TEST_F(AwsJsonClientTest, EveryRetryableKindIsRetried) {
  for (const char* code : {"ThrottledException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                           "TooManyRequestsException", "TransactionInProgressException"}) {
    EXPECT_TRUE(is_throttling_code(code)) << code;
  }
  answers_ = {{500, {{"__type", "com.amazon.coral.availability#InternalServerError"}}}};
  auto c = client(3);
  auto r = c.call("PutItem", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InternalServerError");
  EXPECT_EQ(r.error().http_status, 500);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(request_count(), 3u);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(AwsJsonClientTest, ValidationErrorIsNotRetried) {
  answers_ = {{400, {{"__type", "com.amazon.coral.validate#ValidationException"},
                     {"message", "One or more parameter values were invalid"}}}};
  auto c = client();
  auto r = c.call("PutItem", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ValidationException");
  EXPECT_EQ(r.error().message, "One or more parameter values were invalid");
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(request_count(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(AwsJsonClientTest, ErrorTypeHeaderAndCapitalMessage) {
  answers_ = {{400, {{"Message", "Table not found"}},
               {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.coral/"}}}};
  auto r = client().call("DescribeTable", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceNotFoundException");
  EXPECT_EQ(r.error().message, "Table not found");
}

TEST_F(AwsJsonClientTest, TransactionCanceledKeepsTheWholeBody) {
  const json body = {{"__type", "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"},
                     {"Message", "Transaction cancelled"},
                     {"CancellationReasons", json::array({{{"Code", "ConditionalCheckFailed"}}, {{"Code", "None"}}})}};
  answers_ = {{400, body}};
  auto r = client().call("TransactWriteItems", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "TransactionCanceledException");
  EXPECT_EQ(r.error().body["CancellationReasons"][0]["Code"], "ConditionalCheckFailed");
  EXPECT_EQ(request_count(), 1u);
}

TEST_F(AwsJsonClientTest, TransportErrorsAreRetriedAndLoggedWithoutSecrets) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  net::Endpoint closed{"http", "127.0.0.1", testing::free_port(), ""};
  auto config = AwsJsonClientConfig::for_service(AwsService::dynamodb, closed, "eu-west-1");
  config.retry.max_attempts = 3;
  AwsJsonClient c(config, provider_, *http_, clock_);
  auto r = c.call("PutItem", {{"Item", {{"secret-looking-value", 1}}}});
  spdlog::set_default_logger(previous);

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Transport");
  EXPECT_EQ(r.error().http_status, 0);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
  const std::string line = log.str();
  EXPECT_TRUE(contains(line, "DynamoDB_20120810.PutItem")) << line;
  EXPECT_TRUE(contains(line, closed.to_string())) << line;
  EXPECT_TRUE(contains(line, "attempts=3")) << line;
  EXPECT_TRUE(contains(line, "Transport")) << line;
  EXPECT_FALSE(contains(line, kSecret));
  EXPECT_FALSE(contains(line, kToken));
  EXPECT_FALSE(contains(line, "secret-looking-value"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
}

TEST_F(AwsJsonClientTest, CredentialsFailureIsNotRetried) {
  FailingCredentials none;
  auto config = AwsJsonClientConfig::for_service(AwsService::dynamodb, server_->endpoint(), "eu-west-1");
  AwsJsonClient c(config, none, *http_, clock_);
  auto r = c.call("PutItem", json::object());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "Credentials");
  EXPECT_TRUE(contains(r.error().message, "tried env"));
  EXPECT_EQ(request_count(), 0u);
}

TEST(AwsJsonClientConfig, ServiceWireFacts) {
  auto endpoint = *net::Endpoint::parse("https://sso.us-east-1.amazonaws.com");
  auto sso = AwsJsonClientConfig::for_service(AwsService::sso_admin, endpoint, "us-east-1");
  EXPECT_EQ(sso.signing_name, "sso");
  EXPECT_EQ(sso.target_prefix, "SWBExternalService");
  EXPECT_EQ(sso.json_version, "1.1");
  auto ids = AwsJsonClientConfig::for_service(AwsService::identitystore, endpoint, "us-east-1");
  EXPECT_EQ(ids.signing_name, "identitystore");
  EXPECT_EQ(ids.target_prefix, "AWSIdentityStore");
  EXPECT_EQ(ids.json_version, "1.1");
  auto ddb = AwsJsonClientConfig::for_service(AwsService::dynamodb, endpoint, "us-east-1");
  EXPECT_EQ(ddb.signing_name, "dynamodb");
  EXPECT_EQ(ddb.target_prefix, "DynamoDB_20120810");
  EXPECT_EQ(ddb.json_version, "1.0");
}

net::EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Endpoints, DefaultsToThePublicEndpoint) {
  EXPECT_EQ(resolve_endpoint(AwsService::dynamodb, "eu-west-1", env_of({}))->to_string(),
            "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::sso_admin, "us-east-1", env_of({}))->to_string(),
            "https://sso.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::identitystore, "us-east-2", env_of({}))->to_string(),
            "https://identitystore.us-east-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(AwsService::sts, "cn-north-1", env_of({}))->to_string(),
            "https://sts.cn-north-1.amazonaws.com.cn");
}

TEST(Endpoints, ServiceVariableThenGlobalVariable) {
  auto env = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                     {"AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000/"},
                     {"AWS_ENDPOINT_URL_SSO_ADMIN", "https://sso.example.test"}});
  EXPECT_EQ(resolve_endpoint(AwsService::dynamodb, "eu-west-1", env)->to_string(), "http://localhost:8000");
  EXPECT_EQ(resolve_endpoint(AwsService::sso_admin, "", env)->to_string(), "https://sso.example.test");
  EXPECT_EQ(resolve_endpoint(AwsService::identitystore, "", env)->to_string(), "http://127.0.0.1:5000");
  EXPECT_EQ(resolve_endpoint(AwsService::sts, "", env)->to_string(), "http://127.0.0.1:5000");
  auto ignored = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  EXPECT_EQ(resolve_endpoint(AwsService::sts, "us-east-1", ignored)->to_string(), "https://sts.us-east-1.amazonaws.com");
}

TEST(Endpoints, ErrorsNameTheVariable) {
  auto r = resolve_endpoint(AwsService::identitystore, "us-east-1",
                            env_of({{"AWS_ENDPOINT_URL_IDENTITYSTORE", "http://identitystore.example.com"}}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, "AWS_ENDPOINT_URL_IDENTITYSTORE")) << r.error().message;
  r = resolve_endpoint(AwsService::dynamodb, "", env_of({}));
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "AWS_REGION")) << r.error().message;
  EXPECT_FALSE(resolve_endpoint(AwsService::dynamodb, "eu-west-1.evil.com/", env_of({})));
}

}  // namespace
}  // namespace jit::aws
