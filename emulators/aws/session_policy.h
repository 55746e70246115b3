// Evaluates a provisioned inline policy for one AWS session, for exactly the statements the
// session cut-off arms (docs: emulators/aws/README.md, "Sessions"): an explicit Deny with Action
// "*" and Resource "*" whose conditions use StringEquals on identitystore:UserId /
// aws:PrincipalAccount, DateGreaterThan on aws:CurrentTime and DateLessThan on aws:TokenIssueTime.
// Allow statements are not evaluated (the session is taken as allowed by the permission set).
// Anything else inside a Deny is an error, never an allow.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace jit::emulators {

// What a request made in a session carries in its context.
struct SessionContext {
  std::string user_id;  // identitystore:UserId
  std::string account;  // aws:PrincipalAccount
  std::chrono::system_clock::time_point token_issued;  // aws:TokenIssueTime (whole seconds)
  std::chrono::system_clock::time_point now;           // aws:CurrentTime
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

// `document` is the provisioned policy text; empty means no inline policy (allowed). Errors: the
// document is not a JSON policy, or a Deny uses an operator, key, action or resource outside the
// shape above.
std::expected<SessionVerdict, PolicyEvaluationError> evaluate_session(std::string_view document,
                                                                      const SessionContext& context);

}  // namespace jit::emulators
