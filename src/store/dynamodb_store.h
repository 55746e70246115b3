// The Store on one DynamoDB table (JSON protocol through aws::AwsJsonApi): for several instances
// in several hosts. The layout of the table is described in store/dynamodb_items.h.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "aws/json_api.h"
#include "ports/clock.h"
#include "ports/lock.h"
#include "ports/step_up_store.h"
#include "ports/store.h"

namespace jit {

struct DynamoDbTableOptions {
  // How many times create_table asks DescribeTable whether the table and its indexes are ACTIVE,
  // and how long it waits between asks (it asks first without waiting).
  int max_polls = 300;
  std::chrono::milliseconds poll_interval{1000};
  // Enable TTL on the `ttl` attribute (UpdateTimeToLive). Off only for emulators without it.
  bool time_to_live = true;
};

// Thread-safe: it holds no state beyond the table name and `api`, which must outlive it.
//
// Every state change is one TransactWriteItems: the request Put (conditioned on its version, or on
// not existing yet), the open-slot lock Put or Delete when the request enters or leaves an open
// state, the live-grant Put or Delete, the audit event Put (conditioned on not existing) and the
// audit head Put (conditioned on the head read before). A lost race on the audit head alone is
// retried at once (a fresh read of head and request), up to kMaxAttempts; a lost race on the
// request or its lock is Errc::conflict to the caller. The imports write the same items:
// import_request without the event and head, import_audit without a request (and, after a lost
// race on the head, a fresh read finds the event no longer follows it: Errc::conflict).
//
// Reads: get_request and audit_head are strongly consistent; list_requests, the sweeps
// (expired_grants, in_flight, pending_before, holding_access) and audit_events use Query, the
// first five on global secondary indexes, which are eventually consistent: a change may take a
// moment (usually well under a second) to show there. The sweeps run again, so this only delays.
//
// Errors: a lost conditional write is Errc::conflict; a missing table is Errc::unavailable
// ("table T does not exist: run `jit store init`"); throttling, 5xx, transport and credential
// failures are Errc::unavailable; anything else DynamoDB rejects is Errc::internal with its message.
//
// It is also the Locks of every instance on the table: one item per lock (LOCK#<name>), taken by a
// PutItem conditioned on the item being absent, lapsed (`until` before the store clock's now) or
// already the caller's; let go by a DeleteItem conditioned on the owner.
//
// And the StepUpStore: STEPUP#, WEBAUTHN# and WEBAUTHN_USER# items (dynamodb_items.h), each change
// one conditional PutItem, UpdateItem or DeleteItem; every read strongly consistent. A link is
// consumed by an UpdateItem conditioned on it being unused and unexpired, and a failed condition
// is explained by a fresh read. DynamoDB deletes links a day after they expire (TTL on `ttl`).
class DynamoDbStore final : public Store, public Locks, public StepUpStore {
 public:
  static constexpr int kMaxAttempts = 32;

  // Checks that `table` exists, is ACTIVE and has this store's key and indexes (DescribeTable).
  // Errc::unavailable when it is missing or not active yet; Errc::invalid when it has another
  // shape (made by another program, or by an older version without an index). Audit events are
  // sealed with `keys` (audit::seal). Locks lapse by `clock` (null: the system clock), which must
  // outlive the store.
  static Result<std::unique_ptr<DynamoDbStore>> open(std::string table, aws::AwsJsonApi& api,
                                                     audit::Keyring keys = audit::Keyring::unkeyed(),
                                                     const Clock* clock = nullptr);
  // The same, keeping `api` (and whatever it owns) alive as long as the store: for openers such
  // as `--store dynamodb:TABLE` that build the client themselves.
  static Result<std::unique_ptr<DynamoDbStore>> open(std::string table, std::shared_ptr<aws::AwsJsonApi> api,
                                                     audit::Keyring keys = audit::Keyring::unkeyed(),
                                                     const Clock* clock = nullptr);

  // Creates `table` with its key, indexes (PAY_PER_REQUEST, server-side encryption), waits until it
  // and its indexes are ACTIVE, and enables TTL on `ttl`. Idempotent: an existing table is fine
  // (its shape is then checked as open() does), and TTL already on is left alone. The same table
  // as a CloudFormation template: deploy/dynamodb-table.yaml. `jit store init` calls this. The
  // waits between checks sleep on `clock`.
  static Result<> create_table(const std::string& table, aws::AwsJsonApi& api, const Clock& clock,
                               const DynamoDbTableOptions& options = {});

  Result<AccessRequest> create_request(const AccessRequest& request, const AuditEvent& event) override;
  Result<AccessRequest> get_request(const std::string& id) override;
  Result<AccessRequest> update_request(const AccessRequest& request, const AuditEvent& event) override;
  Result<std::vector<AccessRequest>> list_requests(const RequestQuery& query) override;
  Result<std::vector<AccessRequest>> expired_grants(TimePoint now, std::size_t limit) override;
  // Oldest updated_at first.
  Result<std::vector<AccessRequest>> in_flight(std::size_t limit) override;
  Result<std::vector<AccessRequest>> pending_before(TimePoint cutoff, std::size_t limit) override;
  // Soonest expires_at first.
  Result<std::vector<AccessRequest>> holding_access(std::size_t limit) override;
  Result<AuditEvent> append_audit(const AuditEvent& event) override;
  Result<std::vector<AuditEvent>> audit_events(const AuditQuery& query) override;
  Result<AuditHead> audit_head() override;
  Result<AccessRequest> import_request(const AccessRequest& request) override;
  Result<AuditEvent> import_audit(const AuditEvent& event) override;

  Result<bool> try_lock(const std::string& name, const std::string& owner, TimePoint until) override;
  Result<> unlock(const std::string& name, const std::string& owner) override;

  Result<> put_challenge(const StepUpChallenge& challenge) override;
  Result<StepUpChallenge> get_challenge(const std::string& id) override;
  Result<StepUpChallenge> consume_challenge(const std::string& id, TimePoint now) override;
  // Claims the id (PutItem conditioned on no claim or one of the same user), then writes the
  // credential in its user's partition (conditioned on not existing).
  Result<> add_credential(const WebAuthnCredential& credential) override;
  // One strongly consistent Query of the user's partition.
  Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) override;
  // The claim, then the credential in the claimant's partition.
  Result<WebAuthnCredential> find_credential(const std::string& credential_id) override;
  // Deletes the credential from the user's partition, then its claim (conditioned on the user and
  // the enrolment's token). A claim left by a failure between the two is the same user's: it lets
  // only them enrol the id again.
  Result<> remove_credential(const std::string& user_id, const std::string& credential_id) override;
  Result<> advance_sign_count(const std::string& credential_id, std::uint32_t expected, std::uint32_t count,
                              TimePoint used_at) override;

  const std::string& table() const { return table_; }

 private:
  DynamoDbStore(std::string table, aws::AwsJsonApi& api, std::shared_ptr<aws::AwsJsonApi> owned, audit::Keyring keys,
                const Clock* clock)
      : table_(std::move(table)),
        owned_api_(std::move(owned)),
        api_(api),
        keys_(std::move(keys)),
        clock_(clock ? *clock : system_clock_) {}

  struct Change;
  struct Written {
    AccessRequest request;  // as stored; empty for append_audit and import_audit
    AuditEvent event;       // as sealed; empty for import_request
  };
  Result<Written> write_change(const Change& change);

  std::string table_;
  std::shared_ptr<aws::AwsJsonApi> owned_api_;  // null when the caller owns api_
  aws::AwsJsonApi& api_;
  const audit::Keyring keys_;
  const SystemClock system_clock_;
  const Clock& clock_;  // system_clock_ unless open() was given one
};

}  // namespace jit
