#include "session_policy.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/text.h"
#include "core/time.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;

namespace {

using Outcome = std::expected<bool, PolicyEvaluationError>;  // does this condition hold?

bool only_star(const json& value) {
  if (value.is_string()) return value.get<std::string>() == "*";
  return value.is_array() && value.size() == 1 && value[0].is_string() && value[0].get<std::string>() == "*";
}

Outcome condition_holds(const std::string& sid, const std::string& op, const std::string& key, const json& value,
                        const SessionContext& context) {
  auto error = [&](std::string message) { return std::unexpected(PolicyEvaluationError{sid, std::move(message)}); };
  auto values = condition_values(value);
  if (!values) return error(fmt::format("{} {}: {}", op, key, values.error()));
  if (op == "StringEquals") {
    const std::string* actual = text::iequals(key, "identitystore:UserId")   ? &context.user_id
                                : text::iequals(key, "aws:PrincipalAccount") ? &context.account
                                : text::iequals(key, "aws:SourceIdentity")   ? &context.source_identity
                                                                             : nullptr;
    if (!actual)
      return error(fmt::format("unknown condition key '{}' for StringEquals (known: identitystore:UserId, "
                               "aws:PrincipalAccount, aws:SourceIdentity)", key));
    if (actual->empty()) return false;  // a key the session does not carry matches nothing
    return std::find(values->begin(), values->end(), *actual) != values->end();
  }
  const bool greater = op == "DateGreaterThan";
  if (!greater && op != "DateLessThan")
    return error(fmt::format("unknown condition operator '{}' on key '{}' (known: StringEquals, DateGreaterThan, DateLessThan)", op, key));
  const char* expected_key = greater ? "aws:CurrentTime" : "aws:TokenIssueTime";
  if (!text::iequals(key, expected_key))
    return error(fmt::format("unknown condition key '{}' for {} (known: {})", key, op, expected_key));
  const system_clock::time_point actual =
      greater ? context.now : system_clock::time_point(std::chrono::floor<std::chrono::seconds>(context.token_issued));
  for (const auto& v : *values) {
    auto bound = parse_time(v);
    if (!bound || v.size() != 20) return error(fmt::format("{} {}: '{}' is not a time like 2026-12-03T15:16:29Z", op, key, v));
    if (greater ? actual > *bound : actual < *bound) return true;
  }
  return false;
}

// Whether the Deny `statement` applies to the session.
Outcome deny_applies(const std::string& sid, const json& statement, const SessionContext& context) {
  auto error = [&](std::string message) { return std::unexpected(PolicyEvaluationError{sid, std::move(message)}); };
  for (const auto& [member, value] : statement.items()) {
    if (member == "Sid" || member == "Effect" || member == "Condition") continue;
    if ((member == "Action" || member == "Resource") && only_star(value)) continue;
    if (member == "Action" || member == "Resource")
      return error(fmt::format("a Deny's {} must be \"*\" for this evaluator, not {}", member, value.dump()));
    return error(fmt::format("unsupported member '{}' in a Deny statement", member));
  }
  if (!statement.contains("Action") || !statement.contains("Resource"))
    return error("a Deny statement needs Action \"*\" and Resource \"*\"");
  return all_conditions_hold(sid, statement, [&](const std::string& op, const std::string& key, const json& value) {
    return condition_holds(sid, op, key, value, context);
  });
}

}  // namespace

std::expected<std::vector<std::string>, std::string> condition_values(const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) return std::vector<std::string>{value.get<std::string>()};
  if (!value.is_array() || value.empty()) return std::unexpected(std::string("a condition value must be a string or a list of strings"));
  for (const auto& v : value) {
    if (!v.is_string()) return std::unexpected(std::string("a condition value must be a string or a list of strings"));
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::expected<bool, PolicyEvaluationError> all_conditions_hold(const std::string& sid, const json& statement,
                                                              const ConditionCheck& holds) {
  if (!statement.contains("Condition")) return true;
  const json& condition = statement["Condition"];
  if (!condition.is_object()) return std::unexpected(PolicyEvaluationError{sid, "Condition must be an object"});
  // Every condition is read, even after one fails: an unknown operator is an error wherever it is.
  bool all = true;
  for (const auto& [op, keys] : condition.items()) {
    if (!keys.is_object() || keys.empty())
      return std::unexpected(PolicyEvaluationError{sid, fmt::format("Condition {} must be an object of keys", op)});
    for (const auto& [key, value] : keys.items()) {
      auto one = holds(op, key, value);
      if (!one) return std::unexpected(one.error());
      all = all && *one;
    }
  }
  return all;
}

std::expected<nlohmann::json, PolicyEvaluationError> statements_of(std::string_view document) {
  const json policy = json::parse(document, nullptr, false);
  if (policy.is_discarded() || !policy.is_object() || !policy.contains("Statement"))
    return std::unexpected(PolicyEvaluationError{"", "the policy is not a JSON policy with a Statement"});
  json statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array()) return std::unexpected(PolicyEvaluationError{"", "Statement must be an object or a list"});
  for (const auto& statement : statements)
    if (!statement.is_object()) return std::unexpected(PolicyEvaluationError{"", "a statement must be an object"});
  return statements;
}

std::string sid_of(const nlohmann::json& statement) {
  const json sid = statement.value("Sid", json(""));
  return sid.is_string() ? sid.get<std::string>() : "";
}

std::expected<SessionVerdict, PolicyEvaluationError> evaluate_session(std::string_view document,
                                                                      const SessionContext& context) {
  if (document.empty()) return SessionVerdict{true, "no inline policy", ""};
  auto statements = statements_of(document);
  if (!statements) return std::unexpected(statements.error());
  for (const auto& statement : *statements) {
    const std::string sid = sid_of(statement);
    if (statement.value("Effect", json("")) != "Deny") continue;
    auto applies = deny_applies(sid, statement, context);
    if (!applies) return std::unexpected(applies.error());
    if (*applies)
      return SessionVerdict{false, sid.empty() ? "denied by a statement without Sid" : fmt::format("denied by {}", sid), sid};
  }
  return SessionVerdict{true, "no deny applies", ""};
}

}  // namespace jit::emulators
