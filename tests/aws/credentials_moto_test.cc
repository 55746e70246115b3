// Web identity against moto_server's STS (a third-party implementation of the Query protocol),
// through the default chain and the real HTTP client: checks our form and our XML reading
// against a reply we did not write (moto's Expiration has microseconds, for one).
#include <gtest/gtest.h>

#include "aws/credentials_chain.h"
#include "aws/credentials_test_support.h"
#include "support/moto.h"

namespace jit::aws {
namespace {

TEST(CredentialsMoto, DefaultChainAssumesRoleWithWebIdentityFromMotoSts) {
  auto moto = jit::testing::MotoServer::start();
  ASSERT_TRUE(moto) << moto.error().message;

  testing::TempDir home;
  testing::FakeEnv env;
  env.set("HOME", home.path())
      .set("AWS_WEB_IDENTITY_TOKEN_FILE", home.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqaXQifQ.c2ln\n"))
      .set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/jit-access")
      .set("AWS_ROLE_SESSION_NAME", "jit-moto")
      .set("AWS_ENDPOINT_URL_STS", moto->url())
      .set("AWS_EC2_METADATA_DISABLED", "true");
  net::ClientOptions options;
  options.proxy = net::ProxySettings{};
  auto http = net::make_http_client(options);
  SystemClock clock;
  DefaultChainInputs inputs;
  inputs.env = env.lookup();
  inputs.http = http.get();
  auto chain = make_default_credentials_chain(clock, std::move(inputs));

  auto got = chain->get();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->access_key_id.starts_with("ASIA")) << got->access_key_id;
  EXPECT_FALSE(got->secret_access_key.empty());
  EXPECT_FALSE(got->session_token.empty());
  auto again = chain->get();  // cached: moto's credentials last an hour
  ASSERT_TRUE(again);
  EXPECT_EQ(again->access_key_id, got->access_key_id);
}

}  // namespace
}  // namespace jit::aws
