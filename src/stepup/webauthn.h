// WebAuthn verification (issue 15), pure: no I/O, no clock, no store. The clientData checks are
// ours; authenticator data, keys and signatures go through Debian's libfido2 (fido_cred_* to read
// a new credential's key at enrolment, fido_assert_verify for an assertion).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "ports/step_up_store.h"

namespace jit::stepup {

// Where the page lives, as the browser sees it, and the relying party id the credentials belong to.
struct RelyingParty {
  std::string origin;  // "https://jit.internal.example" (scheme, host, port when not 443); no path
  std::string rp_id;   // "jit.internal.example": the origin's host or a registrable suffix of it
};

// The 32 bytes the browser is asked to sign for `challenge`: SHA-256 over a fixed label and every
// binding field (purpose, user, request id, action, nonce), each length-prefixed. Deterministic.
std::string challenge_bytes(const StepUpChallenge& challenge);

// What navigator.credentials.create() gave the page, as it sends it to the service (base64url
// fields, straight from the PublicKeyCredential and AuthenticatorAttestationResponse).
struct Registration {
  std::string credential_id;       // rawId
  std::string client_data_json;    // response.clientDataJSON
  std::string authenticator_data;  // response.getAuthenticatorData() (attestation "none" is asked)
  int cose_alg = 0;                // response.getPublicKeyAlgorithm(): -7 or -8
};

// What navigator.credentials.get() gave the page.
struct Assertion {
  std::string credential_id;       // rawId
  std::string client_data_json;    // response.clientDataJSON
  std::string authenticator_data;  // response.authenticatorData
  std::string signature;           // response.signature (DER ECDSA for ES256, raw for Ed25519)
};

// A verified registration: the credential to store (id, alg, public key, sign count filled in;
// user, name and times are the caller's).
struct NewCredential {
  std::string credential_id;  // base64url
  int cose_alg = 0;
  std::string public_key;     // base64url, as fido_cred_pubkey_ptr gives it
  std::uint32_t sign_count = 0;
};

// Checks a registration against the challenge it answers: clientData type "webauthn.create",
// challenge == challenge_bytes(challenge) (base64url, exactly), origin == rp.origin, crossOrigin
// not true; authenticator data: rpIdHash == SHA-256(rp.rp_id), UP and UV set, attested credential
// data present and its id equal to credential_id; alg ES256 or EdDSA and the key of that kind.
// Every input is bounded (sizes in limits) before it is parsed. Errc::denied naming the first check
// that failed (never echoing attacker bytes beyond a short, escaped excerpt); Errc::invalid for
// input that is not base64url/JSON/authenticator data at all.
Result<NewCredential> verify_registration(const RelyingParty& rp, const StepUpChallenge& challenge,
                                          const Registration& registration);

// A verified assertion.
struct VerifiedAssertion {
  std::uint32_t sign_count = 0;  // as the authenticator reported it
  std::string assertion_sha256;  // hex SHA-256 over clientDataJSON ‖ authenticatorData ‖ signature
                                 // (raw bytes): what the approval's audit event records
};

// Checks an assertion against the challenge and the credential it claims: credential_id ==
// credential.credential_id; clientData type "webauthn.get", challenge, origin and crossOrigin as
// for a registration; rpIdHash, UP and UV; the signature over authenticatorData ‖
// SHA-256(clientDataJSON) under the credential's key (fido_assert_verify); the sign count only
// increases (new > stored, unless both are 0: the authenticator keeps none). Errc::denied naming
// the failed check; Errc::invalid for unreadable input. The caller still checks that the
// credential belongs to the person the challenge is for, and advances the stored count.
Result<VerifiedAssertion> verify_assertion(const RelyingParty& rp, const StepUpChallenge& challenge,
                                           const WebAuthnCredential& credential, const Assertion& assertion);

// Bounds applied before any parsing.
inline constexpr std::size_t kMaxClientDataBytes = 4096;
inline constexpr std::size_t kMaxAuthenticatorDataBytes = 4096;
inline constexpr std::size_t kMaxSignatureBytes = 512;
inline constexpr std::size_t kMaxCredentialIdBytes = 1023;  // WebAuthn's own bound

}  // namespace jit::stepup
