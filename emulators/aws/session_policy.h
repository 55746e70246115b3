// Evaluates a provisioned inline policy for one AWS session, for exactly the statements the
// session cut-off arms (docs: emulators/aws/README.md, "Sessions"): an explicit Deny with Action
// "*" and Resource "*" whose conditions use StringEquals on identitystore:UserId /
// aws:PrincipalAccount / aws:SourceIdentity, DateGreaterThan on aws:CurrentTime and DateLessThan on aws:TokenIssueTime.
// Allow statements are not evaluated (the session is taken as allowed by the permission set).
// Anything else inside a Deny is an error, never an allow.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace jit::emulators {

// What a request made in a session carries in its context.
struct SessionContext {
  std::string user_id;  // identitystore:UserId (empty: absent, as in an IAM role session)
  std::string account;  // aws:PrincipalAccount
  std::chrono::system_clock::time_point token_issued;  // aws:TokenIssueTime (whole seconds)
  std::chrono::system_clock::time_point now;           // aws:CurrentTime
  std::string source_identity = {};  // aws:SourceIdentity (empty: absent, as in Identity Center sessions)
};

struct SessionVerdict {
  bool allowed = true;
  std::string reason;     // "no deny applies", "denied by JitCutoff...", "expired", ...
  std::string statement;  // the Sid of the deny that applied; empty otherwise
};

// A policy this evaluator cannot judge, naming the statement and the construct.
struct PolicyEvaluationError {
  std::string statement;  // Sid (empty when none)
  std::string message;
};

// A policy condition's values: one string or a non-empty list of strings (any of them matches);
// else the reason.
std::expected<std::vector<std::string>, std::string> condition_values(const nlohmann::json& value);

// The statements of policy `document` as a list of objects (a single Statement object becomes a
// list of one); an error when it is not a JSON policy.
std::expected<nlohmann::json, PolicyEvaluationError> statements_of(std::string_view document);
// The statement's Sid ("" when none).
std::string sid_of(const nlohmann::json& statement);

// Whether one condition (operator, key, values) holds; an error for what the evaluator does not know.
using ConditionCheck =
    std::function<std::expected<bool, PolicyEvaluationError>(const std::string& op, const std::string& key, const nlohmann::json& values)>;
// Whether every condition of `statement`'s Condition block holds (true without one). Every
// condition is checked, so an unknown operator is an error even after another condition failed.
std::expected<bool, PolicyEvaluationError> all_conditions_hold(const std::string& sid, const nlohmann::json& statement,
                                                              const ConditionCheck& holds);

// `document` is the provisioned policy text; empty means no inline policy (allowed). Errors: the
// document is not a JSON policy, or a Deny uses an operator, key, action or resource outside the
// shape above.
std::expected<SessionVerdict, PolicyEvaluationError> evaluate_session(std::string_view document,
                                                                      const SessionContext& context);

}  // namespace jit::emulators
