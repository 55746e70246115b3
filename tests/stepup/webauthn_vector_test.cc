// The verifier against bytes not made at test time: tests/data/webauthn/vector.json, keys and
// signatures by the openssl command line, assembled by a Python script (its README says how).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "crypto/ed25519.h"
#include "stepup/webauthn.h"

namespace jit::stepup {
namespace {

nlohmann::json vector() {
  std::ifstream in(std::string(JIT_WEBAUTHN_DATA_DIR) + "/vector.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

StepUpChallenge challenge_of(const nlohmann::json& v, StepUpPurpose purpose) {
  StepUpChallenge c;
  c.purpose = purpose;
  c.user_id = v["challenge"]["user_id"];
  c.nonce = v["challenge"]["nonce"];
  if (purpose == StepUpPurpose::approve) {
    c.request_id = v["approve"]["request_id"];
    c.action = v["approve"]["action"];
  } else {
    c.action = "enroll";
  }
  return c;
}

TEST(FixedVector, ChallengeBytesMatchAnIndependentImplementation) {
  auto v = vector();
  EXPECT_EQ(crypto::base64url(challenge_bytes(challenge_of(v, StepUpPurpose::enroll))), v["enroll_challenge_bytes"]);
  EXPECT_EQ(crypto::base64url(challenge_bytes(challenge_of(v, StepUpPurpose::approve))), v["approve_challenge_bytes"]);
}

TEST(FixedVector, RegistrationsAndAssertionsVerify) {
  auto v = vector();
  RelyingParty rp{v["rp"]["origin"], v["rp"]["rp_id"]};
  ASSERT_EQ(v["credentials"].size(), 2u);
  for (const auto& c : v["credentials"]) {
    SCOPED_TRACE(c["cose_alg"].get<int>());
    const auto& r = c["registration"];
    auto made = verify_registration(rp, challenge_of(v, StepUpPurpose::enroll),
                                    {r["id"], r["clientDataJSON"], r["authenticatorData"], r["publicKeyAlgorithm"]});
    ASSERT_TRUE(made.has_value()) << made.error().message;
    EXPECT_EQ(made->credential_id, r["id"]);
    EXPECT_EQ(made->cose_alg, c["cose_alg"]);
    EXPECT_EQ(made->public_key, c["public_key"]);  // x ‖ y for ES256, the raw key for Ed25519
    EXPECT_EQ(made->sign_count, c["registration_sign_count"]);

    WebAuthnCredential credential{made->credential_id, "U0FIXED", made->cose_alg, made->public_key,
                                  made->sign_count, "key", {}, {}};
    const auto& a = c["assertion"];
    Assertion assertion{a["id"], a["clientDataJSON"], a["authenticatorData"], a["signature"]};
    auto verified = verify_assertion(rp, challenge_of(v, StepUpPurpose::approve), credential, assertion);
    ASSERT_TRUE(verified.has_value()) << verified.error().message;
    EXPECT_EQ(verified->sign_count, c["assertion_sign_count"]);
    EXPECT_EQ(verified->assertion_sha256, c["assertion_sha256"]);

    // The same bytes for another request, or once the count has moved past them, are refused.
    StepUpChallenge other = challenge_of(v, StepUpPurpose::approve);
    other.request_id = "req-other";
    EXPECT_EQ(verify_assertion(rp, other, credential, assertion).error().code, Errc::denied);
    credential.sign_count = c["assertion_sign_count"];
    EXPECT_EQ(verify_assertion(rp, challenge_of(v, StepUpPurpose::approve), credential, assertion).error().code,
              Errc::denied);
  }
}

}  // namespace
}  // namespace jit::stepup
