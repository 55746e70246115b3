#include "aws/trust_policy.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace jit::aws::trust {
namespace {

constexpr char kSourceIdentityKey[] = "sts:SourceIdentity";
constexpr char kCurrentTime[] = "aws:CurrentTime";

Json& statements(Policy& policy) { return policy.document["Statement"]; }

// The statements of a policy parse_policy made (an empty list for any other document).
const Json& statements(const Policy& policy) {
  static const Json kNone = Json::array();
  const auto list = policy.document.find("Statement");
  return list == policy.document.end() || !list->is_array() ? kNone : *list;
}

bool has_our_prefix(const Json& statement) {
  return cutoff::string_at(statement, {"Sid"}).starts_with(kSidPrefix);
}

// Removes the statements `drop` picks; returns how many.
int remove_where(Policy& policy, const std::function<bool(const Json&)>& drop) {
  Json& list = statements(policy);
  Json kept = Json::array();
  int removed = 0;
  for (auto& statement : list) {
    if (drop(statement)) ++removed;
    else kept.push_back(std::move(statement));
  }
  list = std::move(kept);
  return removed;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// IAM's action matching: case-insensitive, `*` any run of characters, `?` any one.
bool action_matches(std::string_view pattern, std::string_view action) {
  if (pattern.empty()) return action.empty();
  if (pattern.front() == '*') {
    for (std::size_t skip = 0; skip <= action.size(); ++skip)
      if (action_matches(pattern.substr(1), action.substr(skip))) return true;
    return false;
  }
  if (action.empty()) return false;
  if (pattern.front() != '?' && std::tolower(static_cast<unsigned char>(pattern.front())) !=
                                    std::tolower(static_cast<unsigned char>(action.front())))
    return false;
  return action_matches(pattern.substr(1), action.substr(1));
}

// Whether `patterns` (a string or a list of them) names `action`.
bool names_action(const Json& patterns, std::string_view action) {
  if (patterns.is_string()) return action_matches(patterns.get<std::string>(), action);
  if (!patterns.is_array()) return false;
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const Json& p) { return p.is_string() && action_matches(p.get<std::string>(), action); });
}

bool allows_assume_role(const Json& statement) {
  constexpr std::string_view kAssumeRole = "sts:AssumeRole";
  if (auto action = statement.find("Action"); action != statement.end()) return names_action(*action, kAssumeRole);
  if (auto not_action = statement.find("NotAction"); not_action != statement.end())
    return !names_action(*not_action, kAssumeRole);
  return false;
}

// "*", or an object with an "AWS" member: an IAM user or role, an account, or anyone.
bool names_aws_principal(const Json& statement) {
  auto principal = statement.find("Principal");
  if (principal == statement.end()) return false;
  if (principal->is_string()) return principal->get<std::string>() == "*";
  return principal->is_object() && principal->contains("AWS");
}

// A condition that ends the statement at a time: DateLessThan[Equals][IfExists] on
// aws:CurrentTime (condition keys are case-insensitive).
bool ends_in_time(const Json& statement) {
  auto condition = statement.find("Condition");
  if (condition == statement.end() || !condition->is_object()) return false;
  for (const auto& [op, keys] : condition->items()) {
    if (!op.starts_with("DateLessThan") || !keys.is_object()) continue;
    for (const auto& [key, value] : keys.items())
      if (iequals(key, kCurrentTime)) return true;
  }
  return false;
}

}  // namespace

std::string sid_of(std::string_view grant_id) { return cutoff::prefixed_sid(kSidPrefix, grant_id); }

Json statement_of(const TrustGrant& grant) {
  Json condition;
  condition["StringEquals"] = Json{{kSourceIdentityKey, grant.source_identity}};
  // TimePoint holds whole seconds: the window never ends later than expires_at.
  condition["DateLessThan"] = Json{{kCurrentTime, format_time(grant.expires_at)}};
  Json statement;
  statement["Sid"] = sid_of(grant.grant_id);
  statement["Effect"] = "Allow";
  statement["Principal"] = Json{{"AWS", grant.base_principal_arn}};
  statement["Action"] = Json::array({"sts:AssumeRole", "sts:SetSourceIdentity"});
  statement["Condition"] = std::move(condition);
  return statement;
}

std::optional<TrustGrant> read_statement(const Json& statement) {
  if (!statement.is_object() || !has_our_prefix(statement)) return std::nullopt;
  const std::string sid = cutoff::string_at(statement, {"Sid"});
  const auto expires_at = parse_time(cutoff::string_at(statement, {"Condition", "DateLessThan", kCurrentTime}));
  if (!expires_at) return std::nullopt;
  TrustGrant grant{sid.substr(kSidPrefix.size()), cutoff::string_at(statement, {"Principal", "AWS"}),
                   cutoff::string_at(statement, {"Condition", "StringEquals", kSourceIdentityKey}), *expires_at};
  if (grant.grant_id.empty() || grant.base_principal_arn.empty() || grant.source_identity.empty())
    return std::nullopt;
  // Exactly our shape, members in any order: anything added, removed or changed by hand (an extra
  // condition, a second principal, a Deny) makes it the admin's business, not ours to read.
  if (sid_of(grant.grant_id) != sid) return std::nullopt;
  const Json rebuilt = statement_of(grant);
  if (statement != rebuilt &&  // in our order: the usual case, without re-parsing
      nlohmann::json::parse(statement.dump()) != nlohmann::json::parse(rebuilt.dump()))
    return std::nullopt;
  return grant;
}

std::vector<TrustGrant> grants_in(const Policy& policy) {
  std::vector<TrustGrant> out;
  for (const auto& statement : statements(policy))
    if (auto read = read_statement(statement)) out.push_back(std::move(*read));
  return out;
}

std::vector<std::string> unreadable_sids(const Policy& policy) {
  std::vector<std::string> out;
  for (const auto& statement : statements(policy))
    if (has_our_prefix(statement) && !read_statement(statement))
      out.push_back(cutoff::string_at(statement, {"Sid"}));
  return out;
}

void merge(Policy& policy, const TrustGrant& grant) { cutoff::merge_owned(policy, statement_of(grant), kSidPrefix); }

int remove(Policy& policy, std::string_view source_identity, std::optional<std::string_view> grant_id) {
  const std::optional<std::string> sid = grant_id ? std::optional(sid_of(*grant_id)) : std::nullopt;
  return remove_where(policy, [&](const Json& statement) {
    const auto read = read_statement(statement);
    return read && read->source_identity == source_identity && (!sid || sid_of(read->grant_id) == *sid);
  });
}

int prune(Policy& policy, TimePoint now) {
  // Strictly before: at the expiry second itself the statement stays one more second, in case
  // AWS's clock is behind ours.
  return remove_where(policy, [&](const Json& statement) {
    const auto read = read_statement(statement);
    return read && read->expires_at < now;
  });
}

int room_for(const Policy& policy, const TrustGrant& grant, int size_limit) {
  const int current = cutoff::policy_size(cutoff::render(policy));
  const int each = cutoff::policy_size(statement_of(grant).dump());
  // Every statement after the first costs a comma as well.
  const int left = size_limit - current;
  if (statements(policy).empty()) {
    if (left < each) return 0;
    return 1 + (left - each) / (each + 1);
  }
  return std::max(0, left / (each + 1));
}

std::vector<std::string> standing_assume_statements(const Policy& policy) {
  std::vector<std::string> out;
  int position = 0;
  for (const auto& statement : statements(policy)) {
    ++position;
    if (!statement.is_object() || cutoff::string_at(statement, {"Effect"}) != "Allow") continue;
    if (!allows_assume_role(statement) || !names_aws_principal(statement) || ends_in_time(statement)) continue;
    const std::string sid = cutoff::string_at(statement, {"Sid"});
    out.push_back(sid.empty() ? "#" + std::to_string(position) : sid);
  }
  return out;
}

}  // namespace jit::aws::trust
