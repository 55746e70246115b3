// The credentials chain: the environment and shared-file sources, the order of the default
// chain, caching across threads, and that no secret ever reaches an error message or a log line.
// The HTTP sources themselves are tested in credentials_http_test.cc.
#include "fakes/manual_clock.h"
#include "aws/credentials_chain.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "aws/credentials_test_support.h"
#include "aws/sts_web_identity.h"

namespace jit::aws {
namespace {

using namespace testing;  // NOLINT: the support header's names

TEST(CredentialsEnvironment, KeysAndOptionalToken) {
  FakeEnv env;
  auto source = make_environment_source(env.lookup());
  auto none = source->fetch();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::not_found);

  env.set("AWS_ACCESS_KEY_ID", "AKIAENV").set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  auto got = source->fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(got->credentials.secret_access_key, kEnvSecret);
  EXPECT_EQ(got->credentials.session_token, "");
  EXPECT_EQ(got->expiration, std::nullopt);

  env.set("AWS_SESSION_TOKEN", kEnvToken).set("AWS_CREDENTIAL_EXPIRATION", "2026-11-24T13:00:00Z");
  got = source->fetch();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->credentials.session_token, kEnvToken);
  EXPECT_EQ(got->expiration, kStart + std::chrono::hours(1));
}

TEST(CredentialsEnvironment, HalfConfiguredIsInvalid) {
  FakeEnv env;
  env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  auto source = make_environment_source(env.lookup());
  EXPECT_EQ(source->fetch().error().code, Errc::invalid);
  env.unset("AWS_ACCESS_KEY_ID").set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  EXPECT_EQ(source->fetch().error().code, Errc::invalid);
  env.set("AWS_ACCESS_KEY_ID", "");  // empty counts as unset
  EXPECT_EQ(source->fetch().error().code, Errc::invalid);
}

class CredentialsProfile : public ::testing::Test {
 protected:
  CredentialsProfile() { env_.set("HOME", home_.path()); }
  Result<TimedCredentials> fetch() { return make_profile_source(env_.lookup(), http_, clock_)->fetch(); }

  TempDir home_;
  FakeEnv env_;
  StubPeer peer_;
  FakeHttpClient http_{peer_};
  ManualClock clock_{kStart};
};

TEST_F(CredentialsProfile, DefaultProfileFromTheCredentialsFile) {
  home_.write(".aws/credentials", std::string("# keys\n[default]\naws_access_key_id = AKIAFILE\n") +
                                      "aws_secret_access_key = " + kFileSecret + "\n\n[other]\naws_access_key_id = NO\n");
  auto got = fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "AKIAFILE");
  EXPECT_EQ(got->credentials.secret_access_key, kFileSecret);
  EXPECT_EQ(got->credentials.session_token, "");
  EXPECT_EQ(got->expiration, std::nullopt);
  EXPECT_EQ(make_profile_source(env_.lookup(), http_, clock_)->name(), "shared files (profile default)");
}

TEST_F(CredentialsProfile, NamedProfileFromTheConfigFileWithToken) {
  home_.write(".aws/config", std::string("[default]\nregion = us-east-1\n[profile dev]\n") +
                                 "aws_access_key_id=AKIADEV\naws_secret_access_key=" + kFileSecret +
                                 "\naws_session_token = " + kFileToken + "\n");
  env_.set("AWS_PROFILE", "dev");
  auto got = fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "AKIADEV");
  EXPECT_EQ(got->credentials.session_token, kFileToken);
}

TEST_F(CredentialsProfile, PathOverridesFromTheEnvironment) {
  env_.set("AWS_SHARED_CREDENTIALS_FILE",
           home_.write("elsewhere/creds", std::string("[default]\naws_access_key_id=AKIAOVR\naws_secret_access_key=") +
                                              kFileSecret + "\n"));
  home_.write(".aws/credentials", "[default]\naws_access_key_id=AKIAHOME\naws_secret_access_key=x\n");
  auto got = fetch();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->credentials.access_key_id, "AKIAOVR");
}

TEST_F(CredentialsProfile, MissingPiecesAreReported) {
  auto none = fetch();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::not_found);

  home_.write(".aws/credentials", "[default]\naws_access_key_id = AKIAHALF\n");
  auto half = fetch();
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code, Errc::invalid);
  EXPECT_NE(half.error().message.find("aws_secret_access_key"), std::string::npos) << half.error().message;

  home_.write(".aws/credentials", "[default]\nregion = us-east-1\n");
  auto no_keys = fetch();
  ASSERT_FALSE(no_keys);
  EXPECT_EQ(no_keys.error().code, Errc::not_found);

  env_.set("AWS_PROFILE", "ghost");
  auto ghost = fetch();
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error().code, Errc::not_found);
  EXPECT_NE(ghost.error().message.find("profile ghost"), std::string::npos) << ghost.error().message;
}

TEST(CredentialsParsing, ExpirationFormats) {
  EXPECT_EQ(parse_expiration("2026-11-24T12:00:00Z"), kStart);
  EXPECT_EQ(parse_expiration("2026-11-24T12:00:00.123Z"), kStart);
  EXPECT_EQ(parse_expiration("2026-11-24T12:00:00+00:00"), kStart);
  EXPECT_EQ(parse_expiration("2026-11-24T12:00:00"), std::nullopt);
  EXPECT_EQ(parse_expiration("2026-11-24T12:00:00.Z"), std::nullopt);
  EXPECT_EQ(parse_expiration("2026-11-24T12:00:00+02:00"), std::nullopt);
  EXPECT_EQ(parse_expiration("yesterday"), std::nullopt);
}

TEST(CredentialsParsing, Redact) {
  EXPECT_EQ(redact("a SECRET b SECRET", {"SECRET", ""}), "a <redacted> b <redacted>");
  EXPECT_EQ(redact("nothing here", {"SECRET"}), "nothing here");
}

// --- the chain with scripted sources --------------------------------------------------------

class ScriptedSource final : public CredentialSource {
 public:
  ScriptedSource(std::string name, std::function<Result<TimedCredentials>()> script)
      : name_(std::move(name)), script_(std::move(script)) {}
  std::string name() const override { return name_; }
  Result<TimedCredentials> fetch() override {
    ++calls;
    return script_();
  }
  std::atomic<int> calls = 0;

 private:
  std::string name_;
  std::function<Result<TimedCredentials>()> script_;
};

TEST(CredentialsChainCache, StaticCredentialsAreFetchedOnceAcrossThreads) {
  ManualClock clock(kStart);
  auto owned = std::make_unique<ScriptedSource>("scripted", [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // widen the race window
    return Result<TimedCredentials>(TimedCredentials{{"AKIASTATIC", kEnvSecret, ""}, std::nullopt});
  });
  ScriptedSource& source = *owned;
  std::vector<std::unique_ptr<CredentialSource>> sources;
  sources.push_back(std::move(owned));
  CredentialsChain chain(std::move(sources), clock);

  std::vector<std::thread> threads;
  std::atomic<int> good = 0;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) good += chain.get().has_value();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good, 400);
  EXPECT_EQ(source.calls, 1);
  clock.advance(std::chrono::hours(24 * 365));  // long-term keys never expire
  ASSERT_TRUE(chain.get());
  EXPECT_EQ(source.calls, 1);
}

TEST(CredentialsChainCache, NotConfiguredSourcesAreSkippedInOrder) {
  ManualClock clock(kStart);
  std::vector<std::unique_ptr<CredentialSource>> sources;
  sources.push_back(std::make_unique<ScriptedSource>("first", [] {
    return Result<TimedCredentials>(fail(Error::NotFound("FIRST_VAR not set")));
  }));
  sources.push_back(std::make_unique<ScriptedSource>("second", [] {
    return Result<TimedCredentials>(fail(Error::Unavailable("second is down")));
  }));
  sources.push_back(std::make_unique<ScriptedSource>("third", [] {
    return Result<TimedCredentials>(TimedCredentials{{"AKIATHIRD", "s", ""}, std::nullopt});
  }));
  CredentialsChain chain(std::move(sources), clock);
  auto got = chain.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->access_key_id, "AKIATHIRD");
}

// --- the default chain's order --------------------------------------------------------------

// Every source configured at once, each answering with its own access key ID.
class CredentialsDefaultChain : public ::testing::Test {
 protected:
  CredentialsDefaultChain() {
    peer_.on("POST", "/", [](const net::HttpRequest&) -> net::HttpResponse {
      return {200, {}, "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                       "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>" + std::string(kStsSecret) +
                       "</SecretAccessKey><SessionToken>" + kStsToken +
                       "</SessionToken><Expiration>2026-11-24T13:00:00Z</Expiration></Credentials>"
                       "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"};
    });
    const auto json = [](const char* key_id) {
      return nlohmann::json{{"AccessKeyId", key_id}, {"SecretAccessKey", kContainerSecret},
                            {"Token", kContainerToken}, {"Expiration", "2026-11-24T13:00:00Z"}}
          .dump();
    };
    peer_.on("GET", "/container", [json](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, json("ASIAECS")}; });
    peer_.on("PUT", "/latest/api/token", [](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, kImdsSession}; });
    peer_.on("GET", "/latest/meta-data/iam/security-credentials/",
             [](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, "role"}; });
    peer_.on("GET", "/latest/meta-data/iam/security-credentials/role",
             [json](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, json("ASIAIMDS")}; });

    env_.set("HOME", home_.path())
        .set("AWS_ACCESS_KEY_ID", "AKIAENV")
        .set("AWS_SECRET_ACCESS_KEY", kEnvSecret)
        .set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.write("token", kWebIdentityToken))
        .set("AWS_ROLE_ARN", kRoleArn)
        .set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
        .set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/container")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
    home_.write(".aws/credentials", std::string("[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=") +
                                        kFileSecret + "\n");
  }

  Result<Credentials> get() {
    DefaultChainInputs inputs;
    inputs.env = env_.lookup();
    inputs.http = &http_;
    return make_default_credentials_chain(clock_, std::move(inputs))->get();
  }
  std::string winner() {
    auto got = get();
    return got ? got->access_key_id : "error: " + got.error().message;
  }

  TempDir home_;
  FakeEnv env_;
  StubPeer peer_;
  FakeHttpClient http_{peer_};
  ManualClock clock_{kStart};
};

TEST_F(CredentialsDefaultChain, EachSourceWinsOverTheOnesAfterIt) {
  EXPECT_EQ(winner(), "AKIAENV");
  env_.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(winner(), "AKIAFILE");
  std::filesystem::remove(home_.path() + "/.aws/credentials");
  EXPECT_EQ(winner(), "ASIAWEB");
  env_.unset("AWS_WEB_IDENTITY_TOKEN_FILE").unset("AWS_ROLE_ARN");
  EXPECT_EQ(winner(), "ASIAECS");
  env_.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(winner(), "ASIAIMDS");
  env_.set("AWS_EC2_METADATA_DISABLED", "true");
  auto none = get();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::unavailable);
  const std::string& message = none.error().message;
  EXPECT_EQ(message.rfind("no AWS credentials found; tried: ", 0), 0u) << message;
  size_t previous = 0;
  for (const char* name : {"environment: ", "shared files (profile default): ", "web identity: ", "container: ",
                           "instance metadata: "}) {
    const size_t at = message.find(name);
    ASSERT_NE(at, std::string::npos) << name << " missing from " << message;
    EXPECT_GT(at, previous) << name;
    previous = at;
  }
}

TEST_F(CredentialsDefaultChain, AFailingSourceFallsThroughToTheNext) {
  env_.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
  std::filesystem::remove(home_.path() + "/.aws/credentials");
  peer_.on("POST", "/", [](const net::HttpRequest&) -> net::HttpResponse { return {400, {}, "<Code>AccessDenied</Code>"}; });
  EXPECT_EQ(winner(), "ASIAECS");
}

// --- secrets never leak ---------------------------------------------------------------------

// Runs every failure path with recognisable secrets in every input and reply, and checks that no
// secret appears in an error message or in anything logged.
TEST(CredentialsSecrets, NoFailurePathRevealsASecret) {
  LogCapture logs;
  std::vector<std::string> messages;
  auto record = [&](const auto& result) {
    if (!result) messages.push_back(result.error().message);
  };
  TempDir home;
  ManualClock clock(kStart);
  StubPeer peer;
  FakeHttpClient http(peer);
  const std::string echo_all = [] {
    std::string s;
    for (const auto& secret : all_secrets()) s += secret + " ";
    return s;
  }();

  // Environment.
  {
    FakeEnv env;
    env.set("AWS_SECRET_ACCESS_KEY", kEnvSecret).set("AWS_SESSION_TOKEN", kEnvToken);
    record(make_environment_source(env.lookup())->fetch());
    env.set("AWS_ACCESS_KEY_ID", "AKIA").set("AWS_CREDENTIAL_EXPIRATION", kEnvToken);
    record(make_environment_source(env.lookup())->fetch());
  }
  // Shared files: a secret without a key ID, a key ID without a secret, junk lines.
  for (const std::string& text :
       {std::string("[default]\naws_secret_access_key=") + kFileSecret + "\naws_session_token=" + kFileToken + "\n",
        std::string("[default]\naws_access_key_id=AKIA\naws_session_token=") + kFileToken + "\n",
        std::string("[default]\n") + kFileSecret + "\n[" + kFileToken + "\n"}) {
    FakeEnv env;
    env.set("HOME", home.path()).set("AWS_SHARED_CREDENTIALS_FILE", home.write("credentials", text));
    record(make_profile_source(env.lookup(), http, clock)->fetch());
  }
  // Web identity: STS echoing everything back in errors, partial replies, transport errors.
  {
    FakeEnv env;
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", home.write("token", kWebIdentityToken))
        .set("AWS_ROLE_ARN", kRoleArn)
        .set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1");
    auto source = make_web_identity_source(env.lookup(), http, clock);
    for (int status : {400, 403, 500}) {
      peer.on("POST", "/", [&, status](const net::HttpRequest&) -> net::HttpResponse {
        // STS quotes its Message; a server that echoes the token it was sent must not leak it.
        return {status, {}, std::string("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token ") +
                                kWebIdentityToken + "</Message></Error></ErrorResponse>"};
      });
      record(source->fetch());
    }
    peer.on("POST", "/", [&](const net::HttpRequest&) -> net::HttpResponse {
      return {200, {}, std::string("<Credentials><SecretAccessKey>") + kStsSecret + "</SecretAccessKey><SessionToken>" +
                           kStsToken + "</SessionToken><Expiration>" + kStsToken + "</Expiration></Credentials>"};
    });
    record(source->fetch());
    http.fail_with(Error::Unavailable(std::string("connection reset while sending ") + kWebIdentityToken));
    record(source->fetch());
    http.fail_with(std::nullopt);
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", home.path() + "/missing-token");
    record(source->fetch());
  }
  // Container: echoing the authorization token, malformed replies, header injection.
  {
    FakeEnv env;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c")
        .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerAuth);
    auto source = make_container_source(env.lookup(), http, clock, MetadataRetry{.max_attempts = 1});
    peer.on("GET", "/c", [&](const net::HttpRequest&) -> net::HttpResponse { return {401, {}, echo_all}; });
    record(source->fetch());
    for (const std::string& body :
         {nlohmann::json{{"SecretAccessKey", kContainerSecret}, {"Token", kContainerToken}}.dump(),
          nlohmann::json{{"AccessKeyId", "A"}, {"SecretAccessKey", kContainerSecret}, {"Expiration", kContainerToken}}.dump(),
          std::string("{not json ") + kContainerSecret, std::string("[\"") + kContainerToken + "\"]"}) {
      peer.on("GET", "/c", [body](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, body}; });
      record(source->fetch());
    }
    http.fail_with(Error::Unavailable(std::string("send failed: Authorization: ") + kContainerAuth));
    record(source->fetch());
    http.fail_with(std::nullopt);
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", std::string(kContainerAuth) + "\r\nX-Injected: 1");
    record(source->fetch());
    env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", home.write("auth", std::string(kContainerAuth) + "\nmore"));
    record(source->fetch());
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.example.com/c");
    record(source->fetch());
  }
  // Instance metadata: the session token echoed in errors, bad role and credential replies.
  {
    FakeEnv env;
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
    auto source = make_instance_metadata_source(env.lookup(), http, clock, MetadataRetry{.max_attempts = 1});
    peer.on("PUT", "/latest/api/token", [](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, kImdsSession}; });
    peer.on("GET", "/latest/meta-data/iam/security-credentials/",
            [&](const net::HttpRequest&) -> net::HttpResponse { return {500, {}, echo_all}; });
    record(source->fetch());
    peer.on("GET", "/latest/meta-data/iam/security-credentials/",
            [](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, "role"}; });
    for (const std::string& body :
         {nlohmann::json{{"Code", "Failure"}, {"SecretAccessKey", kImdsSecret}, {"Token", kImdsToken}}.dump(),
          nlohmann::json{{"AccessKeyId", "A"}, {"SecretAccessKey", kImdsSecret}, {"Expiration", kImdsToken}}.dump(),
          std::string("garbage ") + kImdsSecret}) {
      peer.on("GET", "/latest/meta-data/iam/security-credentials/role",
              [body](const net::HttpRequest&) -> net::HttpResponse { return {200, {}, body}; });
      record(source->fetch());
    }
    peer.on("GET", "/latest/meta-data/iam/security-credentials/role",
            [&](const net::HttpRequest&) -> net::HttpResponse { return {403, {}, echo_all}; });
    record(source->fetch());
  }
  // The whole chain failing everywhere at once, then a refresh failure with valid credentials.
  {
    FakeEnv env;
    env.set("HOME", home.path())
        .set("AWS_SECRET_ACCESS_KEY", kEnvSecret)
        .set("AWS_SHARED_CREDENTIALS_FILE", home.write("c2", std::string("[default]\naws_secret_access_key=") + kFileSecret))
        .set("AWS_WEB_IDENTITY_TOKEN_FILE", home.write("token", kWebIdentityToken))
        .set("AWS_ROLE_ARN", kRoleArn)
        .set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
        .set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c")
        .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerAuth)
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
    peer.on("POST", "/", [&](const net::HttpRequest&) -> net::HttpResponse {
      return {403, {}, std::string("<Message>") + kWebIdentityToken + "</Message>"};
    });
    peer.on("GET", "/c", [&](const net::HttpRequest&) -> net::HttpResponse { return {500, {}, echo_all}; });
    DefaultChainInputs inputs;
    inputs.env = env.lookup();
    inputs.http = &http;
    inputs.metadata_retry = MetadataRetry{.max_attempts = 2};
    auto chain = make_default_credentials_chain(clock, inputs);
    record(chain->get());

    // Now only the container works; then it fails while its credentials are still valid.
    env.unset("AWS_SECRET_ACCESS_KEY").unset("AWS_WEB_IDENTITY_TOKEN_FILE").unset("AWS_ROLE_ARN");
    peer.on("GET", "/c", [](const net::HttpRequest&) -> net::HttpResponse {
      return {200, {}, nlohmann::json{{"AccessKeyId", "ASIAECS"}, {"SecretAccessKey", kContainerSecret},
                                      {"Token", kContainerToken}, {"Expiration", "2026-11-24T13:00:00Z"}}
                           .dump()};
    });
    auto good = chain->get();
    ASSERT_TRUE(good) << good.error().message;
    peer.on("GET", "/c", [&](const net::HttpRequest&) -> net::HttpResponse { return {500, {}, echo_all}; });
    // Only the container is asked from here on, so a transport error may quote what it was sent.
    env.unset("AWS_EC2_METADATA_SERVICE_ENDPOINT").set("AWS_EC2_METADATA_DISABLED", "true");
    http.fail_with(Error::Unavailable(std::string("reset: ") + kContainerAuth));
    clock.advance(std::chrono::minutes(58));
    ASSERT_TRUE(chain->get());  // kept, with a warning
    clock.advance(std::chrono::minutes(3));
    record(chain->get());  // expired: everything fails again
    http.fail_with(std::nullopt);
  }

  const std::string logged = logs.text();
  EXPECT_GE(messages.size(), 25u);
  EXPECT_NE(logged.find("aws_credentials_refresh_failed"), std::string::npos) << logged;
  for (const auto& secret : all_secrets()) {
    for (const auto& message : messages) EXPECT_EQ(message.find(secret), std::string::npos) << message;
    EXPECT_EQ(logged.find(secret), std::string::npos) << secret << " logged in:\n" << logged;
  }
}

}  // namespace
}  // namespace jit::aws
