// Requests for tests, written once: a fresh submission, and one with every field set (for the
// round-trip tests of every store and of the DynamoDB item mapping).
#pragma once

#include <string>

#include "core/model.h"
#include "core/time.h"

namespace jit::testing {

inline const TimePoint kRequestTime = from_epoch(1'700'000'000);

// A pending request as a submission makes it: no decisions, no grant, no lease, not posted.
inline AccessRequest new_request(std::string id, std::string requester = "U1", std::string account = "prod",
                                 std::string role = "admin") {
  AccessRequest r;
  r.id = std::move(id);
  r.requester = std::move(requester);
  r.account = std::move(account);
  r.account_id = "123456789012";
  r.role = std::move(role);
  r.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1";
  r.duration = Seconds{3600};
  r.reason = "deploy";
  r.created_at = kRequestTime;
  r.updated_at = kRequestTime;
  return r;
}

// Every field set (version 1, state active, two decisions, grant, end, lease, chat message, reminder
// and escalation), with
// text that needs escaping in SQL and JSON.
inline AccessRequest full_request(std::string id = "r-full") {
  const TimePoint t0 = kRequestTime;
  AccessRequest r = new_request(std::move(id));
  r.version = 1;
  r.ticket = "OPS-42";
  r.reason = "it's \"urgent\"; DROP TABLE requests; -- ünïcödé ✓";
  r.state = State::active;
  r.decisions = {{.approver = "U2", .approved = true, .reason = "", .at = t0 + Seconds{5}},
                 {.approver = "U3", .approved = false, .reason = "not on call", .at = t0 + Seconds{6}}};
  r.requester_email = "Dev.O'Neil@example.com";
  r.principal = "idstore-user-1";
  r.granted_at = t0 + Seconds{10};
  r.expires_at = t0 + Seconds{3610};
  r.ended_at = t0 + Seconds{20};
  r.end_reason = "revoked by U9: done";
  r.lease_owner = "host-a:123";
  r.lease_until = t0 + Seconds{40};
  r.chat_channel = "C123";
  r.chat_ts = "1700000000.000100";
  r.reminded_at = t0 + Seconds{2};
  r.escalated_at = t0 + Seconds{4};
  r.updated_at = t0 + Seconds{11};
  return r;
}

}  // namespace jit::testing
