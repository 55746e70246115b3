#include "store/dynamodb_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <span>

#include "audit/chain.h"
#include "crypto/digest.h"
#include "store/dynamodb_api.h"
#include "store/dynamodb_items.h"

namespace jit {

using dynamodb::Json;
using dynamodb::number_value;
using dynamodb::string_value;

namespace {

// What one entry of a TransactWriteItems is for, to read its CancellationReason.
enum class Part { request, lock_put, lock_delete, slot_check, live_grant, event, event_copy, head };

// The items of one transaction, with the part each plays.
struct Transaction {
  Json items = Json::array();
  std::vector<Part> parts;

  void add(Part part, const char* verb, Json operation) {
    items.push_back({{verb, std::move(operation)}});
    parts.push_back(part);
  }
};

// A ClientRequestToken: DynamoDB treats a repeated TransactWriteItems with the same token (as
// AwsJsonClient sends after a lost reply) as the same request for ten minutes, instead of
// running its conditions again and reporting a conflict for our own write. From the CSPRNG, not
// the clock's random(): two writers (processes, or stores on one test clock) must never share one,
// or DynamoDB would answer the second transaction with the first one's outcome.
std::string new_request_token() { return crypto::hex(crypto::random_bytes(16)); }

Json not_exists(const std::string& table, Json item) {
  return {{"TableName", table}, {"Item", std::move(item)}, {"ConditionExpression", "attribute_not_exists(pk)"}};
}

Result<std::vector<AccessRequest>> to_requests(const Result<std::vector<Json>>& items) {
  if (!items) return fail(items.error());
  std::vector<AccessRequest> out;
  out.reserve(items->size());
  for (const Json& item : *items) {
    auto r = dynamodb::request_from_item(item);
    if (!r) return fail(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

std::string open_request_message(const AccessRequest& r, const Json& reason) {
  std::string holder;
  if (reason.contains("Item") && reason["Item"].contains("request_id"))
    holder = fmt::format(" ({})", reason["Item"]["request_id"].value("S", ""));
  return fmt::format("{} already has an open request{} for role {} on account {}: wait for it to end or cancel it",
                     r.requester, holder, r.role, r.account);
}

// Why a TransactWriteItems was cancelled, as the caller's error; nullopt when it only lost a race
// on the audit head (or a transient TransactionConflict) and should be tried again from a fresh
// read. A lost race on the request or its open slot decides over everything else.
std::optional<Error> cancellation_error(const Transaction& t, const Json& reasons, bool create,
                                        const AccessRequest& request, const AuditEvent& event, const AuditHead& head,
                                        const std::string& table) {
  const auto code_at = [&](std::size_t i) {
    return i < reasons.size() && reasons[i].is_object() ? reasons[i].value("Code", "None") : std::string("None");
  };
  for (std::size_t i = 0; i < t.parts.size(); ++i) {
    if (code_at(i) != "ConditionalCheckFailed") continue;
    if (t.parts[i] == Part::request)
      return Error::Conflict(create ? fmt::format("request {} already exists", request.id)
                                    : fmt::format("request {} changed since it was read: read it again and retry",
                                                  request.id));
    if (t.parts[i] == Part::lock_put) return Error::Conflict(open_request_message(request, reasons[i]));
    if (t.parts[i] == Part::slot_check)
      return Error::Conflict(
          open_slot_of(request) == OpenSlot::extension
              ? fmt::format("request {} extends {}, which is not {}'s open grant of role {} on account {}", request.id,
                            request.extends, request.requester, request.role, request.account)
              : fmt::format("{} already has an open request for role {} on account {} (an extension): wait for it to "
                            "end or cancel it",
                            request.requester, request.role, request.account));
  }
  bool retry = false;
  for (std::size_t i = 0; i < t.parts.size(); ++i) {
    const std::string code = code_at(i);
    if (code == "None") continue;
    if (code == "TransactionConflict" ||
        (code == "ConditionalCheckFailed" && (t.parts[i] == Part::head || t.parts[i] == Part::lock_delete))) {
      retry = true;
      continue;
    }
    const std::string message = reasons[i].value("Message", "");
    if (code == "ConditionalCheckFailed" && t.parts[i] == Part::event) {
      // Corruption only when the head held (it is the last part): with a moved head, another
      // writer simply took this seq.
      if (code_at(t.parts.size() - 1) == "ConditionalCheckFailed") {
        retry = true;
        continue;
      }
      return Error::Internal(fmt::format("dynamodb table {}: audit event {} already exists but the recorded head is "
                                         "event {}; run audit verification",
                                         table, event.seq, head.seq));
    }
    if (code == "ThrottlingError" || code == "ProvisionedThroughputExceeded" || code == "RequestLimitExceeded")
      return Error::Unavailable(
          fmt::format("dynamodb TransactWriteItems on table {}: {} ({}): try again later", table, code, message));
    return Error::Internal(fmt::format("dynamodb TransactWriteItems on table {}: {}: {}", table, code, message));
  }
  if (retry) return std::nullopt;
  return Error::Internal(fmt::format(
      "dynamodb TransactWriteItems on table {}: cancelled without a reason this store knows: {}", table, reasons.dump()));
}

}  // namespace

// One atomic change: a request created or updated (or none), and the event that describes it
// (or none, for import_request).
struct DynamoDbStore::Change {
  const AccessRequest* request = nullptr;  // as the caller gave it; nullptr for append_audit
  bool create = false;
  const AuditEvent* event = nullptr;
  // Copied from another store (import_request, import_audit): the request keeps its version, and
  // the event its seq and hashes, which must follow the head instead of being sealed after it.
  bool imported = false;
};

// Long on purpose: one TransactWriteItems built item by item (request, lock, live grant, audit
// event, head), each with its condition, and the retry that re-reads the head on a lost race.
Result<DynamoDbStore::Written> DynamoDbStore::write_change(const Change& change) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Transaction t;
    AccessRequest stored;
    std::optional<AccessRequest> current;
    if (change.request) {
      stored = *change.request;
      if (change.create) {
        if (!change.imported) stored.version = 1;
        t.add(Part::request, "Put", not_exists(table_, dynamodb::request_item(stored)));
      } else {
        auto read = dynamodb::get_item(api_, table_, dynamodb::request_key(stored.id));
        if (!read) return fail(read.error());
        if (!*read) return fail(Error::NotFound(fmt::format("request {} does not exist", stored.id)));
        auto parsed = dynamodb::request_from_item(**read);
        if (!parsed) return fail(parsed.error());
        current = std::move(*parsed);
        if (current->version != stored.version)
          return fail(Error::Conflict(fmt::format("request {} changed since it was read (version {} read, {} stored): "
                                                  "read it again and retry",
                                                  stored.id, stored.version, current->version)));
        ++stored.version;
        t.add(Part::request, "Put",
              {{"TableName", table_},
               {"Item", dynamodb::request_item(stored)},
               {"ConditionExpression", "#version = :version"},
               {"ExpressionAttributeNames", {{"#version", "version"}}},
               {"ExpressionAttributeValues", {{":version", number_value(current->version)}}}});
      }
      // The open-slot lock follows the request into and out of the open states.
      const bool was_open = current && is_open(current->state);
      const bool same_slot = current && dynamodb::open_lock_key(*current) == dynamodb::open_lock_key(stored);
      if (was_open && (!is_open(stored.state) || !same_slot))
        t.add(Part::lock_delete, "Delete",
              {{"TableName", table_},
               {"Key", dynamodb::open_lock_key(*current)},
               {"ConditionExpression", "attribute_not_exists(pk) OR request_id = :id"},
               {"ExpressionAttributeValues", {{":id", string_value(stored.id)}}}});
      if (is_open(stored.state) && (!was_open || !same_slot)) {
        Json put = not_exists(table_, dynamodb::open_lock_item(stored));
        put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD";
        t.add(Part::lock_put, "Put", std::move(put));
        // The rules between the two slots (core/model.h open_slot_conflict), as a condition on the
        // other slot's lock: an extension enters only beside the grant it extends; a request enters
        // the main slot only while no extension waits (one leaving the extension slot in this very
        // write is that extension). An import copies a store that kept them.
        const bool leaves_extension = was_open && open_slot_of(*current) == OpenSlot::extension;
        if (!change.imported && open_slot_of(stored) == OpenSlot::extension)
          t.add(Part::slot_check, "ConditionCheck",
                {{"TableName", table_},
                 {"Key", dynamodb::open_lock_key(stored, OpenSlot::main)},
                 {"ConditionExpression", "request_id = :extends"},
                 {"ExpressionAttributeValues", {{":extends", string_value(stored.extends)}}}});
        else if (!change.imported && !leaves_extension)
          t.add(Part::slot_check, "ConditionCheck",
                {{"TableName", table_},
                 {"Key", dynamodb::open_lock_key(stored, OpenSlot::extension)},
                 {"ConditionExpression", "attribute_not_exists(pk)"}});
      }
      if (holds_access(stored.state))
        t.add(Part::live_grant, "Put", {{"TableName", table_}, {"Item", dynamodb::live_grant_item(stored)}});
      else if (current && holds_access(current->state))
        t.add(Part::live_grant, "Delete", {{"TableName", table_}, {"Key", dynamodb::live_grant_key(stored.id)}});
    }

    AuditHead head;
    AuditEvent event;
    if (change.event) {
      auto head_item = dynamodb::get_item(api_, table_, dynamodb::audit_head_key());
      if (!head_item) return fail(head_item.error());
      auto read_head = dynamodb::audit_head_from_item(*head_item);
      if (!read_head) return fail(read_head.error());
      head = std::move(*read_head);
      event = *change.event;
      if (!change.imported) audit::seal(event, head, keys_);
      else if (auto conflict = audit::import_conflict(event, head)) return fail(*conflict);
      t.add(Part::event, "Put", not_exists(table_, dynamodb::audit_event_item(event)));
      if (!event.request_id.empty())
        t.add(Part::event_copy, "Put", {{"TableName", table_}, {"Item", dynamodb::request_audit_item(event)}});
      Json head_put = {{"TableName", table_}, {"Item", dynamodb::audit_head_item({event.seq, event.hash})}};
      if (*head_item) {
        head_put["ConditionExpression"] = "#seq = :seq";
        head_put["ExpressionAttributeNames"] = {{"#seq", "seq"}};
        head_put["ExpressionAttributeValues"] = {{":seq", number_value(head.seq)}};
      } else {
        head_put["ConditionExpression"] = "attribute_not_exists(pk)";
      }
      t.add(Part::head, "Put", std::move(head_put));
    }

    auto written = api_.call("TransactWriteItems",
                             {{"TransactItems", t.items}, {"ClientRequestToken", new_request_token()}});
    if (written) return Written{std::move(stored), std::move(event)};
    const auto& error = written.error();
    // Another transaction was writing one of these items at the same moment: read again and retry.
    if (dynamodb::error_code(error) == "TransactionConflictException") continue;
    if (dynamodb::error_code(error) != "TransactionCanceledException")
      return fail(dynamodb::to_error(error, table_, "TransactWriteItems"));

    const Json reasons = error.body.is_object() ? error.body.value("CancellationReasons", Json::array()) : Json::array();
    if (auto failed = cancellation_error(t, reasons, change.create, stored, event, head, table_)) return fail(*failed);
  }
  return fail(Error::Unavailable(fmt::format(
      "dynamodb table {}: the audit head kept changing under {} attempts: too many writers, try again", table_,
      kMaxAttempts)));
}


Result<AccessRequest> DynamoDbStore::create_request(const AccessRequest& request, const AuditEvent& event) {
  auto written = write_change({.request = &request, .create = true, .event = &event});
  if (!written) return fail(written.error());
  return std::move(written->request);
}

Result<AccessRequest> DynamoDbStore::update_request(const AccessRequest& request, const AuditEvent& event) {
  auto written = write_change({.request = &request, .create = false, .event = &event});
  if (!written) return fail(written.error());
  return std::move(written->request);
}

Result<AuditEvent> DynamoDbStore::append_audit(const AuditEvent& event) {
  auto written = write_change({.request = nullptr, .create = false, .event = &event});
  if (!written) return fail(written.error());
  return std::move(written->event);
}

Result<AccessRequest> DynamoDbStore::import_request(const AccessRequest& request) {
  auto written = write_change({.request = &request, .create = true, .event = nullptr, .imported = true});
  if (!written) return fail(written.error());
  return std::move(written->request);
}

Result<AuditEvent> DynamoDbStore::import_audit(const AuditEvent& event) {
  auto written = write_change({.request = nullptr, .create = false, .event = &event, .imported = true});
  if (!written) return fail(written.error());
  return std::move(written->event);
}

Result<AccessRequest> DynamoDbStore::get_request(const std::string& id) {
  auto item = dynamodb::get_item(api_, table_, dynamodb::request_key(id));
  if (!item) return fail(item.error());
  if (!*item) return fail(Error::NotFound(fmt::format("request {} does not exist", id)));
  return dynamodb::request_from_item(**item);
}

namespace {

// A query of one partition of `index`, in the index's order.
dynamodb::QuerySpec partition_query(const dynamodb::IndexSpec& index, const std::string& partition,
                                    std::size_t limit, bool forward = true) {
  return {.index = index,
          .key_condition = "#pk = :pk",
          .names = {{"#pk", index.partition_key}},
          .values = {{":pk", string_value(partition)}},
          .forward = forward,
          .limit = limit};
}

// The same partition, only sort keys below `below`.
dynamodb::QuerySpec partition_query_below(const dynamodb::IndexSpec& index, const std::string& partition,
                                          const std::string& below, std::size_t limit) {
  auto spec = partition_query(index, partition, limit);
  spec.key_condition = "#pk = :pk AND #sk < :below";
  spec.names["#sk"] = index.sort_key;
  spec.values[":below"] = string_value(below);
  return spec;
}

// Reads the partitions of `index` for `states` and merges them in the index's order.
Result<std::vector<AccessRequest>> merged(aws::AwsJsonApi& api, const std::string& table,
                                                 const dynamodb::IndexSpec& index,
                                                 std::span<const State> states,
                                                 std::optional<std::string> (*partition)(State), std::size_t limit) {
  std::vector<Json> items;
  for (State state : states) {
    auto part = dynamodb::query(api, table, partition_query(index, *partition(state), limit));
    if (!part) return fail(part.error());
    std::move(part->begin(), part->end(), std::back_inserter(items));
  }
  std::stable_sort(items.begin(), items.end(), [&](const Json& a, const Json& b) {
    return dynamodb::index_sort_value(a, index) < dynamodb::index_sort_value(b, index);
  });
  if (items.size() > limit) items.resize(limit);
  return to_requests(items);
}

}  // namespace

Result<std::vector<AccessRequest>> DynamoDbStore::list_requests(const RequestQuery& query) {
  auto spec = query.requester
                  ? partition_query(dynamodb::kRequesterIndex, dynamodb::requester_partition(*query.requester),
                                    query.limit, false)
                  : partition_query(dynamodb::kCreatedIndex, std::string(dynamodb::kCreatedPartition), query.limit,
                                    false);
  if (!query.states.empty()) {
    std::string list;
    for (std::size_t i = 0; i < query.states.size(); ++i) {
      const std::string name = fmt::format(":s{}", i);
      list += (i ? ", " : "") + name;
      spec.values[name] = string_value(state_name(query.states[i]));
    }
    spec.filter = fmt::format("#state IN ({})", list);
    spec.names["#state"] = "state";
  }
  return to_requests(dynamodb::query(api_, table_, spec));
}

Result<std::vector<AccessRequest>> DynamoDbStore::expired_grants(TimePoint now, std::size_t limit) {
  // expires_at <= now, that is, sort keys below the first one of the next second.
  return to_requests(dynamodb::query(
      api_, table_,
      partition_query_below(dynamodb::kExpiryIndex, *dynamodb::expiry_partition(State::active),
                            dynamodb::sortable(epoch_seconds(now) + 1), limit)));
}

Result<std::vector<AccessRequest>> DynamoDbStore::in_flight(std::size_t limit) {
  return merged(api_, table_, dynamodb::kAgeIndex, kInFlightStates,
                dynamodb::age_partition, limit);
}

Result<std::vector<AccessRequest>> DynamoDbStore::pending_before(TimePoint cutoff, std::size_t limit) {
  return to_requests(dynamodb::query(api_, table_,
                                     partition_query_below(dynamodb::kAgeIndex, *dynamodb::age_partition(State::pending),
                                                           dynamodb::sortable(epoch_seconds(cutoff)), limit)));
}

Result<std::vector<AccessRequest>> DynamoDbStore::holding_access(std::size_t limit) {
  return merged(api_, table_, dynamodb::kExpiryIndex, kHoldingAccessStates,
                dynamodb::expiry_partition, limit);
}

Result<std::vector<AuditEvent>> DynamoDbStore::audit_events(const AuditQuery& query) {
  if (query.after_seq == std::numeric_limits<std::int64_t>::max()) return std::vector<AuditEvent>{};
  if (query.request_id && query.request_id->empty()) return std::vector<AuditEvent>{};
  // A request's events are read from the copies in its own partition (one consistent Query).
  const Json partition = query.request_id ? dynamodb::request_audit_key(*query.request_id, 0)["pk"]
                                          : string_value(dynamodb::kAuditPartition);
  dynamodb::QuerySpec spec{.key_condition = "#pk = :pk AND #sk BETWEEN :first AND :last",
                           .names = {{"#pk", "pk"}, {"#sk", "sk"}},
                           .values = {{":pk", partition},
                                      {":first", string_value("EVT#" + dynamodb::sortable(query.after_seq + 1))},
                                      {":last", string_value("EVT#" + std::string(20, '9'))}},
                           .consistent = true,
                           .limit = query.limit};
  std::vector<std::string> filters;
  if (query.since) {
    filters.push_back("#at >= :since");
    spec.values[":since"] = number_value(epoch_seconds(*query.since));
  }
  if (query.until) {
    filters.push_back("#at < :until");
    spec.values[":until"] = number_value(epoch_seconds(*query.until));
  }
  if (!filters.empty()) {
    spec.names["#at"] = "at";
    spec.filter = fmt::format("{}", fmt::join(filters, " AND "));
  }
  auto items = dynamodb::query(api_, table_, spec);
  if (!items) return fail(items.error());
  std::vector<AuditEvent> events;
  events.reserve(items->size());
  for (const Json& item : *items) {
    auto event = dynamodb::audit_event_from_item(item);
    if (!event) return fail(event.error());
    events.push_back(std::move(*event));
  }
  return events;
}

Result<AuditHead> DynamoDbStore::audit_head() {
  auto item = dynamodb::get_item(api_, table_, dynamodb::audit_head_key());
  if (!item) return fail(item.error());
  return dynamodb::audit_head_from_item(*item);
}

// `owner` and `until` are DynamoDB reserved words: always through #names.
Result<bool> DynamoDbStore::try_lock(const std::string& name, const std::string& owner, TimePoint until) {
  const Json input = {
      {"TableName", table_},
      {"Item", dynamodb::named_lock_item(name, owner, until)},
      {"ConditionExpression", "attribute_not_exists(pk) OR #until < :now OR #owner = :owner"},
      {"ExpressionAttributeNames", {{"#until", "until"}, {"#owner", "owner"}}},
      {"ExpressionAttributeValues",
       {{":now", dynamodb::number_value(epoch_seconds(clock_.now()))}, {":owner", dynamodb::string_value(owner)}}}};
  auto put = api_.call("PutItem", input);
  if (put) return true;
  if (dynamodb::error_code(put.error()) == "ConditionalCheckFailedException") return false;
  return fail(dynamodb::to_error(put.error(), table_, "PutItem"));
}

Result<> DynamoDbStore::unlock(const std::string& name, const std::string& owner) {
  const Json input = {{"TableName", table_},
                      {"Key", dynamodb::named_lock_key(name)},
                      {"ConditionExpression", "#owner = :owner"},
                      {"ExpressionAttributeNames", {{"#owner", "owner"}}},
                      {"ExpressionAttributeValues", {{":owner", dynamodb::string_value(owner)}}}};
  auto deleted = api_.call("DeleteItem", input);
  if (deleted || dynamodb::error_code(deleted.error()) == "ConditionalCheckFailedException") return {};
  return fail(dynamodb::to_error(deleted.error(), table_, "DeleteItem"));
}

}  // namespace jit
