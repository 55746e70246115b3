// What the audit trail says about enrolled credentials (issue 15), for the step-up service: the
// events it appends at enrolment and removal, and whether a stored credential stands (the trail
// has its enrolment, matching user and key, and no later removal): audit/credentials.h and
// audit/facts.h over the events of one query.
#pragma once

#include <string>

#include "audit/keyring.h"
#include "core/error.h"
#include "core/model.h"
#include "ports/step_up_store.h"
#include "ports/store.h"

namespace jit::stepup {

// The credential_enrolled event of `credential` (actor: its user), not yet appended.
AuditEvent enrolled_event(const WebAuthnCredential& credential, TimePoint at);
// The credential_removed event of `credential` by `actor`, not yet appended.
AuditEvent removed_event(const WebAuthnCredential& credential, const std::string& actor, TimePoint at);

// Whether the trail stands behind `credential` as stored: reads its events (one query by
// credential_trail_id), judged by audit::credential_standing under `keys`. Errc::denied naming
// what is missing (no sealed enrolment by its user, another key, removed); Errc::unavailable when
// the trail could not be read.
Result<> check_standing(Store& audit, const audit::Keyring& keys, const WebAuthnCredential& credential);

}  // namespace jit::stepup
