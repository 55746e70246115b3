#include "app/migrate.h"

#include <fmt/format.h>

#include <limits>
#include <string>
#include <string_view>

#include "audit/chain.h"

namespace jit {

namespace {

constexpr std::size_t kAuditPage = 10000;

Error with_context(std::string_view context, const Error& e) {
  return {e.code, fmt::format("{}: {}", context, e.message)};
}

bool same_head(const AuditHead& a, const AuditHead& b) { return a.seq == b.seq && a.hash == b.hash; }

// Every request in `store`. The port has no cursor for list_requests: one query without a
// practical limit reads them all (DynamoDbStore pages through them itself).
Result<std::vector<AccessRequest>> all_requests(Store& store) {
  return store.list_requests({.limit = std::numeric_limits<std::size_t>::max()});
}

// Errc::invalid naming what `to` already holds, or nothing when it is empty.
Result<> check_empty(Store& to) {
  auto requests = to.list_requests({.limit = 1});
  if (!requests) return fail(with_context("reading the target store", requests.error()));
  auto events = to.audit_events({.limit = 1});
  if (!events) return fail(with_context("reading the target store", events.error()));
  auto head = to.audit_head();
  if (!head) return fail(with_context("reading the target store", head.error()));
  if (requests->empty() && events->empty() && head->seq == 0) return {};
  return fail(Error::Invalid(fmt::format(
      "the target store is not empty (it has {}, and its audit head is event {}): migrate only into a new store "
      "(a new SQLite file, or a DynamoDB table just made by `jit store init`)",
      requests->empty() ? "no requests" : "requests", head->seq)));
}

}  // namespace

Result<std::vector<AuditEvent>> all_audit_events(Store& store, const AuditQuery& query) {
  std::vector<AuditEvent> out;
  AuditQuery page_query = query;
  page_query.limit = kAuditPage;
  for (;;) {
    auto page = store.audit_events(page_query);
    if (!page) return fail(page.error());
    out.insert(out.end(), page->begin(), page->end());
    if (page->size() < page_query.limit) return out;
    page_query.after_seq = page->back().seq;
  }
}

Result<MigrateReport> migrate(Store& from, Store& to, const audit::Keyring& keys) {
  if (auto empty = check_empty(to); !empty) return fail(empty.error());

  // Read the whole source, and make sure nothing changed it meanwhile (every change moves the
  // head) and that its own trail is sound: a broken trail is not copied.
  auto head = from.audit_head();
  if (!head) return fail(with_context("reading the source store", head.error()));
  auto requests = all_requests(from);
  if (!requests) return fail(with_context("reading the source store's requests", requests.error()));
  auto events = all_audit_events(from);
  if (!events) return fail(with_context("reading the source store's audit trail", events.error()));
  const auto source_check = audit::verify(*events, *head, keys, {.allow_unkeyed = true});
  if (!source_check.ok)
    return fail(Error::Invalid(fmt::format(
        "the source store's audit trail does not verify (event {}: {}); nothing was copied: run `jit audit verify` "
        "on it, and stop `jit serve` if it is running",
        source_check.first_bad_seq, source_check.problem)));

  for (const AccessRequest& r : *requests)
    if (auto imported = to.import_request(r); !imported)
      return fail(with_context(fmt::format("copying request {}", r.id), imported.error()));
  for (const AuditEvent& e : *events)
    if (auto imported = to.import_audit(e); !imported)
      return fail(with_context(fmt::format("copying audit event {}", e.seq), imported.error()));

  // Prove the copy: the same requests, the same chain, and a source that did not move.
  for (const AccessRequest& r : *requests) {
    auto copied = to.get_request(r.id);
    if (!copied) return fail(with_context(fmt::format("checking request {} in the target", r.id), copied.error()));
    if (*copied != r)
      return fail(Error::Internal(fmt::format("request {} reads back different from the target store (version {} "
                                              "copied, {} read)",
                                              r.id, r.version, copied->version)));
  }
  auto copied_events = all_audit_events(to);
  if (!copied_events) return fail(with_context("checking the target's audit trail", copied_events.error()));
  auto copied_head = to.audit_head();
  if (!copied_head) return fail(with_context("checking the target's audit trail", copied_head.error()));
  const auto target_check = audit::verify(*copied_events, *copied_head, keys, {.allow_unkeyed = true});
  if (!target_check.ok)
    return fail(Error::Internal(fmt::format("the target's audit trail does not verify after copying (event {}: {})",
                                            target_check.first_bad_seq, target_check.problem)));
  if (*copied_events != *events || !same_head(*copied_head, *head))
    return fail(Error::Internal(fmt::format(
        "the target's audit trail differs from the source's after copying ({} events, head #{} copied; {} events, "
        "head #{} read back)",
        events->size(), head->seq, copied_events->size(), copied_head->seq)));
  auto head_after = from.audit_head();
  if (!head_after) return fail(with_context("reading the source store", head_after.error()));
  if (!same_head(*head_after, *head))
    return fail(Error::Unavailable(fmt::format(
        "the source store changed during the migration (its audit head moved from #{} to #{}): stop `jit serve`, "
        "empty the target and migrate again",
        head->seq, head_after->seq)));

  return MigrateReport{.requests = static_cast<std::int64_t>(requests->size()),
                       .audit_events = static_cast<std::int64_t>(events->size()),
                       .head = *head};
}

}  // namespace jit
