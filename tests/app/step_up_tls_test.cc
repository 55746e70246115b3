// The step-up page's TLS identity (issue 15): from the JIT_STEP_UP_TLS_CERTIFICATE and
// JIT_STEP_UP_TLS_KEY variables when both are set (ECS gives secrets as variables), else from the
// [step_up] files; every error names the variables or settings, never a variable's value.
#include "app/step_up_tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/test_certs.h"
#include "support/scoped_env.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class StepUpTlsTest : public ::testing::Test {
 protected:
  TestCa ca;
  TestCertificate page = ca.issue({"DNS:jit.internal.example"});
  TestCertificate other = ca.issue({"DNS:other.example"});
};

TEST_F(StepUpTlsTest, BothVariablesAreUsedWithoutFilesAndBeforeThem) {
  const StepUpTlsEnv env{page.certificate_pem, page.private_key_pem};
  auto tls = load_step_up_tls(StepUpSettings{}, env);
  ASSERT_TRUE(tls) << tls.error().message;
  EXPECT_EQ(tls->identity.certificate_chain_pem, page.certificate_pem);
  EXPECT_EQ(tls->identity.private_key_pem, page.private_key_pem);
  EXPECT_EQ(tls->source, "JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY");
  // Files that are set (here, not even there) are not read when both variables are.
  const StepUpSettings files{.tls_certificate_file = "/nonexistent/page.crt", .tls_key_file = "/nonexistent/page.key"};
  auto over_files = load_step_up_tls(files, env);
  ASSERT_TRUE(over_files) << over_files.error().message;
  EXPECT_EQ(over_files->identity.private_key_pem, page.private_key_pem);
}

TEST_F(StepUpTlsTest, TheFilesAreUsedWhenNoVariableIsSet) {
  const StepUpSettings files{.tls_certificate_file = write_temp_file(page.certificate_pem, ".crt"),
                             .tls_key_file = write_temp_file(page.private_key_pem, ".key")};
  for (const StepUpTlsEnv& env : {StepUpTlsEnv{}, StepUpTlsEnv{"", ""}}) {
    auto tls = load_step_up_tls(files, env);
    ASSERT_TRUE(tls) << tls.error().message;
    EXPECT_EQ(tls->identity.certificate_chain_pem, page.certificate_pem);
    EXPECT_THAT(tls->source, HasSubstr("[step_up] tls_certificate_file " + files.tls_certificate_file));
  }
}

TEST_F(StepUpTlsTest, OneVariableWithoutTheOtherNamesBothAndNotTheValue) {
  const StepUpSettings files{.tls_certificate_file = write_temp_file(page.certificate_pem, ".crt"),
                             .tls_key_file = write_temp_file(page.private_key_pem, ".key")};
  auto only_key = load_step_up_tls(files, {std::nullopt, page.private_key_pem});
  ASSERT_FALSE(only_key);
  EXPECT_EQ(only_key.error().code, Errc::invalid);
  EXPECT_THAT(only_key.error().message,
              HasSubstr("JIT_STEP_UP_TLS_KEY is set but JIT_STEP_UP_TLS_CERTIFICATE is not: set both"));
  EXPECT_THAT(only_key.error().message, Not(HasSubstr("PRIVATE KEY")));
  auto only_certificate = load_step_up_tls(files, {page.certificate_pem, ""});
  ASSERT_FALSE(only_certificate);
  EXPECT_THAT(only_certificate.error().message,
              HasSubstr("JIT_STEP_UP_TLS_CERTIFICATE is set but JIT_STEP_UP_TLS_KEY is not"));
  EXPECT_THAT(only_certificate.error().message, Not(HasSubstr("CERTIFICATE-----")));
}

TEST_F(StepUpTlsTest, NeitherTheVariablesNorBothFilesNamesBothWays) {
  for (const StepUpSettings& settings :
       {StepUpSettings{}, StepUpSettings{.tls_certificate_file = write_temp_file(page.certificate_pem, ".crt")}}) {
    auto tls = load_step_up_tls(settings, {});
    ASSERT_FALSE(tls);
    EXPECT_EQ(tls.error().code, Errc::invalid);
    EXPECT_THAT(tls.error().message, HasSubstr("set [step_up] tls_certificate_file and tls_key_file (PEM files), or "
                                               "the variables JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY"));
  }
}

TEST_F(StepUpTlsTest, ABadPairFromTheVariablesNamesThemAndNotTheirValues) {
  const std::string secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW1hcmtlcg==\n-----END PRIVATE KEY-----\n";
  auto not_a_key = load_step_up_tls({}, {page.certificate_pem, secret});
  ASSERT_FALSE(not_a_key);
  EXPECT_EQ(not_a_key.error().code, Errc::invalid);
  EXPECT_THAT(not_a_key.error().message, HasSubstr("JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY: bad TLS"));
  EXPECT_THAT(not_a_key.error().message, Not(HasSubstr("c2VjcmV0LW1hcmtlcg")));
  auto mismatched = load_step_up_tls({}, {page.certificate_pem, other.private_key_pem});
  ASSERT_FALSE(mismatched);
  EXPECT_THAT(mismatched.error().message, HasSubstr("JIT_STEP_UP_TLS_CERTIFICATE and JIT_STEP_UP_TLS_KEY: bad TLS "
                                                    "private key: key values mismatch"));
}

TEST_F(StepUpTlsTest, AVariableLargerThanAFileMayBeIsRefusedByName) {
  const std::string huge = page.certificate_pem + std::string(64 * 1024, 'A');
  auto tls = load_step_up_tls({}, {huge, page.private_key_pem});
  ASSERT_FALSE(tls);
  EXPECT_EQ(tls.error().code, Errc::invalid);
  EXPECT_THAT(tls.error().message, HasSubstr("JIT_STEP_UP_TLS_CERTIFICATE is "));
  EXPECT_THAT(tls.error().message, HasSubstr("more than the 65536 allowed"));
  EXPECT_THAT(tls.error().message, Not(HasSubstr("AAAA")));
  // 64 KiB exactly is allowed (here a valid chain padded with text after it).
  const std::string padded = page.certificate_pem + std::string(64 * 1024 - page.certificate_pem.size(), '\n');
  EXPECT_TRUE(load_step_up_tls({}, {padded, page.private_key_pem}));
}

TEST_F(StepUpTlsTest, TheProcessVariablesAreRead) {
  {
    const ScopedEnv env{{"JIT_STEP_UP_TLS_CERTIFICATE", page.certificate_pem.c_str()},
                        {"JIT_STEP_UP_TLS_KEY", page.private_key_pem.c_str()}};
    const StepUpTlsEnv read = StepUpTlsEnv::from_process();
    EXPECT_TRUE(read.both());
    auto tls = load_step_up_tls(StepUpSettings{});
    ASSERT_TRUE(tls) << tls.error().message;
    EXPECT_EQ(tls->identity.private_key_pem, page.private_key_pem);
  }
  const ScopedEnv unset{{"JIT_STEP_UP_TLS_CERTIFICATE", nullptr}, {"JIT_STEP_UP_TLS_KEY", nullptr}};
  EXPECT_FALSE(StepUpTlsEnv::from_process().either());
  EXPECT_FALSE(load_step_up_tls(StepUpSettings{}));
}

}  // namespace
}  // namespace jit::testing
