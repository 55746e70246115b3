// Durable state of the WebAuthn step-up (issue 15): the single-use links people open, and the
// credentials (security keys, platform authenticators) they enrolled.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace jit {

// What a step-up link is for.
enum class StepUpPurpose { enroll, approve };

// One single-use link, and the WebAuthn challenge it carries. The challenge the browser signs is
// derived from every field that binds it (stepup/webauthn.h: challenge_bytes): purpose, user,
// request, action and nonce, so a link for one decision never verifies another.
struct StepUpChallenge {
  std::string id;          // the link's token: 32 base64url characters (24 random bytes); the key
  StepUpPurpose purpose = StepUpPurpose::approve;
  std::string user_id;     // the only Slack user the link is for
  std::string request_id;  // approve: the request decided on; enroll: ""
  std::string action;      // "approve" or "enroll"
  std::string nonce;       // 32 random bytes, base64url (43 characters)
  TimePoint created_at{};
  TimePoint expires_at{};  // created_at + [step_up] link_lifetime
  std::optional<TimePoint> used_at;  // set once, by consume_challenge
  bool operator==(const StepUpChallenge&) const = default;
};

// One enrolled credential.
struct WebAuthnCredential {
  std::string credential_id;  // base64url of the raw credential id; unique across every user
  std::string user_id;        // the Slack user it belongs to
  int cose_alg = -7;          // -7 ES256, -8 EdDSA
  std::string public_key;     // base64url of the key as libfido2 gives it (fido_cred_pubkey_ptr)
  std::uint32_t sign_count = 0;  // the highest count seen (0: the authenticator keeps none)
  std::string name;           // chosen by the user at enrolment (bounded, plain text)
  TimePoint created_at{};
  std::optional<TimePoint> last_used_at;
  bool operator==(const WebAuthnCredential&) const = default;
};

// Every method is thread-safe and may be called by several processes sharing one database; every
// change is a conditional write. Errc::unavailable means "try again later". Nothing here is trusted
// on its own word: a credential counts only when the audit trail has its enrolment (stepup/ checks
// the `credential_enrolled` event and the absence of a later `credential_removed`).
class StepUpStore {
 public:
  virtual ~StepUpStore() = default;

  // Stores a new challenge. Errc::conflict when the id exists. May delete challenges that expired
  // more than a day ago (DynamoDB: TTL on `ttl`).
  virtual Result<> put_challenge(const StepUpChallenge& challenge) = 0;
  // Errc::not_found when there is no such id (or it was deleted after expiring).
  virtual Result<StepUpChallenge> get_challenge(const std::string& id) = 0;
  // Marks the challenge used at `now`, atomically, only when it is unused and now < expires_at;
  // returns it as stored afterwards. Errc::not_found when there is no such id; Errc::conflict when
  // it was used already (a replay or a double submit: exactly one caller ever wins);
  // Errc::denied when it expired (nothing changes then).
  virtual Result<StepUpChallenge> consume_challenge(const std::string& id, TimePoint now) = 0;

  // Stores a new credential. Errc::conflict when its credential_id exists (for any user).
  virtual Result<> add_credential(const WebAuthnCredential& credential) = 0;
  // The user's credentials, oldest first.
  virtual Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) = 0;
  // Errc::not_found when there is no such credential.
  virtual Result<WebAuthnCredential> find_credential(const std::string& credential_id) = 0;
  // Deletes the credential when it belongs to `user_id`. Errc::not_found otherwise.
  virtual Result<> remove_credential(const std::string& user_id, const std::string& credential_id) = 0;
  // Moves the credential's sign count from `expected` to `count` and sets last_used_at, only when
  // the stored count is still `expected` (REQUIRES: count > expected, or both 0). Errc::conflict
  // when it moved meanwhile (another assertion won: the caller refuses this one), Errc::not_found
  // when the credential is gone.
  virtual Result<> advance_sign_count(const std::string& credential_id, std::uint32_t expected,
                                      std::uint32_t count, TimePoint used_at) = 0;
};

}  // namespace jit
