// What iam_role_provider.cc shares with iam_role_cutoff.cc (the IamRoleProvider's parts): the
// target of one call, the generic read-modify-write, the IAM calls and error mapping.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "aws/cutoff_policy.h"
#include "aws/iam_role_provider.h"

namespace jit::aws {

// One elevated role in one iam-role account, and the IAM client of that account.
struct IamRoleProvider::Target {
  IamRoleAccount account;
  std::string role_arn;
  std::string role_name;
  std::shared_ptr<AwsQueryApi> iam;
};

// One policy document rewritten: how to read and write it, the change, and how a read shows it.
struct IamRoleProvider::Rewrite {
  std::string what;  // "trust policy", "inline policy jit-access-cutoffs": for messages
  std::function<Result<std::string>()> read;  // the document's text ("" when there is none)
  // Writes `text`; `empty`: the policy has no statement left (an inline policy is deleted).
  std::function<Result<>(const std::string& text, bool empty)> write;
  std::function<Result<>(cutoff::Policy&)> edit;  // the change; an Error refuses it (nothing written)
  std::function<bool(const cutoff::Policy&)> done;  // whether a document read back shows the change
};

struct IamRoleProvider::Rewritten {
  cutoff::Policy policy;  // as written (or as found, when nothing had to change)
  bool written = false;
  std::chrono::milliseconds propagation{0};  // from the write until reads showed it
};

namespace iam {

// The role's trust policy and session duration, as GetRole returns them.
struct RoleRead {
  std::string trust_policy;  // decoded
  std::optional<Seconds> max_session_duration;
};

// The account of "arn:<partition>:iam::<account>:role/..."; "" when `arn` has no such form.
std::string account_of(std::string_view arn);

// A policy document as an IAM reply carries it: URL-encoded (RFC 3986) by IAM; a text that already
// reads as JSON (it starts with '{' after whitespace: moto and emulators send it back as written)
// is taken as it is, so a '%' inside it is never decoded.
std::string policy_document_of(std::string_view reply_text);

// Logs `error` (event=iam_role_failed) and returns it: every failure the provider returns, once.
Error logged(Error error);
template <class T>
Result<T> logged(Result<T> result) {
  if (!result) logged(result.error());
  return result;
}

// AWS's error on `action` for `role_arn` as an Error (iam_role_provider.h says which code maps to
// which Errc); NoSuchEntity on the role itself is Errc::not_found naming it.
Error error_of(std::string_view action, const std::string& role_arn, const AwsError& error);

// GetRole of `role_name` (`role_arn` names it in errors): the trust policy (URL-decoded) and
// MaxSessionDuration.
Result<RoleRead> get_role(AwsQueryApi& iam, const std::string& role_name, const std::string& role_arn);

// The role's inline policy `name` as text (GetRolePolicy, decoded); "" when the role has none by
// that name.
Result<std::string> get_role_policy(AwsQueryApi& iam, const std::string& role_name, const std::string& name,
                                    const std::string& role_arn);

}  // namespace iam
}  // namespace jit::aws
