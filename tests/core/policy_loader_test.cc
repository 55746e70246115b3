#include "core/policy_loader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/load_errors.h"

namespace jit {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

using test::kMinimal;

// kMinimal with the first occurrence of `from` replaced by `to`.
std::string minimal_with(std::string_view from, std::string_view to) { return test::replaced(kMinimal, from, to); }

// kMinimal with lines added at the end of the role table (from line 12 on).
std::string minimal_plus_role_lines(std::string_view lines) { return std::string(kMinimal) + std::string(lines); }

using test::errors;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- Valid policies ----

TEST(LoadPolicy, ExampleLoads) {
  const std::string text = read_file(std::string(JIT_EXAMPLES_DIR) + "/jit.toml");
  ASSERT_FALSE(text.empty()) << "cannot read " << JIT_EXAMPLES_DIR << "/jit.toml";
  auto p = load_config(text, "examples/jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;

  EXPECT_EQ(p->policy.approval_window, hours{1});
  EXPECT_EQ(p->settings.sweep_interval, Seconds{30});
  EXPECT_EQ(p->settings.reconcile_interval, minutes{5});
  EXPECT_EQ(p->settings.expiry_warning, minutes{5});
  EXPECT_EQ(p->policy.reason_max_length, 500u);
  EXPECT_EQ(p->settings.store.url, "sqlite:jit.db");
  EXPECT_EQ(p->settings.aws.identity_store_id, "d-0000000000");
  EXPECT_EQ(p->settings.step_up.origin, "https://jit.internal.example");
  EXPECT_EQ(p->settings.step_up.rp_id, "jit.internal.example");
  EXPECT_FALSE(p->policy.admins.empty());
  ASSERT_EQ(p->policy.accounts.size(), 3u);

  const AccountPolicy* prod = p->policy.find_account("prod");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->id, "123456789012");
  const RolePolicy* admin = prod->find_role("admin");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->tier, Tier::high);
  EXPECT_TRUE(admin->ticket_required);
  ASSERT_TRUE(admin->ticket_regex.has_value());
  EXPECT_TRUE(admin->ticket_regex->full_match("OPS-12"));
  EXPECT_FALSE(admin->ticket_regex->full_match("JIRA-12"));
  EXPECT_EQ(admin->allowed_durations, (std::vector<Seconds>{minutes{15}, hours{1}, hours{2}}));

  const RolePolicy* glass = prod->find_role("break-glass");
  ASSERT_NE(glass, nullptr);
  EXPECT_EQ(glass->tier, Tier::break_glass);
  EXPECT_EQ(glass->approvals_required, 2);
  // prod/read-only names its own approvers and channel (issue 17); the others take the account's.
  const RolePolicy* read = prod->find_role("read-only");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->approvers, (std::vector<std::string>{"S0SRE"}));
  EXPECT_EQ(owner_channel_of(*prod, *read), "C0SRE");
  EXPECT_TRUE(admin->approvers.empty());
  EXPECT_EQ(approvers_of(*prod, *admin), prod->approvers);
  // Nobody answers (issue 17): prod's reminder and escalation, break-glass's own, sooner.
  EXPECT_EQ(escalation_of(*prod, *admin),
            (EscalationPolicy{.remind_after = minutes{15}, .escalate_after = minutes{30},
                              .approvers = {"S0ENGMANAGERS"}, .channel = "C0ESCALATIONS"}));
  EXPECT_EQ(escalation_of(*prod, *glass),
            (EscalationPolicy{.remind_after = minutes{5}, .escalate_after = minutes{10},
                              .approvers = {"S0INCIDENTCOMMAND"}, .channel = "C0ESCALATIONS"}));
  const AccountPolicy* sandbox = p->policy.find_account("sandbox");
  ASSERT_NE(sandbox, nullptr);
  EXPECT_EQ(escalation_of(*sandbox, sandbox->roles.at(0)), EscalationPolicy{});

  bool some_standard = false;
  for (const auto& a : p->policy.accounts)
    for (const auto& r : a.roles) some_standard |= r.tier == Tier::standard;
  EXPECT_TRUE(some_standard);
}

TEST(LoadPolicy, MinimalPolicyGetsDefaults) {
  auto p = load_config(kMinimal, "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->policy.approval_window, hours{1});
  EXPECT_EQ(p->settings.sweep_interval, Seconds{30});
  EXPECT_EQ(p->settings.reconcile_interval, Seconds{300});
  EXPECT_EQ(p->policy.reason_max_length, 500u);
  EXPECT_TRUE(p->policy.admins.empty());
  EXPECT_FALSE(p->policy.allow_guests);
  EXPECT_EQ(p->settings.ops_channel, "");
  EXPECT_EQ(p->settings.store.url, "sqlite:jit.db");
  EXPECT_EQ(p->settings.aws.region, "");
  ASSERT_EQ(p->policy.accounts.size(), 1u);
  const AccountPolicy& a = p->policy.accounts[0];
  EXPECT_EQ(a.name, "prod");
  EXPECT_EQ(a.id, "123456789012");
  EXPECT_EQ(a.owner_channel, "C0PROD");
  EXPECT_EQ(a.approvers, std::vector<std::string>{"U0ALICE"});
  ASSERT_EQ(a.roles.size(), 1u);
  const RolePolicy& r = a.roles[0];
  EXPECT_EQ(r.name, "admin");
  EXPECT_EQ(r.max_duration, hours{2});
  EXPECT_TRUE(r.allowed_durations.empty());
  EXPECT_EQ(r.tier, Tier::standard);
  EXPECT_EQ(r.approvals_required, 1);
  EXPECT_EQ(r.requesters, std::vector<std::string>{"*"});
  EXPECT_FALSE(r.ticket_required);
  EXPECT_EQ(r.ticket_pattern, "");
  EXPECT_FALSE(r.ticket_regex.has_value());
}

TEST(LoadPolicy, AllSettingsAreRead) {
  auto p = load_config(R"(approval_window = "2h"
sweep_interval = "10s"
reconcile_interval = "1m"
reason_max_length = 3000
admins = ["U0ADMIN", "W0GRID", "S0SECOPS"]
allow_guests = true
ops_channel = "G0OPS"
announce_queue = 500
[store]
url = "dynamodb:jit-requests"
[aws]
region = "us-east-1"
instance_arn = "arn:aws:sso:::instance/ssoins-0000000000000000"
identity_store_id = "d-0000000000"
access_portal_url = "https://d-0000000000.awsapps.com/start"
call_timeout = "45s"
revoke_rate = 25
revoke_concurrency = 40
scheduler_role_arn = "arn:aws-cn:iam::123456789012:role/ops/jit-scheduler+1"
scheduler_group = "jit_access.prod-1"
cutoff_margin = "30s"
[slack]
user_rate = "30/hour"
user_burst = 5
queue_limit = 200
[step_up]
origin = "https://jit.internal.example:8443"
rp_id = "internal.example"
listen = "[::]:9443"
tls_certificate_file = "/run/secrets/jit.crt"
tls_key_file = "/run/secrets/jit.key"
link_lifetime = "10m"
)" + minimal_plus_role_lines(R"(allowed_durations = ["30m", "2h"]
tier = "break-glass"
approvals_required = 1
ticket_required = true
ticket_pattern = "^INC-[0-9]+$"
)"),
                       "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->policy.approval_window, hours{2});
  EXPECT_EQ(p->settings.sweep_interval, Seconds{10});
  EXPECT_EQ(p->settings.reconcile_interval, minutes{1});
  EXPECT_EQ(p->policy.reason_max_length, 3000u);
  EXPECT_EQ(p->policy.admins, (std::vector<std::string>{"U0ADMIN", "W0GRID", "S0SECOPS"}));
  EXPECT_TRUE(p->policy.allow_guests);
  EXPECT_EQ(p->settings.ops_channel, "G0OPS");
  EXPECT_EQ(p->settings.announce_queue, 500);
  EXPECT_EQ(p->settings.aws.revoke_rate, 25);
  EXPECT_EQ(p->settings.aws.revoke_concurrency, 40);
  EXPECT_EQ(p->settings.aws.call_timeout, Seconds{45});
  EXPECT_EQ(p->settings.store.url, "dynamodb:jit-requests");
  EXPECT_EQ(p->settings.aws.region, "us-east-1");
  EXPECT_EQ(p->settings.aws.instance_arn, "arn:aws:sso:::instance/ssoins-0000000000000000");
  EXPECT_EQ(p->settings.aws.access_portal_url, "https://d-0000000000.awsapps.com/start");
  EXPECT_EQ(p->settings.slack.user_rate, (Rate{30, hours{1}}));
  EXPECT_EQ(p->settings.slack.user_burst, 5);
  EXPECT_EQ(p->settings.slack.queue_limit, 200);
  EXPECT_EQ(p->settings.aws.scheduler_role_arn, "arn:aws-cn:iam::123456789012:role/ops/jit-scheduler+1");
  EXPECT_EQ(p->settings.aws.scheduler_group, "jit_access.prod-1");
  EXPECT_EQ(p->settings.aws.cutoff_margin, Seconds{30});
  EXPECT_EQ(p->settings.step_up, (StepUpSettings{.origin = "https://jit.internal.example:8443",
                                                 .rp_id = "internal.example",
                                                 .listen = "[::]:9443",
                                                 .tls_certificate_file = "/run/secrets/jit.crt",
                                                 .tls_key_file = "/run/secrets/jit.key",
                                                 .link_lifetime = minutes{10}}));
  const RolePolicy& r = p->policy.accounts[0].roles[0];
  EXPECT_TRUE(r.step_up);           // the break-glass default
  EXPECT_TRUE(r.session_cutoff);    // the break-glass default
  EXPECT_TRUE(r.scheduled_revoke);
  EXPECT_EQ(r.allowed_durations, (std::vector<Seconds>{minutes{30}, hours{2}}));
  EXPECT_EQ(r.tier, Tier::break_glass);
  EXPECT_TRUE(r.ticket_required);
  EXPECT_EQ(r.ticket_pattern, "^INC-[0-9]+$");
  ASSERT_TRUE(r.ticket_regex.has_value());
  EXPECT_TRUE(r.ticket_regex->full_match("INC-1"));
}

TEST(LoadPolicy, TicketPatternWithoutTicketRequiredIsFine) {
  auto p = load_config(minimal_plus_role_lines("ticket_pattern = \"^OPS-[0-9]+$\"\n"), "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_FALSE(p->policy.accounts[0].roles[0].ticket_required);
  EXPECT_TRUE(p->policy.accounts[0].roles[0].ticket_regex.has_value());
}

TEST(LoadPolicy, ReconcileModeAndCallTimeout) {
  auto p = load_config("[aws]\ncall_timeout = \"45s\"\n" +
                           minimal_plus_role_lines("reconcile = \"alert\"\n"),
                       "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->policy.accounts[0].roles[0].reconcile, ReconcileMode::alert);
  EXPECT_EQ(p->settings.aws.call_timeout, Seconds{45});
  auto defaults = load_config(kMinimal, "jit.toml");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->policy.accounts[0].roles[0].reconcile, ReconcileMode::revoke);
  EXPECT_EQ(defaults->settings.aws.call_timeout, Seconds{90});
}

// ---- Issue 14: session_cutoff, scheduled_revoke and the scheduler settings ----

// kMinimal with an [aws] table of `aws_lines` in front and `role_lines` added to the role.
std::string with_aws(std::string_view aws_lines, std::string_view role_lines) {
  return "[aws]\n" + std::string(aws_lines) + minimal_plus_role_lines(role_lines);
}

constexpr std::string_view kInstance = "instance_arn = \"arn:aws:sso:::instance/ssoins-0000000000000000\"\n";
constexpr std::string_view kSchedulerRole = "scheduler_role_arn = \"arn:aws:iam::111111111111:role/jit-scheduler\"\n";

TEST(LoadPolicy, EnforcementDefaultsFollowTheTier) {
  for (auto [tier, on] : {std::pair{"standard", false}, {"high", true}, {"break-glass", true}}) {
    auto p = load_config(with_aws(std::string(kInstance) + std::string(kSchedulerRole),
                                  fmt::format("tier = \"{}\"\nstep_up = \"none\"\n", tier)),
                         "jit.toml");
    ASSERT_TRUE(p) << p.error().message;
    const RolePolicy& role = p->policy.accounts[0].roles[0];
    EXPECT_EQ(role.session_cutoff, on) << tier;
    EXPECT_EQ(role.scheduled_revoke, on) << tier;
  }
  auto defaults = load_config(kMinimal, "jit.toml");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->settings.aws.scheduler_role_arn, "");
  EXPECT_EQ(defaults->settings.aws.scheduler_group, "jit-access");
  EXPECT_EQ(defaults->settings.aws.cutoff_margin, minutes{2});
}

TEST(LoadPolicy, EnforcementFlagsOverrideTheTier) {
  auto p = load_config(with_aws(kInstance, "tier = \"high\"\nsession_cutoff = false\nscheduled_revoke = false\n"),
                       "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->policy.accounts[0].roles[0].session_cutoff);
  EXPECT_FALSE(p->policy.accounts[0].roles[0].scheduled_revoke);
  auto standard = load_config(with_aws(kSchedulerRole, "session_cutoff = true\nscheduled_revoke = true\n"), "jit.toml");
  ASSERT_TRUE(standard) << standard.error().message;
  EXPECT_TRUE(standard->policy.accounts[0].roles[0].session_cutoff);
  EXPECT_TRUE(standard->policy.accounts[0].roles[0].scheduled_revoke);
  auto no_margin = load_config(with_aws("cutoff_margin = \"0s\"\n", ""), "jit.toml");
  ASSERT_TRUE(no_margin) << no_margin.error().message;
  EXPECT_EQ(no_margin->settings.aws.cutoff_margin, Seconds{0});
  auto longest = load_config(with_aws("cutoff_margin = \"15m\"\n", ""), "jit.toml");
  ASSERT_TRUE(longest) << longest.error().message;
  EXPECT_EQ(longest->settings.aws.cutoff_margin, minutes{15});
}

TEST(LoadPolicyErrors, EnforcementFlagsMustBeBooleans) {
  // Lines 1-2 are [aws] and instance_arn, so the role's added lines start at 14.
  EXPECT_EQ(errors(with_aws("", "session_cutoff = \"yes\"\n")),
            "jit.toml:13:18: accounts[0].roles[0].session_cutoff \"yes\": expected true or false, not a string");
  EXPECT_EQ(errors(with_aws("", "scheduled_revoke = 1\n")),
            "jit.toml:13:20: accounts[0].roles[0].scheduled_revoke 1: expected true or false, not an integer");
}

TEST(LoadPolicyErrors, ScheduledRevokeWithoutSchedulerRoleNamesTheRoleAndBothFixes) {
  // By default (tier high), pointing at the role table (line 9: [aws] and instance_arn come first).
  EXPECT_EQ(errors(with_aws(kInstance, "tier = \"high\"\n")),
            "jit.toml:9:1: accounts[0].roles[0].scheduled_revoke: role \"admin\" has scheduled_revoke (the default "
            "for tier high) but [aws].scheduler_role_arn is not set: set [aws].scheduler_role_arn to the IAM role "
            "EventBridge Scheduler assumes to delete expired assignments, or set scheduled_revoke = false on the "
            "role");
  // Asked for explicitly, pointing at the key.
  EXPECT_THAT(errors(with_aws(kInstance, "scheduled_revoke = true\n")),
              HasSubstr("jit.toml:14:20: accounts[0].roles[0].scheduled_revoke: role \"admin\" has scheduled_revoke "
                        "but [aws].scheduler_role_arn is not set"));
  // Without instance_arn the service runs only with --dry-run, and no schedule is ever made.
  auto dry = load_config(minimal_plus_role_lines("tier = \"break-glass\"\nstep_up = \"none\"\n"), "jit.toml");
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_TRUE(dry->policy.accounts[0].roles[0].scheduled_revoke);
}

TEST(LoadPolicyErrors, SchedulerSettingsAreChecked) {
  const std::string message = errors(
      "[aws]\nscheduler_role_arn = \"arn:aws:iam::12345:role/x\"\nscheduler_group = \"jit access\"\n"
      "cutoff_margin = \"16m\"\n" +
      std::string(kMinimal));
  EXPECT_THAT(message, HasSubstr("jit.toml:2:22: aws.scheduler_role_arn \"arn:aws:iam::12345:role/x\": expected an "
                                 "IAM role ARN like arn:aws:iam::123456789012:role/jit-scheduler"));
  EXPECT_THAT(message, HasSubstr("jit.toml:3:19: aws.scheduler_group \"jit access\": expected 1 to 64 letters"));
  EXPECT_THAT(message, HasSubstr("jit.toml:4:17: aws.cutoff_margin \"16m\": expected from 0s to 15m"));
  for (const char* bad : {"arn:aws:iam::123456789012:user/x", "arn:aws:iam::123456789012:role/",
                          "arn:aws:iam::123456789012:role/a b", "xarn:aws:iam::123456789012:role/a"})
    EXPECT_THAT(errors(fmt::format("[aws]\nscheduler_role_arn = \"{}\"\n{}", bad, kMinimal)),
                HasSubstr("expected an IAM role ARN"))
        << bad;
  EXPECT_THAT(errors("[aws]\nscheduler_group = \"" + std::string(65, 'g') + "\"\n" + std::string(kMinimal)),
              HasSubstr("expected 1 to 64 letters"));
  EXPECT_THAT(errors("[aws]\ncutoff_margin = 120\n" + std::string(kMinimal)),
              HasSubstr("jit.toml:2:17: aws.cutoff_margin 120: expected a string like \"2m\" or \"0s\""));
}

TEST(LoadPolicyErrors, ReconcileModeAndCallTimeoutOutOfRange) {
  EXPECT_EQ(errors(minimal_plus_role_lines("reconcile = \"delete\"\n")),
            "jit.toml:12:13: accounts[0].roles[0].reconcile \"delete\": expected \"revoke\" (remove assignments "
            "no grant explains) or \"alert\" (only report them)");
  EXPECT_THAT(errors("[aws]\ncall_timeout = \"1h\"\n" + std::string(kMinimal)),
              HasSubstr("jit.toml:2:16: aws.call_timeout \"1h\": expected from 1s to 15m"));
}

TEST(LoadPolicy, GroupApproversDoNotLimitApprovalsRequired) {
  // A group may hold any number of people, so 3 approvals from one group entry is allowed.
  auto p = load_config(minimal_with(R"(approvers = ["U0ALICE"])", R"(approvers = ["U0ALICE", "S0SRE"])") +
                           "approvals_required = 3\n",
                       "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->policy.accounts[0].roles[0].approvals_required, 3);
}

// Issue 17: a role's own approvers and channel, checked like the account's.
TEST(LoadPolicy, ARoleNamesItsOwnApproversAndChannel) {
  auto p = load_config(minimal_plus_role_lines("approvers = [\"U0DAVE\", \"U0ERIN\"]\nowner_channel = \"C0ADMINS\"\n"
                                               "approvals_required = 2\n"),
                       "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  const AccountPolicy& account = p->policy.accounts[0];
  EXPECT_EQ(approvers_of(account, account.roles[0]), (std::vector<std::string>{"U0DAVE", "U0ERIN"}));
  EXPECT_EQ(owner_channel_of(account, account.roles[0]), "C0ADMINS");
  EXPECT_EQ(account.approvers, (std::vector<std::string>{"U0ALICE"}));  // the account keeps its own
  EXPECT_EQ(account.roles[0].approvals_required, 2);  // two of the role's, though the account lists one
}

TEST(LoadPolicyErrors, ARolesApproversAndChannelAreCheckedLikeTheAccounts) {
  EXPECT_EQ(errors(minimal_plus_role_lines("approvers = []\n")),
            "jit.toml:12:13: accounts[0].roles[0].approvers: list at least one approver (Slack user id U… or "
            "user-group id S…), or remove the key for the account's approvers");
  EXPECT_EQ(errors(minimal_plus_role_lines("approvers = [\"*\"]\n")),
            "jit.toml:12:14: accounts[0].roles[0].approvers[0] \"*\": \"*\" is only allowed in requesters; list the "
            "approvers by user or group id");
  EXPECT_THAT(errors(minimal_plus_role_lines("approvers = [\"U0DAVE\", \"dave\"]\n")),
              HasSubstr("accounts[0].roles[0].approvers[1] \"dave\": expected a Slack user id"));
  EXPECT_EQ(errors(minimal_plus_role_lines("owner_channel = \"#admins\"\n")),
            "jit.toml:12:17: accounts[0].roles[0].owner_channel \"#admins\": expected a Slack channel id like "
            "C0123ABCD (C or G, then uppercase letters and digits)");
  // approvals_required counts the role's approvers, not the account's.
  EXPECT_EQ(errors(minimal_with("approvers = [\"U0ALICE\"]", "approvers = [\"U0ALICE\", \"U0BOB\", \"U0CAROL\"]") +
                   "approvers = [\"U0DAVE\"]\napprovals_required = 2\n"),
            "jit.toml:13:22: accounts[0].roles[0].approvals_required 2: the role lists only 1 approver(s), all user "
            "ids; lower it or add approvers");
  // A group among the role's approvers lifts the limit, as on the account.
  EXPECT_TRUE(load_config(minimal_plus_role_lines("approvers = [\"U0DAVE\", \"S0OPS\"]\napprovals_required = 3\n"),
                          "jit.toml")
                  .has_value());
}

// Issue 17: how long before a grant ends its requester is told, at most a day.
TEST(LoadPolicy, TheExpiryWarningLeadIsASettingOfAtMostADay) {
  auto p = load_config("expiry_warning = \"15m\"\n" + std::string(kMinimal), "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->settings.expiry_warning, minutes{15});
  auto d = load_config(std::string(kMinimal), "jit.toml");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->settings.expiry_warning, minutes{5});
  EXPECT_EQ(errors("expiry_warning = \"2d\"\n" + std::string(kMinimal)),
            "jit.toml:1:18: expiry_warning \"2d\": expected at most 1d: how long before a grant ends its requester is "
            "told");
}

// Issue 17: auto-approval is never implicit: both keys written out, on a standard role only.
TEST(LoadPolicy, AnAutoApprovedRoleWritesBothKeys) {
  auto p = load_config(minimal_plus_role_lines("approvals_required = 0\nauto_approve = true\n"), "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_TRUE(p->policy.accounts[0].roles[0].auto_approve);
  EXPECT_EQ(p->policy.accounts[0].roles[0].approvals_required, 0);
  auto off = load_config(minimal_plus_role_lines("auto_approve = false\n"), "jit.toml");
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_FALSE(off->policy.accounts[0].roles[0].auto_approve);
  EXPECT_EQ(off->policy.accounts[0].roles[0].approvals_required, 1);
  // The example's sandbox/read-only is auto-approved.
  auto example = load_config(read_file(std::string(JIT_EXAMPLES_DIR) + "/jit.toml"), "examples/jit.toml");
  ASSERT_TRUE(example.has_value()) << example.error().message;
  EXPECT_TRUE(example->policy.find_account("sandbox")->find_role("read-only")->auto_approve);
  EXPECT_FALSE(example->policy.find_account("prod")->find_role("read-only")->auto_approve);
}

TEST(LoadPolicyErrors, AutoApprovalNeedsBothKeysAndTheStandardTier) {
  for (const char* lines : {"approvals_required = 0\n", "approvals_required = 0\nauto_approve = false\n"})
    EXPECT_EQ(errors(minimal_plus_role_lines(lines)),
              "jit.toml:12:22: accounts[0].roles[0].approvals_required 0: no approval at all is allowed only with "
              "auto_approve = true on a tier = \"standard\" role; set auto_approve = true, or require at least 1 "
              "approval");
  EXPECT_EQ(errors(minimal_plus_role_lines("auto_approve = true\n")),
            "jit.toml:12:16: accounts[0].roles[0].auto_approve true: auto_approve = true needs approvals_required = 0 "
            "written out on the role (so that nobody reads it as needing an approval); add it, or remove "
            "auto_approve");
  EXPECT_THAT(errors(minimal_plus_role_lines("approvals_required = 1\nauto_approve = true\n")),
              HasSubstr("auto_approve = true needs approvals_required = 0"));
  EXPECT_EQ(errors(minimal_plus_role_lines("tier = \"high\"\napprovals_required = 0\nauto_approve = true\n")),
            "jit.toml:14:16: accounts[0].roles[0].auto_approve true: auto-approval is only for tier = \"standard\" "
            "roles, and this one is high; remove auto_approve or make the role standard");
  EXPECT_THAT(errors(minimal_plus_role_lines("tier = \"break-glass\"\napprovals_required = 0\nauto_approve = true\n"
                                             "step_up = \"none\"\n")),
              HasSubstr("this one is break-glass"));
  EXPECT_THAT(errors(minimal_plus_role_lines("approvals_required = 0\nauto_approve = true\nstep_up = \"webauthn\"\n")),
              HasSubstr("an auto-approved role has no approver to step up"));
  EXPECT_THAT(errors(minimal_plus_role_lines("approvals_required = -1\n")),
              HasSubstr("expected a number from 1 to 100 (0 only with auto_approve = true)"));
}

// Issue 17: on-call auto-approval names a PagerDuty schedule; approvals_required stays what people
// need when the requester is not on call.
TEST(LoadPolicy, AnOnCallRoleNamesItsScheduleAndKeepsItsApprovals) {
  auto p = load_config(minimal_plus_role_lines("auto_approve_if_on_call = \"P1ABCDE\"\n"), "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  const RolePolicy& role = p->policy.accounts[0].roles[0];
  EXPECT_EQ(role.on_call_schedule, "P1ABCDE");
  EXPECT_FALSE(role.auto_approve);
  EXPECT_EQ(role.approvals_required, 1);
  auto high = load_config(minimal_plus_role_lines("tier = \"high\"\nstep_up = \"none\"\napprovals_required = 1\n"
                                                  "auto_approve_if_on_call = \"PSRE2\"\n"),
                          "jit.toml");
  ASSERT_TRUE(high.has_value()) << high.error().message;
  EXPECT_EQ(high->policy.accounts[0].roles[0].on_call_schedule, "PSRE2");
  EXPECT_EQ(high->policy.accounts[0].roles[0].tier, Tier::high);
  // [pagerduty]: defaults, and each key.
  auto plain = load_config(std::string(kMinimal), "jit.toml");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->settings.pagerduty.api_url, "https://api.pagerduty.com");
  EXPECT_EQ(plain->settings.pagerduty.timeout, std::chrono::seconds{5});
  EXPECT_TRUE(plain->settings.pagerduty.token_file.empty());
  auto set = load_config("[pagerduty]\napi_url = \"http://127.0.0.1:8123\"\ntoken_file = \"/run/pd\"\n"
                         "timeout = \"2s\"\n" + std::string(kMinimal),
                         "jit.toml");
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->settings.pagerduty.api_url, "http://127.0.0.1:8123");
  EXPECT_EQ(set->settings.pagerduty.token_file, "/run/pd");
  EXPECT_EQ(set->settings.pagerduty.timeout, std::chrono::seconds{2});
  // The example's prod/deploy is approved when its requester is on call.
  auto example = load_config(read_file(std::string(JIT_EXAMPLES_DIR) + "/jit.toml"), "examples/jit.toml");
  ASSERT_TRUE(example.has_value()) << example.error().message;
  EXPECT_FALSE(example->policy.find_account("prod")->find_role("deploy")->on_call_schedule.empty());
}

TEST(LoadPolicyErrors, AnOnCallScheduleIsAnIdOnARoleThatCanHaveIt) {
  for (const char* bad : {"\"\"", "\"P\"", "\"p1abcde\"", "\"P1ABC&x=1\"", "\"P1ABCDE/../users\"",
                          "\"P1234567890123456789012345678901234\""})
    EXPECT_THAT(errors(minimal_plus_role_lines(std::string("auto_approve_if_on_call = ") + bad + "\n")),
                HasSubstr("expected a PagerDuty schedule id: 2 to 32 upper-case letters and digits"))
        << bad;
  EXPECT_THAT(errors(minimal_plus_role_lines("auto_approve_if_on_call = 7\n")),
              HasSubstr("auto_approve_if_on_call 7: expected a string: a PagerDuty schedule id"));
  EXPECT_EQ(errors(minimal_plus_role_lines("tier = \"break-glass\"\nstep_up = \"none\"\nauto_approve_if_on_call = "
                                           "\"P1ABCDE\"\n")),
            "jit.toml:14:27: accounts[0].roles[0].auto_approve_if_on_call \"P1ABCDE\": on-call auto-approval is for "
            "tier = \"standard\" and \"high\" roles, and this one is break-glass; remove auto_approve_if_on_call or "
            "change the tier");
  EXPECT_THAT(errors(minimal_plus_role_lines("approvals_required = 0\nauto_approve = true\n"
                                             "auto_approve_if_on_call = \"P1ABCDE\"\n")),
              HasSubstr("the role is already auto-approved (auto_approve = true); remove one of the two"));
  EXPECT_THAT(errors(minimal_plus_role_lines("step_up = \"webauthn\"\nauto_approve_if_on_call = \"P1ABCDE\"\n")),
              HasSubstr("an on-call approval has no approver to step up"));
  // No approval at all stays auto_approve's alone.
  EXPECT_THAT(errors(minimal_plus_role_lines("approvals_required = 0\nauto_approve_if_on_call = \"P1ABCDE\"\n")),
              HasSubstr("no approval at all is allowed only with auto_approve = true"));
  EXPECT_THAT(errors("[pagerduty]\napi_url = \"http://api.pagerduty.com\"\n" + std::string(kMinimal)),
              HasSubstr("pagerduty.api_url \"http://api.pagerduty.com\": expected an https URL"));
  EXPECT_THAT(errors("[pagerduty]\ntimeout = \"1m\"\n" + std::string(kMinimal)),
              HasSubstr("pagerduty.timeout \"1m\": expected from 1s to 30s"));
  EXPECT_THAT(errors("[pagerduty]\ntoken = \"abc\"\n" + std::string(kMinimal)),
              HasSubstr("pagerduty.token: unknown key; allowed keys here: api_url, token_file, timeout"));
}

TEST(LoadPolicy, InlineTablesWorkLikeHeaders) {
  auto p = load_config(R"(accounts = [
  { name = "prod", id = "123456789012", owner_channel = "C0PROD", approvers = ["U0ALICE"], roles = [
    { name = "admin", permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-1", max_duration = "1h", requesters = ["*"] },
  ] },
]
)",
                       "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->policy.accounts[0].roles[0].name, "admin");
}

// ---- Unknown keys ----

TEST(LoadPolicyErrors, UnknownTopLevelKey) {
  EXPECT_EQ(errors("approval_windw = \"1h\"\n" + std::string(kMinimal)),
            "jit.toml:1:1: approval_windw: unknown key; allowed keys here: approval_window, sweep_interval, "
            "reconcile_interval, expiry_warning, reason_max_length, admins, allow_guests, ops_channel, announce_queue, "
            "store, aws, "
            "slack, audit, step_up, pagerduty, accounts");
}

TEST(LoadPolicyErrors, RevocationRateConcurrencyAndQueueAreBounded) {
  EXPECT_EQ(errors("announce_queue = 0\n[aws]\nrevoke_rate = 0\nrevoke_concurrency = 1000\n" + std::string(kMinimal)),
            "jit.toml:1:18: announce_queue 0: expected a number from 1 to 1000000\n"
            "jit.toml:3:15: aws.revoke_rate 0: expected a number from 1 to 1000\n"
            "jit.toml:4:22: aws.revoke_concurrency 1000: expected a number from 1 to 256");
}

TEST(LoadPolicyErrors, UnknownAccountKey) {
  EXPECT_EQ(errors(minimal_with("approvers = [\"U0ALICE\"]\n", "approvers = [\"U0ALICE\"]\ncolour = \"red\"\n")),
            "jit.toml:6:1: accounts[0].colour: unknown key; allowed keys here: name, id, provider, "
            "management_role_arn, external_id, base_principal_arn, source_identity, owner_channel, approvers, roles, "
            "remind_after, escalate_after, escalation_approvers, escalation_channel");
}

TEST(LoadPolicyErrors, UnknownRoleKey) {
  EXPECT_EQ(errors(minimal_plus_role_lines("max_duraton = \"1h\"\n")),
            "jit.toml:12:1: accounts[0].roles[0].max_duraton: unknown key; allowed keys here: name, "
            "permission_set_arn, role_arn, max_duration, allowed_durations, tier, approvals_required, requesters, "
            "ticket_required, ticket_pattern, reconcile, session_cutoff, scheduled_revoke, step_up, approvers, owner_channel, "
            "auto_approve, auto_approve_if_on_call, "
            "remind_after, escalate_after, escalation_approvers, escalation_channel");
}

TEST(LoadPolicyErrors, UnknownKeyInStoreAndAws) {
  const std::string message = errors("[store]\npath = \"jit.db\"\n[aws]\nprofile = \"x\"\n" + std::string(kMinimal));
  EXPECT_THAT(message, HasSubstr("jit.toml:2:1: store.path: unknown key; allowed keys here: url"));
  EXPECT_THAT(message, HasSubstr("jit.toml:4:1: aws.profile: unknown key; allowed keys here: region, "
                                 "instance_arn, identity_store_id, access_portal_url, call_timeout"));
}

TEST(LoadPolicyErrors, SlackLimitsOutOfRangeAreNamedWithTheirLine) {
  const std::string message =
      errors("[slack]\nuser_rate = \"10 per minute\"\nuser_burst = 0\nqueue_limit = 9999999\n" + std::string(kMinimal));
  EXPECT_THAT(message, HasSubstr("jit.toml:2:13: slack.user_rate \"10 per minute\": expected <count>/<unit>"));
  EXPECT_THAT(message, HasSubstr("jit.toml:3:14: slack.user_burst 0: expected a number from 1 to 1000"));
  EXPECT_THAT(message, HasSubstr("jit.toml:4:15: slack.queue_limit 9999999: expected a number from 1 to 1000000"));
}

TEST(LoadPolicy, AuditCheckpointSettings) {
  auto c = load_config("[audit]\ncheckpoint_key_file = \"/run/secrets/checkpoint.pem\"\ncheckpoint_interval = \"5m\"\n" +
                           std::string(kMinimal),
                       "jit.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->settings.audit.checkpoint_key_file, "/run/secrets/checkpoint.pem");
  EXPECT_EQ(c->settings.audit.checkpoint_interval, Seconds{300});
  auto defaults = load_config(std::string(kMinimal), "jit.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->settings.audit.checkpoint_key_file, "");
  EXPECT_EQ(defaults->settings.audit.checkpoint_interval, Seconds{900});
}

TEST(LoadPolicyErrors, AuditCheckpointIntervalIsBounded) {
  const std::string message = errors("[audit]\ncheckpoint_interval = \"5s\"\ncheckpoint_key = \"x\"\n" +
                                     std::string(kMinimal));
  EXPECT_THAT(message, HasSubstr("jit.toml:2:23: audit.checkpoint_interval \"5s\": expected 10s or more"));
  EXPECT_THAT(message, HasSubstr("audit.checkpoint_key: unknown key"));
}

TEST(LoadPolicyErrors, AuditKeyFileIsReadAndAnEmptyOrUnknownKeyIsNamed) {
  auto config = load_config("[audit]\nkey_file = \"/etc/jit/audit-keys\"\n" + std::string(kMinimal), "jit.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->settings.audit.key_file, "/etc/jit/audit-keys");
  const std::string message = errors("[audit]\nkey_file = \"\"\nkey = \"abc\"\n" + std::string(kMinimal));
  EXPECT_THAT(message, HasSubstr("jit.toml:2:12: audit.key_file \"\": expected the path of a key file"));
  EXPECT_THAT(message, HasSubstr("jit.toml:3:1: audit.key: unknown key; allowed keys here: key_file"));
}

// ---- Types ----

TEST(LoadPolicyErrors, NumberWhereAStringIsExpected) {
  EXPECT_EQ(errors(minimal_with("id = \"123456789012\"", "id = 123456789012")),
            "jit.toml:3:6: accounts[0].id 123456789012: expected a string of 12 digits in quotes, like "
            "\"123456789012\", not an integer");
}

TEST(LoadPolicyErrors, DurationAsNumber) {
  EXPECT_EQ(errors(minimal_with("max_duration = \"2h\"", "max_duration = 7200")),
            "jit.toml:10:16: accounts[0].roles[0].max_duration 7200: expected a string like \"90m\" or \"2h\", "
            "not an integer");
}

TEST(LoadPolicyErrors, WrongTypesElsewhere) {
  EXPECT_EQ(errors(minimal_plus_role_lines("ticket_required = \"yes\"\n")),
            "jit.toml:12:19: accounts[0].roles[0].ticket_required \"yes\": expected true or false, not a string");
  EXPECT_EQ(errors(minimal_plus_role_lines("approvals_required = 1.5\n")),
            "jit.toml:12:22: accounts[0].roles[0].approvals_required 1.5: expected an integer, not a float");
  EXPECT_EQ(errors(minimal_with("approvers = [\"U0ALICE\"]", "approvers = \"U0ALICE\"")),
            "jit.toml:5:13: accounts[0].approvers \"U0ALICE\": expected an array of strings, not a string");
  EXPECT_EQ(errors(minimal_with("approvers = [\"U0ALICE\"]", "approvers = [\"U0ALICE\", 7]")),
            "jit.toml:5:25: accounts[0].approvers[1] 7: expected a string, not an integer");
  EXPECT_EQ(errors("store = \"sqlite:jit.db\"\n" + std::string(kMinimal)),
            "jit.toml:1:9: store \"sqlite:jit.db\": expected a table, written [store], not a string");
}

TEST(LoadPolicyErrors, AccountsMustBeAnArrayOfTables) {
  EXPECT_EQ(errors("[accounts]\nname = \"prod\"\n"),
            "jit.toml:1:1: accounts: expected an array of tables, written [[accounts]], not a table");
  EXPECT_EQ(errors("accounts = [\"prod\"]\n"),
            "jit.toml:1:13: accounts[0] \"prod\": expected a table, not a string");
}

// ---- Required fields ----

TEST(LoadPolicyErrors, MissingRequiredRoleField) {
  EXPECT_EQ(errors(minimal_with(
                "permission_set_arn = \"arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1\"\n", "")),
            "jit.toml:7:1: accounts[0].roles[0].permission_set_arn: required key is missing");
}

TEST(LoadPolicyErrors, MissingRequiredAccountFields) {
  EXPECT_EQ(errors(minimal_with("id = \"123456789012\"\nowner_channel = \"C0PROD\"\n", "")),
            "jit.toml:1:1: accounts[0].id: required key is missing\n"
            "jit.toml:1:1: accounts[0].owner_channel: required key is missing");
  EXPECT_EQ(errors(minimal_with("requesters = [\"*\"]\n", "")),
            "jit.toml:7:1: accounts[0].roles[0].requesters: required key is missing");
}

TEST(LoadPolicyErrors, NoAccounts) {
  EXPECT_EQ(errors(""), "jit.toml:1:1: accounts: at least one [[accounts]] table is required");
  EXPECT_EQ(errors("approval_window = \"1h\"\naccounts = []\n"),
            "jit.toml:2:12: accounts: at least one [[accounts]] table is required");
}

TEST(LoadPolicyErrors, AccountWithoutRoles) {
  const std::string text(kMinimal.substr(0, kMinimal.find("\n\n") + 1));
  EXPECT_EQ(errors(text), "jit.toml:1:1: accounts[0].roles: at least one [[accounts.roles]] table is required");
}

// ---- Durations ----

TEST(LoadPolicyErrors, BadDuration) {
  EXPECT_EQ(errors(minimal_with("max_duration = \"2h\"", "max_duration = \"3 hours\"")),
            "jit.toml:10:16: accounts[0].roles[0].max_duration \"3 hours\": expected a duration like 90m or 2h");
}

TEST(LoadPolicyErrors, ZeroAndEmptyDurations) {
  EXPECT_EQ(errors(minimal_with("max_duration = \"2h\"", "max_duration = \"0m\"")),
            "jit.toml:10:16: accounts[0].roles[0].max_duration \"0m\": a duration must be longer than zero");
  EXPECT_EQ(errors(minimal_with("max_duration = \"2h\"", "max_duration = \"\"")),
            "jit.toml:10:16: accounts[0].roles[0].max_duration \"\": empty duration: expected a duration like "
            "90m or 2h");
}

TEST(LoadPolicyErrors, BadTopLevelDurations) {
  EXPECT_EQ(errors("approval_window = \"1 hour\"\nsweep_interval = \"0s\"\nreconcile_interval = \"5\"\n" +
                   std::string(kMinimal)),
            "jit.toml:1:19: approval_window \"1 hour\": expected a duration like 90m or 2h\n"
            "jit.toml:2:18: sweep_interval \"0s\": a duration must be longer than zero\n"
            "jit.toml:3:22: reconcile_interval \"5\": missing unit; expected a duration like 90m or 2h");
}

TEST(LoadPolicyErrors, AllowedDurationOverMax) {
  EXPECT_EQ(errors(minimal_plus_role_lines("allowed_durations = [\"1h\", \"3h\", \"soon\"]\n")),
            "jit.toml:12:28: accounts[0].roles[0].allowed_durations[1] \"3h\": longer than max_duration 2h; "
            "raise max_duration or remove it\n"
            "jit.toml:12:34: accounts[0].roles[0].allowed_durations[2] \"soon\": expected a duration like 90m "
            "or 2h");
}

// ---- Values ----

TEST(LoadPolicyErrors, BadTier) {
  EXPECT_EQ(errors(minimal_plus_role_lines("tier = \"critical\"\n")),
            "jit.toml:12:8: accounts[0].roles[0].tier \"critical\": expected one of standard, high, break-glass");
}

TEST(LoadPolicyErrors, ApprovalsRequiredZero) {
  EXPECT_EQ(errors(minimal_plus_role_lines("approvals_required = 101\n")),
            "jit.toml:12:22: accounts[0].roles[0].approvals_required 101: expected a number from 1 to 100 (0 only "
            "with auto_approve = true)");
}

TEST(LoadPolicyErrors, ApprovalsRequiredAboveUserApprovers) {
  EXPECT_EQ(errors(minimal_plus_role_lines("approvals_required = 2\n")),
            "jit.toml:12:22: accounts[0].roles[0].approvals_required 2: the account lists only 1 approver(s), "
            "all user ids; lower it or add approvers");
  // The same user listed twice is still one approver.
  EXPECT_THAT(errors(minimal_with("approvers = [\"U0ALICE\"]", "approvers = [\"U0ALICE\", \"U0ALICE\"]") +
                     "approvals_required = 2\n"),
              HasSubstr("only 1 approver(s)"));
}

TEST(LoadPolicyErrors, BadAccountId) {
  for (const char* id : {"12345", "1234567890123", "12345678901a", "1234-5678-90"})
    EXPECT_EQ(errors(minimal_with("\"123456789012\"", std::string("\"") + id + "\"")),
              std::string("jit.toml:3:6: accounts[0].id \"") + id +
                  "\": expected exactly 12 digits, like \"123456789012\"");
}

TEST(LoadPolicyErrors, BadNames) {
  EXPECT_EQ(errors(minimal_with("name = \"prod\"", "name = \"my prod\"")),
            "jit.toml:2:8: accounts[0].name \"my prod\": expected at most 100 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit");
  EXPECT_EQ(errors(minimal_with("name = \"admin\"", "name = \"-admin\"")),
            "jit.toml:8:8: accounts[0].roles[0].name \"-admin\": expected at most 100 letters, digits, '_', '.' or "
            "'-', starting with a letter or digit");
  // A name is a choice in Slack's request form: an option value holds at most 150 characters.
  const std::string longest(100, 'r'), too_long(101, 'r');
  EXPECT_TRUE(load_config(minimal_with("name = \"admin\"", "name = \"" + longest + "\""), "jit.toml"));
  EXPECT_THAT(errors(minimal_with("name = \"prod\"", "name = \"" + too_long + "\"")),
              HasSubstr("accounts[0].name \"" + too_long + "\": expected at most 100 letters"));
}

TEST(LoadPolicyErrors, DuplicateAccountNameAndId) {
  const std::string second = R"(
[[accounts]]
name = "prod"
id = "123456789012"
owner_channel = "C0PROD"
approvers = ["U0BOB"]
[[accounts.roles]]
name = "read"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-2"
max_duration = "1h"
requesters = ["*"]
)";
  EXPECT_EQ(errors(std::string(kMinimal) + second),
            "jit.toml:14:8: accounts[1].name \"prod\": duplicate account name (also accounts[0].name)\n"
            "jit.toml:15:6: accounts[1].id \"123456789012\": duplicate account id (also accounts[0].id)");
}

// kMinimal with a second role on its account.
std::string with_second_role(std::string_view name, std::string_view permission_set) {
  return fmt::format(R"({}
[[accounts.roles]]
name = "{}"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/{}"
max_duration = "1h"
requesters = ["*"]
)",
                     kMinimal, name, permission_set);
}

TEST(LoadPolicyErrors, DuplicateRoleName) {
  EXPECT_EQ(errors(with_second_role("admin", "ps-2")),
            "jit.toml:14:8: accounts[0].roles[1].name \"admin\": duplicate role name in this account (also "
            "accounts[0].roles[0].name)");
}

TEST(LoadPolicyErrors, TwoRolesOnOnePermissionSetInAnAccount) {
  EXPECT_EQ(errors(with_second_role("admin2", "ps-1")),
            "jit.toml:15:22: accounts[0].roles[1].permission_set_arn "
            "\"arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1\": duplicate permission set in this account "
            "(two roles would share one AWS assignment, so ending one grant would end the other: give each role its "
            "own permission set) (also accounts[0].roles[0].permission_set_arn)");
}

TEST(LoadPolicy, SameRoleNameInTwoAccountsIsFine) {
  const std::string second = R"(
[[accounts]]
name = "sandbox"
id = "111111111111"
owner_channel = "C0SANDBOX"
approvers = ["U0BOB"]
[[accounts.roles]]
name = "admin"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-2"
max_duration = "1h"
requesters = ["*"]
)";
  auto p = load_config(std::string(kMinimal) + second, "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->policy.accounts.size(), 2u);
}

TEST(LoadPolicyErrors, BadChannelIds) {
  const std::string hint = "expected a Slack channel id like C0123ABCD (C or G, then uppercase letters and digits)";
  EXPECT_EQ(errors(minimal_with("\"C0PROD\"", "\"#prod\"")),
            "jit.toml:4:17: accounts[0].owner_channel \"#prod\": " + hint);
  EXPECT_EQ(errors(minimal_with("\"C0PROD\"", "\"U0PROD\"")),
            "jit.toml:4:17: accounts[0].owner_channel \"U0PROD\": " + hint);
  EXPECT_EQ(errors(minimal_with("\"C0PROD\"", "\"C0prod\"")),
            "jit.toml:4:17: accounts[0].owner_channel \"C0prod\": " + hint);
  EXPECT_EQ(errors("ops_channel = \"ops\"\n" + std::string(kMinimal)), "jit.toml:1:15: ops_channel \"ops\": " + hint);
}

TEST(LoadPolicyErrors, BadApproverId) {
  EXPECT_EQ(errors(minimal_with("[\"U0ALICE\"]", "[\"U0ALICE\", \"alice\"]")),
            "jit.toml:5:25: accounts[0].approvers[1] \"alice\": expected a Slack user id (U… or W…) or user-group "
            "id (S…)");
  EXPECT_THAT(errors(minimal_with("[\"U0ALICE\"]", "[\"C0PROD\"]")), HasSubstr("accounts[0].approvers[0] \"C0PROD\""));
  EXPECT_THAT(errors(minimal_with("[\"U0ALICE\"]", "[\"U\"]")), HasSubstr("accounts[0].approvers[0] \"U\""));
}

TEST(LoadPolicyErrors, StarInApprovers) {
  EXPECT_EQ(errors(minimal_with("[\"U0ALICE\"]", "[\"*\"]")),
            "jit.toml:5:14: accounts[0].approvers[0] \"*\": \"*\" is only allowed in requesters; list the approvers "
            "by user or group id");
}

TEST(LoadPolicyErrors, EmptyApprovers) {
  EXPECT_EQ(errors(minimal_with("[\"U0ALICE\"]", "[]")),
            "jit.toml:5:13: accounts[0].approvers: list at least one approver (Slack user id U… or user-group id "
            "S…)");
}

TEST(LoadPolicyErrors, BadRequesters) {
  EXPECT_EQ(errors(minimal_with("requesters = [\"*\"]", "requesters = [\"*\", \"everyone\"]")),
            "jit.toml:11:20: accounts[0].roles[0].requesters[1] \"everyone\": expected a Slack user id (U… or W…) "
            "or user-group id (S…), or \"*\" for everyone");
  EXPECT_EQ(errors(minimal_with("requesters = [\"*\"]", "requesters = []")),
            "jit.toml:11:14: accounts[0].roles[0].requesters: list at least one user id, group id or \"*\"");
}

TEST(LoadPolicyErrors, BadAdmins) {
  EXPECT_EQ(errors("admins = [\"U0ADMIN\", \"*\"]\n" + std::string(kMinimal)),
            "jit.toml:1:22: admins[1] \"*\": \"*\" is only allowed in requesters; list the admins by user or "
            "group id");
}

TEST(LoadPolicyErrors, BadPermissionSetArn) {
  EXPECT_EQ(errors(minimal_with("arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1",
                                "arn:aws:iam::123456789012:role/Admin")),
            "jit.toml:9:22: accounts[0].roles[0].permission_set_arn \"arn:aws:iam::123456789012:role/Admin\": "
            "expected a permission set ARN like arn:aws:sso:::permissionSet/ssoins-…/ps-…");
  EXPECT_THAT(errors(minimal_with("ssoins-0000000000000000/ps-1", "")),
              HasSubstr("permission_set_arn \"arn:aws:sso:::permissionSet/\": expected a permission set ARN"));
}

TEST(LoadPolicyErrors, BadTicketRegex) {
  const std::string message = errors(minimal_plus_role_lines("ticket_required = true\nticket_pattern = \"^OPS-[0-9+$\"\n"));
  EXPECT_THAT(message, ::testing::StartsWith("jit.toml:13:18: accounts[0].roles[0].ticket_pattern \"^OPS-[0-9+$\": "
                                           "not a pattern RE2 accepts: missing ]"));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// RE2 matches in linear time and so has no backreferences or lookaround: a pattern using them is
// reported where it is written, as every other loader error.
TEST(LoadPolicyErrors, TicketPatternRe2CannotCompile) {
  const std::string backreference = errors(minimal_plus_role_lines("ticket_pattern = \"^(OPS)-\\\\1$\"\n"));
  EXPECT_THAT(backreference, ::testing::StartsWith("jit.toml:12:18: accounts[0].roles[0].ticket_pattern "));
  EXPECT_THAT(backreference, ::testing::HasSubstr("not a pattern RE2 accepts: invalid escape sequence"));
  EXPECT_THAT(errors(minimal_plus_role_lines("ticket_pattern = \"^(?=OPS)[A-Z]+$\"\n")),
              ::testing::StartsWith("jit.toml:12:18: accounts[0].roles[0].ticket_pattern \"^(?=OPS)[A-Z]+$\": "
                                  "not a pattern RE2 accepts: "));
}

TEST(LoadPolicyErrors, BadStoreUrl) {
  const std::string hint =
      "expected sqlite:<path> (e.g. sqlite:jit.db) or dynamodb:<table> (3-255 of A-Z a-z 0-9 _ . -)";
  for (const char* url : {"postgres://db/jit", "sqlite:", "dynamodb:", "dynamodb:ab", "dynamodb:my table", "jit.db"})
    EXPECT_EQ(errors("[store]\nurl = \"" + std::string(url) + "\"\n" + std::string(kMinimal)),
              "jit.toml:2:7: store.url \"" + std::string(url) + "\": " + hint);
}

TEST(LoadPolicyErrors, ReasonMaxLengthOutOfRange) {
  // Past 3000 Slack's request form cannot open (plain_text_input max_length is at most 3000).
  for (const char* n : {"0", "-1", "3001", "4000"})
    EXPECT_EQ(errors("reason_max_length = " + std::string(n) + "\n" + std::string(kMinimal)),
              "jit.toml:1:21: reason_max_length " + std::string(n) +
                  ": expected a number from 1 to 3000 (the most Slack's request form takes): set reason_max_length "
                  "to 3000 or less");
}

TEST(LoadPolicyErrors, TomlSyntaxError) {
  const std::string message = errors("approval_window = \n" + std::string(kMinimal));
  EXPECT_THAT(message, ::testing::StartsWith("jit.toml:1:19: "));
  EXPECT_THAT(message, HasSubstr("expected value"));
  EXPECT_THAT(errors(std::string(kMinimal) + "name = \"again\"\n"),
              ::testing::StartsWith("jit.toml:12:"));  // redefinition is a syntax error in TOML
}

TEST(LoadPolicyErrors, SeveralErrorsAreReportedTogetherInDocumentOrder) {
  const std::string text = R"(reason_max_length = 0
[[accounts]]
name = "prod"
id = "1234"
owner_channel = "C0PROD"
approvers = ["*"]

[[accounts.roles]]
name = "admin"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1"
max_duration = "2 hours"
tier = "urgent"
requesters = ["*"]
colour = "red"
)";
  EXPECT_EQ(errors(text),
            "jit.toml:1:21: reason_max_length 0: expected a number from 1 to 3000 (the most Slack's request form "
            "takes): set reason_max_length to 3000 or less\n"
            "jit.toml:4:6: accounts[0].id \"1234\": expected exactly 12 digits, like \"123456789012\"\n"
            "jit.toml:6:14: accounts[0].approvers[0] \"*\": \"*\" is only allowed in requesters; list the approvers "
            "by user or group id\n"
            "jit.toml:11:16: accounts[0].roles[0].max_duration \"2 hours\": expected a duration like 90m or 2h\n"
            "jit.toml:12:8: accounts[0].roles[0].tier \"urgent\": expected one of standard, high, break-glass\n"
            "jit.toml:14:1: accounts[0].roles[0].colour: unknown key; allowed keys here: name, permission_set_arn, "
            "role_arn, max_duration, allowed_durations, tier, approvals_required, requesters, ticket_required, "
            "ticket_pattern, reconcile, session_cutoff, scheduled_revoke, step_up, approvers, owner_channel, auto_approve, "
            "auto_approve_if_on_call, "
            "remind_after, escalate_after, escalation_approvers, escalation_channel");
}

TEST(LoadPolicyErrors, SourceNameIsUsedAsGiven) {
  auto p = load_config("bogus = 1\n" + std::string(kMinimal), "/etc/jit/policy.toml");
  ASSERT_FALSE(p.has_value());
  EXPECT_THAT(p.error().message, ::testing::StartsWith("/etc/jit/policy.toml:1:1: bogus: unknown key"));
}

// ---- [step_up] and the role's step_up (issue 15) -------------------------------------------------

// kMinimal's role with `role_lines`, after `step_up` (a [step_up] table's lines, "" for none).
std::string with_step_up(std::string_view step_up, std::string_view role_lines) {
  return std::string(step_up.empty() ? "" : "[step_up]\n") + std::string(step_up) +
         minimal_plus_role_lines(role_lines);
}

constexpr std::string_view kStepUpTable = R"(origin = "https://jit.internal.example"
tls_certificate_file = "/run/secrets/jit.crt"
tls_key_file = "/run/secrets/jit.key"
)";

TEST(LoadStepUp, OnByDefaultForBreakGlassOnlyAndTheRPIdDefaultsToTheHost) {
  auto p = load_config(with_step_up(kStepUpTable, "tier = \"break-glass\"\n"), "jit.toml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->policy.accounts[0].roles[0].step_up);
  EXPECT_EQ(p->settings.step_up.rp_id, "jit.internal.example");
  EXPECT_EQ(p->settings.step_up.listen, "0.0.0.0:8443");
  EXPECT_EQ(p->settings.step_up.link_lifetime, kDefaultStepUpLinkLifetime);
  for (const char* tier : {"standard", "high"}) {
    auto q = load_config(minimal_plus_role_lines(fmt::format("tier = \"{}\"\n", tier)), "jit.toml");
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_FALSE(q->policy.accounts[0].roles[0].step_up) << tier;
  }
  auto asked = load_config(with_step_up(kStepUpTable, "step_up = \"webauthn\"\n"), "jit.toml");
  ASSERT_TRUE(asked) << asked.error().message;
  EXPECT_TRUE(asked->policy.accounts[0].roles[0].step_up);
  auto off = load_config(minimal_plus_role_lines("tier = \"break-glass\"\nstep_up = \"none\"\n"), "jit.toml");
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->policy.accounts[0].roles[0].step_up);
}

TEST(LoadStepUp, AnUnknownValueNamesBothChoices) {
  EXPECT_THAT(errors(minimal_plus_role_lines("step_up = \"yes\"\n")),
              HasSubstr("jit.toml:12:11: accounts[0].roles[0].step_up \"yes\": expected \"webauthn\" (approvers "
                        "confirm with a security key) or \"none\""));
}

// The TLS files are not required here: the identity may come from the JIT_STEP_UP_TLS_* variables,
// which this pure loader cannot see (load_step_up_tls requires one or the other at start).
TEST(LoadStepUp, AStepUpRoleNeedsTheOriginButNotTheTLSFiles) {
  const std::string message = errors(minimal_plus_role_lines("tier = \"break-glass\"\n"));
  EXPECT_THAT(message, HasSubstr("jit.toml:1:1: step_up.origin: required because role prod/admin has step_up "
                                 "(approvals with a security key): set origin = "));
  EXPECT_THAT(message, HasSubstr("or set step_up = \"none\" on every role"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("tls_certificate_file")));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("tls_key_file")));
  // The origin alone is enough; files that are given are kept.
  auto origin_only = load_config(with_step_up("origin = \"https://jit.internal.example\"\n", "step_up = \"webauthn\"\n"),
                                 "jit.toml");
  ASSERT_TRUE(origin_only) << origin_only.error().message;
  EXPECT_TRUE(origin_only->settings.step_up.tls_certificate_file.empty());
  EXPECT_TRUE(origin_only->settings.step_up.tls_key_file.empty());
  auto one = load_config(with_step_up("origin = \"https://jit.internal.example\"\ntls_key_file = \"k\"\n",
                                      "step_up = \"webauthn\"\n"),
                         "jit.toml");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->settings.step_up.tls_key_file, "k");
  // Without a step-up role the table is optional.
  EXPECT_TRUE(load_config(kMinimal, "jit.toml"));
}

TEST(LoadStepUp, TheOriginMustBeExactlyHttpsHostAndPort) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://jit.internal.example", "http is not allowed: WebAuthn needs https"},
      {"https://jit.internal.example/", "it ends with \"/\""},
      {"https://jit.internal.example/approve", "it has a path"},
      {"https://jit.internal.example?x=1", "it has a query"},
      {"https://jit.internal.example#top", "it has a fragment"},
      {"https://ops@jit.internal.example", "it has user info"},
      {"https://JIT.internal.example", "write the host in lowercase"},
      {"https://jit.internal.example:443", "leave out \":443\""},
      {"https://jit.internal.example:70000", "port \"70000\" is not from 1 to 65535"},
      {"https://jit_internal", "\"jit_internal\" is not a host name or IP address"},
      {"jit.internal.example", "it does not start with https://"},
      {"https://10.0.0.5", "\"10.0.0.5\" is an IP address: WebAuthn needs a host name"},
      {"https://[fd00::5]:8443", "\"[fd00::5]\" is an IP address: WebAuthn needs a host name"},
  };
  for (const auto& [origin, why] : cases) {
    const std::string message = errors(fmt::format("[step_up]\norigin = \"{}\"\n{}", origin, kMinimal));
    EXPECT_THAT(message, HasSubstr(fmt::format("jit.toml:2:10: step_up.origin \"{}\": {}", origin, why)));
    EXPECT_THAT(message, HasSubstr("expected https://HOST or https://HOST:PORT")) << origin;
  }
  for (const char* good : {"https://jit.internal.example:8443", "https://jit", "https://a-1.example"}) {
    auto p = load_config(fmt::format("[step_up]\norigin = \"{}\"\n{}", good, kMinimal), "jit.toml");
    EXPECT_TRUE(p) << good << ": " << p.error().message;
  }
}

TEST(LoadStepUp, TheRPIdIsTheHostOrARegistrableSuffixOfIt) {
  const auto load = [](std::string_view origin, std::string_view rp_id) {
    return load_config(fmt::format("[step_up]\norigin = \"{}\"\nrp_id = \"{}\"\n{}", origin, rp_id, kMinimal),
                       "jit.toml");
  };
  EXPECT_TRUE(load("https://jit.internal.example", "jit.internal.example"));
  EXPECT_TRUE(load("https://jit.internal.example", "internal.example"));
  const auto why = [&](std::string_view origin, std::string_view rp_id) {
    auto p = load(origin, rp_id);
    EXPECT_FALSE(p) << rp_id;
    return p ? std::string() : p.error().message;
  };
  EXPECT_THAT(why("https://jit.internal.example", "other.example"),
              HasSubstr("jit.toml:3:9: step_up.rp_id \"other.example\": expected the origin's host "
                        "\"jit.internal.example\" or a suffix of it after a \".\" (like \"internal.example\")"));
  EXPECT_THAT(why("https://jit.internal.example", "l.example"), HasSubstr("or a suffix of it after a \".\""));
  EXPECT_THAT(why("https://jit.internal.example", "jit.internal.example."), HasSubstr("or a suffix of it"));
  EXPECT_THAT(why("https://jit.1.2.3.4", "1.2.3.4"), HasSubstr("an RP ID is a host name, not an IP address"));
  EXPECT_THAT(why("https://jit.internal.example", "x"), HasSubstr("or leave rp_id out to use the host"));
}

TEST(LoadStepUp, ListenIsAddressColonPortAndTheLinkLifetimeIsBounded) {
  EXPECT_TRUE(load_config(fmt::format("[step_up]\nlisten = \"127.0.0.1:1\"\n{}", kMinimal), "jit.toml"));
  for (const auto& [listen, why] : std::initializer_list<std::pair<const char*, const char*>>{
           {"0.0.0.0:0", "port \"0\" is not from 1 to 65535"},
           {"0.0.0.0:65536", "port \"65536\" is not from 1 to 65535"},
           {"8443", "no address and port"},
           {"::1:8443", "an IPv6 address must be written in brackets"},
           {"[zz]:8443", "\"[zz]\" is not an IPv6 address"},
           {"localhost:8443", "\"localhost\" is not an IPv4 address"}}) {
    EXPECT_THAT(errors(fmt::format("[step_up]\nlisten = \"{}\"\n{}", listen, kMinimal)),
                HasSubstr(fmt::format("jit.toml:2:10: step_up.listen \"{}\": {}; expected ADDRESS:PORT", listen, why)));
  }
  EXPECT_THAT(errors(fmt::format("[step_up]\nlink_lifetime = \"29s\"\n{}", kMinimal)),
              HasSubstr("step_up.link_lifetime \"29s\": expected from 30s to 30m"));
  EXPECT_THAT(errors(fmt::format("[step_up]\nlink_lifetime = \"31m\"\n{}", kMinimal)),
              HasSubstr("step_up.link_lifetime \"31m\": expected from 30s to 30m"));
  EXPECT_THAT(errors(fmt::format("[step_up]\ntls_key_file = \"\"\norigins = 1\n{}", kMinimal)),
              ::testing::AllOf(HasSubstr("step_up.tls_key_file \"\": expected the path of a PEM file"),
                               HasSubstr("step_up.origins: unknown key")));
}

// ---- Nobody answers (issue 17) ----

// kMinimal with `lines` added to the account (after its approvers, line 6 on).
std::string minimal_plus_account_lines(std::string_view lines) {
  return minimal_with("approvers = [\"U0ALICE\"]\n", "approvers = [\"U0ALICE\"]\n" + std::string(lines));
}

TEST(LoadPolicy, AnAccountsEscalationAppliesToItsRolesAndARoleOverridesKeyByKey) {
  auto p = load_config(minimal_plus_account_lines("remind_after = \"30m\"\nescalate_after = \"45m\"\n"
                                                  "escalation_approvers = [\"S0LEADS\", \"U0BOB\"]\n"
                                                  "escalation_channel = \"C0ESCALATE\"\n") +
                           R"(
[[accounts.roles]]
name = "read"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-2"
max_duration = "1h"
requesters = ["*"]
escalate_after = "50m"
escalation_approvers = ["U0CAROL"]
)",
                       "jit.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  const AccountPolicy& account = p->policy.accounts[0];
  const EscalationPolicy admin = escalation_of(account, account.roles[0]);
  EXPECT_EQ(admin.remind_after, Seconds{30 * 60});
  EXPECT_EQ(admin.escalate_after, Seconds{45 * 60});
  EXPECT_EQ(admin.approvers, (std::vector<std::string>{"S0LEADS", "U0BOB"}));
  EXPECT_EQ(admin.channel, "C0ESCALATE");
  const EscalationPolicy read = escalation_of(account, account.roles[1]);
  EXPECT_EQ(read.remind_after, Seconds{30 * 60});  // the account's
  EXPECT_EQ(read.escalate_after, Seconds{50 * 60});
  EXPECT_EQ(read.approvers, (std::vector<std::string>{"U0CAROL"}));
  EXPECT_EQ(read.channel, "C0ESCALATE");  // the account's
  // Nothing set: nothing happens but the lapse.
  auto plain = load_config(kMinimal, "jit.toml");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(escalation_of(plain->policy.accounts[0], plain->policy.accounts[0].roles[0]), EscalationPolicy{});
  // A reminder alone needs nothing else.
  EXPECT_TRUE(load_config(minimal_plus_role_lines("remind_after = \"10m\"\n"), "jit.toml").has_value());
}

TEST(LoadPolicyErrors, EscalationKeysMustFitTheApprovalWindowAndEachOther) {
  // Both must come before the request lapses (approval_window, 1h by default).
  EXPECT_EQ(errors(minimal_plus_role_lines("remind_after = \"1h\"\n")),
            "jit.toml:12:16: accounts[0].roles[0].remind_after \"1h\": must be shorter than approval_window (1h), "
            "after which the request lapses: set remind_after below 1h, or lengthen approval_window");
  EXPECT_EQ(errors("approval_window = \"2h\"\n" +
                   minimal_plus_role_lines("escalate_after = \"3h\"\nescalation_approvers = [\"S0LEADS\"]\n")),
            "jit.toml:13:18: accounts[0].roles[0].escalate_after \"3h\": must be shorter than approval_window (2h), "
            "after which the request lapses: set escalate_after below 2h, or lengthen approval_window");
  // The reminder comes first.
  EXPECT_EQ(errors(minimal_plus_role_lines(
                "remind_after = \"30m\"\nescalate_after = \"30m\"\nescalation_approvers = [\"S0LEADS\"]\n")),
            "jit.toml:13:18: accounts[0].roles[0].escalate_after \"30m\": must be later than remind_after (30m): "
            "the reminder comes first, then the escalation; lengthen escalate_after or shorten remind_after");
  // The role's escalate_after against the account's remind_after: reported at the role's key.
  EXPECT_THAT(errors(minimal_plus_account_lines("remind_after = \"40m\"\n") +
                     "escalate_after = \"20m\"\nescalation_approvers = [\"S0LEADS\"]\n"),
              HasSubstr("accounts[0].roles[0].escalate_after \"20m\": must be later than remind_after (40m)"));
}

TEST(LoadPolicyErrors, AnEscalationNeedsItsApproversAndTheyNeedAnEscalation) {
  EXPECT_EQ(errors(minimal_plus_role_lines("escalate_after = \"30m\"\n")),
            "jit.toml:12:18: accounts[0].roles[0].escalate_after: escalate_after needs escalation_approvers: list who "
            "may decide once the request is escalated (Slack user ids U… or user-group ids S…)");
  EXPECT_EQ(errors(minimal_plus_role_lines("escalate_after = \"30m\"\nescalation_approvers = []\n")),
            "jit.toml:13:24: accounts[0].roles[0].escalation_approvers: list at least one escalation approver (Slack "
            "user id U… or user-group id S…), or remove the key");
  EXPECT_EQ(errors(minimal_plus_role_lines("escalation_approvers = [\"S0LEADS\"]\n")),
            "jit.toml:12:24: accounts[0].roles[0].escalation_approvers: is used only when the request is escalated: "
            "add escalate_after (e.g. \"1h\"), or remove it");
  EXPECT_THAT(errors(minimal_plus_role_lines("escalation_channel = \"C0ESC\"\n")),
              HasSubstr("accounts[0].roles[0].escalation_channel: is used only when the request is escalated"));
  // An account may name the approvers for roles that each set their own escalate_after.
  EXPECT_TRUE(load_config(minimal_plus_account_lines("escalation_approvers = [\"S0LEADS\"]\n") +
                              "escalate_after = \"30m\"\n",
                          "jit.toml")
                  .has_value());
  // Ids and channel are checked like the others; a problem of the account's keys is said once.
  EXPECT_EQ(errors(minimal_plus_account_lines("escalate_after = \"30m\"\nescalation_approvers = [\"bob\"]\n"
                                              "escalation_channel = \"#ops\"\n") +
                   R"(
[[accounts.roles]]
name = "read"
permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-2"
max_duration = "1h"
requesters = ["*"]
)"),
            "jit.toml:7:25: accounts[0].escalation_approvers[0] \"bob\": expected a Slack user id (U… or W…) or "
            "user-group id (S…)\n"
            "jit.toml:8:22: accounts[0].escalation_channel \"#ops\": expected a Slack channel id like C0123ABCD (C or "
            "G, then uppercase letters and digits)");
  EXPECT_THAT(errors(minimal_plus_role_lines("remind_after = \"soon\"\n")),
              HasSubstr("accounts[0].roles[0].remind_after \"soon\""));
}

}  // namespace
}  // namespace jit
