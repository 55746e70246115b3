// `jit check-config FILE`: every problem of a policy file, each with file:line:col.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <iostream>

#include "app/audit_keys.h"
#include "app/checkpoint_key.h"
#include "app/config.h"
#include "app/pagerduty.h"
#include "app/step_up_tls.h"
#include "cmd/jit/cli.h"
#include "cmd/jit/commands.h"
#include "core/duration.h"

namespace jit {

namespace {

std::string_view on_off(bool on) { return on ? "on" : "off"; }

// What happens to a role's request nobody decides on (issue 17), as the role ends up with it:
// "" when nothing does (it lapses at the approval window).
std::string nobody_answers(const AccountPolicy& account, const RolePolicy& role) {
  if (role.auto_approve) return "";
  const EscalationPolicy e = escalation_of(account, role);
  std::string out;
  if (e.remind_after) out = fmt::format("reminded after {}", format_duration(*e.remind_after));
  if (e.escalate_after)
    out += fmt::format("{}escalated after {} to {}{}", out.empty() ? "" : ", ", format_duration(*e.escalate_after),
                       fmt::join(e.approvers, ", "), e.channel.empty() ? "" : fmt::format(" (linked in {})", e.channel));
  return out;
}

// What AWS itself enforces for each role (issue 14), defaults resolved: one line per role (and one
// more for a role with a reminder or escalation, issue 17). An
// iam-role account (issue 16) first gets a line on how the service reaches it and who may assume
// its roles, and its roles name their IAM role. The external id is never printed.
void print_enforcement(const Policy& policy, const AwsSettings& aws) {
  bool any_iam_role = false;
  for (const auto& account : policy.accounts) {
    const bool iam_role = account.provider == AccessPath::iam_role;
    any_iam_role |= iam_role;
    if (iam_role)
      fmt::print("  {}: provider iam-role, management role {} (with its external id), base principal {} "
                 "(source identity: {})\n",
                 account.name, account.iam_role.management_role_arn, account.iam_role.base_principal_arn,
                 source_identity_form_name(account.iam_role.source_identity));
    for (const auto& role : account.roles) {
      fmt::print("  {}/{} (tier {}): {}session_cutoff {}, scheduled_revoke {}; {}{} in {}{}\n", account.name,
                 role.name, tier_name(role.tier), iam_role ? fmt::format("role {}, ", role.permission_set_arn) : "",
                 on_off(role.session_cutoff), on_off(role.scheduled_revoke),
                 role.auto_approve ? "AUTO-APPROVED, posted"
                 : role.on_call_schedule.empty()
                     ? fmt::format("approved by {}", fmt::join(approvers_of(account, role), ", "))
                     : fmt::format("AUTO-APPROVED when the requester is on call on PagerDuty schedule {}, else "
                                   "approved by {}",
                                   role.on_call_schedule, fmt::join(approvers_of(account, role), ", ")),
                 role.approvers.empty() || role.auto_approve ? "" : " (the role's own)",
                 owner_channel_of(account, role), role.owner_channel.empty() ? "" : " (the role's own)");
      if (const std::string nobody = nobody_answers(account, role); !nobody.empty())
        fmt::print("    nobody answers: {}\n", nobody);
    }
  }
  fmt::print("  scheduler: role {}, group {}; cut-off margin {}\n",
             aws.scheduler_role_arn.empty() ? "(none)" : aws.scheduler_role_arn, aws.scheduler_group,
             format_duration(aws.cutoff_margin));
  if (any_iam_role)
    fmt::print("  trust policies of iam-role accounts' roles: at most {} characters\n", aws.trust_policy_size_limit);
}

// The step-up page (issue 15) when a role needs it: its TLS identity read and checked as jit serve
// loads it, from the JIT_STEP_UP_TLS_* variables or the files. Neither here (secrets are usually
// given only where the service runs: a file not there, or no file set) is only a warning; one
// variable without the other, or an identity that is there but unreadable, not PEM, or a key not
// the certificate's is an error. nullopt: fine, or only warned about.
std::optional<Error> check_step_up(const Config& config) {
  if (!any_step_up(config.policy)) return std::nullopt;
  const StepUpSettings& s = config.settings.step_up;
  const StepUpTlsEnv env = StepUpTlsEnv::from_process();
  if (!env.either()) {
    const auto warn = [](const std::string& what) {
      std::cerr << fmt::format("jit: warning: [step_up] {}, so it was not checked; jit serve will not start without "
                               "the files or the variables {} and {} (PEM text)\n",
                               what, kStepUpCertificateVariable, kStepUpKeyVariable);
    };
    for (const auto& [name, path] : {std::pair{"tls_certificate_file", &s.tls_certificate_file},
                                     std::pair{"tls_key_file", &s.tls_key_file}}) {
      std::error_code ec;
      if (path->empty()) {
        warn(fmt::format("{} is not set, nor are the variables here", name));
        return std::nullopt;
      }
      if (!std::filesystem::exists(*path, ec) && !ec) {
        warn(fmt::format("{}: {} does not exist here", name, *path));
        return std::nullopt;
      }
    }
  }
  if (auto tls = load_step_up_tls(s, env); !tls) return tls.error();
  return std::nullopt;
}

void print_step_up(const Policy& policy, const StepUpSettings& s) {
  if (!any_step_up(policy)) return;
  std::vector<std::string> roles;
  for (const auto& account : policy.accounts)
    for (const auto& role : account.roles)
      if (role.step_up) roles.push_back(account.name + "/" + role.name);
  fmt::print("  step-up with a security key for {}: page {} (RP ID {}), listening on {}, links last {}\n",
             fmt::join(roles, ", "), s.origin, s.rp_id, s.listen, format_duration(s.link_lifetime));
}

// On-call auto-approval (issue 17) when a role asks for it: where PagerDuty is asked, and whether a
// token is there as jit serve reads it. No token here (secrets are usually given only where the
// service runs) is only a warning; the token is never printed.
void print_pagerduty(const Config& config) {
  std::vector<std::string> roles;
  for (const auto& account : config.policy.accounts)
    for (const auto& role : account.roles)
      if (!role.on_call_schedule.empty())
        roles.push_back(fmt::format("{}/{} (schedule {})", account.name, role.name, role.on_call_schedule));
  if (roles.empty()) return;
  const PagerDutySettings& s = config.settings.pagerduty;
  fmt::print("  on-call auto-approval for {}: PagerDuty {}, timeout {}\n", fmt::join(roles, ", "), s.api_url,
             format_duration(s.timeout));
  if (auto token = load_pagerduty_token(s); !token)
    std::cerr << fmt::format("jit: warning: {}; jit serve will not start without it\n", token.error().message);
}

}  // namespace

int cmd_check_config(const std::string& path) {
  auto config = load_config_file(path);
  if (!config) return report(config.error());
  auto key = load_checkpoint_key((*config)->settings.audit);
  if (!key) return report(key.error());
  const Policy& policy = (*config)->policy;
  std::size_t roles = 0;
  for (const auto& a : policy.accounts) roles += a.roles.size();
  if (auto problem = check_step_up(**config)) return report(*problem);
  auto keys = load_audit_keys((*config)->settings.audit);
  if (!keys) return report(keys.error());
  for (const auto& warning : keys->warnings) std::cerr << ("jit: warning: " + warning + "\n");
  fmt::print("{}: ok ({} accounts, {} roles, store {}, audit {}, {})\n", path, policy.accounts.size(), roles,
             (*config)->settings.store.url,
             keys->keys.keyed()
                 ? fmt::format("keyed by {} from {}", keys->keys.current_id(), fmt::join(keys->sources, " and "))
                 : "unkeyed",
             *key ? "audit checkpoints signed by key " + (**key).public_key().key_id() : "no audit checkpoints");
  print_enforcement(policy, (*config)->settings.aws);
  print_step_up(policy, (*config)->settings.step_up);
  print_pagerduty(**config);
  return kExitOk;
}

}  // namespace jit
