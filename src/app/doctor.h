// `jit doctor`: checks a deployment's AWS side in one go and says what to fix (issues 14 and 16).
// Each check calls only operations `jit serve` itself needs (deploy/iam-task-policy.json allows
// them all; on the IAM-role path, deploy/iam-role-management.yaml), so run with the task role it
// also proves the role's permissions.
#pragma once

#include <string>
#include <vector>

#include "aws/json_api.h"
#include "core/settings.h"
#include "ports/clock.h"

namespace jit {

namespace aws {
class IamRoleProvider;
}

struct DoctorFinding {
  // ok: checked and fine; skip: not needed by this configuration (says why); warn: works, but
  // should change; fail: something to fix before it can work.
  enum class Level { ok, skip, warn, fail };
  Level level = Level::ok;
  std::string check;   // "identity store", "permission set prod/admin", "role legacy/admin", "table jit", ...
  std::string detail;  // what was found; may quote AWS's own messages (print it with user_text::printable)
  std::string fix;     // what to do ("" when nothing)
};

// "ok", "skip", "warn" or "FAILED".
const char* level_name(DoctorFinding::Level level);

// The clients the checks call; a null client fails the checks that need it (and says so).
struct DoctorClients {
  aws::AwsJsonApi* sso_admin = nullptr;
  aws::AwsJsonApi* identitystore = nullptr;
  aws::AwsJsonApi* scheduler = nullptr;
  aws::AwsJsonApi* dynamodb = nullptr;  // read only when settings.store.url is dynamodb:TABLE
  aws::IamRoleProvider* iam_role = nullptr;  // read only when an account has provider = "iam-role"
};

struct DoctorReport {
  std::vector<DoctorFinding> findings;
  // No finding failed; with `strict`, none warned either.
  bool healthy(bool strict = false) const;
};

// A permission set with room for fewer cut-off statements than this, or an IAM role whose trust
// policy has room for fewer grants, is a warning: so few grants of its roles can be live at once.
inline constexpr int kFewCutoffSlots = 5;
// A permission set's session duration or an IAM role's MaxSessionDuration past this is a warning:
// a JIT session should not outlive its grant by hours.
inline constexpr Seconds kRecommendedSessionDuration{3600};

// Runs every check, in this order:
// - identity center (skip, saying why, when accounts are in policy and none is on Identity
//   Center): [aws] instance_arn and identity_store_id are set; the identity store answers
//   GetUserId (an address nobody has: "no such user" is the answer wanted); the instance answers
//   DescribePermissionSet for the permission sets in policy.
// - each permission set of an Identity Center account (once per ARN): it exists; its session duration (over PT1H is a
//   warning: a JIT session should not outlive its grant by hours); for roles with session_cutoff,
//   how many more cut-off statements fit its inline policy after pruning (none: fail; fewer than
//   kFewCutoffSlots: warn), counted as the provider counts (aws/cutoff_policy.h).
// - each account with provider = "iam-role", through clients.iam_role (IamRoleProvider::inspect):
//   its management role can be assumed, then each of its roles (once per role ARN) exists, its
//   MaxSessionDuration, how many more grants fit its trust policy, hand-edited JitGrant
//   statements, and standing assume statements (app/doctor_iam_role.h has each finding).
// - scheduler (a role has scheduled_revoke): [aws] scheduler_role_arn is set, and Scheduler takes
//   a DISABLED schedule far in the future named jit-doctor-<random> in [aws] scheduler_group, run
//   as that role, which is deleted at once: this proves the group exists, the role may be passed
//   (iam:PassRole) and is one Scheduler accepts.
// - table (settings.store.url is dynamodb:TABLE): it is ACTIVE with this store's key and
//   indexes, and TTL is on for the `ttl` attribute.
// `clock` gives the time statements are pruned at and the probe's random name. Never throws; every
// AWS error becomes a finding naming the operation and the fix.
DoctorReport run_doctor(const Config& config, const DoctorClients& clients, const Clock& clock);

}  // namespace jit
