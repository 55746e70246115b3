// How AccessRequest, AuditEvent and the step-up records map to the rows of the schema in
// sqlite_schema.h: times as epoch seconds (NULL for an empty optional), states and purposes by name,
// decisions as a JSON array.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "ports/step_up_store.h"
#include "store/sqlite_db.h"

namespace jit::sqlite {

std::optional<std::int64_t> epoch_or_null(const std::optional<TimePoint>& t);

// Binds every column of kInsertRequest and kUpdateRequest as the parameter of the same name;
// :version is `r.version` (the new row's version for an insert, the expected one for an update).
// Errc::invalid when a decision's text is not valid UTF-8 (JSON cannot hold it).
Result<> bind_request(Query& q, const AccessRequest& r);

// Steps `q` (a SELECT of the request columns, in RequestColumn order) to the end.
// Errc::internal when a stored row cannot be read back (an unknown state, broken decisions).
Result<std::vector<AccessRequest>> read_requests(Query& q);
// The request in the current row of `q`.
Result<AccessRequest> read_request(const Query& q);

// Binds every column of kInsertAudit.
void bind_event(Query& q, const AuditEvent& e);
// Steps `q` (a SELECT of the audit columns, in AuditColumn order) to the end.
Result<std::vector<AuditEvent>> read_events(Query& q);

// The challenge in the current row of `q` (a SELECT in ChallengeColumn order). Errc::internal for an
// unknown purpose.
Result<StepUpChallenge> read_challenge(const Query& q);
// The credential in the current row of `q` (a SELECT in CredentialColumn order).
WebAuthnCredential read_credential(const Query& q);

}  // namespace jit::sqlite
