// A software WebAuthn authenticator for tests (issue 15), made with OpenSSL: it holds one ES256
// (P-256) or Ed25519 key and answers a step-up challenge exactly as the page would send what the
// browser gave it (stepup::Registration / stepup::Assertion, base64url fields). Knobs make each
// refusal the verifier must produce. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "stepup/webauthn.h"

namespace jit::testing {

// What to get wrong (or set) in one answer; the defaults give an answer the verifier accepts.
struct SoftAnswerOptions {
  std::optional<std::string> type;            // clientData type; default webauthn.create / webauthn.get
  std::optional<std::string> origin;          // default rp.origin
  std::optional<std::string> challenge;       // base64url clientData challenge; default the link's
  std::optional<bool> cross_origin;           // crossOrigin member; absent by default
  std::optional<std::string> client_data_json;  // raw clientDataJSON replacing the whole object
  std::optional<std::string> rp_id;           // the rpIdHash is SHA-256 of this; default rp.rp_id
  bool user_present = true;                   // flag UP
  bool user_verified = true;                  // flag UV
  std::optional<std::uint32_t> sign_count;    // default: the authenticator's counter, then +1
};

class SoftAuthenticator {
 public:
  // A new random key of `cose_alg` (-7 ES256 or -8 EdDSA; anything else throws) and a random
  // 16-byte credential id. `counter` is the sign count of the next answer (0: keeps none; stays 0).
  explicit SoftAuthenticator(int cose_alg = -7, std::uint32_t counter = 0);
  ~SoftAuthenticator();
  SoftAuthenticator(SoftAuthenticator&&) noexcept;

  // navigator.credentials.create() as the page sends it: authData with AT and the attested
  // credential data (zero AAGUID, the id, the COSE key in CBOR), attestation "none".
  stepup::Registration registration(const stepup::RelyingParty& rp, const StepUpChallenge& challenge,
                                    const SoftAnswerOptions& options = {});
  // navigator.credentials.get(): authData ‖ SHA-256(clientDataJSON) signed with the key.
  stepup::Assertion assertion(const stepup::RelyingParty& rp, const StepUpChallenge& challenge,
                              const SoftAnswerOptions& options = {});

  int cose_alg() const { return cose_alg_; }
  const std::string& raw_credential_id() const { return credential_id_; }
  std::string credential_id() const;  // base64url
  // The signature of `data` under this key (DER ECDSA-SHA256, or raw Ed25519).
  std::string sign(std::string_view data) const;
  // The COSE_Key in CBOR, as the attested credential data carries it.
  std::string cose_key() const;

 private:
  std::string client_data(std::string_view default_type, const stepup::RelyingParty& rp,
                          const StepUpChallenge& challenge, const SoftAnswerOptions& options) const;
  std::string authenticator_header(const stepup::RelyingParty& rp, const SoftAnswerOptions& options,
                                   unsigned char extra_flags);

  int cose_alg_;
  std::uint32_t counter_;
  std::string credential_id_;
  std::shared_ptr<void> key_;  // EVP_PKEY
};

// The page's POST /api/finish bodies (stepup/service.h) carrying what a SoftAuthenticator made.
nlohmann::json finish_body(const std::string& token, const stepup::Assertion& assertion);
nlohmann::json finish_body(const std::string& token, const stepup::Registration& registration,
                           const std::string& name = "security key");

}  // namespace jit::testing
