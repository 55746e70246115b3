// Durable state: access requests (with their grants) and the audit trail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"

namespace jit {

struct RequestQuery {
  std::optional<std::string> requester;  // only this requester's requests
  std::vector<State> states;             // only these states (empty: any)
  std::size_t limit = 1000;              // newest first
};

struct AuditQuery {
  std::optional<std::string> request_id;  // only the events of this request (costs O(result))
  std::optional<TimePoint> since;  // inclusive
  std::optional<TimePoint> until;  // exclusive
  std::int64_t after_seq = 0;      // only events with seq > after_seq
  std::size_t limit = 100000;      // in seq order
};

// The head of the audit chain: the last event's seq and hash (0 and 64 zeros when empty).
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
};

// Every method is thread-safe and may be called by several processes sharing one database.
// Text fields must be valid UTF-8. A limit of 0 returns nothing (it never means "no limit").
// Every state change is conditional; the audit event that describes a change is appended in
// the same atomic write, so the trail never misses a change and never records one that did not
// happen. Methods may block on I/O. Errc::unavailable means "try again later".
class Store {
 public:
  virtual ~Store() = default;

  // Inserts a new request (its version becomes 1) and appends `event`.
  // Errc::conflict when the id exists, or when the same requester already has an open request
  // (any non-terminal state) for the same account and role.
  virtual Result<AccessRequest> create_request(const AccessRequest& request, const AuditEvent& event) = 0;

  // Errc::not_found when there is no such id.
  virtual Result<AccessRequest> get_request(const std::string& id) = 0;

  // Replaces the request whose version is `request.version` with `request` (version + 1) and
  // appends `event`, atomically. Errc::conflict when the stored version differs (someone else
  // changed it since it was read), or when the change would make a second open request for the
  // same requester, account and role; Errc::not_found when the id does not exist.
  // Errc::unavailable may come back from a write that did happen (a lost reply): callers re-read.
  // Returns the request as stored (with its new version).
  virtual Result<AccessRequest> update_request(const AccessRequest& request, const AuditEvent& event) = 0;

  // Requests matching the query, newest first.
  virtual Result<std::vector<AccessRequest>> list_requests(const RequestQuery& query) = 0;

  // Active requests whose expires_at <= now, soonest first. Costs O(result).
  virtual Result<std::vector<AccessRequest>> expired_grants(TimePoint now, std::size_t limit) = 0;

  // Requests in one of the in-flight states (approved, granting, revoking): what a restart or a
  // sweep must finish, oldest updated_at first. Costs O(result).
  virtual Result<std::vector<AccessRequest>> in_flight(std::size_t limit) = 0;

  // Pending requests created before `cutoff`, oldest first. Costs O(result).
  virtual Result<std::vector<AccessRequest>> pending_before(TimePoint cutoff, std::size_t limit) = 0;

  // Requests that hold or may hold access (granting, active, revoking), soonest expires_at first.
  // Costs O(result).
  virtual Result<std::vector<AccessRequest>> holding_access(std::size_t limit) = 0;

  // Appends an event that changes no request (e.g. a stray assignment found by the reconciler).
  virtual Result<AuditEvent> append_audit(const AuditEvent& event) = 0;

  // Events in seq order.
  virtual Result<std::vector<AuditEvent>> audit_events(const AuditQuery& query) = 0;

  // The head as recorded by the store (kept apart from the events, so that deleting the last
  // events is detected).
  virtual Result<AuditHead> audit_head() = 0;

  // ---- Migration only (`jit store migrate`): state copied from another store, as it is. ----

  // Stores `request` exactly as given, its version included, with whatever the backend keeps
  // beside a request (such as an open-slot lock while it is open, a live-grant record while it
  // holds access), and appends NO audit event: the trail is copied separately, by import_audit.
  // Errc::conflict when the id exists, or when the request is open and the same requester already
  // has an open request for the same account and role; nothing changes then.
  // Returns the request as stored (equal to `request`).
  virtual Result<AccessRequest> import_request(const AccessRequest& request) = 0;

  // Appends `event`, already sealed by another store, exactly as given (seq, prev_hash and hash
  // kept; the hash is not recomputed: audit::verify checks it) and moves the head to it,
  // atomically. Errc::conflict, and nothing changes, unless event.seq == head.seq + 1 and
  // event.prev_hash == head.hash (audit::kGenesisHash for the first event): an import only
  // extends the chain, it never forks or rewrites it.
  virtual Result<AuditEvent> import_audit(const AuditEvent& event) = 0;
};

}  // namespace jit
