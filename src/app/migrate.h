// `jit store migrate`: copying all state from one Store to another (SQLite to DynamoDB, or back)
// without loss, and proving it: the same requests, versions included, and the same audit chain.
#pragma once

#include <cstdint>
#include <vector>

#include "audit/keyring.h"
#include "core/error.h"
#include "ports/store.h"

namespace jit {

struct MigrateReport {
  std::int64_t requests = 0;      // requests copied
  std::int64_t audit_events = 0;  // audit events copied
  AuditHead head;                 // the head of both trails afterwards
};

// Copies every request (Store::import_request) and then every audit event in seq order
// (Store::import_audit) from `from` into `to`, then checks the copy: every request in `to`
// equals the one in `from`, and `to`'s trail verifies (audit::verify) with the same events and
// the same head as `from`'s. Keyed events are checked with `keys` (which must hold every key id the
// trail uses); unkeyed events after keyed ones are copied as they are (the copy is faithful, and
// `jit audit verify` on the target applies the downgrade rule of audit/chain.h).
//
// REQUIRES: nothing writes to `from` meanwhile (stop `jit serve` first). A change seen anyway
// (the head moved during the copy) fails the migration.
// Errc::invalid, before anything is written, when `to` already has requests or audit events, or
// when `from`'s own audit trail does not verify. Any other error may leave `to` with part of the
// state: empty it (delete the file or the table) before trying again.
Result<MigrateReport> migrate(Store& from, Store& to, const audit::Keyring& keys);

// Every audit event matching `query` (its limit aside), read page by page in seq order.
Result<std::vector<AuditEvent>> all_audit_events(Store& store, const AuditQuery& query = {});

}  // namespace jit
