// `jit doctor`'s checks of the IAM-role path (issue 16); run_doctor (app/doctor.h) runs them after
// Identity Center's. Internal to src/app.
#pragma once

#include <vector>

#include "app/doctor.h"
#include "core/policy.h"

namespace jit {

// Appends to `out`, for each account of `policy` with provider = "iam-role", in policy order:
// - "management role <arn>": ok when the account's first role could be inspected, or IAM answered
//   about it (the management role was assumed to ask); FAILED when STS AssumeRole of it failed
//   (the fix names deploy/iam-role-management.yaml, the external id and the task role's
//   sts:AssumeRole; the external id itself is never shown); skip when the account has no roles.
//   When it failed, the account's roles are skipped, not asked about again.
// - per role ARN (once, the first role that names it), "role <account>/<role>": it exists (FAILED
//   on NoSuchEntity or any other error) and its MaxSessionDuration (over an hour: warn); then
//   "role <account>/<role> trust policy": how many more grants fit under [aws]
//   trust_policy_size_limit (none: FAILED; fewer than kFewCutoffSlots: warn); "role ... hand-edited"
//   (only when JitGrant statements cannot be read: warn); "role ... standing access": warn naming
//   the Sids of statements that let someone assume the role without a time condition, ok otherwise;
//   "role ... cut-off" (always armed on this path): how many more cut-off statements fit
//   its inline policy jit-access-cutoffs once pruned for its MaxSessionDuration (none or unreadable:
//   FAILED; fewer than kFewCutoffSlots: warn).
// `provider` null: one FAILED finding per iam-role account.
void check_iam_role_path(const Policy& policy, aws::IamRoleProvider* provider, std::vector<DoctorFinding>& out);

}  // namespace jit
