#include "app/doctor_iam_role.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "aws/credentials_chain.h"
#include "aws/iam_role_provider.h"

namespace jit {

namespace {

using Level = DoctorFinding::Level;
using RoleReport = aws::IamRoleProvider::RoleReport;

class IamRoleChecks {
 public:
  IamRoleChecks(aws::IamRoleProvider* provider, std::vector<DoctorFinding>& out) : provider_(provider), out_(out) {}

  void account(const AccountPolicy& account) {
    const IamRoleAccess& access = account.iam_role;
    const std::string management = "management role " + access.management_role_arn;
    if (!provider_) {
      add(Level::fail, management, "no IAM-role provider", "set AWS_REGION or [aws] region");
      return;
    }
    if (account.roles.empty()) {
      add(Level::skip, management, fmt::format("account {} has no roles: nothing to ask IAM about", account.name));
      return;
    }
    // The management role's finding goes before its roles', but is known only once one was asked about.
    const std::size_t management_at = out_.size();
    std::optional<DoctorFinding> assumed;
    for (const auto& role : account.roles) {
      if (std::ranges::find(seen_, role.permission_set_arn) != seen_.end()) continue;
      seen_.push_back(role.permission_set_arn);
      const std::string check = fmt::format("role {}/{}", account.name, role.name);
      if (assumed && assumed->level == Level::fail) {
        add(Level::skip, check, "not checked: the management role cannot be assumed (see above)");
        continue;
      }
      auto report = provider_->inspect(account.id, role.permission_set_arn);
      if (!report && assume_failed(report.error(), access)) {
        assumed = DoctorFinding{
            Level::fail, management, shown(sts_answer(report.error(), access, role.permission_set_arn), access),
            fmt::format("deploy deploy/iam-role-management.yaml in account {} (the StackSet) with the ExternalId that "
                        "account {} has as external_id in policy (they must match), and give the task role "
                        "sts:AssumeRole on {} (deploy/iam-task-policy.json, AssumeIamRoleManagementRoles)",
                        account.id, account.name, access.management_role_arn)};
        add(Level::skip, check, "not checked: the management role cannot be assumed (see above)");
        continue;
      }
      // IAM answered (the role, or NoSuchEntity about it): it was asked with the management role's credentials.
      if (!assumed && (report || report.error().code == Errc::not_found || report.error().message.starts_with("iam ")))
        assumed = DoctorFinding{Level::ok, management,
                                fmt::format("assumed with the account's external id to ask IAM about {}",
                                            role.permission_set_arn),
                                ""};
      if (report) {
        role_findings(check, role.permission_set_arn, *report);
        cutoff_findings(check + " cut-off", *report, access);  // always on for iam-role roles
      }
      else role_error(check, role, report.error(), access);
    }
    if (!assumed)
      assumed = DoctorFinding{Level::fail, management, "not proven: no role of the account could be asked about",
                              "fix the findings of its roles below, then run again"};
    out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(management_at), std::move(*assumed));
  }

 private:
  void add(Level level, std::string check, std::string detail, std::string fix = "") {
    out_.push_back({level, std::move(check), std::move(detail), std::move(fix)});
  }

  // IamClients reports a failed AssumeRole of the management role as AwsError "Credentials" whose
  // message starts "STS AssumeRole of <role>" (aws/iam_clients.h), which the provider quotes.
  static bool assume_failed(const Error& error, const IamRoleAccess& access) {
    return error.message.find("STS AssumeRole of " + access.management_role_arn) != std::string::npos;
  }
  // "STS AssumeRole failed: <STS's code and message>", without what the provider and the
  // credentials chain wrapped around it ("iam GetRole: Credentials: no AWS credentials found;
  // tried: ...", " (role <the role asked about>)").
  static std::string sts_answer(const Error& error, const IamRoleAccess& access, const std::string& role_arn) {
    const std::string from = "STS AssumeRole of " + access.management_role_arn + ": ";
    std::string_view answer = error.message;
    answer.remove_prefix(std::min(answer.size(), answer.find(from) + from.size()));
    const std::string about = " (role " + role_arn + ")";
    if (answer.ends_with(about)) answer.remove_suffix(about.size());
    return fmt::format("STS AssumeRole failed: {}", answer);
  }
  // AWS's messages as a finding may show them: never the external id.
  static std::string shown(std::string message, const IamRoleAccess& access) {
    return aws::redact(std::move(message), {access.external_id});
  }

  void role_error(const std::string& check, const RolePolicy& role, const Error& error, const IamRoleAccess& access) {
    if (error.code == Errc::not_found) {
      add(Level::fail, check, shown(error.message, access),
          fmt::format("create the role {}, or fix role_arn of {} in policy", role.permission_set_arn, role.name));
      return;
    }
    add(Level::fail, check, shown(error.message, access),
        error.code == Errc::denied
            ? fmt::format("the management role may call IAM only on roles under the stack's ElevatedRolePath "
                          "(deploy/iam-role-management.yaml): move {} under it, or deploy the stack with its path",
                          role.permission_set_arn)
        : error.code == Errc::unavailable ? "IAM could not be reached or is throttling: run again later"
                                          : "see the message");
  }

  void role_findings(const std::string& check, const std::string& role_arn, const RoleReport& report) {
    const auto hours = std::chrono::duration<double, std::ratio<3600>>(report.max_session_duration).count();
    if (report.max_session_duration > kRecommendedSessionDuration) {
      add(Level::warn, check,
          fmt::format("{} exists; its MaxSessionDuration is {} s ({:g} h)", role_arn,
                      report.max_session_duration.count(), hours),
          "set the role's MaxSessionDuration to 3600: a session should not outlive its grant by hours (the "
          "cut-off deny still ends it at expiry)");
    } else {
      add(Level::ok, check,
          fmt::format("{} exists; MaxSessionDuration {} s", role_arn, report.max_session_duration.count()));
    }

    const std::string sizes =
        fmt::format("trust policy {} of {} characters ([aws] trust_policy_size_limit), {} of our grants live",
                    report.trust_policy_size, report.trust_policy_limit, report.live_grants);
    const std::string room_fix =
        "raise IAM's quota \"Role trust policy length\" (Service Quotas) and [aws] trust_policy_size_limit together, "
        "or remove statements from the role's trust policy";
    if (report.room <= 0) {
      add(Level::fail, check + " trust policy", fmt::format("no more grants fit ({})", sizes),
          room_fix + ": until then each grant of it fails");
    } else if (report.room < kFewCutoffSlots) {
      add(Level::warn, check + " trust policy", fmt::format("only {} more grants fit ({})", report.room, sizes),
          room_fix);
    } else {
      add(Level::ok, check + " trust policy", fmt::format("{} more grants fit ({})", report.room, sizes));
    }

    if (!report.unreadable_sids.empty())
      add(Level::warn, check + " hand-edited",
          fmt::format("statements named like ours cannot be read: {}", fmt::join(report.unreadable_sids, ", ")),
          "JIT Access never removes them: delete them from the trust policy, or restore them");

    if (report.standing_assume.empty()) {
      add(Level::ok, check + " standing access", "no statement lets anyone assume it without a time condition");
    } else {
      add(Level::warn, check + " standing access",
          fmt::format("statements let principals assume it without a time condition, outside JIT: {}",
                      fmt::join(report.standing_assume, ", ")),
          "remove them from the role's trust policy, or accept and document them (break-glass, CI)");
    }
  }

  // How many more cut-off statements fit the role's inline policy (each grant arms one there). Only
  // our policy is measured, as the provider measures it when it arms.
  void cutoff_findings(const std::string& check, const RoleReport& report, const IamRoleAccess& access) {
    if (!report.cutoff_problem.empty()) {
      add(Level::fail, check, shown(report.cutoff_problem, access),
          "give the management role iam:GetRolePolicy and iam:PutRolePolicy on the role "
          "(deploy/iam-role-management.yaml), or fix the inline policy by hand: JIT Access never rewrites a "
          "document it cannot read");
      return;
    }
    const auto& c = report.cutoff;
    const std::string sizes = fmt::format("inline policy {} of {} characters used, {} of ours live, {} per grant",
                                          c.used, aws::cutoff::kSizeLimit, c.live, c.each);
    if (c.room == 0) {
      add(Level::fail, check, fmt::format("no cut-off statement fits ({})", sizes),
          "remove the admin's statements from that inline policy, or shorten the role's MaxSessionDuration "
          "(statements are pruned that much sooner): until then each grant of it fails");
    } else if (c.room < kFewCutoffSlots) {
      add(Level::warn, check, fmt::format("only {} more cut-off statements fit ({})", c.room, sizes),
          "few grants of it can be live at once: shorten the role's MaxSessionDuration (statements are pruned "
          "that much sooner)");
    } else {
      add(Level::ok, check, fmt::format("{} more cut-off statements fit ({})", c.room, sizes));
    }
  }

  aws::IamRoleProvider* provider_;
  std::vector<DoctorFinding>& out_;
  std::vector<std::string> seen_;  // role ARNs checked already
};

}  // namespace

void check_iam_role_path(const Policy& policy, aws::IamRoleProvider* provider, std::vector<DoctorFinding>& out) {
  IamRoleChecks checks(provider, out);
  for (const auto& account : policy.accounts)
    if (account.provider == AccessPath::iam_role) checks.account(account);
}

}  // namespace jit
