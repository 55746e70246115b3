// The session cut-off statements of issue 14 inside a permission set's inline policy, as pure
// functions (no I/O): parse the document, build one grant's Deny statement, merge it in, prune the
// statements that can no longer cut a live session, and count the size as IAM does.
//
// We own every statement whose Sid starts with "JitCutoff"; every other statement is the admin's
// and is kept as written (key order included; whitespace is not kept, and IAM ignores it).
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "ports/access_provider.h"

namespace jit::aws::cutoff {

using Json = nlohmann::ordered_json;

inline constexpr std::string_view kSidPrefix = "JitCutoff";
// IAM's limit on a role's inline policies: 10,240 characters, whitespace not counted. Identity
// Center provisions the permission set as such a role in every account.
inline constexpr int kSizeLimit = 10'240;
// The session duration assumed when DescribePermissionSet did not say (AWS's largest).
inline constexpr Seconds kDefaultSessionDuration{12 * 3600};

// Whose sessions a statement names: Identity Center's user (identitystore:UserId, in a
// permission set's inline policy) or, on the IAM-role path (issue 16), the source identity of the
// elevated role's sessions (aws:SourceIdentity, in the role's inline policy "jit-access-cutoffs").
enum class PrincipalKey { identity_store_user, source_identity };

// The condition key of `key`: "identitystore:UserId" or "aws:SourceIdentity".
std::string_view condition_key(PrincipalKey key);

// One statement of ours, read back.
struct CutoffStatement {
  std::string sid;
  PrincipalKey key = PrincipalKey::identity_store_user;
  std::string user_id;  // the value under `key`
  std::string account_id;
  TimePoint cut_at;
  TimePoint sessions_before;

  bool operator==(const CutoffStatement&) const = default;
};

// An inline policy: the whole document, its "Statement" always an array.
struct Policy {
  Json document;
};

// Shared with trust_policy.h, which owns another Sid prefix in another document by the same rules.
// The string at `path` (object members, in order) inside `object`; "" when a step is missing or
// not an object, or the value is not a string.
std::string string_at(const Json& object, std::initializer_list<std::string_view> path);
// `prefix` + the letters and digits of `grant_id` (IAM Sids are [A-Za-z0-9]).
std::string prefixed_sid(std::string_view prefix, std::string_view grant_id);
// merge() for the statements whose Sid starts with `sid_prefix`: replaces the one with
// `statement`'s Sid, or adds it; every other statement stays first, as written and in its order;
// ours follow, sorted by Sid.
void merge_owned(Policy& policy, Json statement, std::string_view sid_prefix);

// Parses an inline policy. Empty text (no inline policy) is {"Version":"2012-10-17","Statement":[]};
// an absent Statement is an empty one; a Statement that is one object becomes a list of it.
// Errc::invalid when the text is not a JSON object or Statement is neither an object nor a list:
// such a document must never be rewritten.
Result<Policy> parse_policy(std::string_view text);

// The document as it is written back: compact JSON.
std::string render(const Policy& policy);

// "JitCutoff" + the letters and digits of `grant_id` (IAM Sids are [A-Za-z0-9]).
std::string sid_of(std::string_view grant_id);

// The Deny statement of `cutoff` (the shape every helper agrees on: StringEquals on
// condition_key(key) = cutoff.assignment.principal and aws:PrincipalAccount, DateGreaterThan
// aws:CurrentTime = cut_at, DateLessThan aws:TokenIssueTime = sessions_before).
Json statement_of(const SessionCutoff& cutoff, PrincipalKey key = PrincipalKey::identity_store_user);

// Reads a statement of ours back; nullopt for the admin's statements and for ours that do not
// have the shape above (those are kept untouched).
std::optional<CutoffStatement> read_statement(const Json& statement);

// Every statement of ours that can be read, in document order.
std::vector<CutoffStatement> cutoffs_in(const Policy& policy);

// Puts `statement` (one of ours) in: replaces the statement with its Sid, or adds it. The admin's
// statements stay first, as written and in their order; ours follow, sorted by Sid.
void merge(Policy& policy, Json statement);

// Removes our statements that can no longer cut a live session: sessions_before +
// `session_duration` < `now` (every session they cut has expired). Returns how many.
int prune(Policy& policy, TimePoint now, Seconds session_duration);

// Before arming `cutoff` at `now`: every other statement of ours for the same user (same key) and account
// that is already cutting (cut_at <= now < sessions_before) gets sessions_before = now, so the
// previous grant's margin never cuts the sessions of this new grant. Returns how many changed.
int clamp(Policy& policy, const SessionCutoff& cutoff, TimePoint now);

// The size of `rendered` as IAM counts it: characters that are not whitespace.
int policy_size(std::string_view rendered);

// How a policy stands for more cut-offs (jit doctor): once pruned at `now` for `session_duration`
// (as the provider prunes before it arms), the characters used, our statements still live, what
// one more statement like `sample` adds, and how many such statements fit under kSizeLimit.
struct Room {
  int used = 0;
  std::size_t live = 0;
  int each = 1;
  int room = 0;
};
Room room_for(Policy policy, const Json& sample, TimePoint now, Seconds session_duration);

// Whether a policy of `size` is over kSizeLimit.
inline bool full(int size) { return size > kSizeLimit; }

// An ISO-8601 duration as DescribePermissionSet gives it ("PT1H", "PT12H", "PT1H30M", "PT900S");
// nullopt when it is not of that form or is zero.
std::optional<Seconds> parse_duration(std::string_view iso);

// parse_duration, or kDefaultSessionDuration when it cannot be read.
Seconds session_duration_or_default(std::string_view iso);

}  // namespace jit::aws::cutoff
