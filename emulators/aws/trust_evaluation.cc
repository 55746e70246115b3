#include "trust_evaluation.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "core/time.h"

namespace jit::emulators {

using json = nlohmann::json;

namespace {

using Outcome = std::expected<bool, PolicyEvaluationError>;

// `pattern` with '*' (any run) and '?' (one character), case-insensitively, over the whole of `text`.
bool glob_matches(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*')
    for (std::size_t i = 0; i <= text.size(); ++i)
      if (glob_matches(pattern.substr(1), text.substr(i))) return true;
  if (pattern[0] == '*') return false;
  if (text.empty()) return false;
  const bool same = pattern[0] == '?' || std::tolower(static_cast<unsigned char>(pattern[0])) ==
                                             std::tolower(static_cast<unsigned char>(text[0]));
  return same && glob_matches(pattern.substr(1), text.substr(1));
}

// "arn:aws:iam::123456789012:role/path/name" -> {"123456789012", "name"}; nullopt for other ARNs.
std::optional<std::pair<std::string, std::string>> role_of(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  const auto colon = arn.find(':', kPrefix.size());
  if (colon == std::string_view::npos || arn.substr(colon + 1, 5) != "role/") return std::nullopt;
  const auto name = arn.substr(arn.rfind('/') + 1);
  return std::make_pair(std::string(arn.substr(kPrefix.size(), colon - kPrefix.size())), std::string(name));
}

Outcome principal_applies(const std::string& sid, const json& principal, const TrustRequest& request) {
  auto error = [&](std::string message) { return std::unexpected(PolicyEvaluationError{sid, std::move(message)}); };
  if (principal.is_string()) {
    if (principal.get<std::string>() == "*") return true;
    return error(fmt::format("Principal must be \"*\" or an object, not {}", principal.dump()));
  }
  if (!principal.is_object()) return error("Principal must be \"*\" or an object");
  for (const auto& [kind, value] : principal.items()) {
    if (kind == "Service" || kind == "Federated" || kind == "CanonicalUser") continue;  // never our callers
    if (kind != "AWS") return error(fmt::format("unknown principal type '{}'", kind));
    auto entries = condition_values(value);
    if (!entries) return error("Principal AWS: " + entries.error());
    for (const auto& entry : *entries)
      if (entry == "*" || principal_matches(entry, request.caller_arn, request.caller_account)) return true;
  }
  return false;
}

Outcome action_applies(const std::string& sid, const json& action, const TrustRequest& request) {
  auto actions = condition_values(action);
  if (!actions) return std::unexpected(PolicyEvaluationError{sid, "Action: " + actions.error()});
  for (const auto& a : *actions)
    if (glob_matches(a, request.action)) return true;
  return false;
}

Outcome condition_holds(const std::string& sid, const std::string& op, const std::string& key, const json& value,
                        const TrustRequest& request) {
  auto error = [&](std::string message) { return std::unexpected(PolicyEvaluationError{sid, std::move(message)}); };
  auto values = condition_values(value);
  if (!values) return error(fmt::format("{} {}: {}", op, key, values.error()));
  if (op == "StringEquals") {
    const std::optional<std::string>* actual = text::iequals(key, "sts:ExternalId")       ? &request.external_id
                                               : text::iequals(key, "sts:SourceIdentity") ? &request.source_identity
                                                                                          : nullptr;
    if (!actual)
      return error(fmt::format("unknown condition key '{}' for StringEquals (known: sts:ExternalId, sts:SourceIdentity)", key));
    if (!actual->has_value()) return false;
    return std::find(values->begin(), values->end(), **actual) != values->end();
  }
  const bool greater = op == "DateGreaterThan";
  if (!greater && op != "DateLessThan")
    return error(fmt::format("unknown condition operator '{}' on key '{}' (known: StringEquals, DateLessThan, DateGreaterThan)", op, key));
  if (!text::iequals(key, "aws:CurrentTime"))
    return error(fmt::format("unknown condition key '{}' for {} (known: aws:CurrentTime)", key, op));
  for (const auto& v : *values) {
    auto bound = parse_time(v);
    if (!bound || v.size() != 20) return error(fmt::format("{} {}: '{}' is not a time like 2026-12-03T15:16:29Z", op, key, v));
    if (greater ? request.now > *bound : request.now < *bound) return true;
  }
  return false;
}

// Whether `statement` applies to the request: principal, action and every condition.
Outcome statement_applies(const std::string& sid, const json& statement, const TrustRequest& request) {
  auto error = [&](std::string message) { return std::unexpected(PolicyEvaluationError{sid, std::move(message)}); };
  for (const auto& [member, value] : statement.items())
    if (member != "Sid" && member != "Effect" && member != "Principal" && member != "Action" && member != "Condition")
      return error(fmt::format("unsupported member '{}' in a trust policy statement", member));
  if (!statement.contains("Principal") || !statement.contains("Action"))
    return error("a trust policy statement needs Principal and Action");
  auto principal = principal_applies(sid, statement["Principal"], request);
  if (!principal || !*principal) return principal;
  auto action = action_applies(sid, statement["Action"], request);
  if (!action || !*action) return action;
  return all_conditions_hold(sid, statement, [&](const std::string& op, const std::string& key, const json& value) {
    return condition_holds(sid, op, key, value, request);
  });
}

}  // namespace

bool principal_matches(std::string_view entry, std::string_view caller_arn, std::string_view caller_account) {
  if (entry == caller_arn) return true;
  if (entry == caller_account || entry == fmt::format("arn:aws:iam::{}:root", caller_account)) return true;
  auto wanted = role_of(entry), caller = role_of(caller_arn);
  return wanted && caller && *wanted == *caller;  // a role named with or without its path
}

std::expected<TrustVerdict, PolicyEvaluationError> evaluate_trust(std::string_view document, const TrustRequest& request) {
  auto statements = statements_of(document);
  if (!statements) return std::unexpected(statements.error());
  std::optional<std::string> allowed_by;
  for (const auto& statement : *statements) {
    const std::string sid = sid_of(statement);
    const json effect = statement.value("Effect", json());
    if (effect != "Allow" && effect != "Deny")
      return std::unexpected(PolicyEvaluationError{sid, "Effect must be Allow or Deny"});
    auto applies = statement_applies(sid, statement, request);
    if (!applies) return std::unexpected(applies.error());
    if (!*applies) continue;
    if (effect == "Deny") return TrustVerdict{false, sid.empty() ? "denied by a statement without Sid" : "denied by " + sid, sid};
    if (!allowed_by) allowed_by = sid;
  }
  if (allowed_by)
    return TrustVerdict{true, allowed_by->empty() ? "allowed by a statement without Sid" : "allowed by " + *allowed_by, *allowed_by};
  return TrustVerdict{false, fmt::format("no statement allows {}", request.action), ""};
}

}  // namespace jit::emulators
