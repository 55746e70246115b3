// Shared by service.cc (links, options, credentials) and finish.cc (the page's /api/finish): the
// service's state, and how it reads the page's JSON and answers it. Not part of the contract.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stepup/service.h"

namespace jit::stepup {

struct StepUpService::Impl {
  Engine& engine;
  StepUpStore& links;
  Store& audit;
  const Clock& clock;

  // The relying party as settings say now (rp_id "" -> the origin's host).
  RelyingParty relying_party() const;
  // The user's credentials that the audit trail stands behind, oldest first.
  Result<std::vector<WebAuthnCredential>> usable_credentials(const std::string& user_id);
  // Stores a new single-use challenge for `user_id` and returns its link; logs event=step_up_link.
  Result<Link> issue(StepUpPurpose purpose, const std::string& user_id, const std::string& request_id);
  // Checks the assertion of a step-up against `challenge`: the credential exists, belongs to the
  // challenge's user, stands in the audit trail, verifies, and its sign count advances in the store.
  Result<std::pair<WebAuthnCredential, VerifiedAssertion>> verify_step_up(const StepUpChallenge& challenge,
                                                                          const Assertion& assertion);
};

// Whether `token` has the shape of ours: 32 base64url characters. Checked before any lookup.
bool is_token(std::string_view token);

// A string member of the JSON object `object`, at most `max_bytes` long: Errc::invalid naming it
// when absent, not a string or too long. Never throws, whatever `object` holds.
Result<std::string> string_field(const nlohmann::json& object, const char* key, std::size_t max_bytes);

// The HTTP status for an error of the service or the engine.
int status_of(Errc code);

// {"ok": false, "error": message} with `status`, after logging event=step_up_refused with `reason`
// (a short word list, never attacker text) and the challenge's purpose, user and request when known.
PageAnswer refuse(int status, std::string_view reason, const std::string& message,
                  const StepUpChallenge* challenge = nullptr);

std::string_view purpose_name(StepUpPurpose purpose);

}  // namespace jit::stepup
