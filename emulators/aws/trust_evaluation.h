// Evaluates a role's trust policy for one sts:AssumeRole request (README.md, "IAM roles"), for the
// statements the IAM-role path writes and the usual admin ones:
//   Effect Allow | Deny; Principal "*" or {"AWS": ARN | [ARNs]} (an account root
//   "arn:aws:iam::<account>:root" or a bare account id matches every principal of that account;
//   a role ARN matches that role's sessions; "Service"/"Federated" principals match none of our
//   callers); Action a string or list, "*" wildcards allowed ("sts:AssumeRole", "sts:*");
//   Condition StringEquals on sts:ExternalId / sts:SourceIdentity, DateLessThan / DateGreaterThan
//   on aws:CurrentTime.
// An action is allowed when an Allow statement matches it and no Deny does. A matching statement
// with any other operator, key or member is an error, never an allow.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "session_policy.h"

namespace jit::emulators {

// The caller and context of one AssumeRole, for one action.
struct TrustRequest {
  std::string caller_arn;      // IAM user or role ARN ("arn:aws:iam::<acct>:role/okta-engineer")
  std::string caller_account;  // 12 digits
  std::string action;          // "sts:AssumeRole" or "sts:SetSourceIdentity"
  std::optional<std::string> external_id;      // sts:ExternalId (nullopt: absent)
  std::optional<std::string> source_identity;  // sts:SourceIdentity (nullopt: absent)
  std::chrono::system_clock::time_point now;   // aws:CurrentTime
};

// allowed; reason ("allowed by JitGrantx", "no statement allows sts:AssumeRole",
// "denied by X"); statement: the Sid that decided (empty when none or no Sid).
using TrustVerdict = SessionVerdict;

// Errors: the document is not a JSON policy, or a statement that matches the caller and action
// uses something outside the grammar above.
std::expected<TrustVerdict, PolicyEvaluationError> evaluate_trust(std::string_view document, const TrustRequest& request);

// Whether principal ARN `entry` (from a trust policy) names `caller_arn` of `caller_account`.
bool principal_matches(std::string_view entry, std::string_view caller_arn, std::string_view caller_account);

}  // namespace jit::emulators
