#include "stepup/credential_trail.h"

#include <fmt/format.h>

#include "audit/credentials.h"
#include "audit/facts.h"

namespace jit::stepup {

AuditEvent enrolled_event(const WebAuthnCredential& c, TimePoint at) {
  return AuditEvent{.at = at, .actor = c.user_id, .action = "credential_enrolled",
                    .request_id = audit::credential_trail_id(c.credential_id),
                    .detail = fmt::format("security key {} enrolled by {}", c.name, c.user_id),
                    .facts = audit::facts::of_credential_enrolled(c.credential_id, c.cose_alg, c.public_key, c.user_id)};
}

AuditEvent removed_event(const WebAuthnCredential& c, const std::string& actor, TimePoint at) {
  return AuditEvent{.at = at, .actor = actor, .action = "credential_removed",
                    .request_id = audit::credential_trail_id(c.credential_id),
                    .detail = fmt::format("security key {} of {} removed by {}", c.name, c.user_id, actor),
                    .facts = audit::facts::of_credential_removed(c.credential_id, c.user_id)};
}

Result<> check_standing(Store& audit, const audit::Keyring& keys, const WebAuthnCredential& c) {
  AuditQuery query;
  query.request_id = audit::credential_trail_id(c.credential_id);
  auto events = audit.audit_events(query);
  if (!events)
    return fail(Error::Unavailable(fmt::format("could not read the audit trail of the security key: {}",
                                               events.error().message)));
  return audit::credential_standing(*events, c.credential_id, c.user_id, c.public_key, &keys);
}

}  // namespace jit::stepup
