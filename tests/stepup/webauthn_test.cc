// The WebAuthn verifier (stepup/webauthn.h) against a software authenticator made with OpenSSL
// (support/soft_authenticator.h): every check it promises, each refusal produced on purpose.
#include "stepup/webauthn.h"

#include <gtest/gtest.h>

#include "crypto/digest.h"
#include "crypto/ed25519.h"
#include "support/soft_authenticator.h"

namespace jit::stepup {
namespace {

using testing::SoftAnswerOptions;
using testing::SoftAuthenticator;

const RelyingParty kRp{"https://jit.example.test", "jit.example.test"};

StepUpChallenge approve_challenge() {
  StepUpChallenge c;
  c.id = "tok";
  c.purpose = StepUpPurpose::approve;
  c.user_id = "U0APPROVER";
  c.request_id = "req-1";
  c.action = "approve";
  c.nonce = "nonce-nonce-nonce";
  return c;
}

StepUpChallenge enroll_challenge() {
  StepUpChallenge c = approve_challenge();
  c.purpose = StepUpPurpose::enroll;
  c.request_id = "";
  c.action = "enroll";
  return c;
}

// Enrols `key` and returns the credential as the store would hold it.
WebAuthnCredential enrol(SoftAuthenticator& key) {
  auto made = verify_registration(kRp, enroll_challenge(), key.registration(kRp, enroll_challenge()));
  EXPECT_TRUE(made.has_value()) << made.error().message;
  WebAuthnCredential c;
  c.credential_id = made->credential_id;
  c.user_id = "U0APPROVER";
  c.cose_alg = made->cose_alg;
  c.public_key = made->public_key;
  c.sign_count = made->sign_count;
  return c;
}

void expect_error(const auto& result, Errc code, std::string_view words) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
}

TEST(ChallengeBytes, AreSha256OfTheLabelAndEachLengthPrefixedField) {
  StepUpChallenge c = approve_challenge();
  std::string input = "jit-step-up-v1";
  for (std::string field : {std::string("approve"), c.user_id, c.request_id, c.action, c.nonce}) {
    input += std::string({'\0', '\0', '\0', static_cast<char>(field.size())}) + field;
  }
  EXPECT_EQ(challenge_bytes(c), crypto::sha256(input));
  EXPECT_EQ(challenge_bytes(c).size(), 32u);
}

TEST(ChallengeBytes, EveryBindingFieldChangesThem) {
  StepUpChallenge base = approve_challenge();
  std::string bytes = challenge_bytes(base);
  auto changed = [&](auto edit) {
    StepUpChallenge c = base;
    edit(c);
    return challenge_bytes(c);
  };
  EXPECT_NE(bytes, changed([](auto& c) { c.purpose = StepUpPurpose::enroll; }));
  EXPECT_NE(bytes, changed([](auto& c) { c.user_id = "U0OTHER"; }));
  EXPECT_NE(bytes, changed([](auto& c) { c.request_id = "req-2"; }));
  EXPECT_NE(bytes, changed([](auto& c) { c.action = "approve_partial"; }));
  EXPECT_NE(bytes, changed([](auto& c) { c.nonce = "another"; }));
  // Length prefixes: moving a byte from one field to the next is another challenge.
  EXPECT_NE(changed([](auto& c) { c.user_id = "U0A"; c.request_id = "Breq"; }),
            changed([](auto& c) { c.user_id = "U0AB"; c.request_id = "req"; }));
  // Not the id nor the times: they bind nothing.
  EXPECT_EQ(bytes, changed([](auto& c) { c.id = "other-token"; c.created_at = TimePoint{} + std::chrono::hours(1); }));
}

class WebAuthnTest : public ::testing::TestWithParam<int> {};

TEST_P(WebAuthnTest, RegistrationThenAssertionAreAccepted) {
  SoftAuthenticator key(GetParam(), 7);
  auto made = verify_registration(kRp, enroll_challenge(), key.registration(kRp, enroll_challenge()));
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(made->credential_id, key.credential_id());
  EXPECT_EQ(made->cose_alg, GetParam());
  EXPECT_EQ(made->sign_count, 7u);
  EXPECT_EQ(crypto::from_base64url(made->public_key)->size(), GetParam() == -7 ? 64u : 32u);

  WebAuthnCredential credential{made->credential_id, "U0APPROVER", made->cose_alg, made->public_key,
                                made->sign_count, "key", {}, {}};
  Assertion assertion = key.assertion(kRp, approve_challenge());
  auto verified = verify_assertion(kRp, approve_challenge(), credential, assertion);
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->sign_count, 8u);
  std::string raw = *crypto::from_base64url(assertion.client_data_json) +
                    *crypto::from_base64url(assertion.authenticator_data) + *crypto::from_base64url(assertion.signature);
  EXPECT_EQ(verified->assertion_sha256, crypto::sha256_hex(raw));
}

TEST_P(WebAuthnTest, TheWrongTypeIsRefused) {
  SoftAuthenticator key(GetParam());
  expect_error(verify_registration(kRp, enroll_challenge(),
                                   key.registration(kRp, enroll_challenge(), {.type = "webauthn.get"})),
               Errc::denied, "clientData type was \"webauthn.get\", expected \"webauthn.create\"");
  auto credential = enrol(key);
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.type = "webauthn.create"})),
               Errc::denied, "expected \"webauthn.get\"");
}

TEST_P(WebAuthnTest, AChallengeOfAnotherRequestApproverOrActionIsRefused) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  std::vector<StepUpChallenge> others(4, approve_challenge());
  others[0].request_id = "req-2";
  others[1].user_id = "U0SOMEONEELSE";
  others[2].action = "approve_partial";
  others[3].nonce = "older-nonce";
  for (const auto& other : others) {
    // Signed for `other`, presented for this link.
    expect_error(verify_assertion(kRp, approve_challenge(), credential, key.assertion(kRp, other)), Errc::denied,
                 "challenge signed is not this link's");
  }
  // A challenge tampered with in transit (the signature still covers it: our check comes first).
  std::string tampered = crypto::base64url(challenge_bytes(approve_challenge()));
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.challenge = tampered})),
               Errc::denied, "challenge");
  // An enrolment answered with an approval's challenge.
  expect_error(verify_registration(kRp, enroll_challenge(), key.registration(kRp, approve_challenge())), Errc::denied,
               "challenge");
}

TEST_P(WebAuthnTest, AnotherOriginIsRefusedNamedEscapedAndShort) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.origin = "https://evil.example"})),
               Errc::denied, "the page's origin was \"https://evil.example\", expected \"https://jit.example.test\"");
  std::string hostile = "https://x\x1b[31m" + std::string(3000, 'A');
  auto refused = verify_registration(kRp, enroll_challenge(),
                                     key.registration(kRp, enroll_challenge(), {.origin = hostile}));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::denied);
  EXPECT_EQ(refused.error().message.find('\x1b'), std::string::npos);
  EXPECT_NE(refused.error().message.find("\\x1b"), std::string::npos) << refused.error().message;
  EXPECT_LT(refused.error().message.size(), 250u);
}

TEST_P(WebAuthnTest, CrossOriginTrueIsRefusedFalseIsNot) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.cross_origin = true})),
               Errc::denied, "crossOrigin");
  expect_error(verify_registration(kRp, enroll_challenge(),
                                   key.registration(kRp, enroll_challenge(), {.cross_origin = true})),
               Errc::denied, "crossOrigin");
  EXPECT_TRUE(verify_assertion(kRp, approve_challenge(), credential,
                               key.assertion(kRp, approve_challenge(), {.cross_origin = false})));
}

TEST_P(WebAuthnTest, AnotherRelyingPartysRpIdHashIsRefused) {
  SoftAuthenticator key(GetParam());
  expect_error(verify_registration(kRp, enroll_challenge(),
                                   key.registration(kRp, enroll_challenge(), {.rp_id = "example.test"})),
               Errc::denied, "another relying party");
  auto credential = enrol(key);
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.rp_id = "evil.example"})),
               Errc::denied, "another relying party");
}

TEST_P(WebAuthnTest, UserPresenceAndVerificationAreRequired) {
  SoftAuthenticator key(GetParam());
  expect_error(verify_registration(kRp, enroll_challenge(),
                                   key.registration(kRp, enroll_challenge(), {.user_present = false})),
               Errc::denied, "flag UP absent");
  expect_error(verify_registration(kRp, enroll_challenge(),
                                   key.registration(kRp, enroll_challenge(), {.user_verified = false})),
               Errc::denied, "flag UV absent");
  auto credential = enrol(key);
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.user_present = false})),
               Errc::denied, "flag UP absent");
  expect_error(verify_assertion(kRp, approve_challenge(), credential,
                                key.assertion(kRp, approve_challenge(), {.user_verified = false})),
               Errc::denied, "flag UV absent");
}

TEST_P(WebAuthnTest, ASignatureByAnotherKeyIsRefused) {
  SoftAuthenticator key(GetParam());
  SoftAuthenticator other(GetParam());
  auto credential = enrol(key);
  Assertion forged = other.assertion(kRp, approve_challenge());
  forged.credential_id = key.credential_id();
  expect_error(verify_assertion(kRp, approve_challenge(), credential, forged), Errc::denied,
               "signature does not verify");
}

TEST_P(WebAuthnTest, OneFlippedSignatureByteIsRefused) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  Assertion assertion = key.assertion(kRp, approve_challenge());
  std::string signature = *crypto::from_base64url(assertion.signature);
  for (std::size_t i : {std::size_t{0}, signature.size() / 2, signature.size() - 1}) {
    Assertion flipped = assertion;
    std::string bad = signature;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    flipped.signature = crypto::base64url(bad);
    auto result = verify_assertion(kRp, approve_challenge(), credential, flipped);
    EXPECT_FALSE(result.has_value()) << "byte " << i;
  }
  // And the authenticator data it covers, one bit of the sign count.
  Assertion other_data = assertion;
  std::string data = *crypto::from_base64url(assertion.authenticator_data);
  data[36] = static_cast<char>(data[36] ^ 0x01);
  other_data.authenticator_data = crypto::base64url(data);
  expect_error(verify_assertion(kRp, approve_challenge(), credential, other_data), Errc::denied,
               "signature does not verify");
}

TEST_P(WebAuthnTest, TheSignCountOnlyIncreasesUnlessTheKeyKeepsNone) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  auto with_count = [&](std::uint32_t stored, std::uint32_t reported) {
    credential.sign_count = stored;
    return verify_assertion(kRp, approve_challenge(), credential,
                            key.assertion(kRp, approve_challenge(), {.sign_count = reported}));
  };
  EXPECT_TRUE(with_count(0, 0));
  EXPECT_TRUE(with_count(0, 1));
  EXPECT_TRUE(with_count(5, 6));
  expect_error(with_count(5, 5), Errc::denied, "sign count went from 5 to 5");
  expect_error(with_count(5, 4), Errc::denied, "sign count went from 5 to 4");
  expect_error(with_count(5, 0), Errc::denied, "sign count went from 5 to 0");
}

TEST_P(WebAuthnTest, AnotherCredentialIdIsRefused) {
  SoftAuthenticator key(GetParam());
  SoftAuthenticator other(GetParam());
  auto credential = enrol(key);
  // The assertion names another credential than the stored one it is checked against.
  expect_error(verify_assertion(kRp, approve_challenge(), credential, other.assertion(kRp, approve_challenge())),
               Errc::denied, "another credential");
  // A registration whose rawId is not the id in its authenticator data.
  Registration registration = key.registration(kRp, enroll_challenge());
  registration.credential_id = other.credential_id();
  expect_error(verify_registration(kRp, enroll_challenge(), registration), Errc::denied,
               "credential id in the authenticator data");
}

TEST_P(WebAuthnTest, ClientDataThatIsNotJsonOrHasWrongTypesIsRefusedWithoutThrowing) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  std::string good_challenge = crypto::base64url(challenge_bytes(approve_challenge()));
  struct Case {
    std::string json;
    Errc code;
  };
  std::vector<Case> cases = {
      {"not json", Errc::invalid},
      {"[1,2,3]", Errc::invalid},
      {"\"webauthn.get\"", Errc::invalid},
      {"{\"type\":\"webauthn.get\"", Errc::invalid},
      {std::string(2000, '[') + std::string(2000, ']'), Errc::invalid},
      {"{\"type\":1,\"challenge\":\"" + good_challenge + "\",\"origin\":\"" + kRp.origin + "\"}", Errc::denied},
      {"{\"type\":\"webauthn.get\",\"challenge\":[\"" + good_challenge + "\"],\"origin\":\"" + kRp.origin + "\"}",
       Errc::denied},
      {"{\"type\":\"webauthn.get\",\"challenge\":\"" + good_challenge + "\",\"origin\":{\"a\":1}}", Errc::denied},
      {"{\"type\":\"webauthn.get\",\"challenge\":\"" + good_challenge + "\"}", Errc::denied},
      {"{\"type\":\"webauthn.get\",\"challenge\":\"" + good_challenge + "\",\"origin\":\"" + kRp.origin +
           "\",\"crossOrigin\":true}",
       Errc::denied},
      {std::string("{\"type\":\"\xff\xfe\",\"x\":1}"), Errc::invalid},
  };
  for (const auto& c : cases) {
    Result<VerifiedAssertion> result;
    EXPECT_NO_THROW(result = verify_assertion(kRp, approve_challenge(), credential,
                                              key.assertion(kRp, approve_challenge(), {.client_data_json = c.json})));
    ASSERT_FALSE(result.has_value()) << c.json.substr(0, 80);
    EXPECT_EQ(result.error().code, c.code) << c.json.substr(0, 80) << ": " << result.error().message;
  }
  // A crossOrigin that is not a boolean reads as absent.
  std::string loose = "{\"type\":\"webauthn.get\",\"challenge\":\"" + good_challenge + "\",\"origin\":\"" + kRp.origin +
                      "\",\"crossOrigin\":\"true\"}";
  EXPECT_TRUE(verify_assertion(kRp, approve_challenge(), credential,
                               key.assertion(kRp, approve_challenge(), {.client_data_json = loose})));
}

TEST_P(WebAuthnTest, OversizeAndNonBase64urlInputsAreInvalid) {
  SoftAuthenticator key(GetParam());
  auto credential = enrol(key);
  Assertion good = key.assertion(kRp, approve_challenge());
  auto refused = [&](auto edit, std::string_view words) {
    Assertion a = good;
    edit(a);
    expect_error(verify_assertion(kRp, approve_challenge(), credential, a), Errc::invalid, words);
  };
  refused([](Assertion& a) { a.client_data_json = std::string(6000, 'A'); }, "clientDataJSON is longer");
  refused([](Assertion& a) { a.authenticator_data = std::string(6000, 'A'); }, "authenticatorData is longer");
  refused([](Assertion& a) { a.signature = std::string(1000, 'A'); }, "signature is longer");
  refused([](Assertion& a) { a.credential_id = std::string(2000, 'A'); }, "credential id is longer");
  refused([](Assertion& a) { a.signature = "ab+/cd=="; }, "signature is not base64url");
  refused([](Assertion& a) { a.client_data_json = "e30="; }, "clientDataJSON is not base64url");
  refused([](Assertion& a) { a.authenticator_data = ""; }, "authenticatorData is empty");
  refused([](Assertion& a) { a.authenticator_data = crypto::base64url("short"); }, "shorter than its 37-byte header");

  // The bound is on the decoded bytes: exactly kMaxClientDataBytes passes the size check.
  Assertion at_bound = good;
  at_bound.client_data_json = crypto::base64url(std::string(kMaxClientDataBytes, ' '));
  expect_error(verify_assertion(kRp, approve_challenge(), credential, at_bound), Errc::invalid, "not a JSON object");

  Registration registration = key.registration(kRp, enroll_challenge());
  registration.authenticator_data = std::string(6000, 'A');
  expect_error(verify_registration(kRp, enroll_challenge(), registration), Errc::invalid, "authenticatorData is longer");
}

TEST_P(WebAuthnTest, RegistrationDataThatIsNotACredentialOfItsAlgorithmIsInvalid) {
  SoftAuthenticator key(GetParam());
  Registration registration = key.registration(kRp, enroll_challenge());
  Registration other_alg = registration;
  other_alg.cose_alg = GetParam() == -7 ? -8 : -7;
  expect_error(verify_registration(kRp, enroll_challenge(), other_alg), Errc::invalid, "COSE");
  // The attested credential data cut short.
  std::string data = *crypto::from_base64url(registration.authenticator_data);
  Registration cut = registration;
  cut.authenticator_data = crypto::base64url(data.substr(0, data.size() - 10));
  expect_error(verify_registration(kRp, enroll_challenge(), cut), Errc::invalid, "authenticatorData");
  // No AT flag.
  data[32] = static_cast<char>(data[32] & ~0x40);
  Registration no_at = registration;
  no_at.authenticator_data = crypto::base64url(data);
  expect_error(verify_registration(kRp, enroll_challenge(), no_at), Errc::invalid, "flag AT absent");
}

// libcbor (under libfido2) allocates what a CBOR header declares before reading it: the fuzzer
// found a key declaring 2^62 elements. Such data is refused by our bounds before libfido2 sees it.
TEST_P(WebAuthnTest, CborThatDeclaresMoreThanItHoldsIsRefusedBeforeLibfido2) {
  SoftAuthenticator key(GetParam());
  Registration registration = key.registration(kRp, enroll_challenge());
  std::string data = *crypto::from_base64url(registration.authenticator_data);
  const std::size_t id_length = (static_cast<unsigned char>(data[53]) << 8) | static_cast<unsigned char>(data[54]);
  const std::size_t key_at = 37 + 18 + id_length;
  auto with_key = [&](std::string cbor) {
    Registration r = registration;
    r.authenticator_data = crypto::base64url(data.substr(0, key_at) + cbor);
    return verify_registration(kRp, enroll_challenge(), r);
  };
  const std::string huge("\x3f\xff\xff\xff\xff\xff\xff\xff", 8);
  expect_error(with_key("\x9b" + huge), Errc::invalid, "public key is not well-formed CBOR");
  expect_error(with_key("\xbb" + huge), Errc::invalid, "public key is not well-formed CBOR");
  expect_error(with_key("\x5b" + huge + "ab"), Errc::invalid, "public key is not well-formed CBOR");
  expect_error(with_key("\xbf\x01\x02\xff"), Errc::invalid, "public key is not well-formed CBOR");  // indefinite
  expect_error(with_key(std::string(20, '\x81') + "\x01"), Errc::invalid, "public key is not well-formed CBOR");
  expect_error(with_key(key.cose_key() + "zz"), Errc::invalid, "2 bytes after its last field");
  EXPECT_TRUE(with_key(key.cose_key()).has_value());

  auto credential = enrol(key);
  Assertion good = key.assertion(kRp, approve_challenge());
  std::string header = *crypto::from_base64url(good.authenticator_data);
  auto with_tail = [&](bool extensions_flag, std::string tail) {
    std::string d = header;
    if (extensions_flag) d[32] = static_cast<char>(d[32] | 0x80);
    Assertion a = good;
    a.authenticator_data = crypto::base64url(d + tail);
    return verify_assertion(kRp, approve_challenge(), credential, a);
  };
  expect_error(with_tail(true, "\xbb" + huge), Errc::invalid, "extensions are not well-formed CBOR");
  expect_error(with_tail(true, ""), Errc::invalid, "extensions are not well-formed CBOR");
  expect_error(with_tail(false, "x"), Errc::invalid, "1 bytes after its last field");
}

INSTANTIATE_TEST_SUITE_P(Algorithms, WebAuthnTest, ::testing::Values(-7, -8),
                         [](const auto& info) { return info.param == -7 ? std::string("ES256") : std::string("EdDSA"); });

TEST(WebAuthn, OtherAlgorithmsAreRefusedByName) {
  SoftAuthenticator key(-7);
  Registration registration = key.registration(kRp, enroll_challenge());
  registration.cose_alg = -257;
  expect_error(verify_registration(kRp, enroll_challenge(), registration), Errc::denied,
               "COSE -257 is not supported: ES256 (-7) or EdDSA (-8) only");
  auto credential = enrol(key);
  credential.cose_alg = -35;
  expect_error(verify_assertion(kRp, approve_challenge(), credential, key.assertion(kRp, approve_challenge())),
               Errc::denied, "COSE -35 is not supported");
}

TEST(SoftAuthenticatorForm, FinishBodiesHaveThePagesShape) {
  SoftAuthenticator key(-8);
  Assertion a = key.assertion(kRp, approve_challenge());
  nlohmann::json body = testing::finish_body("tok", a);
  EXPECT_EQ(body["token"], "tok");
  EXPECT_TRUE(body["registration"].is_null());
  EXPECT_EQ(body["assertion"], (nlohmann::json{{"id", a.credential_id}, {"clientDataJSON", a.client_data_json},
                                               {"authenticatorData", a.authenticator_data},
                                               {"signature", a.signature}}));
  Registration r = key.registration(kRp, enroll_challenge());
  body = testing::finish_body("tok", r, "yubikey");
  EXPECT_TRUE(body["assertion"].is_null());
  EXPECT_EQ(body["registration"], (nlohmann::json{{"id", r.credential_id}, {"clientDataJSON", r.client_data_json},
                                                  {"authenticatorData", r.authenticator_data},
                                                  {"publicKeyAlgorithm", -8}, {"name", "yubikey"}}));
}

}  // namespace
}  // namespace jit::stepup
