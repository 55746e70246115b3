#include "app/report.h"

#include <algorithm>
#include <array>
#include <map>

#include "app/migrate.h"
#include "audit/chain.h"
#include "audit/credentials.h"
#include "audit/facts.h"

namespace jit::audit_report {

namespace {

namespace facts = audit::facts;

constexpr std::array kOutcomeNames{"granting", "active",  "revoking", "expired",
                                   "released", "revoked", "failed",   "extended"};

// What the events of one request have shown so far.
struct Seen {
  GrantRow row;
  bool granted = false;                  // a begin_grant event
  std::optional<TimePoint> begun_at;     // its time
  std::optional<Outcome> ending;         // what an expire / release / admin_revoke started
  // Which of the submit facts the chain gave (a ticket may be "" and still proven).
  std::map<std::string, bool, std::less<>> proven;
};

std::optional<TimePoint> time_of(const facts::Json& f, const char* key) {
  auto n = facts::number(f, key);
  return n ? std::optional(from_epoch(*n)) : std::nullopt;
}

void take_text(Seen& s, const facts::Json& f, const char* key, std::string& slot) {
  if (auto v = facts::text(f, key)) {
    slot = *v;
    s.proven[key] = true;
  }
}

void take_submit(Seen& s, const facts::Json& f) {
  GrantRow& r = s.row;
  take_text(s, f, "requester", r.requester);
  take_text(s, f, "requester_email", r.requester_email);
  take_text(s, f, "account", r.account);
  take_text(s, f, "account_id", r.account_id);
  take_text(s, f, "role", r.role);
  take_text(s, f, "permission_set_arn", r.permission_set_arn);
  take_text(s, f, "reason", r.reason);
  take_text(s, f, "ticket", r.ticket);
  if (auto d = facts::number(f, "duration_s")) r.duration = Seconds{*d};
  r.requested_at = time_of(f, "created_at");
  r.extends = facts::text(f, "extends").value_or("");
  r.bundle = facts::text(f, "bundle").value_or("");
}

// The end of a grant: when and why, from the facts or, lacking them, the event itself (its time and
// detail are covered by the chain too).
void take_end(GrantRow& r, const AuditEvent& e, const facts::Json& f, bool with_time) {
  r.end_reason = facts::text(f, "end_reason").value_or(e.detail);
  if (with_time) r.ended_at = time_of(f, "ended_at").value_or(e.at);
}

void apply(Seen& s, const AuditEvent& e, const facts::Json& f) {
  GrantRow& r = s.row;
  const std::string& a = e.action;
  if (a == "submit") {
    take_submit(s, f);
    if (!r.requested_at) r.requested_at = e.at;
    if (!s.proven.contains("requester")) {  // the submit event's actor is the requester
      r.requester = e.actor;
      s.proven["requester"] = true;
    }
  } else if (a == "posted") {
    r.permalink = facts::text(f, "permalink").value_or("");
  } else if (a == "approve_partial" || a == "approve") {
    if (auto needed = facts::number(f, "needed")) r.approvals_needed = static_cast<int>(*needed);
    r.approvals.push_back({facts::text(f, "approver").value_or(e.actor), time_of(f, "at").value_or(e.at)});
  } else if (a == "begin_grant") {
    if (s.granted) return;  // a reclaim retries the same grant
    s.granted = true;
    s.begun_at = e.at;
    if (!s.proven.contains("account_id")) take_text(s, f, "account_id", r.account_id);
    if (!s.proven.contains("permission_set_arn")) take_text(s, f, "permission_set_arn", r.permission_set_arn);
    if (auto t = time_of(f, "expires_at")) r.expires_at = t;
  } else if (a == "grant_succeeded") {
    r.granted_at = time_of(f, "granted_at").value_or(e.at);
    if (auto t = time_of(f, "expires_at")) r.expires_at = t;
    r.outcome = Outcome::active;
  } else if (a == "grant_failed") {
    r.outcome = Outcome::failed;
    take_end(r, e, f, true);
  } else if (a == "expire" || a == "release" || a == "admin_revoke") {
    if (s.ending) return;
    s.ending = a == "expire" ? Outcome::expired : a == "release" ? Outcome::released : Outcome::revoked;
    if (a != "expire") r.ended_by = e.actor;
    r.outcome = Outcome::revoking;
    take_end(r, e, f, false);
  } else if (a == "hand_over") {
    // The extension's grant holds the assignment now; nothing was revoked, this window ends here.
    if (s.ending) return;
    s.ending = Outcome::extended;
    r.outcome = Outcome::extended;
    r.extended_by = facts::text(f, "extended_by").value_or("");
    take_end(r, e, f, true);
  } else if (a == "revoke_succeeded") {
    r.outcome = s.ending.value_or(Outcome::revoked);
    take_end(r, e, f, true);
  }
}

// Fills the submit facts the chain did not give from the request row, naming each.
void fall_back(Seen& s, const RequestReader& fallback) {
  static constexpr std::array kFields{"requester", "requester_email", "account", "account_id", "role",
                                      "permission_set_arn", "reason", "ticket"};
  GrantRow& r = s.row;
  const bool all_proven = std::all_of(kFields.begin(), kFields.end(), [&](const char* k) { return s.proven.contains(k); });
  if (all_proven && r.duration && r.expires_at) return;
  auto row = fallback(r.request_id);
  if (!row) return;
  const std::array<std::pair<std::string*, const std::string*>, kFields.size()> slots{{
      {&r.requester, &row->requester}, {&r.requester_email, &row->requester_email}, {&r.account, &row->account},
      {&r.account_id, &row->account_id}, {&r.role, &row->role}, {&r.permission_set_arn, &row->permission_set_arn},
      {&r.reason, &row->reason}, {&r.ticket, &row->ticket}}};
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (s.proven.contains(kFields[i]) || *slots[i].first == *slots[i].second) continue;
    *slots[i].first = *slots[i].second;
    r.from_request_row.emplace_back(kFields[i]);
  }
  if (!r.duration) {
    r.duration = row->duration;
    r.from_request_row.emplace_back("duration");
  }
  if (!r.expires_at && row->expires_at) {
    r.expires_at = row->expires_at;
    r.from_request_row.emplace_back("expires_at");
  }
}

bool overlaps(const GrantRow& r, const Filter& f) {
  return r.window_start < f.until && (!r.window_end || *r.window_end > f.since);
}

}  // namespace

std::string_view outcome_name(Outcome o) { return kOutcomeNames[static_cast<std::size_t>(o)]; }

ChainStatus chain_status(const std::vector<AuditEvent>& events, const AuditHead& head, const audit::Keyring& keys) {
  const auto v = audit::verify(events, head, keys);
  return {.verified = v.ok, .events = v.checked, .verified_to = v.head.seq, .problem = v.problem};
}

std::vector<GrantRow> grant_rows(const std::vector<AuditEvent>& events, const Filter& filter, std::int64_t break_seq,
                                 const RequestReader& fallback) {
  std::map<std::string, Seen, std::less<>> seen;
  for (const auto& e : events) {
    // Events of no request, and a security key's own trail (issue 15), are not grants.
    if (e.request_id.empty() || audit::is_credential_trail_id(e.request_id)) continue;
    Seen& s = seen[e.request_id];
    if (s.row.request_id.empty()) {
      s.row.request_id = e.request_id;
      s.row.first_seq = e.seq;
    }
    s.row.last_seq = e.seq;
    if (break_seq > 0 && e.seq >= break_seq) s.row.past_the_break = true;
    auto f = facts::read(e);
    apply(s, e, f ? *f : facts::Json::object());
  }
  std::vector<GrantRow> rows;
  for (auto& [id, s] : seen) {
    if (!s.granted) continue;
    if (fallback) fall_back(s, fallback);
    GrantRow& r = s.row;
    r.window_start = r.granted_at.value_or(*s.begun_at);
    if (r.outcome == Outcome::failed || r.outcome == Outcome::expired || r.outcome == Outcome::released ||
        r.outcome == Outcome::revoked || r.outcome == Outcome::extended)
      r.window_end = r.ended_at;
    if (!filter.account.empty() && r.account != filter.account) continue;
    if (!overlaps(r, filter)) continue;
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const GrantRow& a, const GrantRow& b) {
    return std::tie(a.window_start, a.request_id) < std::tie(b.window_start, b.request_id);
  });
  return rows;
}

Result<Report> build(Store& store, const audit::Keyring& keys, const Filter& filter, TimePoint now,
                     const TrailCheck& with_trail) {
  if (filter.until <= filter.since)
    return fail(Error::Invalid("--until " + format_time(filter.until) + " is not after --since " +
                               format_time(filter.since) + ": give a window whose end comes after its start"));
  auto events = all_audit_events(store);
  if (!events) return fail(events.error());
  auto head = store.audit_head();
  if (!head) return fail(head.error());
  Report report{.filter = filter, .generated_at = now, .chain = chain_status(*events, *head, keys)};
  const std::int64_t break_seq = report.chain.verified ? 0 : report.chain.verified_to + 1;
  report.rows = grant_rows(*events, filter, break_seq, [&store](const std::string& id) -> std::optional<AccessRequest> {
    auto r = store.get_request(id);
    return r ? std::optional(*r) : std::nullopt;
  });
  if (with_trail) with_trail(*events, *head, report);
  return report;
}

}  // namespace jit::audit_report
