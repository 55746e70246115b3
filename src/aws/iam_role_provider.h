// IamRoleProvider: the AccessProvider of the IAM-role path (issue 16). A grant is two statements
// that AWS itself enforces at the second, written at grant time in the target account:
//   - in the elevated role's trust policy, the grant's Allow (trust_policy.h): the account's base
//     principal may assume the role with the requester's source identity until the expiry;
//   - in the role's inline policy "jit-access-cutoffs", the grant's Deny (cutoff_policy.h with
//     PrincipalKey::source_identity), armed by the engine through arm_cutoff before grant():
//     sessions of that source identity issued before the cut are denied everything from the expiry.
// Nothing has to happen at expiry for access to end; revoke removes the trust statements
// afterwards (tidy-up) and the reconciler removes statements no grant explains.
//
// Reaching the account: for each account the provider assumes the account's management role
// (STS AssumeRole with its external id, session name "jit-access") and calls IAM there with those
// credentials, refreshed before they lapse. deploy/iam-role-management.yaml is that role.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/cutoff_policy.h"
#include "aws/deadline.h"
#include "aws/query_api.h"
#include "aws/trust_policy.h"
#include "aws/write_lock.h"
#include "core/policy.h"
#include "ports/access_provider.h"
#include "ports/clock.h"
#include "ports/lock.h"

namespace jit::aws {

// What policy says about one account on the IAM-role path (core/policy.h IamRoleAccess, resolved).
struct IamRoleAccount {
  std::string account_id;
  std::string management_role_arn;  // assumed to call IAM in the account
  std::string external_id;           // AssumeRole's ExternalId
  std::string base_principal_arn;    // who may assume the elevated roles during a grant
  // What the base sessions carry as aws:SourceIdentity: the e-mail address or its local part.
  SourceIdentityForm source_identity = SourceIdentityForm::email;

  bool operator==(const IamRoleAccount&) const = default;
};

struct IamRoleOptions {
  // IAM's quota on a trust policy's size (non-whitespace characters): refuse a grant past it.
  int trust_policy_size_limit = trust::kDefaultSizeLimit;
  // The role's inline policy that holds our cut-off denies.
  std::string cutoff_policy_name = "jit-access-cutoffs";
  // One grant, revoke or arm (calls, re-reads and waits) gives up after this: Errc::unavailable.
  std::chrono::milliseconds operation_deadline{120'000};
  // After a write, GetRole / GetRolePolicy is read again every `propagation_poll` until the
  // statement is seen `propagation_reads` times in a row (IAM is eventually consistent), and the
  // grant is reported in effect only then; past the deadline: Errc::unavailable.
  std::chrono::milliseconds propagation_poll{1000};
  int propagation_reads = 2;
  // A read-modify-write that finds the document changed under it (the statement it wrote is gone,
  // or someone else's write replaced ours) starts again, at most this many times. A re-read that
  // still shows the document exactly as it was before our write is IAM's lag, waited out until the
  // deadline, not a change.
  int max_rewrites = 5;
  // How long the management role's credentials are used before AssumeRole is called again (they
  // are also renewed 5 minutes before they lapse).
  Seconds credential_reuse{45 * 60};
};

// Makes the IAM client of one account (its management role's credentials). Production: STS
// AssumeRole + AwsQueryClient; tests: a fake or a client against moto / the emulator.
using IamApiFor = std::function<Result<std::shared_ptr<AwsQueryApi>>(const IamRoleAccount& account)>;

struct IamRoleConfig {
  IamRoleOptions options;
  // The account's settings as policy has them now (reloads included); nullopt when the account is
  // not an iam-role account: its calls are refused with Errc::invalid naming the account.
  std::function<std::optional<IamRoleAccount>(const std::string& account_id)> account;
  IamApiFor iam_for;
  // The read-modify-write of one role's trust policy or inline policy is serialised in process
  // and, when `locks` is set, across instances by the lock "iam-role:<role arn>" (as
  // IdentityCenterConfig::locks). `locks` must outlive the provider.
  Locks* locks = nullptr;
  std::string lock_owner;
  std::chrono::milliseconds lock_margin{30'000};
};

// Thread-safe; every method blocks on the network.
//
// resolve_principal: the source identity of a person is their e-mail address (what the usual
// Okta/Entra base-role setup puts in aws:SourceIdentity), or its local part where the account says
// source_identity = "email-local-part"; calls nothing. Errc::invalid when the role's account is
// not an iam-role account, or the result cannot be a source identity (2..64 characters of
// [A-Za-z0-9_+=,.@-], STS's [\w+=,.@-]).
// grant: GetRole -> parse the trust policy (never rewritten when it cannot be parsed) -> prune
// closed windows -> merge the grant's statement -> size check (Errc::denied naming the role, the
// live grants and when the next window closes) -> UpdateAssumeRolePolicy (skipped when unchanged)
// -> re-read until seen (IamRoleOptions::propagation_*). Idempotent.
// revoke: removes every statement of ours for the principal (trust::remove) the same way;
// nothing of ours there is success.
// list: one Assignment per readable statement of ours whose window is still open.
// arm_cutoff / prune_cutoffs: as IdentityCenterProvider's, on the role's inline policy
// (GetRolePolicy / PutRolePolicy / DeleteRolePolicy when empty), with the role's
// MaxSessionDuration as the session duration; no provisioning step (IAM applies it itself).
// schedule_revoke: Errc::invalid (the trust condition already ends the window at expiry).
// Errors name the service, action, AWS's code and message ("iam UpdateAssumeRolePolicy:
// MalformedPolicyDocument: ..."): Errc::unavailable for throttling, 5xx, transport,
// ConcurrentModification; Errc::denied for AccessDenied, LimitExceeded; Errc::not_found for
// NoSuchEntity on the role (the message names the role ARN); Errc::invalid otherwise.
class IamRoleProvider final : public AccessProvider {
 public:
  // `clock` must outlive this; waits sleep on it and deadlines are on its monotonic time.
  IamRoleProvider(IamRoleConfig config, const Clock& clock);

  Result<std::string> resolve_principal(const std::string& email, const std::string& target_arn) override;
  Result<> grant(const Assignment& assignment, const GrantTerms& terms) override;
  Result<> revoke(const Assignment& assignment) override;
  Result<std::vector<Assignment>> list(const std::string& account_id, const std::string& role_arn) override;
  Result<CutoffArmed> arm_cutoff(const SessionCutoff& cutoff) override;
  Result<int> prune_cutoffs(const std::string& role_arn) override;
  std::chrono::milliseconds call_deadline() const override { return config_.options.operation_deadline; }

  // What jit doctor shows of one role: whether it exists, its trust policy's size and room, our
  // live grant statements, hand-edited ones, and the admin's standing assume statements.
  struct RoleReport {
    std::string role_arn;
    int trust_policy_size = 0;
    int trust_policy_limit = 0;
    int room = 0;  // more grants that fit
    int live_grants = 0;
    std::vector<std::string> unreadable_sids;
    std::vector<std::string> standing_assume;
    Seconds max_session_duration{};
    // The inline policy of our cut-offs (IamRoleOptions::cutoff_policy_name): how many more fit
    // once pruned for the role's session duration; cutoff_problem says why it could not be read
    // (then `cutoff` is empty).
    cutoff::Room cutoff;
    std::string cutoff_problem;
  };
  Result<RoleReport> inspect(const std::string& account_id, const std::string& role_arn);

  // The RoleName (the last path segment) of an ARN "arn:aws:iam::<account>:role/<path/><name>": the RoleName IAM wants;
  // Errc::invalid naming the ARN when it is not a role ARN.
  static Result<std::string> role_name_of(std::string_view role_arn);

 private:
  struct Target;   // iam_role_internal.h: one role in one account, and the IAM client there
  struct Rewrite;  // iam_role_internal.h: one read-modify-write of a policy document
  struct Rewritten;

  // Policy's account, the role's name, and the account's IAM client; Errc::invalid when the account
  // is not an iam-role account or the ARN is not a role of it.
  Result<Target> target_of(const std::string& account_id, const std::string& role_arn);
  // Read -> edit -> write (when changed) -> re-read until seen, started again when the document
  // changed under it (IamRoleOptions::max_rewrites), all before `deadline`. Errors unlogged.
  Result<Rewritten> rewrite(const Target& target, const Rewrite& document, Deadline& deadline);
  // The trust policy rewritten by `edit` under the role's lock, until `done` shows in reads.
  Result<Rewritten> rewrite_trust(const Target& target, const std::function<Result<>(trust::Policy&)>& edit,
                                  const std::function<bool(const trust::Policy&)>& done);
  // arm_cutoff and prune_cutoffs, their errors not yet logged.
  Result<CutoffArmed> arm(const SessionCutoff& cutoff);
  Result<int> prune(const std::string& role_arn);

  IamRoleConfig config_;
  const Clock& clock_;
  WriteLocks role_locks_;  // "iam-role:<role arn>"
};

}  // namespace jit::aws
