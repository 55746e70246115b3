// A small RAII layer over the SQLite C API, used by SqliteStore only: one connection, prepared
// statements cached by their SQL text, values always bound (never spliced into SQL), and SQLite
// result codes turned into Error values. Not thread-safe: the owner serialises every call.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.h"

namespace jit::sqlite {

class Database;

// A cached statement in use: bind parameters, step through rows, read columns. Destroying it
// resets the statement, so the next user starts clean and no read snapshot stays open.
class Query {
 public:
  Query(Database& db, sqlite3_stmt* statement) : db_(&db), statement_(statement) {}
  Query(Query&& other) noexcept;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query();

  // Binds the named parameter (":name"). Failures are reported by the next step(): a name the
  // statement does not have as Errc::internal (a programmer error), others as error() maps them.
  Query& bind(const char* name, std::string_view text);
  Query& bind(const char* name, std::int64_t value);
  Query& bind(const char* name, std::optional<std::int64_t> value);  // NULL when empty
  Query& bind(const char* name, std::nullopt_t);                      // NULL

  // Advances to the next row: true when there is one, false when the statement is done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Result<> run();

  // Columns of the current row, by position (0-based).
  std::string text(int column) const;
  std::int64_t integer(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;  // empty when NULL

 private:
  int parameter(const char* name);
  void note_bind(int rc);

  Database* db_;
  sqlite3_stmt* statement_;
  std::string unknown_parameter_;  // first parameter name that did not bind
  int bind_rc_ = SQLITE_OK;        // first failed bind
};

class Database {
 public:
  // Opens, creating it if missing, the database file at `path` and sets the busy timeout:
  // how long a statement waits for another connection's lock before failing with SQLITE_BUSY.
  // Errors name the path and SQLite's message.
  static Result<std::unique_ptr<Database>> open(const std::string& path, std::chrono::milliseconds busy_timeout);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs SQL that takes no parameters and whose rows, if any, are not needed: pragmas,
  // transaction control, schema steps. May hold several statements.
  Result<> exec(const std::string& sql);

  // The statement for `sql`, prepared on first use and then reused.
  // REQUIRES: `sql` outlives this Database (a string literal or another constant), and no other
  // Query for the same `sql` is alive.
  Result<Query> query(std::string_view sql);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;

  // SQLite result `rc` as an Error naming the path and SQLite's message:
  // busy or locked (the busy timeout has passed) -> Errc::unavailable; a constraint
  // violation -> Errc::conflict; anything else -> Errc::internal.
  Error error(int rc) const;

  const std::string& path() const { return path_; }
  bool in_transaction() const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;
};

// A write transaction begun with BEGIN IMMEDIATE: the write lock is taken up front, so writers
// in other threads or processes queue (up to the busy timeout) instead of failing midway, and
// every read inside it sees the latest committed data. Rolled back unless committed.
class WriteTransaction {
 public:
  static Result<WriteTransaction> begin(Database& db);

  WriteTransaction(WriteTransaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  ~WriteTransaction();

  Result<> commit();

 private:
  explicit WriteTransaction(Database& db) : db_(&db) {}

  Database* db_;  // null once committed or moved from
};

}  // namespace jit::sqlite
