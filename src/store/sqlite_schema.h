// All the SQL that SqliteStore runs: the schema, as migration steps, and every statement.
// They live together because each query is written for an index: SQLite uses a partial index only
// when the query's WHERE clause repeats the index's condition (e.g. `state = 'active'`) exactly,
// which is why those state names are literals here, not bound values. Everything that comes
// from outside is bound as a parameter.
#pragma once

#include <iterator>

namespace jit::sqlite {

// Migration steps, applied in order inside one write transaction; after step i the schema is at
// version i + 1, as recorded in PRAGMA user_version. Append new steps; never edit a released one.
inline constexpr const char* kMigrations[] = {
    // Version 1. Times are epoch seconds; an empty optional time is NULL.
    R"sql(
CREATE TABLE requests (
  id                 TEXT PRIMARY KEY NOT NULL,
  version            INTEGER NOT NULL,
  requester          TEXT NOT NULL,
  account            TEXT NOT NULL,
  account_id         TEXT NOT NULL,
  role               TEXT NOT NULL,
  permission_set_arn TEXT NOT NULL,
  duration_seconds   INTEGER NOT NULL,
  reason             TEXT NOT NULL,
  ticket             TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'granting', 'active', 'revoking',
                                                    'revoked', 'denied', 'cancelled', 'expired', 'failed')),
  decisions          TEXT NOT NULL,  -- JSON: [{"approver", "approved", "reason", "at"}, ...]
  principal          TEXT NOT NULL,
  granted_at         INTEGER,
  expires_at         INTEGER,
  ended_at           INTEGER,
  end_reason         TEXT NOT NULL,
  lease_owner        TEXT NOT NULL,
  lease_until        INTEGER,
  chat_channel       TEXT NOT NULL,
  chat_ts            TEXT NOT NULL
);

-- At most one open (non-terminal) request per requester, account and role.
CREATE UNIQUE INDEX requests_one_open ON requests (requester, account, role)
  WHERE state IN ('pending', 'approved', 'granting', 'active', 'revoking');

-- list_requests, newest first, with and without a requester.
CREATE INDEX requests_by_created ON requests (created_at, id);
CREATE INDEX requests_by_requester ON requests (requester, created_at, id);

-- The sweeps: each index holds only the rows its query returns, so reading it costs O(result).
CREATE INDEX requests_active_by_expiry ON requests (expires_at, id) WHERE state = 'active';
CREATE INDEX requests_in_flight ON requests (updated_at, id)
  WHERE state IN ('approved', 'granting', 'revoking');
CREATE INDEX requests_pending_by_created ON requests (created_at, id) WHERE state = 'pending';
CREATE INDEX requests_holding_access ON requests (expires_at, id)
  WHERE state IN ('granting', 'active', 'revoking');

CREATE TABLE audit (
  seq        INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  request_id TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state   TEXT NOT NULL,
  detail     TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);

-- The head of the chain, kept apart from the events so that deleting the last events is
-- detected. Exactly one row; seq 0 and 64 zeros (audit::kGenesisHash) while the trail is empty.
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, hex(zeroblob(32)));
)sql",
    // Version 2. The audit trail is append-only in the database too, so that no bug or stray
    // statement can change history. (Someone with the file can still drop these triggers: the
    // hash chain, not the triggers, is what makes tampering evident.)
    R"sql(
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
)sql",
    // Version 3. The requester's e-mail, found at submit with the principal (issue 12); rows
    // from before have none.
    R"sql(
ALTER TABLE requests ADD COLUMN requester_email TEXT NOT NULL DEFAULT '';
)sql",
    // Version 4. Audit events carry the facts they prove and the id of the key that sealed them
    // (issue 13); a request's events are read by request before its grant.
    R"sql(
ALTER TABLE audit ADD COLUMN facts TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_by_request ON audit (request_id, seq) WHERE request_id <> '';
)sql",
    // Version 5. Named leases shared by every instance (ports/lock.h, issue 14): one row per lock
    // held or lapsed; `until` in epoch seconds.
    R"sql(
CREATE TABLE locks (
  name  TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  until INTEGER NOT NULL
);
)sql",
    // Version 6. WebAuthn step-up (ports/step_up_store.h, issue 15): the single-use links, and the
    // credentials people enrolled. Times in epoch seconds; used_at and last_used_at NULL until set.
    R"sql(
CREATE TABLE step_up_challenges (
  id         TEXT PRIMARY KEY NOT NULL,
  purpose    TEXT NOT NULL CHECK (purpose IN ('enroll', 'approve')),
  user_id    TEXT NOT NULL,
  request_id TEXT NOT NULL,
  action     TEXT NOT NULL,
  nonce      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
-- put_challenge deletes the challenges that expired more than a day before.
CREATE INDEX step_up_challenges_by_expiry ON step_up_challenges (expires_at);

CREATE TABLE webauthn_credentials (
  credential_id TEXT PRIMARY KEY NOT NULL,
  user_id       TEXT NOT NULL,
  cose_alg      INTEGER NOT NULL,
  public_key    TEXT NOT NULL,
  sign_count    INTEGER NOT NULL,
  name          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER
);
-- credentials_of, oldest first.
CREATE INDEX webauthn_credentials_by_user ON webauthn_credentials (user_id, created_at, credential_id);
)sql",
    // Version 7. Nobody answers (issue 17): when a pending request was re-announced and when it was
    // escalated (epoch seconds; NULL until then).
    R"sql(
ALTER TABLE requests ADD COLUMN reminded_at INTEGER;
ALTER TABLE requests ADD COLUMN escalated_at INTEGER;
)sql",
    // Version 8. Extensions (issue 17): the grant a request extends, "" for a fresh request. The
    // open slots of a requester, account and role are two (core/model.h open_slot_of): an extension
    // waits beside the grant it extends, in the extension slot, until it is active itself. The
    // rules between the slots are checked in the write transaction (open_slot_conflict); this
    // index keeps each slot to one request.
    R"sql(
ALTER TABLE requests ADD COLUMN extends TEXT NOT NULL DEFAULT '';
DROP INDEX requests_one_open;
CREATE UNIQUE INDEX requests_one_open_per_slot ON requests
  (requester, account, role, (extends <> '' AND state IN ('pending', 'approved', 'granting')))
  WHERE state IN ('pending', 'approved', 'granting', 'active', 'revoking');
)sql",
};

// The schema version this program creates and understands.
inline constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

inline constexpr const char* kReadSchemaVersion = "PRAGMA user_version";

// ---- requests ----

// The columns every request SELECT returns, in RequestColumn order.
#define JIT_REQUEST_COLUMNS                                                                                  \
  "id, version, requester, account, account_id, role, permission_set_arn, duration_seconds, reason, ticket, " \
  "created_at, updated_at, state, decisions, principal, granted_at, expires_at, ended_at, end_reason, "     \
  "lease_owner, lease_until, chat_channel, chat_ts, requester_email, reminded_at, escalated_at, extends"

enum RequestColumn : int {
  kId, kVersion, kRequester, kAccount, kAccountId, kRole, kPermissionSetArn, kDurationSeconds, kReason, kTicket,
  kCreatedAt, kUpdatedAt, kState, kDecisions, kPrincipal, kGrantedAt, kExpiresAt, kEndedAt, kEndReason,
  kLeaseOwner, kLeaseUntil, kChatChannel, kChatTs, kRequesterEmail, kRemindedAt, kEscalatedAt, kExtends,
};

// Both bind every column as the parameter of the same name (":requester", ...).
inline constexpr const char* kInsertRequest = "INSERT INTO requests (" JIT_REQUEST_COLUMNS ") VALUES ("
    ":id, :version, :requester, :account, :account_id, :role, :permission_set_arn, :duration_seconds, :reason, "
    ":ticket, :created_at, :updated_at, :state, :decisions, :principal, :granted_at, :expires_at, :ended_at, "
    ":end_reason, :lease_owner, :lease_until, :chat_channel, :chat_ts, :requester_email, :reminded_at, :escalated_at, "
    ":extends)";

// Changes a row only if it still has the version the caller read.
inline constexpr const char* kUpdateRequest =
    "UPDATE requests SET requester = :requester, account = :account, account_id = :account_id, role = :role, "
    "permission_set_arn = :permission_set_arn, duration_seconds = :duration_seconds, reason = :reason, "
    "ticket = :ticket, created_at = :created_at, updated_at = :updated_at, state = :state, "
    "decisions = :decisions, principal = :principal, granted_at = :granted_at, expires_at = :expires_at, "
    "ended_at = :ended_at, end_reason = :end_reason, lease_owner = :lease_owner, lease_until = :lease_until, "
    "chat_channel = :chat_channel, chat_ts = :chat_ts, requester_email = :requester_email, "
    "reminded_at = :reminded_at, escalated_at = :escalated_at, extends = :extends, version = version + 1 "
    "WHERE id = :id AND version = :version";

inline constexpr const char* kGetRequest = "SELECT " JIT_REQUEST_COLUMNS " FROM requests WHERE id = :id";

// The other open requests of (requester, account, role): to check the open slots and explain a
// conflict.
inline constexpr const char* kOpenRequestFor =
    "SELECT id, state, extends FROM requests WHERE requester = :requester AND account = :account AND role = :role "
    "AND state IN ('pending', 'approved', 'granting', 'active', 'revoking') AND id <> :id";

// :states is a JSON array of state names, or NULL for any state.
inline constexpr const char* kListRequests =
    "SELECT " JIT_REQUEST_COLUMNS " FROM requests "
    "WHERE (:states IS NULL OR state IN (SELECT value FROM json_each(:states))) "
    "ORDER BY created_at DESC, id DESC LIMIT :limit";
inline constexpr const char* kListRequestsOf =
    "SELECT " JIT_REQUEST_COLUMNS " FROM requests "
    "WHERE requester = :requester AND (:states IS NULL OR state IN (SELECT value FROM json_each(:states))) "
    "ORDER BY created_at DESC, id DESC LIMIT :limit";

inline constexpr const char* kExpiredGrants =
    "SELECT " JIT_REQUEST_COLUMNS " FROM requests WHERE state = 'active' AND expires_at <= :now "
    "ORDER BY expires_at, id LIMIT :limit";

// Oldest change first: what has waited longest is finished first.
inline constexpr const char* kInFlight =
    "SELECT " JIT_REQUEST_COLUMNS " FROM requests WHERE state IN ('approved', 'granting', 'revoking') "
    "ORDER BY updated_at, id LIMIT :limit";

inline constexpr const char* kPendingBefore =
    "SELECT " JIT_REQUEST_COLUMNS " FROM requests WHERE state = 'pending' AND created_at < :cutoff "
    "ORDER BY created_at, id LIMIT :limit";

// Soonest expiry first.
inline constexpr const char* kHoldingAccess =
    "SELECT " JIT_REQUEST_COLUMNS " FROM requests WHERE state IN ('granting', 'active', 'revoking') "
    "ORDER BY expires_at, id LIMIT :limit";

#undef JIT_REQUEST_COLUMNS

// ---- audit ----

inline constexpr const char* kReadAuditHead = "SELECT seq, hash FROM audit_head WHERE id = 1";
inline constexpr const char* kWriteAuditHead = "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1";

// The columns audit SELECTs return, in AuditColumn order.
enum AuditColumn : int {
  kSeq, kAt, kActor, kAction, kRequestId, kFromState, kToState, kDetail, kPrevHash, kHash, kFacts, kKeyId
};
#define JIT_AUDIT_COLUMNS \
  "seq, at, actor, action, request_id, from_state, to_state, detail, prev_hash, hash, facts, key_id"

inline constexpr const char* kInsertAudit =
    "INSERT INTO audit (" JIT_AUDIT_COLUMNS ") VALUES (:seq, :at, :actor, :action, :request_id, :from_state, "
    ":to_state, :detail, :prev_hash, :hash, :facts, :key_id)";

// :since and :until may be NULL (no bound).
inline constexpr const char* kAuditEvents =
    "SELECT " JIT_AUDIT_COLUMNS " FROM audit "
    "WHERE seq > :after_seq AND (:since IS NULL OR at >= :since) AND (:until IS NULL OR at < :until) "
    "ORDER BY seq LIMIT :limit";

// The same, for one request (through audit_by_request, whose condition is repeated).
inline constexpr const char* kAuditEventsOf =
    "SELECT " JIT_AUDIT_COLUMNS " FROM audit "
    "WHERE request_id = :request_id AND request_id <> '' AND seq > :after_seq "
    "AND (:since IS NULL OR at >= :since) AND (:until IS NULL OR at < :until) "
    "ORDER BY seq LIMIT :limit";

#undef JIT_AUDIT_COLUMNS

// ---- locks ----

// Takes the lock when it is free, lapsed (until < :now) or already `:owner`'s: one row changed
// means the caller holds it now; none, that another owner holds it.
inline constexpr const char* kTryLock =
    "INSERT INTO locks (name, owner, until) VALUES (:name, :owner, :until) "
    "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until "
    "WHERE locks.owner = excluded.owner OR locks.until < :now";
inline constexpr const char* kUnlock = "DELETE FROM locks WHERE name = :name AND owner = :owner";

// ---- step-up (ports/step_up_store.h) ----

// The columns challenge SELECTs return, in ChallengeColumn order.
enum ChallengeColumn : int {
  kChallengeId, kChallengePurpose, kChallengeUserId, kChallengeRequestId, kChallengeAction, kChallengeNonce,
  kChallengeCreatedAt, kChallengeExpiresAt, kChallengeUsedAt
};
#define JIT_CHALLENGE_COLUMNS "id, purpose, user_id, request_id, action, nonce, created_at, expires_at, used_at"

inline constexpr const char* kInsertChallenge =
    "INSERT INTO step_up_challenges (" JIT_CHALLENGE_COLUMNS ") VALUES (:id, :purpose, :user_id, :request_id, "
    ":action, :nonce, :created_at, :expires_at, :used_at)";
inline constexpr const char* kGetChallenge = "SELECT " JIT_CHALLENGE_COLUMNS " FROM step_up_challenges WHERE id = :id";
// Only an unused, unexpired challenge is marked: one row changed means this caller consumed it.
inline constexpr const char* kConsumeChallenge =
    "UPDATE step_up_challenges SET used_at = :now WHERE id = :id AND used_at IS NULL AND expires_at > :now";
inline constexpr const char* kDeleteChallengesExpiredBefore =
    "DELETE FROM step_up_challenges WHERE expires_at < :cutoff";

#undef JIT_CHALLENGE_COLUMNS

// The columns credential SELECTs return, in CredentialColumn order.
enum CredentialColumn : int {
  kCredentialId, kCredentialUserId, kCredentialCoseAlg, kCredentialPublicKey, kCredentialSignCount,
  kCredentialName, kCredentialCreatedAt, kCredentialLastUsedAt
};
#define JIT_CREDENTIAL_COLUMNS \
  "credential_id, user_id, cose_alg, public_key, sign_count, name, created_at, last_used_at"

inline constexpr const char* kInsertCredential =
    "INSERT INTO webauthn_credentials (" JIT_CREDENTIAL_COLUMNS ") VALUES (:credential_id, :user_id, :cose_alg, "
    ":public_key, :sign_count, :name, :created_at, :last_used_at)";
inline constexpr const char* kGetCredential =
    "SELECT " JIT_CREDENTIAL_COLUMNS " FROM webauthn_credentials WHERE credential_id = :credential_id";
inline constexpr const char* kCredentialsOf =
    "SELECT " JIT_CREDENTIAL_COLUMNS " FROM webauthn_credentials WHERE user_id = :user_id "
    "ORDER BY created_at, credential_id";
inline constexpr const char* kDeleteCredential =
    "DELETE FROM webauthn_credentials WHERE credential_id = :credential_id AND user_id = :user_id";
// Moves the count only from the value the caller saw.
inline constexpr const char* kAdvanceSignCount =
    "UPDATE webauthn_credentials SET sign_count = :count, last_used_at = :used_at "
    "WHERE credential_id = :credential_id AND sign_count = :expected";

#undef JIT_CREDENTIAL_COLUMNS

}  // namespace jit::sqlite
