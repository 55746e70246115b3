// The HTTP sources of the credentials chain (web identity via STS, container, instance metadata)
// and the chain's refresh, each run twice: through a fake HttpClient and through the real client
// against a real loopback HttpServer standing in for STS / the metadata endpoints.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "fakes/manual_clock.h"
#include "aws/credentials_chain.h"
#include "aws/credentials_test_support.h"
#include "aws/sts_web_identity.h"
#include "support/aws_model_check.h"

namespace jit::aws {
namespace {

using namespace testing;  // NOLINT: the support header's names
using ::testing::TestWithParam;
using ::testing::Values;

std::string sts_reply(const std::string& key_id, TimePoint expiration) {
  return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
         "  <AssumeRoleWithWebIdentityResult>\n"
         "    <SubjectFromWebIdentityToken>system:serviceaccount:jit:jit</SubjectFromWebIdentityToken>\n"
         "    <Credentials>\n"
         "      <SessionToken>" + std::string(kStsToken) + "</SessionToken>\n"
         "      <SecretAccessKey>" + std::string(kStsSecret) + "</SecretAccessKey>\n"
         "      <Expiration>" + format_time(expiration) + "</Expiration>\n"
         "      <AccessKeyId>" + key_id + "</AccessKeyId>\n"
         "    </Credentials>\n"
         "    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/jit-access/s</Arn></AssumedRoleUser>\n"
         "  </AssumeRoleWithWebIdentityResult>\n"
         "  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>\n"
         "</AssumeRoleWithWebIdentityResponse>\n";
}

std::string credentials_json(const std::string& key_id, const std::string& secret, const std::string& token,
                             TimePoint expiration) {
  return nlohmann::json{{"Code", "Success"},
                        {"LastUpdated", "2026-11-24T11:00:00Z"},
                        {"Type", "AWS-HMAC"},
                        {"AccessKeyId", key_id},
                        {"SecretAccessKey", secret},
                        {"Token", token},
                        {"Expiration", format_time(expiration)},
                        {"RoleArn", kRoleArn}}
      .dump();
}

net::HttpResponse ok(std::string body, std::string type = "application/json") {
  return {200, {{"Content-Type", std::move(type)}}, std::move(body)};
}

// Serves the three IMDSv2 calls; the credentials expire an hour after `clock`'s now.
void serve_imds(StubPeer& peer, const Clock& clock, std::atomic<int>* key_number = nullptr) {
  peer.on("PUT", "/latest/api/token", [](const net::HttpRequest& r) -> net::HttpResponse {
    if (header_of(r, "X-aws-ec2-metadata-token-ttl-seconds") != "21600") return {400, {}, "missing ttl"};
    return ok(kImdsSession, "text/plain");
  });
  peer.on("GET", "/latest/meta-data/iam/security-credentials/", [](const net::HttpRequest& r) -> net::HttpResponse {
    if (header_of(r, "X-aws-ec2-metadata-token") != kImdsSession) return {401, {}, ""};
    return ok("jit-role\n", "text/plain");
  });
  peer.on("GET", "/latest/meta-data/iam/security-credentials/jit-role",
          [&clock, key_number](const net::HttpRequest& r) -> net::HttpResponse {
            if (header_of(r, "X-aws-ec2-metadata-token") != kImdsSession) return {401, {}, ""};
            const int n = key_number ? ++*key_number : 1;
            return ok(credentials_json("ASIAIMDS" + std::to_string(n), kImdsSecret, kImdsToken,
                                       clock.now() + std::chrono::hours(1)));
          });
}

class CredentialsOverHttp : public TestWithParam<Transport> {
 protected:
  CredentialsOverHttp() : connection_(GetParam(), peer_) {
    env_.set("HOME", home_.path()).set("AWS_EC2_METADATA_DISABLED", "true");
  }

  StubPeer peer_;
  PeerConnection connection_;
  ManualClock clock_{kStart};
  TempDir home_;
  FakeEnv env_;
};

INSTANTIATE_TEST_SUITE_P(Transports, CredentialsOverHttp, Values(Transport::fake, Transport::loopback),
                         transport_name);

// --- web identity ---------------------------------------------------------------------------

TEST_P(CredentialsOverHttp, WebIdentityFromEnvironmentPostsTheFormAndReadsTheXml) {
  peer_.on("POST", "/", [&](const net::HttpRequest&) { return ok(sts_reply("ASIASTS", kStart + std::chrono::hours(1)), "text/xml"); });
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.write("token", std::string(kWebIdentityToken) + "\n"))
      .set("AWS_ROLE_ARN", kRoleArn)
      .set("AWS_ROLE_SESSION_NAME", "jit-session")
      .set("AWS_ENDPOINT_URL_STS", connection_.url());
  auto source = make_web_identity_source(env_.lookup(), connection_.client(), clock_);
  auto got = source->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "ASIASTS");
  EXPECT_EQ(got->credentials.secret_access_key, kStsSecret);
  EXPECT_EQ(got->credentials.session_token, kStsToken);
  EXPECT_EQ(got->expiration, kStart + std::chrono::hours(1));

  const auto requests = peer_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_EQ(header_of(requests[0], "Content-Type").value_or("").rfind("application/x-www-form-urlencoded", 0), 0u);
  EXPECT_EQ(header_of(requests[0], "Authorization"), std::nullopt);  // unsigned
  const auto form = parse_form(requests[0].body);
  EXPECT_EQ(form.at("Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form.at("Version"), "2011-06-15");
  EXPECT_EQ(form.at("RoleArn"), kRoleArn);
  EXPECT_EQ(form.at("RoleSessionName"), "jit-session");
  EXPECT_EQ(form.at("WebIdentityToken"), kWebIdentityToken);  // the trailing newline is trimmed
  EXPECT_EQ(form.size(), 5u);
}

TEST_P(CredentialsOverHttp, WebIdentityFromProfileWithDefaultSessionName) {
  peer_.on("POST", "/", [&](const net::HttpRequest&) { return ok(sts_reply("ASIAPROFILE", kStart + std::chrono::hours(1)), "text/xml"); });
  const std::string token_file = home_.write("token", kWebIdentityToken);
  home_.write(".aws/config", "[profile k8s]\nrole_arn = " + std::string(kRoleArn) +
                                 "\nweb_identity_token_file = " + token_file + "\nregion = eu-west-1\n");
  env_.set("AWS_PROFILE", "k8s").set("AWS_ENDPOINT_URL", connection_.url());
  auto source = make_profile_source(env_.lookup(), connection_.client(), clock_);
  auto got = source->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "ASIAPROFILE");
  const auto form = parse_form(peer_.requests().at(0).body);
  EXPECT_EQ(form.at("RoleSessionName"), "jit-access-" + std::to_string(epoch_seconds(kStart)));
  EXPECT_EQ(form.at("WebIdentityToken"), kWebIdentityToken);
}

TEST_P(CredentialsOverHttp, WebIdentityStsRejectionIsDeniedWithStsCode) {
  peer_.on("POST", "/", [](const net::HttpRequest&) -> net::HttpResponse {
    return {400, {{"Content-Type", "text/xml"}},
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
            "<Code>InvalidIdentityToken</Code><Message>Token is expired &amp; invalid</Message></Error>"
            "<RequestId>r1</RequestId></ErrorResponse>"};
  });
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.write("token", kWebIdentityToken))
      .set("AWS_ROLE_ARN", kRoleArn)
      .set("AWS_ENDPOINT_URL_STS", connection_.url());
  auto got = make_web_identity_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::denied);
  EXPECT_NE(got.error().message.find("InvalidIdentityToken: Token is expired & invalid"), std::string::npos)
      << got.error().message;
  EXPECT_NE(got.error().message.find(kRoleArn), std::string::npos) << got.error().message;
}

// --- container ------------------------------------------------------------------------------

TEST_P(CredentialsOverHttp, ContainerFullUriWithToken) {
  peer_.on("GET", "/v1/credentials", [&](const net::HttpRequest& r) -> net::HttpResponse {
    if (header_of(r, "Authorization") != kContainerAuth) return {401, {}, ""};
    return ok(credentials_json("ASIAECS", kContainerSecret, kContainerToken, kStart + std::chrono::hours(6)));
  });
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", connection_.url() + "/v1/credentials?role=jit")
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerAuth);
  auto got = make_container_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "ASIAECS");
  EXPECT_EQ(got->credentials.secret_access_key, kContainerSecret);
  EXPECT_EQ(got->credentials.session_token, kContainerToken);
  EXPECT_EQ(got->expiration, kStart + std::chrono::hours(6));
  EXPECT_EQ(peer_.requests().at(0).target, "/v1/credentials?role=jit");
}

TEST_P(CredentialsOverHttp, ContainerTokenFileWinsOverToken) {
  peer_.on("GET", "/creds", [&](const net::HttpRequest& r) -> net::HttpResponse {
    if (header_of(r, "Authorization") != kContainerAuth) return {401, {}, ""};
    return ok(credentials_json("ASIAPOD", kContainerSecret, kContainerToken, kStart + std::chrono::hours(6)));
  });
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", connection_.url() + "/creds")
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", home_.write("eks-token", std::string(kContainerAuth) + "\n"))
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "the-wrong-token");
  auto got = make_container_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "ASIAPOD");
}

TEST_P(CredentialsOverHttp, ContainerErrorStatusIsUnavailable) {
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", connection_.url() + "/missing");
  auto got = make_container_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::unavailable);
  EXPECT_NE(got.error().message.find("HTTP 404"), std::string::npos) << got.error().message;
}

TEST_P(CredentialsOverHttp, ContainerRetriesServerErrorsWithinBounds) {
  std::atomic<int> calls = 0;
  peer_.on("GET", "/flaky", [&](const net::HttpRequest&) -> net::HttpResponse {
    if (++calls < 3) return {503, {}, "busy"};
    return ok(credentials_json("ASIAFLAKY", kContainerSecret, kContainerToken, kStart + std::chrono::hours(1)));
  });
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", connection_.url() + "/flaky");
  auto got = make_container_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100), std::chrono::milliseconds(200)}));

  calls = -10;  // never recovers within three attempts
  auto failed = make_container_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_FALSE(failed);
  EXPECT_EQ(calls, -7);
  EXPECT_NE(failed.error().message.find("HTTP 503"), std::string::npos) << failed.error().message;
}

// --- instance metadata ----------------------------------------------------------------------

TEST_P(CredentialsOverHttp, InstanceMetadataV2TokenRoleThenCredentials) {
  serve_imds(peer_, clock_);
  env_.unset("AWS_EC2_METADATA_DISABLED").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", connection_.url() + "/");
  auto got = make_instance_metadata_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "ASIAIMDS1");
  EXPECT_EQ(got->credentials.secret_access_key, kImdsSecret);
  EXPECT_EQ(got->credentials.session_token, kImdsToken);
  EXPECT_EQ(got->expiration, kStart + std::chrono::hours(1));
  const auto requests = peer_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/jit-role");
}

TEST_P(CredentialsOverHttp, InstanceMetadataWithoutRoleIsNotFound) {
  peer_.on("PUT", "/latest/api/token", [](const net::HttpRequest&) { return ok(kImdsSession, "text/plain"); });
  env_.unset("AWS_EC2_METADATA_DISABLED").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", connection_.url());
  auto got = make_instance_metadata_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::not_found);
  EXPECT_NE(got.error().message.find("no IAM role"), std::string::npos) << got.error().message;
}

TEST_P(CredentialsOverHttp, InstanceMetadataTokenRefusedIsUnavailable) {
  peer_.on("PUT", "/latest/api/token", [](const net::HttpRequest&) -> net::HttpResponse { return {403, {}, "IMDS off"}; });
  env_.unset("AWS_EC2_METADATA_DISABLED").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", connection_.url());
  auto got = make_instance_metadata_source(env_.lookup(), connection_.client(), clock_)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::unavailable);
  EXPECT_NE(got.error().message.find("HTTP 403"), std::string::npos) << got.error().message;
  EXPECT_EQ(peer_.hits("PUT", "/latest/api/token"), 1);  // 4xx is not retried
}

// --- the chain's cache and refresh ---------------------------------------------------------

TEST_P(CredentialsOverHttp, ChainCachesThenRefreshesInsideTheWindow) {
  std::atomic<int> key_number = 0;
  serve_imds(peer_, clock_, &key_number);
  env_.unset("AWS_EC2_METADATA_DISABLED").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", connection_.url());
  DefaultChainInputs inputs{env_.lookup(), &connection_.client(), nullptr, {}, {}};
  auto chain = make_default_credentials_chain(clock_, inputs);
  const std::string role_path = "/latest/meta-data/iam/security-credentials/jit-role";

  auto first = chain->get();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->access_key_id, "ASIAIMDS1");
  EXPECT_EQ(peer_.hits("GET", role_path), 1);

  clock_.advance(std::chrono::minutes(54));  // 6 minutes left: outside the 5-minute window
  auto cached = chain->get();
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->access_key_id, "ASIAIMDS1");
  EXPECT_EQ(peer_.hits("GET", role_path), 1);

  clock_.advance(std::chrono::minutes(2));  // 4 minutes left: refresh
  auto refreshed = chain->get();
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(refreshed->access_key_id, "ASIAIMDS2");
  EXPECT_EQ(peer_.hits("GET", role_path), 2);

  auto again = chain->get();  // the new ones are good for another hour
  ASSERT_TRUE(again);
  EXPECT_EQ(again->access_key_id, "ASIAIMDS2");
  EXPECT_EQ(peer_.hits("GET", role_path), 2);
}

TEST_P(CredentialsOverHttp, ChainKeepsValidCredentialsWhenRefreshFails) {
  std::atomic<bool> down = false;
  serve_imds(peer_, clock_);
  peer_.on("GET", "/latest/meta-data/iam/security-credentials/jit-role", [&](const net::HttpRequest&) -> net::HttpResponse {
    if (down) return {500, {}, "internal"};
    return ok(credentials_json("ASIAOLD", kImdsSecret, kImdsToken, clock_.now() + std::chrono::hours(1)));
  });
  env_.unset("AWS_EC2_METADATA_DISABLED").set("AWS_EC2_METADATA_SERVICE_ENDPOINT", connection_.url());
  DefaultChainInputs inputs{env_.lookup(), &connection_.client(), nullptr, {}, {}};
  auto chain = make_default_credentials_chain(clock_, inputs);
  const std::string role_path = "/latest/meta-data/iam/security-credentials/jit-role";
  ASSERT_TRUE(chain->get());

  LogCapture logs;
  down = true;
  clock_.advance(std::chrono::minutes(57));
  auto kept = chain->get();
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->access_key_id, "ASIAOLD");
  EXPECT_EQ(peer_.hits("GET", role_path), 1 + 3);  // one refresh of three attempts
  EXPECT_NE(logs.text().find("aws_credentials_refresh_failed"), std::string::npos) << logs.text();

  clock_.advance(std::chrono::seconds(10));  // within retry_after_failure: no new attempt
  ASSERT_TRUE(chain->get());
  EXPECT_EQ(peer_.hits("GET", role_path), 4);

  clock_.advance(std::chrono::minutes(3));  // expired, and the source is still down
  auto expired = chain->get();
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, Errc::unavailable);
  EXPECT_NE(expired.error().message.find("instance metadata"), std::string::npos) << expired.error().message;

  down = false;  // back up: the chain recovers on the next call
  auto recovered = chain->get();
  ASSERT_TRUE(recovered) << recovered.error().message;
}

TEST_P(CredentialsOverHttp, ChainRefreshRereadsRotatedTokenFiles) {
  std::vector<std::string> tokens_seen;
  std::mutex mutex;
  peer_.on("POST", "/", [&](const net::HttpRequest& r) {
    std::lock_guard lock(mutex);
    tokens_seen.push_back(parse_form(r.body)["WebIdentityToken"]);
    return ok(sts_reply("ASIAWEB" + std::to_string(tokens_seen.size()), clock_.now() + std::chrono::hours(1)), "text/xml");
  });
  const std::string token_file = home_.write("token", "first-token");
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file).set("AWS_ROLE_ARN", kRoleArn).set("AWS_ENDPOINT_URL_STS", connection_.url());
  DefaultChainInputs inputs{env_.lookup(), &connection_.client(), nullptr, {}, {}};
  auto chain = make_default_credentials_chain(clock_, inputs);
  ASSERT_EQ(chain->get().value_or(Credentials{}).access_key_id, "ASIAWEB1");
  home_.write("token", "rotated-token");  // Kubernetes rotates projected tokens in place
  clock_.advance(std::chrono::minutes(30));
  ASSERT_EQ(chain->get().value_or(Credentials{}).access_key_id, "ASIAWEB1");
  clock_.advance(std::chrono::minutes(26));
  ASSERT_EQ(chain->get().value_or(Credentials{}).access_key_id, "ASIAWEB2");
  std::lock_guard lock(mutex);
  EXPECT_EQ(tokens_seen, (std::vector<std::string>{"first-token", "rotated-token"}));
}

// The failure paths that carry a secret on the wire, through this transport too (the real client
// and server log on their own): nothing secret in the messages or the log.
TEST_P(CredentialsOverHttp, FailuresOverThisTransportRevealNoSecret) {
  LogCapture logs;
  std::vector<std::string> messages;
  peer_.on("POST", "/", [](const net::HttpRequest& r) -> net::HttpResponse {
    return {403, {}, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>token was " +
                         parse_form(r.body)["WebIdentityToken"] + "</Message></Error></ErrorResponse>"};
  });
  peer_.on("GET", "/c", [](const net::HttpRequest& r) -> net::HttpResponse {
    return {401, {}, "bad authorization " + header_of(r, "Authorization").value_or("")};
  });
  peer_.on("PUT", "/latest/api/token", [](const net::HttpRequest&) { return ok(kImdsSession, "text/plain"); });
  peer_.on("GET", "/latest/meta-data/iam/security-credentials/", [](const net::HttpRequest& r) -> net::HttpResponse {
    return {500, {}, "session " + header_of(r, "X-aws-ec2-metadata-token").value_or("")};
  });
  env_.unset("AWS_EC2_METADATA_DISABLED")
      .set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.write("token", kWebIdentityToken))
      .set("AWS_ROLE_ARN", kRoleArn)
      .set("AWS_ENDPOINT_URL_STS", connection_.url())
      .set("AWS_CONTAINER_CREDENTIALS_FULL_URI", connection_.url() + "/c")
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerAuth)
      .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", connection_.url());
  DefaultChainInputs inputs{env_.lookup(), &connection_.client(), nullptr, {}, {}};
  auto chain = make_default_credentials_chain(clock_, inputs);
  auto got = chain->get();
  ASSERT_FALSE(got);
  messages.push_back(got.error().message);
  EXPECT_NE(got.error().message.find("AccessDenied"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("HTTP 401"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("HTTP 500"), std::string::npos) << got.error().message;
  const std::string logged = logs.text();
  for (const auto& secret : all_secrets()) {
    for (const auto& message : messages) EXPECT_EQ(message.find(secret), std::string::npos) << message;
    EXPECT_EQ(logged.find(secret), std::string::npos) << secret << " logged in:\n" << logged;
  }
}

// --- not parameterised: what only the fake client can observe -------------------------------

TEST(CredentialsContainer, RelativeUriGoesToTheEcsAgent) {
  StubPeer peer;
  peer.on("GET", "/v2/credentials/0b9c6f", [](const net::HttpRequest&) {
    return ok(credentials_json("ASIAREL", kContainerSecret, kContainerToken, kStart + std::chrono::hours(1)));
  });
  FakeHttpClient http(peer);
  ManualClock clock;
  FakeEnv env;
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/0b9c6f");
  auto got = make_container_source(env.lookup(), http, clock)->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "ASIAREL");
  const auto endpoint = http.endpoints().at(0);
  EXPECT_EQ(endpoint.scheme, "http");
  EXPECT_EQ(endpoint.host, "169.254.170.2");
  EXPECT_EQ(endpoint.port, 80);
  EXPECT_EQ(header_of(peer.requests().at(0), "Authorization"), std::nullopt);
}

TEST(CredentialsContainer, FullUriHostRules) {
  StubPeer peer;
  peer.on("GET", "/c", [](const net::HttpRequest&) {
    return ok(credentials_json("ASIAOK", kContainerSecret, kContainerToken, kStart + std::chrono::hours(1)));
  });
  FakeHttpClient http(peer);
  ManualClock clock;
  auto fetch = [&](const std::string& url) {
    FakeEnv env;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    return make_container_source(env.lookup(), http, clock)->fetch();
  };
  for (const char* allowed : {"http://127.0.0.1:9000/c", "http://localhost/c", "http://[::1]:8080/c",
                              "http://169.254.170.23/c", "http://[fd00:ec2::23]/c", "https://creds.example.com/c"})
    EXPECT_TRUE(fetch(allowed)) << allowed;
  EXPECT_EQ(http.endpoints().at(2).host, "::1");
  EXPECT_EQ(http.endpoints().at(2).port, 8080);
  EXPECT_EQ(http.endpoints().at(5).scheme, "https");
  const size_t before = http.endpoints().size();
  for (const char* refused : {"http://creds.example.com/c", "http://10.0.0.1/c", "ftp://127.0.0.1/c", "http:///c",
                              "http://127.0.0.1:99999/c", "http://user@127.0.0.1/c"}) {
    auto got = fetch(refused);
    ASSERT_FALSE(got) << refused;
    EXPECT_EQ(got.error().code, Errc::invalid) << refused;
  }
  EXPECT_EQ(http.endpoints().size(), before);  // refused before any request
}

TEST(CredentialsContainer, NotConfiguredIsNotFound) {
  StubPeer peer;
  FakeHttpClient http(peer);
  ManualClock clock;
  FakeEnv env;
  auto got = make_container_source(env.lookup(), http, clock)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::not_found);
  EXPECT_TRUE(http.endpoints().empty());
}

TEST(CredentialsInstanceMetadata, DisabledMakesNoRequest) {
  StubPeer peer;
  FakeHttpClient http(peer);
  ManualClock clock;
  FakeEnv env;
  env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto got = make_instance_metadata_source(env.lookup(), http, clock)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::not_found);
  EXPECT_TRUE(http.endpoints().empty());
}

TEST(CredentialsInstanceMetadata, DefaultEndpointAndTransportRetries) {
  StubPeer peer;
  FakeHttpClient http(peer);
  ManualClock clock;
  http.fail_with(Error::Unavailable("connect to 169.254.169.254:80 timed out"));
  FakeEnv env;
  auto got = make_instance_metadata_source(env.lookup(), http, clock)->fetch();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::unavailable);
  EXPECT_NE(got.error().message.find("timed out"), std::string::npos) << got.error().message;
  ASSERT_EQ(http.endpoints().size(), 3u);
  EXPECT_EQ(http.endpoints()[0].host, "169.254.169.254");
  EXPECT_EQ(http.endpoints()[0].scheme, "http");
  EXPECT_EQ(clock.sleeps().size(), 2u);
}

TEST(CredentialsWebIdentity, StsEndpointChoice) {
  FakeEnv env;
  EXPECT_EQ(sts_endpoint(env.lookup(), "eu-west-1")->to_string(), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(sts_endpoint(env.lookup(), std::nullopt)->to_string(), "https://sts.us-east-1.amazonaws.com");
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
  EXPECT_EQ(sts_endpoint(env.lookup(), "eu-west-1")->port, 4566);
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000");
  EXPECT_EQ(sts_endpoint(env.lookup(), "eu-west-1")->port, 5000);
  env.set("AWS_ENDPOINT_URL_STS", "not a url");
  auto bad = sts_endpoint(env.lookup(), "eu-west-1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid);
  EXPECT_NE(bad.error().message.find("AWS_ENDPOINT_URL_STS"), std::string::npos);
}

TEST(CredentialsWebIdentity, HalfConfiguredAndMissingTokenFile) {
  StubPeer peer;
  FakeHttpClient http(peer);
  ManualClock clock(kStart);
  FakeEnv env;
  auto source = make_web_identity_source(env.lookup(), http, clock);
  EXPECT_EQ(source->fetch().error().code, Errc::not_found);
  env.set("AWS_ROLE_ARN", kRoleArn);
  EXPECT_EQ(source->fetch().error().code, Errc::invalid);
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/jit/token");
  auto missing = source->fetch();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::unavailable);
  EXPECT_NE(missing.error().message.find("/nonexistent/jit/token"), std::string::npos) << missing.error().message;
  EXPECT_TRUE(http.endpoints().empty());
}

TEST(CredentialsWebIdentity, ReplyWithoutCredentialsIsUnavailable) {
  auto got = parse_web_identity_response({200, {}, "<AssumeRoleWithWebIdentityResponse/>"});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::unavailable);
  auto partial = parse_web_identity_response(
      {200, {}, "<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey></Credentials>"});
  ASSERT_FALSE(partial);
  auto server = parse_web_identity_response({503, {}, "busy"});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().code, Errc::unavailable);
}

// The request and reply match the official STS model (botocore's service-2.json).
TEST(CredentialsWebIdentity, RequestAndReplyMatchTheStsModel) {
  const auto loaded = jit::testing::load_aws_model("sts/2011-06-15");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const nlohmann::json& model = *loaded;
  const auto& operation = model.at("operations").at("AssumeRoleWithWebIdentity");
  EXPECT_EQ(operation.at("http").at("method"), "POST");
  EXPECT_EQ(operation.at("http").at("requestUri"), "/");
  EXPECT_EQ(model.at("metadata").at("protocol"), "query");
  EXPECT_EQ(model.at("metadata").at("apiVersion"), "2011-06-15");

  const WebIdentityRequest request{kRoleArn, "jit-access-1795953600", kWebIdentityToken};
  const auto form = parse_form(web_identity_form(request));
  const auto& shapes = model.at("shapes");
  const auto& input = shapes.at(operation.at("input").at("shape").get<std::string>());
  for (const auto& required : input.at("required")) EXPECT_TRUE(form.contains(required.get<std::string>())) << required;
  for (const auto& [name, value] : form) {
    if (name == "Action" || name == "Version") continue;
    ASSERT_TRUE(input.at("members").contains(name)) << name;
    const auto& shape = shapes.at(input.at("members").at(name).at("shape").get<std::string>());
    if (shape.contains("min")) {
      EXPECT_GE(value.size(), shape.at("min").get<size_t>()) << name;
    }
    if (shape.contains("max")) {
      EXPECT_LE(value.size(), shape.at("max").get<size_t>()) << name;
    }
    if (name == "RoleSessionName") {
      EXPECT_TRUE(std::regex_match(value, std::regex(shape.at("pattern").get<std::string>()))) << value;
    }
  }
  const auto& output = shapes.at(operation.at("output").at("shape").get<std::string>());
  EXPECT_EQ(operation.at("output").at("resultWrapper"), "AssumeRoleWithWebIdentityResult");
  const auto& credentials = shapes.at(output.at("members").at("Credentials").at("shape").get<std::string>());
  for (const char* member : {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"})
    EXPECT_TRUE(credentials.at("members").contains(member)) << member;
}

}  // namespace
}  // namespace jit::aws
