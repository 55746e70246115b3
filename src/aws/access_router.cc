#include "aws/access_router.h"

#include <fmt/format.h>

#include "core/policy.h"

namespace jit::aws {
namespace {

// `call` on the provider, or the reason there is none.
template <class Call>
auto on(Result<AccessProvider*> provider, Call&& call) -> decltype(call(**provider)) {
  if (!provider) return fail(provider.error());
  return call(**provider);
}

}  // namespace

bool is_role_arn(std::string_view target_arn) {
  // One test of the form for the whole service: the engine and Slack word messages by it too.
  return access_path_of(target_arn) == AccessPath::iam_role;
}

AccessRouter::AccessRouter(AccessProvider* identity_center, AccessProvider* iam_role)
    : identity_center_(identity_center), iam_role_(iam_role) {}

AccessRouter::AccessRouter(std::unique_ptr<AccessProvider> identity_center, std::unique_ptr<AccessProvider> iam_role)
    : owned_identity_center_(std::move(identity_center)),
      owned_iam_role_(std::move(iam_role)),
      identity_center_(owned_identity_center_.get()),
      iam_role_(owned_iam_role_.get()) {}

Result<AccessProvider*> AccessRouter::for_target(std::string_view target_arn) const {
  if (is_role_arn(target_arn)) {
    if (iam_role_) return iam_role_;
    return fail(Error::Invalid(fmt::format(
        "{} is an IAM role, for the IAM-role path, but no account has provider = \"iam-role\"", target_arn)));
  }
  if (identity_center_) return identity_center_;
  return fail(Error::Invalid(fmt::format(
      "{} is not an IAM role, so it is for IAM Identity Center, which is not set up: set [aws] instance_arn",
      target_arn)));
}

Result<std::string> AccessRouter::resolve_principal(const std::string& email, const std::string& target_arn) {
  return on(for_target(target_arn), [&](AccessProvider& p) { return p.resolve_principal(email, target_arn); });
}

Result<> AccessRouter::grant(const Assignment& assignment, const GrantTerms& terms) {
  return on(for_target(assignment.permission_set_arn), [&](AccessProvider& p) { return p.grant(assignment, terms); });
}

Result<> AccessRouter::revoke(const Assignment& assignment) {
  return on(for_target(assignment.permission_set_arn), [&](AccessProvider& p) { return p.revoke(assignment); });
}

Result<std::vector<Assignment>> AccessRouter::list(const std::string& account_id, const std::string& target_arn) {
  return on(for_target(target_arn), [&](AccessProvider& p) { return p.list(account_id, target_arn); });
}

Result<CutoffArmed> AccessRouter::arm_cutoff(const SessionCutoff& cutoff) {
  return on(for_target(cutoff.assignment.permission_set_arn),
            [&](AccessProvider& p) { return p.arm_cutoff(cutoff); });
}

Result<int> AccessRouter::prune_cutoffs(const std::string& target_arn) {
  return on(for_target(target_arn), [&](AccessProvider& p) { return p.prune_cutoffs(target_arn); });
}

Result<> AccessRouter::schedule_revoke(const std::string& grant_id, const Assignment& assignment, TimePoint at) {
  return on(for_target(assignment.permission_set_arn),
            [&](AccessProvider& p) { return p.schedule_revoke(grant_id, assignment, at); });
}

Result<> AccessRouter::cancel_scheduled_revoke(const std::string& grant_id) {
  // Only Identity Center schedules; without it no schedule exists, and an absent one is success.
  if (!identity_center_) return {};
  return identity_center_->cancel_scheduled_revoke(grant_id);
}

std::chrono::milliseconds AccessRouter::call_deadline() const {
  std::chrono::milliseconds longest{0};
  for (const AccessProvider* provider : {identity_center_, iam_role_})
    if (provider) longest = std::max(longest, provider->call_deadline());
  return longest;
}

}  // namespace jit::aws
