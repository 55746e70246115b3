// The Store on one SQLite file: for a single host, or a few processes sharing a disk.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "ports/clock.h"
#include "ports/lock.h"
#include "ports/step_up_store.h"
#include "ports/store.h"

namespace jit {

namespace sqlite {
class Database;
}

// Thread-safe: one connection behind a mutex. Several processes may open the same file: the
// database runs in WAL mode (readers never wait for the writer), and every write transaction
// begins with BEGIN IMMEDIATE, so writers queue for up to the busy timeout (5 s) and then fail
// with Errc::unavailable. Other SQLite failures are Errc::internal with SQLite's message.
//
// It is also the Locks of the processes sharing the file (a `locks` table): a lock lapses when
// the clock given to open() is past its `until`. And the StepUpStore (tables step_up_challenges and
// webauthn_credentials, schema version 6), every change a conditional UPDATE or DELETE.
class SqliteStore final : public Store, public Locks, public StepUpStore {
 public:
  // Opens the database at `path`, creating it if missing, and brings its schema up to the
  // version this program knows (sqlite::kSchemaVersion, recorded in PRAGMA user_version),
  // applying the missing migration steps in one transaction. Errc::invalid when the file's schema
  // is newer than this program knows. Errors name the path and SQLite's message. Audit events
  // are sealed with `keys` (audit::seal). Locks lapse by `clock` (null: the system clock), which
  // must outlive the store.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   audit::Keyring keys = audit::Keyring::unkeyed(),
                                                   const Clock* clock = nullptr);

  ~SqliteStore() override;

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

  // Also deletes the challenges that expired more than a day before challenge.created_at.
  Result<> put_challenge(const StepUpChallenge& challenge) override;
  Result<StepUpChallenge> get_challenge(const std::string& id) override;
  Result<StepUpChallenge> consume_challenge(const std::string& id, TimePoint now) override;
  Result<> add_credential(const WebAuthnCredential& credential) override;
  Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) override;
  Result<WebAuthnCredential> find_credential(const std::string& credential_id) override;
  Result<> remove_credential(const std::string& user_id, const std::string& credential_id) override;
  Result<> advance_sign_count(const std::string& credential_id, std::uint32_t expected, std::uint32_t count,
                              TimePoint used_at) override;

 private:
  SqliteStore(std::unique_ptr<sqlite::Database> db, audit::Keyring keys, const Clock* clock);

  const SystemClock system_clock_;
  const Clock& clock_;  // system_clock_ unless open() was given one
  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;  // guarded by mu_
  const audit::Keyring keys_;
};

}  // namespace jit
