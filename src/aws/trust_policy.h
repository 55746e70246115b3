// The grant statements of the IAM-role path (issue 16) inside an elevated role's trust policy, as
// pure functions (no I/O): build one grant's Allow statement, read ours back, merge, remove,
// prune the ones whose window has passed, and measure the size against IAM's quota.
//
// A grant's statement (Sid "JitGrant" + the letters and digits of the grant id):
//   {"Sid":"JitGrant<id>","Effect":"Allow","Principal":{"AWS":"<base principal ARN>"},
//    "Action":["sts:AssumeRole","sts:SetSourceIdentity"],
//    "Condition":{"StringEquals":{"sts:SourceIdentity":"<source identity>"},
//                 "DateLessThan":{"aws:CurrentTime":"<expiry, UTC, seconds, Z>"}}}
// AWS allows the base principal to assume the role only while the window is open and only with the
// requester's source identity: nothing has to happen at expiry for new sessions to stop. The live
// sessions are ended by the role's cut-off deny (cutoff_policy.h with aws:SourceIdentity).
//
// We own every statement whose Sid starts with "JitGrant"; every other statement is the admin's
// and is kept as written: same members in the same order, same values (the document is written
// back compact; IAM ignores whitespace). The policy document is parsed and rendered with
// cutoff::parse_policy / cutoff::render.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/cutoff_policy.h"
#include "core/error.h"
#include "core/time.h"

namespace jit::aws::trust {

using Json = cutoff::Json;
using cutoff::Policy;

inline constexpr std::string_view kSidPrefix = "JitGrant";
// IAM's default quota "Role trust policy length": 2,048 characters, whitespace not counted. It can
// be raised (Service Quotas, up to 8,192 at the time of writing); [aws] trust_policy_size_limit
// follows it.
inline constexpr int kDefaultSizeLimit = 2'048;

// One grant's window on one role.
struct TrustGrant {
  std::string grant_id;
  std::string base_principal_arn;  // "arn:aws:iam::<account>:role/<base role>" (or a user's ARN)
  std::string source_identity;     // the requester's, as their base sessions carry it
  TimePoint expires_at;

  bool operator==(const TrustGrant&) const = default;
};

// "JitGrant" + the letters and digits of `grant_id`.
std::string sid_of(std::string_view grant_id);

// The Allow statement of `grant` (the shape above; the time in whole UTC seconds,
// "2026-12-03T10:00:00Z", rounded down so the window never ends later than `expires_at`).
Json statement_of(const TrustGrant& grant);

// Reads a statement of ours back (grant_id is the Sid's tail, as sid_of left it); nullopt for the
// admin's statements and for ours that do not have exactly this shape (those are kept untouched
// and reported by find_foreign_jit_statements).
std::optional<TrustGrant> read_statement(const Json& statement);

// Every statement of ours that can be read, in document order.
std::vector<TrustGrant> grants_in(const Policy& policy);

// Statements whose Sid starts with "JitGrant" that read_statement cannot read (hand-edited):
// never removed by us, reported by jit doctor.
std::vector<std::string> unreadable_sids(const Policy& policy);

// Puts `grant`'s statement in: replaces the statement with its Sid, or adds it. The admin's
// statements stay first, as written and in their order; ours follow, sorted by Sid.
void merge(Policy& policy, const TrustGrant& grant);

// Removes every statement of ours whose source identity is `source_identity` (and, when
// `grant_id` is given, only that grant's). Returns how many.
int remove(Policy& policy, std::string_view source_identity, std::optional<std::string_view> grant_id = {});

// Removes our statements whose window closed before `now` (expiry < now: at the expiry second
// itself one stays, in case AWS's clock is behind ours): they allow nothing any more. Returns how
// many.
int prune(Policy& policy, TimePoint now);

// How many more grant statements like `grant` would fit under `size_limit` after `policy`'s
// current size (0 when it is already full); for doctor and the refusal's message.
int room_for(const Policy& policy, const TrustGrant& grant, int size_limit);

// Statements the admin wrote that let a principal call sts:AssumeRole without a time condition
// (aws:CurrentTime): standing access that makes the path pointless. Their Sids (or "#<position>",
// counted from 1). Reported: an Allow whose Action (or NotAction, by exclusion) covers
// sts:AssumeRole as IAM matches actions (case-insensitive, wildcards), whose Principal is "*" or
// has an "AWS" member (users, roles, accounts: people can sign in as those), and whose Condition
// has no DateLessThan[Equals] on aws:CurrentTime. Not reported: a Deny; a statement for Service
// principals only (ec2.amazonaws.com and the like: a workload, not standing human access);
// Federated principals (they call AssumeRoleWithSAML/WebIdentity, not sts:AssumeRole).
std::vector<std::string> standing_assume_statements(const Policy& policy);

}  // namespace jit::aws::trust
