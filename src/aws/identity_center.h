// IdentityCenterProvider: the AccessProvider of production. Account assignments in IAM Identity
// Center (sso-admin), principals found by e-mail in its identity store (identitystore).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/deadline.h"
#include "aws/json_api.h"
#include "aws/write_lock.h"
#include "ports/access_provider.h"
#include "ports/clock.h"
#include "ports/lock.h"

namespace jit::aws {

struct IdentityCenterOptions {
  // CreateAccountAssignment / DeleteAccountAssignment are asynchronous: their status is polled
  // after poll_first_delay (a deletion often completes at once), then after poll_initial_delay,
  // then each wait multiplied by poll_multiplier up to poll_max_delay: 100, 1400, 2800, 5000, 5000
  // ms ... An operation taking Identity Center's usual second costs two polls, done at 1.5 s, as
  // with 500, 1000, ... before: more polls would meet its throttling at 10 revocations a second
  // (bench/mass_expiry_bench). Each wait is cut by a random share of up to poll_jitter (0.2: drawn
  // from [0.8 w, w] on the clock's random source), so pollers started together do not stay in
  // step; a wait never exceeds its schedule.
  std::chrono::milliseconds poll_first_delay{100};
  std::chrono::milliseconds poll_initial_delay{1400};
  double poll_multiplier = 2.0;
  std::chrono::milliseconds poll_max_delay{5000};
  double poll_jitter = 0.2;
  // One grant or revoke (its calls and its polling) gives up after this: Errc::unavailable.
  std::chrono::milliseconds operation_deadline{120'000};
  // How long an e-mail -> user id lookup is reused. Only found users are cached.
  Seconds principal_cache_ttl{600};
  // MaxResults of each ListAccountAssignments page (the model allows 1..100).
  int list_page_size = 100;
};

// Where scheduled revokes go (EventBridge Scheduler, issue 14).
struct ScheduleConfig {
  std::string group = "jit-access";  // the schedule group; schedules are named "jit-<grant id>"
  // The role Scheduler assumes to call sso:DeleteAccountAssignment (deploy/'s scheduler role).
  // Empty: schedule_revoke is refused (Errc::invalid).
  std::string role_arn;
  // The target's RetryPolicy: how long and how often Scheduler retries a failed delete.
  int max_event_age_seconds = 3600;  // 60..86400
  int max_retry_attempts = 185;      // 0..185
};

struct IdentityCenterConfig {
  std::string instance_arn;       // "arn:aws:sso:::instance/ssoins-..."
  std::string identity_store_id;  // "d-..." (ListInstances shows it beside the instance)
  IdentityCenterOptions options;
  ScheduleConfig schedule;
  // The read-modify-write of a permission set's inline policy is serialised in process, and, when
  // `locks` is set, across instances too by the lock "cutoff:<permission set arn>" held by
  // `lock_owner` until now + operation_deadline + lock_margin. nullptr: in-process only (one
  // instance). `locks` must outlive the provider.
  Locks* locks = nullptr;
  std::string lock_owner;
  std::chrono::milliseconds lock_margin{30'000};
};

struct OperationNames;  // identity_center_internal.h

// Thread-safe (as long as the AwsJsonApi are); every method blocks on the network.
//
// grant: lists the assignments of (account, permission set) first and returns at once when the
// user already holds it; otherwise CreateAccountAssignment and polls its status until SUCCEEDED.
// Listing first keeps grant idempotent whatever a duplicate create does (moto stores it twice),
// and turns the engine's retry after a crash into one read. It never trusts a read to revoke:
// revoke always sends DeleteAccountAssignment, so a stale list can never leave access in place.
//
// Errors name the service, operation, AWS's code and message ("sso-admin CreateAccountAssignment:
// AccessDeniedException: ..."). Errc::unavailable (retry later): throttling, 5xx, transport,
// ConflictException (another operation on the same target), a status still IN_PROGRESS at the
// deadline, FAILED with a reason that speaks of a conflict, throttling or retrying.
// Errc::denied: AccessDeniedException, ServiceQuotaExceededException. Errc::invalid: validation
// and other client errors, any other FAILED (the message carries AWS's FailureReason).
// Each failure is logged once (event=identity_center_failed); no secrets are logged.
class IdentityCenterProvider final : public AccessProvider {
 public:
  // `sso_admin`, `identitystore` and `clock` must outlive this. The waits between status polls
  // sleep on `clock`; the operation deadline is measured on its monotonic time.
  // `scheduler` (EventBridge Scheduler, optional, must outlive this too): without it
  // schedule_revoke is refused and cancel_scheduled_revoke has nothing to cancel.
  IdentityCenterProvider(IdentityCenterConfig config, AwsJsonApi& sso_admin, AwsJsonApi& identitystore,
                         const Clock& clock, AwsJsonApi* scheduler = nullptr);

  // identitystore GetUserId by "emails.value". Errc::not_found when no user has the address.
  // `target_arn` is not needed: every permission set shares the one identity store.
  Result<std::string> resolve_principal(const std::string& email, const std::string& target_arn) override;
  // `terms` are not needed: the engine revokes the assignment at expiry.
  Result<> grant(const Assignment& assignment, const GrantTerms& terms) override;
  // An assignment already gone (ResourceNotFoundException, or FAILED because it does not exist)
  // counts as success.
  Result<> revoke(const Assignment& assignment) override;
  // Only USER principals (groups are not ours to manage).
  Result<std::vector<Assignment>> list(const std::string& account_id,
                                       const std::string& permission_set_arn) override;

  // Get the inline policy -> prune, clamp and merge (cutoff_policy.h) -> check its size -> Put
  // (skipped when unchanged) -> ProvisionPermissionSet to the grant's account (Conflict retried)
  // -> poll its status -> Get again and check the statement is there (else all again, bounded).
  // Serialised per permission set (see IdentityCenterConfig::locks), all under one
  // operation_deadline. The permission set's session duration comes from DescribePermissionSet
  // (cached for principal_cache_ttl; the largest value seen is kept; PT12H when unknown).
  // Errc::denied naming the permission set, its live cut-offs and when the next frees when the
  // policy would be over 10,240 characters; Errc::invalid when the policy cannot be parsed (it is
  // never rewritten) or provisioning FAILED for a reason other than a conflict; Errc::unavailable
  // when another holder keeps the lock past the deadline, and as grant's errors otherwise.
  Result<CutoffArmed> arm_cutoff(const SessionCutoff& cutoff) override;
  // Get -> prune -> Put when something was pruned (no provisioning), under the same lock.
  Result<int> prune_cutoffs(const std::string& permission_set_arn) override;
  // CreateSchedule "jit-<grant id>" in the configured group: at(expiry) UTC, flexible window OFF,
  // deleted after completion, target sso-admin DeleteAccountAssignment of `assignment` with the
  // configured role and retry policy; ClientToken = the grant id. A ConflictException (the name
  // exists) is success when GetSchedule shows the same expression, target and input, else
  // Errc::invalid.
  Result<> schedule_revoke(const std::string& grant_id, const Assignment& assignment, TimePoint at) override;
  // DeleteSchedule; ResourceNotFoundException (fired, or never made) is success.
  Result<> cancel_scheduled_revoke(const std::string& grant_id) override;

  // The schedule's name for a grant: "jit-" + its letters, digits, '-', '_' and '.'.
  static std::string schedule_name(const std::string& grant_id);
  // The input of CreateSchedule for a grant (exposed for tests).
  nlohmann::json schedule_request(const std::string& grant_id, const Assignment& assignment, TimePoint at) const;

  // operation_deadline: no status poll starts after it (the request under way may still take its
  // HTTP timeout; the lease margin of check_lease covers that).
  std::chrono::milliseconds call_deadline() const override { return config_.options.operation_deadline; }

  const IdentityCenterConfig& config() const { return config_; }

 private:
  enum class Kind { creation, deletion };

  // Create or Delete, then polls its status until it ends or `deadline` passes.
  Result<> run_operation(Kind kind, const Assignment& assignment, Deadline& deadline);
  // Polls `names.describe` from `status` (the start's answer) until SUCCEEDED or FAILED, and
  // returns that status; Errc::unavailable at the deadline. `context` and `what` lead messages.
  Result<nlohmann::json> follow_status(const OperationNames& names, nlohmann::json status, const std::string& context,
                                       const std::string& what, Deadline& deadline);
  // ProvisionPermissionSet to one account and its status followed until SUCCEEDED.
  Result<> provision(const std::string& permission_set_arn, const std::string& account_id, Deadline& deadline);
  // GetInlinePolicyForPermissionSet, as text ("" when there is none).
  Result<std::string> get_inline_policy(const std::string& permission_set_arn);
  // PutInlinePolicyToPermissionSet of `document`; DeleteInlinePolicyFromPermissionSet instead
  // when `empty` (no statement left: IAM takes no empty policy).
  Result<> put_inline_policy(const std::string& permission_set_arn, const std::string& document, bool empty);
  // The permission set's SessionDuration (cached, the largest seen; PT12H when unknown).
  Seconds session_duration(const std::string& permission_set_arn);
  // One Get -> merge -> Put -> Provision -> re-Get round; false in .second when the re-Get did not
  // show the statement (another writer overwrote it).
  Result<std::pair<CutoffArmed, bool>> arm_once(const SessionCutoff& cutoff, Deadline& deadline);

  IdentityCenterConfig config_;
  AwsJsonApi& sso_admin_;
  AwsJsonApi& identitystore_;
  const Clock& clock_;
  AwsJsonApi* scheduler_;

  // "cutoff:<permission set arn>": the lock of each permission set's inline policy.
  WriteLocks policy_locks_;

  struct CachedDuration {
    Seconds duration;
    TimePoint expires_at;
  };
  std::mutex duration_mutex_;
  std::map<std::string, CachedDuration> durations_;

  struct CachedPrincipal {
    std::string user_id;
    TimePoint expires_at;
  };
  std::mutex cache_mutex_;
  std::map<std::string, CachedPrincipal> principal_cache_;
};

// How an AWS error maps onto the project's Error (exposed for tests): `context` is
// "sso-admin CreateAccountAssignment" and leads the message.
Error error_from_aws(const std::string& context, const AwsError& error);

}  // namespace jit::aws
