// `jit audit report`: one row per grant (a request that reached begin_grant) whose access window
// overlaps a time window, built from the facts of the audit events (audit/facts.h), which the
// chain protects, not from the request rows, which whoever holds the store can edit. The
// renderers (report_render.h) turn a Report into CSV, JSON lines or one HTML page.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/keyring.h"
#include "core/model.h"
#include "ports/store.h"

namespace jit::audit_report {

// One approval that counted, as its event proves it.
struct Approval {
  std::string approver;  // Slack user id
  TimePoint at{};
};

// How a grant ended, or that it has not. `extended`: an approved extension took the assignment
// over (issue 17): this grant's window ends there and the access goes on in the extension's row.
enum class Outcome { granting, active, revoking, expired, released, revoked, failed, extended };
std::string_view outcome_name(Outcome o);

struct GrantRow {
  std::string request_id;
  std::string requester;        // Slack user id
  std::string requester_email;  // as the requester's Slack profile showed it at submit
  std::string account;
  std::string account_id;
  std::string role;
  std::string permission_set_arn;
  std::optional<Seconds> duration;  // requested
  std::string reason;
  std::string ticket;
  std::optional<TimePoint> requested_at;
  std::vector<Approval> approvals;  // every approval that counted, in order (N-of-M: all N)
  std::optional<int> approvals_needed;
  std::optional<TimePoint> granted_at;  // when the provider confirmed the assignment
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> ended_at;    // when the access was gone (revoke confirmed, or failure)
  Outcome outcome = Outcome::granting;
  std::string ended_by;    // who ended it early: the requester (released) or the admin (revoked)
  std::string end_reason;  // as the engine recorded it
  std::string permalink;   // the request's message in Slack; "" when not known
  std::string extends;      // the grant this one extends ("Request more time"); "" when none
  std::string extended_by;  // the extension that took this grant's access over; "" when none
  std::string bundle;       // the first request of the bundle it was filed in; "" when alone

  // Where the row's facts come from, for the auditor: the events' seq numbers, the facts taken
  // from the request row because the chain lacked them (only with a fallback reader), and whether
  // any event read lies past the point where verification failed.
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;
  std::vector<std::string> from_request_row;  // field names, e.g. "reason"
  bool past_the_break = false;

  // The access window used for the overlap test: from granted_at (else the begin_grant event)
  // to ended_at (nullopt: still open at the end of the trail).
  TimePoint window_start{};
  std::optional<TimePoint> window_end;
};

// What `jit audit verify --checkpoint` checks, as far as the report states it. HOOK: the
// checkpoint verification (issue 13, signed checkpoints) fills this in at the command; until it
// is wired, `checked` stays false and the report says "checkpoints: not checked".
struct CheckpointStatus {
  bool checked = false;
  bool ok = false;
  std::int64_t seq = 0;  // the latest checkpoint the trail was verified against
  std::string detail;    // what was checked, or what is wrong
};

// The header's statement about the chain (audit::verify over the whole trail).
struct ChainStatus {
  bool verified = false;
  std::int64_t events = 0;       // events read
  std::int64_t verified_to = 0;  // seq of the last event that verified
  std::string problem;           // "" when verified
  CheckpointStatus checkpoint;
};

struct Filter {
  TimePoint since{};    // inclusive
  TimePoint until{};    // exclusive
  std::string account;  // account name from policy; "" = every account
};

struct Report {
  Filter filter;
  TimePoint generated_at{};
  ChainStatus chain;
  std::vector<GrantRow> rows;  // ordered by access start, then request id
};

// For fields the facts lack (events written before facts were kept): the request row of an id,
// or nullopt. Values taken from it are named in GrantRow::from_request_row.
using RequestReader = std::function<std::optional<AccessRequest>(const std::string& id)>;

// The chain's status: audit::verify of `events` (the whole trail, in seq order) against `head`,
// with the configured audit keys.
ChainStatus chain_status(const std::vector<AuditEvent>& events, const AuditHead& head, const audit::Keyring& keys);

// The rows of the grants in `events` (the whole trail, in seq order) whose access window
// overlaps [filter.since, filter.until) and, when filter.account is set, on that account.
// Events from seq `break_seq` on (0: none) mark their rows past_the_break. Events whose facts are
// not a JSON object count as carrying none. `fallback` may be empty: missing facts stay blank.
std::vector<GrantRow> grant_rows(const std::vector<AuditEvent>& events, const Filter& filter,
                                 std::int64_t break_seq = 0, const RequestReader& fallback = {});

// Reads the whole trail and the head from `store`, verifies it and builds the rows (falling back
// on the store's request rows for facts the events lack). Errc::invalid when until <= since.
// `with_trail`, when given, is called with the trail and head just read (so that, e.g., the
// checkpoints are checked against the same trail without reading it again).
using TrailCheck = std::function<void(const std::vector<AuditEvent>&, const AuditHead&, Report&)>;
Result<Report> build(Store& store, const audit::Keyring& keys, const Filter& filter, TimePoint now,
                     const TrailCheck& with_trail = {});

}  // namespace jit::audit_report
