// AccessRouter: the one AccessProvider the engine holds when accounts use different paths. Each
// call goes to the provider of its target: an elevated role's ARN ("arn:aws:iam::<12 digits>:role/
// ...") to the IAM-role provider, anything else (a permission set ARN) to Identity Center.
#pragma once

#include <memory>
#include <string_view>

#include "ports/access_provider.h"

namespace jit::aws {

// True when `target_arn` names an IAM role ("arn:aws:iam::<12 digits>:role/<path/name>") in any
// partition ("aws", or "aws-" and lower-case letters and hyphens: aws-cn, aws-us-gov, aws-iso-b):
// the policy loader decides which partitions it takes; here only role or not matters. Not a user
// (":user/"), nor an account id of other than 12 digits, nor an empty role name.
bool is_role_arn(std::string_view target_arn);

// Thread-safe as its providers are. Either provider may be null (no account uses that path): a
// call for it is refused with Errc::invalid naming the path and the setting that enables it.
// cancel_scheduled_revoke goes to Identity Center (the only path that schedules; without it there
// is nothing to cancel: success); call_deadline is the larger of the two.
class AccessRouter final : public AccessProvider {
 public:
  AccessRouter(AccessProvider* identity_center, AccessProvider* iam_role);
  // The same, owning its providers (the composition root's form).
  AccessRouter(std::unique_ptr<AccessProvider> identity_center, std::unique_ptr<AccessProvider> iam_role);

  Result<std::string> resolve_principal(const std::string& email, const std::string& target_arn) override;
  Result<> grant(const Assignment& assignment, const GrantTerms& terms) override;
  Result<> revoke(const Assignment& assignment) override;
  Result<std::vector<Assignment>> list(const std::string& account_id, const std::string& target_arn) override;
  Result<CutoffArmed> arm_cutoff(const SessionCutoff& cutoff) override;
  Result<int> prune_cutoffs(const std::string& target_arn) override;
  Result<> schedule_revoke(const std::string& grant_id, const Assignment& assignment, TimePoint at) override;
  Result<> cancel_scheduled_revoke(const std::string& grant_id) override;
  std::chrono::milliseconds call_deadline() const override;

 private:
  Result<AccessProvider*> for_target(std::string_view target_arn) const;
  std::unique_ptr<AccessProvider> owned_identity_center_, owned_iam_role_;
  AccessProvider* identity_center_;
  AccessProvider* iam_role_;
};

}  // namespace jit::aws
