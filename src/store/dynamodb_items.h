// How DynamoDbStore lays out requests, locks, live grants and the audit trail as items of one
// DynamoDB table, and how items map to and from the domain values. Pure functions, no I/O: the
// mapping is unit-tested without a server.
//
// The table (key `pk`, `sk`, both strings):
//
//   item             pk                               sk                        notes
//   request          REQ#<id>                         REQ                       every field; the history row
//   open-slot lock   OPEN#<requester>#<account>#<role> OPEN                     while the request is open
//                                                     EXTEND                   (core/model.h open_slot_of: an
//                                                                              extension, until it is active)
//   live grant       GRANT#<id>                       GRANT                     while it may hold access; `ttl`
//   audit event      AUDIT                            EVT#<20-digit seq>        never expires
//   request's event  REQ#<id>                         EVT#<20-digit seq>        a copy of each event of
//                                                                               the request, written with
//                                                                               it: read by request with
//                                                                               a consistent Query
//   audit head       AUDIT                            HEAD                      {seq, hash}
//   named lock       LOCK#<name>                      LOCK                      {owner, until}; `ttl`
//                                                                               (ports/lock.h)
//   step-up link     STEPUP#<id>                      STEPUP                    the challenge; `ttl` a day
//                                                                               after expires_at
//   credential claim WEBAUTHN#<credential id>         WEBAUTHN                  {user_id}: the id is taken
//   credential       WEBAUTHN_USER#<user>             WEBAUTHN#<credential id>  every field; one Query
//                                                                               lists a user's (O(result))
//
// The step-up items (ports/step_up_store.h) are written one at a time, never in a transaction
// (dynalite, the emulator the contract races on, has no TransactWriteItems): a credential is
// added by claiming its id (PutItem conditioned on no claim, or one of the same user) and then
// writing it in its user's partition (conditioned on not existing); removed in the reverse order.
// A credential counts only when both are there (find_credential reads the claim first). Both carry
// the enrolment's random `claim` token: a removal deletes the claim only when it still has the
// removed credential's token, so an enrolment racing with a removal of the same id keeps its claim.
//
// Times are N (epoch seconds); an empty optional time is an absent attribute. Text is S, empty
// strings included (DynamoDB accepts them outside keys). Decisions are an L of M (never a set:
// DynamoDB rejects empty sets).
//
// Sparse global secondary indexes (projection ALL), each holding only the rows its query returns,
// so every sweep is a Query that costs O(result):
//
//   index            partition key                     sort key                     present while
//   expiry-index     expiry_pk  = EXPIRY#<state>       expiry_sk = <expires_at>#<id> granting, active, revoking
//   age-index        age_pk     = AGE#<state>          age_sk = <created_at>#<id>   pending
//                                                      age_sk = <updated_at>#<id>   approved, granting, revoking
//   requester-index  requester_pk = REQUESTER#<user>   requester_sk = <created_at>#<id>  always
//   created-index    created_pk = REQUESTS             created_sk = <created_at>#<id>    always
//
// One partition per state (rather than one per group of states) lets expired_grants read only
// active rows; holding_access and in_flight merge three partitions. Times in sort keys are 20-digit
// zero-padded epoch seconds, so that string order is time order (times before 1970 sort as 1970).
//
// TTL: it is on the separate live-grant item, never on the request. The request item is the
// history that `list_requests` (and so `jit history`) reads, and DynamoDB deletes expired items
// on its own schedule (typically within days), so a TTL there would make history rows vanish some
// time after each grant ends. The live-grant item exists only while the request is granting, active
// or revoking; it is written and deleted in the same transaction as the request, carries
// `ttl` = expires_at, and lets a console or awscli user see at a glance what access is live (and
// be cleaned up even if this program never runs again). TTL is never the revocation mechanism:
// the sweeper queries expiry-index on the request items.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/model.h"
#include "ports/step_up_store.h"
#include "ports/store.h"

namespace jit::dynamodb {

using Json = nlohmann::json;

// Attribute and index names, shared by the store, create_table and the tests.
inline constexpr std::string_view kPartitionKey = "pk";
inline constexpr std::string_view kSortKey = "sk";
inline constexpr std::string_view kTtlAttribute = "ttl";

struct IndexSpec {
  std::string_view name;
  std::string_view partition_key;
  std::string_view sort_key;
};
inline constexpr IndexSpec kExpiryIndex{"expiry-index", "expiry_pk", "expiry_sk"};
inline constexpr IndexSpec kAgeIndex{"age-index", "age_pk", "age_sk"};
inline constexpr IndexSpec kRequesterIndex{"requester-index", "requester_pk", "requester_sk"};
inline constexpr IndexSpec kCreatedIndex{"created-index", "created_pk", "created_sk"};
inline constexpr IndexSpec kAllIndexes[] = {kExpiryIndex, kAgeIndex, kRequesterIndex, kCreatedIndex};

inline constexpr std::string_view kAuditPartition = "AUDIT";
inline constexpr std::string_view kAuditHeadSort = "HEAD";
inline constexpr std::string_view kCreatedPartition = "REQUESTS";

// Attribute values: {"S": "..."} and {"N": "..."}.
Json string_value(std::string_view s);
Json number_value(std::int64_t n);

// "00000000001700000000": the sortable text of a time (negative times clamp to 0).
std::string sortable(std::int64_t value);

// {"pk": {"S": ...}, "sk": {"S": ...}}
Json key(std::string_view pk, std::string_view sk);
Json request_key(std::string_view id);
Json audit_event_key(std::int64_t seq);
Json audit_head_key();
// The copy of event `seq` of a request, kept in the request's partition.
Json request_audit_key(std::string_view request_id, std::int64_t seq);
Json live_grant_key(std::string_view request_id);
// The lock that keeps one open slot of (requester, account, role) (core/model.h OpenSlot) to one
// request: the slot `r` takes now, or the one named. '#' and '%' in the parts are percent-encoded,
// so different triples never share a key.
Json open_lock_key(const AccessRequest& r);
Json open_lock_key(const AccessRequest& r, OpenSlot slot);
// A named lock of the Locks port (any name: the fixed prefix and sort key keep it apart).
Json named_lock_key(std::string_view name);

// The partition of `index` that holds a request in `state`, or nullopt when the index holds no
// request in that state. "EXPIRY#active", "AGE#pending", ...
std::optional<std::string> expiry_partition(State state);
std::optional<std::string> age_partition(State state);
std::string requester_partition(std::string_view requester);

// The request as an item: its key, every field, and the index keys its state calls for.
Json request_item(const AccessRequest& r);
// Errc::internal naming the attribute when the item is not a request item this program wrote.
Result<AccessRequest> request_from_item(const Json& item);

// The open-slot lock for `r`: its key and the id of the request holding it.
Json open_lock_item(const AccessRequest& r);

// The live-grant item of `r` (which must hold access): the grant facts and `ttl` = expires_at
// (absent when expires_at is).
Json live_grant_item(const AccessRequest& r);

// A sealed event (seq and hashes set) as an item, and back.
Json audit_event_item(const AuditEvent& event);
// The copy of a sealed event of a request (event.request_id != "") in that request's partition.
// The copy is only an index: whoever reads it checks it as it checks any event (its MAC).
Json request_audit_item(const AuditEvent& event);
Result<AuditEvent> audit_event_from_item(const Json& item);

// A named lock held by `owner` until `until`, with `ttl` a day later: DynamoDB removes it some
// time after it lapsed (a lapsed lock is free whether or not it is still there).
Json named_lock_item(std::string_view name, std::string_view owner, TimePoint until);

// The step-up link `c` as an item, with `ttl` = expires_at + a day, and back.
Json challenge_key(std::string_view id);
Json challenge_item(const StepUpChallenge& c);
Result<StepUpChallenge> challenge_from_item(const Json& item);

// The claim on a credential id: whose it is. Every credential id has at most one. `claim_token`
// (random, per enrolment) is also on the credential item written with it, so that a removal deletes
// only the claim of the enrolment it removed.
Json credential_claim_key(std::string_view credential_id);
Json credential_claim_item(const WebAuthnCredential& c, std::string_view claim_token);
// The credential itself, in its user's partition (the partition key user_credentials_partition gives).
std::string user_credentials_partition(std::string_view user_id);
Json credential_key(std::string_view user_id, std::string_view credential_id);
Json credential_item(const WebAuthnCredential& c, std::string_view claim_token);
Result<WebAuthnCredential> credential_from_item(const Json& item);

Json audit_head_item(const AuditHead& head);
// A missing head item (nullopt) is the empty chain: seq 0 and audit::kGenesisHash.
Result<AuditHead> audit_head_from_item(const std::optional<Json>& item);

// The sort key `index` gives `item` (for merging the results of several partitions).
std::string index_sort_value(const Json& item, const IndexSpec& index);

}  // namespace jit::dynamodb
