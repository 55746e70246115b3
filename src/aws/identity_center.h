// IdentityCenterProvider: the AccessProvider of production. Account assignments in IAM Identity
// Center (sso-admin), principals found by e-mail in its identity store (identitystore).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aws/json_api.h"
#include "ports/access_provider.h"
#include "ports/clock.h"

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

struct IdentityCenterConfig {
  std::string instance_arn;       // "arn:aws:sso:::instance/ssoins-..."
  std::string identity_store_id;  // "d-..." (ListInstances shows it beside the instance)
  IdentityCenterOptions options;
};

// Thread-safe (as long as the two AwsJsonApi are); every method blocks on the network.
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
  IdentityCenterProvider(IdentityCenterConfig config, AwsJsonApi& sso_admin, AwsJsonApi& identitystore,
                         const Clock& clock);

  // identitystore GetUserId by "emails.value". Errc::not_found when no user has the address.
  Result<std::string> resolve_principal(const std::string& email) override;
  Result<> grant(const Assignment& assignment) override;
  // An assignment already gone (ResourceNotFoundException, or FAILED because it does not exist)
  // counts as success.
  Result<> revoke(const Assignment& assignment) override;
  // Only USER principals (groups are not ours to manage).
  Result<std::vector<Assignment>> list(const std::string& account_id,
                                       const std::string& permission_set_arn) override;

  // operation_deadline: no status poll starts after it (the request under way may still take its
  // HTTP timeout; the lease margin of check_lease covers that).
  std::chrono::milliseconds call_deadline() const override { return config_.options.operation_deadline; }

  const IdentityCenterConfig& config() const { return config_; }

 private:
  class Deadline;
  enum class Kind { creation, deletion };

  // Create or Delete, then polls its status until it ends or `deadline` passes.
  Result<> run_operation(Kind kind, const Assignment& assignment, Deadline& deadline);

  IdentityCenterConfig config_;
  AwsJsonApi& sso_admin_;
  AwsJsonApi& identitystore_;
  const Clock& clock_;

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
