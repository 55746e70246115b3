// SqliteStore as the StepUpStore: the step_up_challenges and webauthn_credentials tables (schema
// version 6). Every change is one statement whose WHERE clause is its condition; when it changes no
// row, a read inside the same write transaction says why.
#include <fmt/format.h>

#include "store/sqlite_db.h"
#include "store/sqlite_rows.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store.h"
#include "store/step_up_purpose.h"

namespace jit {

namespace {

using sqlite::Database;
using sqlite::WriteTransaction;

constexpr Seconds kKeepExpiredChallenges{24 * 3600};

Result<std::optional<StepUpChallenge>> find_challenge(Database& db, const std::string& id) {
  auto q = db.query(sqlite::kGetChallenge);
  if (!q) return fail(q.error());
  q->bind(":id", id);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::nullopt;
  auto challenge = sqlite::read_challenge(*q);
  if (!challenge) return fail(challenge.error());
  return std::optional(std::move(*challenge));
}

Result<std::optional<WebAuthnCredential>> find_credential_row(Database& db, const std::string& credential_id) {
  auto q = db.query(sqlite::kGetCredential);
  if (!q) return fail(q.error());
  q->bind(":credential_id", credential_id);
  auto row = q->step();
  if (!row) return fail(row.error());
  if (!*row) return std::nullopt;
  return std::optional(sqlite::read_credential(*q));
}

Error no_challenge(const std::string& id) { return Error::NotFound(fmt::format("step-up link {} does not exist", id)); }
Error no_credential(const std::string& id) {
  return Error::NotFound(fmt::format("credential {} is not enrolled", id));
}

}  // namespace

Result<> SqliteStore::put_challenge(const StepUpChallenge& challenge) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  {
    auto purge = db_->query(sqlite::kDeleteChallengesExpiredBefore);
    if (!purge) return fail(purge.error());
    purge->bind(":cutoff", epoch_seconds(challenge.created_at - kKeepExpiredChallenges));
    if (auto purged = purge->run(); !purged) return fail(purged.error());
  }
  {
    auto insert = db_->query(sqlite::kInsertChallenge);
    if (!insert) return fail(insert.error());
    insert->bind(":id", challenge.id)
        .bind(":purpose", purpose_name(challenge.purpose))
        .bind(":user_id", challenge.user_id)
        .bind(":request_id", challenge.request_id)
        .bind(":action", challenge.action)
        .bind(":nonce", challenge.nonce)
        .bind(":created_at", epoch_seconds(challenge.created_at))
        .bind(":expires_at", epoch_seconds(challenge.expires_at))
        .bind(":used_at", sqlite::epoch_or_null(challenge.used_at));
    if (auto inserted = insert->run(); !inserted)
      return fail(inserted.error().code == Errc::conflict
                      ? Error::Conflict(fmt::format("step-up link {} already exists", challenge.id))
                      : inserted.error());
  }
  return transaction->commit();
}

Result<StepUpChallenge> SqliteStore::get_challenge(const std::string& id) {
  std::lock_guard lock(mu_);
  auto found = find_challenge(*db_, id);
  if (!found) return fail(found.error());
  if (!*found) return fail(no_challenge(id));
  return std::move(**found);
}

Result<StepUpChallenge> SqliteStore::consume_challenge(const std::string& id, TimePoint now) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  {
    auto consume = db_->query(sqlite::kConsumeChallenge);
    if (!consume) return fail(consume.error());
    consume->bind(":id", id).bind(":now", epoch_seconds(now));
    if (auto consumed = consume->run(); !consumed) return fail(consumed.error());
  }
  const bool won = db_->changes() == 1;
  auto stored = find_challenge(*db_, id);
  if (!stored) return fail(stored.error());
  if (!*stored) return fail(no_challenge(id));
  if (!won) {
    if ((*stored)->used_at) return fail(Error::Conflict(fmt::format("step-up link {} was used already", id)));
    return fail(Error::Denied(fmt::format("step-up link {} expired: ask for a new one", id)));
  }
  if (auto committed = transaction->commit(); !committed) return fail(committed.error());
  return std::move(**stored);
}

Result<> SqliteStore::add_credential(const WebAuthnCredential& credential) {
  std::lock_guard lock(mu_);
  auto insert = db_->query(sqlite::kInsertCredential);
  if (!insert) return fail(insert.error());
  insert->bind(":credential_id", credential.credential_id)
      .bind(":user_id", credential.user_id)
      .bind(":cose_alg", std::int64_t{credential.cose_alg})
      .bind(":public_key", credential.public_key)
      .bind(":sign_count", std::int64_t{credential.sign_count})
      .bind(":name", credential.name)
      .bind(":created_at", epoch_seconds(credential.created_at))
      .bind(":last_used_at", sqlite::epoch_or_null(credential.last_used_at));
  auto inserted = insert->run();
  if (!inserted && inserted.error().code == Errc::conflict)
    return fail(Error::Conflict(fmt::format("credential {} is enrolled already", credential.credential_id)));
  return inserted;
}

Result<std::vector<WebAuthnCredential>> SqliteStore::credentials_of(const std::string& user_id) {
  std::lock_guard lock(mu_);
  auto q = db_->query(sqlite::kCredentialsOf);
  if (!q) return fail(q.error());
  q->bind(":user_id", user_id);
  std::vector<WebAuthnCredential> out;
  for (;;) {
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) return out;
    out.push_back(sqlite::read_credential(*q));
  }
}

Result<WebAuthnCredential> SqliteStore::find_credential(const std::string& credential_id) {
  std::lock_guard lock(mu_);
  auto found = find_credential_row(*db_, credential_id);
  if (!found) return fail(found.error());
  if (!*found) return fail(no_credential(credential_id));
  return std::move(**found);
}

Result<> SqliteStore::remove_credential(const std::string& user_id, const std::string& credential_id) {
  std::lock_guard lock(mu_);
  {
    auto q = db_->query(sqlite::kDeleteCredential);
    if (!q) return fail(q.error());
    q->bind(":credential_id", credential_id).bind(":user_id", user_id);
    if (auto deleted = q->run(); !deleted) return fail(deleted.error());
  }
  if (db_->changes() != 1)
    return fail(Error::NotFound(fmt::format("{} has no credential {}", user_id, credential_id)));
  return {};
}

Result<> SqliteStore::advance_sign_count(const std::string& credential_id, std::uint32_t expected,
                                         std::uint32_t count, TimePoint used_at) {
  std::lock_guard lock(mu_);
  auto transaction = WriteTransaction::begin(*db_);
  if (!transaction) return fail(transaction.error());
  {
    auto q = db_->query(sqlite::kAdvanceSignCount);
    if (!q) return fail(q.error());
    q->bind(":credential_id", credential_id)
        .bind(":expected", std::int64_t{expected})
        .bind(":count", std::int64_t{count})
        .bind(":used_at", epoch_seconds(used_at));
    if (auto updated = q->run(); !updated) return fail(updated.error());
  }
  if (db_->changes() != 1) {
    auto current = find_credential_row(*db_, credential_id);
    if (!current) return fail(current.error());
    if (!*current) return fail(no_credential(credential_id));
    return fail(Error::Conflict(fmt::format("credential {}: its sign count moved to {} (expected {}): another "
                                            "assertion was used",
                                            credential_id, (*current)->sign_count, expected)));
  }
  return transaction->commit();
}

}  // namespace jit
