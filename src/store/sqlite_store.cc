#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>

#include "audit/chain.h"
#include "store/sqlite_db.h"
#include "store/sqlite_rows.h"
#include "store/sqlite_schema.h"

namespace jit {

namespace {

using sqlite::Database;
using sqlite::WriteTransaction;

constexpr std::chrono::milliseconds kBusyTimeout{5000};

// An Error like `e` with `context` in front of its message.
Error with_context(std::string_view context, const Error& e) {
  return {e.code, fmt::format("{}: {}", context, e.message)};
}

std::int64_t limit_value(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// ---- schema ----

Result<> migrate(Database& db) {
  auto transaction = WriteTransaction::begin(db);
  if (!transaction) return fail(transaction.error());
  std::int64_t version = 0;
  {
    auto read = db.query(sqlite::kReadSchemaVersion);
    if (!read) return fail(read.error());
    auto row = read->step();
    if (!row) return fail(row.error());
    version = read->integer(0);
  }
  if (version < 0 || version > sqlite::kSchemaVersion)
    return fail(Error::Invalid(fmt::format(
        "sqlite database {} has schema version {}, but this program knows versions up to {}: "
        "run a newer jit on it, or use another file",
        db.path(), version, sqlite::kSchemaVersion)));
  if (version == sqlite::kSchemaVersion) return {};
  for (auto step = version; step < sqlite::kSchemaVersion; ++step)
    if (auto applied = db.exec(sqlite::kMigrations[step]); !applied)
      return fail(with_context(fmt::format("migrating the schema to version {}", step + 1), applied.error()));
  // PRAGMA takes no bound parameters; the value is this program's own constant.
  if (auto set = db.exec(fmt::format("PRAGMA user_version = {}", sqlite::kSchemaVersion)); !set)
    return fail(set.error());
  return transaction->commit();
}

// ---- requests ----

Result<std::optional<AccessRequest>> find_request(Database& db, const std::string& id) {
  auto q = db.query(sqlite::kGetRequest);
  if (!q) return fail(q.error());
  q->bind(":id", id);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::nullopt;
  return sqlite::read_request(*q);
}

// The other open requests of `r`'s requester, account and role.
Result<std::vector<OpenRow>> other_open_requests(Database& db, const AccessRequest& r) {
  auto q = db.query(sqlite::kOpenRequestFor);
  if (!q) return fail(q.error());
  q->bind(":requester", r.requester).bind(":account", r.account).bind(":role", r.role).bind(":id", r.id);
  std::vector<OpenRow> others;
  while (true) {
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) return others;
    auto state = parse_state(q->text(1));
    if (!state) return fail(Error::Internal(fmt::format("request {}: unknown stored state \"{}\"", q->text(0), q->text(1))));
    others.push_back({q->text(0), *state, q->text(2)});
  }
}

// Errc::conflict when `r` (entering its open slot: created, or moved from the other slot) may not
// be stored beside the other open requests of its slot pair (core/model.h open_slot_conflict).
// REQUIRES: an open write transaction, so that the rows read are the rows written beside.
Result<> check_open_slot(Database& db, const AccessRequest& r) {
  if (!is_open(r.state)) return {};
  auto others = other_open_requests(db, r);
  if (!others) return fail(others.error());
  if (auto conflict = open_slot_conflict(r, /*entering=*/true, *others)) return fail(Error::Conflict(*conflict));
  return {};
}

// `constraint` (an Errc::conflict from writing `r`) explained by the other open request that
// holds the same slot, when there is one.
Error open_request_conflict(Database& db, const AccessRequest& r, Error constraint) {
  auto others = other_open_requests(db, r);
  if (!others) return others.error();
  if (auto conflict = open_slot_conflict(r, /*entering=*/false, *others)) return Error::Conflict(*conflict);
  return constraint;
}

// Inserts `r` as given (its version included), explaining a conflict: the id exists, or the slot
// is taken by another open request. `imported`: copied from a store that kept the slot rules, so
// only the index's one request per slot is checked (the grant an extension extends may come later).
Result<> insert_request(Database& db, const AccessRequest& r, bool imported = false) {
  if (!imported)
    if (auto ok = check_open_slot(db, r); !ok) {
      auto existing = find_request(db, r.id);
      if (existing && *existing) return fail(Error::Conflict(fmt::format("request {} already exists", r.id)));
      return ok;
    }
  auto insert = db.query(sqlite::kInsertRequest);
  if (!insert) return fail(insert.error());
  if (auto bound = sqlite::bind_request(*insert, r); !bound) return fail(bound.error());
  auto inserted = insert->run();
  if (inserted || inserted.error().code != Errc::conflict) return inserted;
  auto existing = find_request(db, r.id);
  if (!existing) return fail(existing.error());
  if (*existing) return fail(Error::Conflict(fmt::format("request {} already exists", r.id)));
  return fail(open_request_conflict(db, r, inserted.error()));
}

// ---- audit ----

Result<AuditHead> read_audit_head(Database& db) {
  auto q = db.query(sqlite::kReadAuditHead);
  if (!q) return fail(q.error());
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Error::Internal(fmt::format("sqlite database {}: the audit_head row is missing", db.path())));
  return AuditHead{q->integer(0), q->text(1)};
}

// Inserts `event`, sealed to follow `head`, and moves the head to it.
// REQUIRES: an open write transaction in which `head` was read, so that no other writer moved it.
Result<> insert_event(Database& db, const AuditEvent& event, const AuditHead& head) {
  {
    auto insert = db.query(sqlite::kInsertAudit);
    if (!insert) return fail(insert.error());
    sqlite::bind_event(*insert, event);
    if (auto inserted = insert->run(); !inserted) {
      // A conflict here is not a lost race (the transaction holds the write lock): the trail
      // already has an event past the recorded head.
      if (inserted.error().code != Errc::conflict) return fail(inserted.error());
      return fail(Error::Internal(fmt::format("sqlite database {}: audit event {} already exists but the recorded "
                                              "head is event {}; run audit verification",
                                              db.path(), event.seq, head.seq)));
    }
  }
  auto update = db.query(sqlite::kWriteAuditHead);
  if (!update) return fail(update.error());
  update->bind(":seq", event.seq).bind(":hash", event.hash);
  return update->run();
}

// Seals `event` with `keys` after the current head, inserts it and moves the head to it.
// REQUIRES: an open write transaction, so that no other writer moves the head meanwhile.
Result<AuditEvent> append_event(Database& db, AuditEvent event, const audit::Keyring& keys) {
  auto head = read_audit_head(db);
  if (!head) return fail(head.error());
  audit::seal(event, *head, keys);
  if (auto inserted = insert_event(db, event, *head); !inserted) return fail(inserted.error());
  return event;
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Database> db, audit::Keyring keys, const Clock* clock)
    : clock_(clock ? *clock : system_clock_), db_(std::move(db)), keys_(std::move(keys)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, audit::Keyring keys,
                                                       const Clock* clock) {
  auto db = Database::open(path, kBusyTimeout);
  if (!db) return fail(db.error());
  // WAL: readers do not wait for the writer. With WAL, synchronous=NORMAL loses no commit when
  // the program crashes; only an OS crash or power loss may lose the last ones.
  if (auto set = (*db)->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL"); !set)
    return fail(set.error());
  if (auto migrated = migrate(**db); !migrated) return fail(migrated.error());
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db), std::move(keys), clock));
}

Result<AccessRequest> SqliteStore::create_request(const AccessRequest& request, const AuditEvent& event) {
  std::lock_guard lock(mu_);
  AccessRequest stored = request;
  stored.version = 1;
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  if (auto inserted = insert_request(*db_, stored); !inserted) return fail(inserted.error());
  if (auto appended = append_event(*db_, event, keys_); !appended) return fail(appended.error());
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return stored;
}

Result<AccessRequest> SqliteStore::get_request(const std::string& id) {
  std::lock_guard lock(mu_);
  auto found = find_request(*db_, id);
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::NotFound(fmt::format("request {} does not exist", id)));
  return std::move(**found);
}

Result<AccessRequest> SqliteStore::update_request(const AccessRequest& request, const AuditEvent& event) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  if (is_open(request.state)) {  // a move into a slot (an extension's grant becoming active) is checked
    auto current = find_request(*db_, request.id);
    if (!current) return fail(current.error());
    if (*current && (!is_open((*current)->state) || open_slot_of(**current) != open_slot_of(request)))
      if (auto ok = check_open_slot(*db_, request); !ok) return fail(ok.error());
  }
  {
    auto update = db_->query(sqlite::kUpdateRequest);
    if (!update) return fail(update.error());
    if (auto bound = sqlite::bind_request(*update, request); !bound) return fail(bound.error());
    if (auto updated = update->run(); !updated)
      return fail(updated.error().code == Errc::conflict ? open_request_conflict(*db_, request, updated.error())
                                                         : updated.error());
  }
  if (db_->changes() != 1) {
    auto current = find_request(*db_, request.id);
    if (!current) return fail(current.error());
    if (!*current) return fail(Error::NotFound(fmt::format("request {} does not exist", request.id)));
    return fail(Error::Conflict(fmt::format("request {} changed since it was read (version {} read, {} stored): "
                                            "read it again and retry",
                                            request.id, request.version, (*current)->version)));
  }
  if (auto appended = append_event(*db_, event, keys_); !appended) return fail(appended.error());
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  AccessRequest stored = request;
  ++stored.version;
  return stored;
}

Result<std::vector<AccessRequest>> SqliteStore::list_requests(const RequestQuery& query) {
  std::lock_guard lock(mu_);
  auto q = db_->query(query.requester ? sqlite::kListRequestsOf : sqlite::kListRequests);
  if (!q) return fail(q.error());
  if (query.requester) q->bind(":requester", *query.requester);
  if (query.states.empty()) {
    q->bind(":states", std::nullopt);
  } else {
    auto names = nlohmann::json::array();
    for (State s : query.states) names.push_back(std::string(state_name(s)));
    q->bind(":states", names.dump());
  }
  q->bind(":limit", limit_value(query.limit));
  return sqlite::read_requests(*q);
}

Result<std::vector<AccessRequest>> SqliteStore::expired_grants(TimePoint now, std::size_t limit) {
  std::lock_guard lock(mu_);
  auto q = db_->query(sqlite::kExpiredGrants);
  if (!q) return fail(q.error());
  q->bind(":now", epoch_seconds(now)).bind(":limit", limit_value(limit));
  return sqlite::read_requests(*q);
}

Result<std::vector<AccessRequest>> SqliteStore::in_flight(std::size_t limit) {
  std::lock_guard lock(mu_);
  auto q = db_->query(sqlite::kInFlight);
  if (!q) return fail(q.error());
  q->bind(":limit", limit_value(limit));
  return sqlite::read_requests(*q);
}

Result<std::vector<AccessRequest>> SqliteStore::pending_before(TimePoint cutoff, std::size_t limit) {
  std::lock_guard lock(mu_);
  auto q = db_->query(sqlite::kPendingBefore);
  if (!q) return fail(q.error());
  q->bind(":cutoff", epoch_seconds(cutoff)).bind(":limit", limit_value(limit));
  return sqlite::read_requests(*q);
}

Result<std::vector<AccessRequest>> SqliteStore::holding_access(std::size_t limit) {
  std::lock_guard lock(mu_);
  auto q = db_->query(sqlite::kHoldingAccess);
  if (!q) return fail(q.error());
  q->bind(":limit", limit_value(limit));
  return sqlite::read_requests(*q);
}

Result<AuditEvent> SqliteStore::append_audit(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  auto appended = append_event(*db_, event, keys_);
  if (!appended) return fail(appended.error());
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return appended;
}

Result<AccessRequest> SqliteStore::import_request(const AccessRequest& request) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  if (auto inserted = insert_request(*db_, request, /*imported=*/true); !inserted) return fail(inserted.error());
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return request;
}

Result<AuditEvent> SqliteStore::import_audit(const AuditEvent& event) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  auto head = read_audit_head(*db_);
  if (!head) return fail(head.error());
  if (auto conflict = audit::import_conflict(event, *head)) return fail(*conflict);
  if (auto inserted = insert_event(*db_, event, *head); !inserted) return fail(inserted.error());
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return event;
}

Result<std::vector<AuditEvent>> SqliteStore::audit_events(const AuditQuery& query) {
  std::lock_guard lock(mu_);
  auto q = db_->query(query.request_id ? sqlite::kAuditEventsOf : sqlite::kAuditEvents);
  if (!q) return fail(q.error());
  if (query.request_id) q->bind(":request_id", *query.request_id);
  q->bind(":after_seq", query.after_seq)
      .bind(":since", sqlite::epoch_or_null(query.since))
      .bind(":until", sqlite::epoch_or_null(query.until))
      .bind(":limit", limit_value(query.limit));
  return sqlite::read_events(*q);
}

Result<AuditHead> SqliteStore::audit_head() {
  std::lock_guard lock(mu_);
  return read_audit_head(*db_);
}

Result<bool> SqliteStore::try_lock(const std::string& name, const std::string& owner, TimePoint until) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  {
    auto q = db_->query(sqlite::kTryLock);
    if (!q) return fail(q.error());
    q->bind(":name", name).bind(":owner", owner).bind(":until", epoch_seconds(until))
        .bind(":now", epoch_seconds(clock_.now()));
    if (auto taken = q->run(); !taken) return fail(taken.error());
  }
  const bool held = db_->changes() == 1;
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return held;
}

Result<> SqliteStore::unlock(const std::string& name, const std::string& owner) {
  std::lock_guard lock(mu_);
  auto q = db_->query(sqlite::kUnlock);
  if (!q) return fail(q.error());
  q->bind(":name", name).bind(":owner", owner);
  return q->run();
}

}  // namespace jit
