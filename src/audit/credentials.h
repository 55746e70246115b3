// The audit trail of enrolled security keys (issue 15): where a credential's events are filed, and
// whether they let it be used. A credential counts only when the trail shows it enrolled by that
// user with that public key and not removed since, so a row written into the credentials table by
// someone with store access alone approves nothing. Pure: the caller reads the events
// (Store::audit_events({.request_id = credential_trail_id(id)})).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "audit/keyring.h"
#include "core/error.h"
#include "core/model.h"

namespace jit::audit {

// The prefix of credential trail ids: events filed under such an id are not a request's, and the
// request checks (audit verify's cross-check, the grants report, the grant proof) skip them.
inline constexpr std::string_view kCredentialTrailPrefix = "cred-";

// The request_id of `credential_id`'s events: "cred-" + the first 20 hex of SHA-256(credential_id).
std::string credential_trail_id(const std::string& credential_id);

// True for an id made by credential_trail_id (starts with "cred-").
bool is_credential_trail_id(std::string_view request_id);

// Whether `events` (in seq order; others are ignored) let `user_id` use `credential_id` with
// `public_key_b64url`: the last credential_enrolled event of that credential names that user and
// the key's hash (facts::of_credential_enrolled), is the user's own (actor), and no
// credential_removed event of the credential follows it. With `keys`, an event counts only when it
// is what was sealed (audit::check_event). Errc::denied saying what is missing; ok otherwise.
Result<> credential_standing(const std::vector<AuditEvent>& events, const std::string& credential_id,
                             const std::string& user_id, const std::string& public_key_b64url,
                             const Keyring* keys = nullptr);

}  // namespace jit::audit
