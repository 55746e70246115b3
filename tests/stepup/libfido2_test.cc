// What Debian's libfido2 checks on its own, pinned so that a change in it shows here: which of
// verify_registration/verify_assertion's checks rest on libfido2 and which on our code.
#include <fido.h>
#include <fido/es256.h>
#include <gtest/gtest.h>

#include <memory>

#include "crypto/digest.h"
#include "crypto/ed25519.h"
#include "stepup/webauthn.h"
#include "support/soft_authenticator.h"

namespace jit::stepup {
namespace {
namespace libfido2_test {  // its own names: the unity build compiles it beside other files

const RelyingParty kRp{"https://jit.example.test", "jit.example.test"};

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

StepUpChallenge challenge() {
  StepUpChallenge c;
  c.user_id = "U0A";
  c.request_id = "req-1";
  c.action = "approve";
  c.nonce = "n";
  return c;
}

// fido_assert_verify alone on an assertion made with `options`.
int libfido2_verdict(testing::SoftAuthenticator& key, const std::string& public_key,
                     const testing::SoftAnswerOptions& options) {
  Assertion a = key.assertion(kRp, challenge(), options);
  std::string client_data = *crypto::from_base64url(a.client_data_json);
  std::string data = *crypto::from_base64url(a.authenticator_data);
  std::string signature = *crypto::from_base64url(a.signature);
  std::string pk_bytes = *crypto::from_base64url(public_key);
  fido_assert_t* fa = fido_assert_new();
  es256_pk_t* pk = es256_pk_new();
  EXPECT_EQ(es256_pk_from_ptr(pk, pk_bytes.data(), pk_bytes.size()), FIDO_OK);
  EXPECT_EQ(fido_assert_set_count(fa, 1), FIDO_OK);
  EXPECT_EQ(fido_assert_set_authdata_raw(fa, 0, bytes(data), data.size()), FIDO_OK);
  EXPECT_EQ(fido_assert_set_clientdata(fa, bytes(client_data), client_data.size()), FIDO_OK);
  EXPECT_EQ(fido_assert_set_rp(fa, kRp.rp_id.c_str()), FIDO_OK);
  fido_assert_set_up(fa, FIDO_OPT_TRUE);
  fido_assert_set_uv(fa, FIDO_OPT_TRUE);
  EXPECT_EQ(fido_assert_set_sig(fa, 0, bytes(signature), signature.size()), FIDO_OK);
  int r = fido_assert_verify(fa, 0, COSE_ES256, pk);
  es256_pk_free(&pk);
  fido_assert_free(&fa);
  return r;
}

TEST(LibFido2, AssertVerifyChecksTheRpIdHashAndTheUpUvFlagsItself) {
  fido_init(0);
  testing::SoftAuthenticator key(-7);
  auto made = verify_registration(kRp, challenge(), key.registration(kRp, challenge()));
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(libfido2_verdict(key, made->public_key, {}), FIDO_OK);
  EXPECT_NE(libfido2_verdict(key, made->public_key, {.rp_id = "evil.example"}), FIDO_OK);
  EXPECT_NE(libfido2_verdict(key, made->public_key, {.user_present = false}), FIDO_OK);
  EXPECT_NE(libfido2_verdict(key, made->public_key, {.user_verified = false}), FIDO_OK);
  // It does not read clientDataJSON: another origin, type or challenge verifies (our checks refuse).
  EXPECT_EQ(libfido2_verdict(key, made->public_key, {.origin = "https://evil.example"}), FIDO_OK);
  EXPECT_EQ(libfido2_verdict(key, made->public_key, {.type = "webauthn.create", .challenge = "AAAA"}), FIDO_OK);
}

TEST(LibFido2, CredVerifyHasNothingToCheckForAttestationNone) {
  fido_init(0);
  testing::SoftAuthenticator key(-7);
  Registration r = key.registration(kRp, challenge());
  std::string client_data = *crypto::from_base64url(r.client_data_json);
  std::string data = *crypto::from_base64url(r.authenticator_data);
  fido_cred_t* cred = fido_cred_new();
  ASSERT_EQ(fido_cred_set_type(cred, COSE_ES256), FIDO_OK);
  ASSERT_EQ(fido_cred_set_authdata_raw(cred, bytes(data), data.size()), FIDO_OK);
  ASSERT_EQ(fido_cred_set_rp(cred, kRp.rp_id.c_str(), nullptr), FIDO_OK);
  ASSERT_EQ(fido_cred_set_clientdata(cred, bytes(client_data), client_data.size()), FIDO_OK);
  ASSERT_EQ(fido_cred_set_fmt(cred, "none"), FIDO_OK);
  // No attestation statement (x5c, sig): refused before any check, so it cannot be our check.
  EXPECT_EQ(fido_cred_verify(cred), FIDO_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fido_cred_verify_self(cred), FIDO_ERR_INVALID_ARGUMENT);
  // set_authdata_raw parsed the attested credential without looking at rpIdHash or flags.
  fido_cred_t* other = fido_cred_new();
  std::string other_rp = *crypto::from_base64url(
      key.registration(kRp, challenge(), {.rp_id = "evil.example", .user_present = false})
          .authenticator_data);
  ASSERT_EQ(fido_cred_set_type(other, COSE_ES256), FIDO_OK);
  EXPECT_EQ(fido_cred_set_authdata_raw(other, bytes(other_rp), other_rp.size()), FIDO_OK);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(fido_cred_id_ptr(other)), fido_cred_id_len(other)),
            key.raw_credential_id());
  fido_cred_free(&other);
  fido_cred_free(&cred);
}

}  // namespace libfido2_test
}  // namespace
}  // namespace jit::stepup
