#include "audit/credentials.h"

#include <fmt/format.h>

#include "audit/chain.h"
#include "audit/facts.h"
#include "crypto/digest.h"

namespace jit::audit {

std::string credential_trail_id(const std::string& credential_id) {
  return std::string(kCredentialTrailPrefix) + crypto::sha256_hex(credential_id).substr(0, 20);
}

bool is_credential_trail_id(std::string_view request_id) { return request_id.starts_with(kCredentialTrailPrefix); }

Result<> credential_standing(const std::vector<AuditEvent>& events, const std::string& credential_id,
                             const std::string& user_id, const std::string& public_key_b64url, const Keyring* keys) {
  const std::string key_hash = crypto::sha256_hex(public_key_b64url);
  // The last intact enrolment of the credential and whether a removal came after it.
  const AuditEvent* enrolled = nullptr;
  bool enrolled_matches = false, removed_after = false;
  for (const auto& e : events) {
    if (e.action != "credential_enrolled" && e.action != "credential_removed") continue;
    if (keys && !check_event(e, *keys)) continue;
    auto f = facts::read(e);
    if (!f || facts::text(*f, "credential_id") != credential_id) continue;
    if (e.action == "credential_removed") {
      removed_after = enrolled != nullptr;
      continue;
    }
    enrolled = &e;
    removed_after = false;
    enrolled_matches = facts::text(*f, "user") == user_id && e.actor == user_id &&
                       facts::text(*f, "public_key_sha256") == key_hash;
  }
  if (!enrolled)
    return fail(Error::Denied(fmt::format(
        "security key {} has no enrolment in the audit trail; enrol it again with /jit enroll", credential_id)));
  if (!enrolled_matches)
    return fail(Error::Denied(fmt::format("security key {}: its enrolment in the audit trail (event {}) is not of {} "
                                          "with this public key; enrol it again with /jit enroll",
                                          credential_id, enrolled->seq, user_id)));
  if (removed_after)
    return fail(Error::Denied(
        fmt::format("security key {} was removed after its enrolment; enrol it again with /jit enroll", credential_id)));
  return {};
}

}  // namespace jit::audit
