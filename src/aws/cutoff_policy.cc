#include "aws/cutoff_policy.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include <fmt/format.h>

namespace jit::aws::cutoff {
namespace {

constexpr char kUserKey[] = "identitystore:UserId";
constexpr char kSourceIdentityKey[] = "aws:SourceIdentity";
constexpr char kAccountKey[] = "aws:PrincipalAccount";
constexpr char kCurrentTime[] = "aws:CurrentTime";
constexpr char kTokenIssueTime[] = "aws:TokenIssueTime";

bool is_ours(const Json& statement, std::string_view prefix = kSidPrefix) {
  return string_at(statement, {"Sid"}).starts_with(prefix);
}

Json& statements(Policy& policy) { return policy.document["Statement"]; }

}  // namespace

std::string string_at(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* at = &object;
  for (std::string_view key : path) {
    if (!at->is_object()) return "";
    auto it = at->find(key);
    if (it == at->end()) return "";
    at = &*it;
  }
  return at->is_string() ? at->get<std::string>() : "";
}

Result<Policy> parse_policy(std::string_view text) {
  const bool blank = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
  Policy policy;
  if (blank) {
    policy.document = Json{{"Version", "2012-10-17"}, {"Statement", Json::array()}};
    return policy;
  }
  policy.document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (policy.document.is_discarded() || !policy.document.is_object())
    return fail(Error::Invalid("the inline policy is not a JSON object"));
  auto it = policy.document.find("Statement");
  if (it == policy.document.end()) {
    policy.document["Statement"] = Json::array();
  } else if (it->is_object()) {
    *it = Json::array({*it});
  } else if (!it->is_array()) {
    return fail(Error::Invalid("the inline policy's Statement is neither a statement nor a list of them"));
  }
  return policy;
}

std::string render(const Policy& policy) { return policy.document.dump(); }

std::string prefixed_sid(std::string_view prefix, std::string_view grant_id) {
  std::string sid(prefix);
  std::copy_if(grant_id.begin(), grant_id.end(), std::back_inserter(sid),
               [](unsigned char c) { return std::isalnum(c) != 0; });
  return sid;
}

std::string sid_of(std::string_view grant_id) { return prefixed_sid(kSidPrefix, grant_id); }

std::string_view condition_key(PrincipalKey key) {
  return key == PrincipalKey::source_identity ? kSourceIdentityKey : kUserKey;
}

Json statement_of(const SessionCutoff& cutoff, PrincipalKey key) {
  Json condition;
  condition["StringEquals"] =
      Json{{condition_key(key), cutoff.assignment.principal}, {kAccountKey, cutoff.assignment.account_id}};
  condition["DateGreaterThan"] = Json{{kCurrentTime, format_time(cutoff.cut_at)}};
  condition["DateLessThan"] = Json{{kTokenIssueTime, format_time(cutoff.sessions_before)}};
  Json statement;
  statement["Sid"] = sid_of(cutoff.grant_id);
  statement["Effect"] = "Deny";
  statement["Action"] = "*";
  statement["Resource"] = "*";
  statement["Condition"] = std::move(condition);
  return statement;
}

std::optional<CutoffStatement> read_statement(const Json& statement) {
  if (!is_ours(statement)) return std::nullopt;
  const auto cut_at = parse_time(string_at(statement, {"Condition", "DateGreaterThan", kCurrentTime}));
  const auto before = parse_time(string_at(statement, {"Condition", "DateLessThan", kTokenIssueTime}));
  // Exactly one of the two principal keys names whose sessions are cut.
  const std::string user = string_at(statement, {"Condition", "StringEquals", kUserKey});
  const std::string source = string_at(statement, {"Condition", "StringEquals", kSourceIdentityKey});
  if (user.empty() == source.empty()) return std::nullopt;
  CutoffStatement out{string_at(statement, {"Sid"}),
                      user.empty() ? PrincipalKey::source_identity : PrincipalKey::identity_store_user,
                      user.empty() ? source : user, string_at(statement, {"Condition", "StringEquals", kAccountKey}),
                      {}, {}};
  if (!cut_at || !before || out.user_id.empty() || out.account_id.empty()) return std::nullopt;
  out.cut_at = *cut_at;
  out.sessions_before = *before;
  return out;
}

std::vector<CutoffStatement> cutoffs_in(const Policy& policy) {
  std::vector<CutoffStatement> out;
  const auto list = policy.document.find("Statement");
  if (list == policy.document.end()) return out;
  for (const auto& statement : *list)
    if (auto read = read_statement(statement)) out.push_back(std::move(*read));
  return out;
}

void merge_owned(Policy& policy, Json statement, std::string_view sid_prefix) {
  const std::string sid = string_at(statement, {"Sid"});
  Json admin = Json::array(), ours = Json::array();
  for (auto& existing : statements(policy)) {
    if (!is_ours(existing, sid_prefix)) admin.push_back(std::move(existing));
    else if (string_at(existing, {"Sid"}) != sid) ours.push_back(std::move(existing));
  }
  ours.push_back(std::move(statement));
  std::stable_sort(ours.begin(), ours.end(),
                   [](const Json& a, const Json& b) { return string_at(a, {"Sid"}) < string_at(b, {"Sid"}); });
  for (auto& s : ours) admin.push_back(std::move(s));
  statements(policy) = std::move(admin);
}

void merge(Policy& policy, Json statement) { merge_owned(policy, std::move(statement), kSidPrefix); }

int prune(Policy& policy, TimePoint now, Seconds session_duration) {
  Json& list = statements(policy);
  const auto before = list.size();
  Json kept = Json::array();
  for (auto& statement : list) {
    const auto read = read_statement(statement);
    if (read && read->sessions_before + session_duration < now) continue;
    kept.push_back(std::move(statement));
  }
  list = std::move(kept);
  return static_cast<int>(before - list.size());
}

int clamp(Policy& policy, const SessionCutoff& cutoff, TimePoint now) {
  const std::string own_sid = sid_of(cutoff.grant_id);
  int changed = 0;
  for (auto& statement : statements(policy)) {
    const auto read = read_statement(statement);
    if (!read || read->sid == own_sid || read->user_id != cutoff.assignment.principal ||
        read->account_id != cutoff.assignment.account_id)
      continue;
    if (read->cut_at <= now && now < read->sessions_before) {
      statement["Condition"]["DateLessThan"][kTokenIssueTime] = format_time(now);
      ++changed;
    }
  }
  return changed;
}

int policy_size(std::string_view rendered) {
  return static_cast<int>(
      std::count_if(rendered.begin(), rendered.end(), [](unsigned char c) { return std::isspace(c) == 0; }));
}

std::optional<Seconds> parse_duration(std::string_view iso) {
  if (!iso.starts_with("PT") || iso.size() < 4) return std::nullopt;
  iso.remove_prefix(2);
  long long total = 0;
  std::string_view units = "HMS";  // each at most once, in this order
  while (!iso.empty()) {
    long long n = 0;
    std::size_t digits = 0;
    while (digits < iso.size() && std::isdigit(static_cast<unsigned char>(iso[digits])) && digits < 9)
      n = n * 10 + (iso[digits++] - '0');
    if (digits == 0 || digits == iso.size()) return std::nullopt;
    const auto unit = units.find(iso[digits]);
    if (unit == std::string_view::npos) return std::nullopt;
    total += n * (iso[digits] == 'H' ? 3600 : iso[digits] == 'M' ? 60 : 1);
    units.remove_prefix(unit + 1);
    iso.remove_prefix(digits + 1);
  }
  if (total <= 0) return std::nullopt;
  return Seconds{total};
}

Room room_for(Policy policy, const Json& sample, TimePoint now, Seconds session_duration) {
  Room out;
  prune(policy, now, session_duration);
  out.live = cutoffs_in(policy).size();
  out.used = policy_size(render(policy));
  merge(policy, sample);
  out.each = std::max(1, policy_size(render(policy)) - out.used);
  out.room = std::max(0, kSizeLimit - out.used) / out.each;
  return out;
}

Seconds session_duration_or_default(std::string_view iso) {
  return parse_duration(iso).value_or(kDefaultSessionDuration);
}

}  // namespace jit::aws::cutoff
