// jit serve's step-up page (issue 15): started from [step_up], it serves the page over TLS; a TLS
// file it cannot read or an address it cannot bind stops start-up with the setting named.
#include "app/step_up_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/engine_fixture.h"
#include "fakes/memory_step_up_store.h"
#include "net/https_client.h"
#include "net/test_certs.h"
#include "support/free_port.h"
#include "support/scoped_env.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

class StepUpPageTest : public EngineTest {
 protected:
  StepUpPageTest() {
    const TestCertificate page = ca.issue({"DNS:localhost", "IP:127.0.0.1"});
    settings.origin = "https://localhost";
    settings.listen = fmt::format("127.0.0.1:{}", free_port());
    settings.tls_certificate_file = write_temp_file(page.certificate_pem, ".crt");
    settings.tls_key_file = write_temp_file(page.private_key_pem, ".key");
  }
  Result<std::unique_ptr<StepUpPage>> start() { return start_step_up_page(settings, *engine, links, store, clock); }

  TestCa ca;
  StepUpSettings settings;
  MemoryStepUpStore links;
};

TEST_F(StepUpPageTest, ServesThePageOverTls) {
  auto page = start();
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_THAT((*page)->url, HasSubstr("https://127.0.0.1:"));
  const std::string ca_file = write_temp_file(ca.certificate_pem(), ".crt");
  auto client = net::make_http_client({.ca_file = ca_file});
  auto answer = client->send(*net::Endpoint::parse((*page)->url), {"GET", "/static/step-up.css", {}, ""});
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_THAT(answer->header("Content-Security-Policy").value_or(""), HasSubstr("default-src 'none'"));
  (*page)->server->stop();
  EXPECT_FALSE(client->send(*net::Endpoint::parse((*page)->url), {"GET", "/static/step-up.css", {}, ""}));
}

// On ECS the identity comes as the JIT_STEP_UP_TLS_* variables, with no file settings.
TEST_F(StepUpPageTest, ServesThePageWithTheIdentityFromTheVariables) {
  const TestCertificate page_cert = ca.issue({"DNS:localhost", "IP:127.0.0.1"});
  const ScopedEnv env{{"JIT_STEP_UP_TLS_CERTIFICATE", page_cert.certificate_pem.c_str()},
                      {"JIT_STEP_UP_TLS_KEY", page_cert.private_key_pem.c_str()}};
  settings.tls_certificate_file.clear();
  settings.tls_key_file.clear();
  auto page = start();
  ASSERT_TRUE(page) << page.error().message;
  auto client = net::make_http_client({.ca_file = write_temp_file(ca.certificate_pem(), ".crt")});
  auto answer = client->send(*net::Endpoint::parse((*page)->url), {"GET", "/static/step-up.css", {}, ""});
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
}

TEST_F(StepUpPageTest, AnUnreadableTlsFileIsNamed) {
  settings.tls_key_file = "/nonexistent/step-up.key";
  auto page = start();
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, Errc::invalid);
  EXPECT_THAT(page.error().message, HasSubstr("[step_up] tls_key_file: cannot read /nonexistent/step-up.key"));
  settings.tls_certificate_file = "/nonexistent/step-up.crt";
  EXPECT_THAT(start().error().message, HasSubstr("[step_up] tls_certificate_file: cannot read /nonexistent/step-up.crt"));
}

TEST_F(StepUpPageTest, ACertificateThatIsNotOneIsNamed) {
  settings.tls_certificate_file = write_temp_file("not a certificate\n", ".crt");
  auto page = start();
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, Errc::invalid);
  EXPECT_THAT(page.error().message, HasSubstr("[step_up] tls_certificate_file"));
}

TEST_F(StepUpPageTest, AnAddressItCannotBindIsNamed) {
  auto first = start();
  ASSERT_TRUE(first) << first.error().message;
  auto second = start();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::unavailable);
  EXPECT_THAT(second.error().message, HasSubstr(fmt::format("[step_up] listen \"{}\"", settings.listen)));
  settings.listen = "nowhere";
  EXPECT_THAT(start().error().message, HasSubstr("[step_up] listen \"nowhere\": "));
}

}  // namespace
}  // namespace jit::testing
