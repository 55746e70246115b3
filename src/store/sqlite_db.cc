#include "store/sqlite_db.h"

#include <fmt/format.h>

namespace jit::sqlite {

Query::Query(Query&& other) noexcept
    : db_(other.db_),
      statement_(std::exchange(other.statement_, nullptr)),
      unknown_parameter_(std::move(other.unknown_parameter_)),
      bind_rc_(other.bind_rc_) {}

Query::~Query() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

int Query::parameter(const char* name) {
  const int index = sqlite3_bind_parameter_index(statement_, name);
  if (index == 0 && unknown_parameter_.empty()) unknown_parameter_ = name;
  return index;
}

Query& Query::bind(const char* name, std::string_view text) {
  // A null data pointer would bind NULL rather than an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  if (const int index = parameter(name))
    note_bind(sqlite3_bind_text64(statement_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Query& Query::bind(const char* name, std::int64_t value) {
  if (const int index = parameter(name)) note_bind(sqlite3_bind_int64(statement_, index, value));
  return *this;
}

Query& Query::bind(const char* name, std::optional<std::int64_t> value) {
  return value ? bind(name, *value) : bind(name, std::nullopt);
}

Query& Query::bind(const char* name, std::nullopt_t) {
  if (const int index = parameter(name)) note_bind(sqlite3_bind_null(statement_, index));
  return *this;
}

void Query::note_bind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Result<bool> Query::step() {
  if (!unknown_parameter_.empty())
    return fail(Error::Internal(fmt::format("sqlite statement has no parameter {}: {}", unknown_parameter_,
                                            sqlite3_sql(statement_))));
  if (bind_rc_ != SQLITE_OK) return fail(db_->error(bind_rc_));
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(db_->error(rc));
}

Result<> Query::run() {
  auto row = step();
  if (!row) return fail(row.error());
  if (*row) return fail(Error::Internal(fmt::format("sqlite statement unexpectedly returned rows: {}",
                                                    sqlite3_sql(statement_))));
  return {};
}

std::string Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::int64_t Query::integer(int column) const { return sqlite3_column_int64(statement_, column); }

std::optional<std::int64_t> Query::optional_integer(int column) const {
  if (sqlite3_column_type(statement_, column) == SQLITE_NULL) return std::nullopt;
  return integer(column);
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, std::chrono::milliseconds busy_timeout) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail(Error::Internal(fmt::format("cannot open sqlite database {}: {}", path, message)));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  return std::unique_ptr<Database>(new Database(db, path));
}

Database::~Database() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

Result<> Database::exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(error(rc));
  return {};
}

Result<Query> Database::query(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &statement, nullptr);
    if (rc != SQLITE_OK) return fail(error(rc));
    found = statements_.emplace(sql, statement).first;
  }
  return Query(*this, found->second);
}

int Database::changes() const { return sqlite3_changes(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Error Database::error(int rc) const {
  // The connection's message describes its last failed call; prefer it when it is about `rc`.
  const char* detail = sqlite3_extended_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string message = fmt::format("sqlite database {}: {}", path_, detail);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::Unavailable(message + " (another connection held the lock past the busy timeout; retry)");
    case SQLITE_CONSTRAINT: return Error::Conflict(std::move(message));
    default: return Error::Internal(std::move(message));
  }
}

Result<WriteTransaction> WriteTransaction::begin(Database& db) {
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) return fail(begun.error());
  return WriteTransaction(db);
}

WriteTransaction::~WriteTransaction() {
  // SQLite may already have rolled back after some errors; rolling back twice is an error.
  if (db_ != nullptr && db_->in_transaction()) (void)db_->exec("ROLLBACK");
}

Result<> WriteTransaction::commit() {
  if (auto committed = db_->exec("COMMIT"); !committed) return fail(committed.error());
  db_ = nullptr;
  return {};
}

}  // namespace jit::sqlite
