// The demo workspace, written once for `jit demo` (demo_world.h) and the end-to-end tests
// (tests/e2e/world.h): its people (the same e-mail in Slack and in the emulated IAM Identity
// Center), channels, the credentials the emulators accept, the policy, and the environment that
// points `jit serve` at the emulators and nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jit::demo {

struct Person {
  const char* slack_id;  // "U0DANA"
  const char* name;      // "dana"
  const char* aws_id;    // the identity-store user id (AWS's "<10 hex>-<uuid>" form)
  std::string email() const;  // "dana@example.com", in Slack and in AWS
  // The key pair of their base-role session in the legacy account (issue 16): they signed in as
  // kLegacyBaseRole, and the session carries aws:SourceIdentity = email().
  std::string base_access_key_id() const;      // "AKIDBASE00000000DANA"
  std::string base_secret_access_key() const;
};

inline constexpr char kDana[] = "U0DANA";    // the requester
inline constexpr char kAlice[] = "U0ALICE";  // approver of prod and sandbox
inline constexpr char kBob[] = "U0BOB";      // approver of prod through the S0LEADS group (e2e policy)
inline constexpr char kEve[] = "U0EVE";      // no approver anywhere
inline constexpr char kAdmin[] = "U0ADMIN";  // a jit admin
inline constexpr Person kPeople[] = {
    {kDana, "dana", "1111111111-0000da7a-0000-4000-8000-000000000001"},
    {kAlice, "alice", "1111111111-0000a11c-0000-4000-8000-000000000002"},
    {kAdmin, "admin", "1111111111-0000ad31-0000-4000-8000-000000000003"},
    {kBob, "bob", "1111111111-00000b0b-0000-4000-8000-000000000004"},
    {kEve, "eve", "1111111111-00000e7e-0000-4000-8000-000000000005"},
};
// The person with this Slack id (std::logic_error when there is none: a mistake in the story).
const Person& person_of(std::string_view slack_id);
inline constexpr char kLeads[] = "S0LEADS";  // a user group: bob

inline constexpr char kGeneral[] = "C0GENERAL";  // where people type /jit
inline constexpr char kProd[] = "C0PROD";        // prod's owner channel
inline constexpr char kSandbox[] = "C0SANDBOX";  // sandbox's owner channel
inline constexpr char kOps[] = "C0OPS";          // the ops channel
inline constexpr char kGrantSeconds[] = "8s";    // the demo's short grant (an allowed duration of prod admin)

inline constexpr char kSandboxAccountId[] = "111111111111";  // the sandbox account
// The permission set of sandbox's "ops" role, of tier high (PolicyOptions::high_role): its grants
// arm a session cut-off in this permission set's inline policy and an EventBridge schedule.
inline constexpr char kOpsPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004";

// What the emulators accept, and what `jit serve` presents to them.
inline constexpr char kSlackBotToken[] = "xoxb-emulator-bot";
inline constexpr char kSlackAppToken[] = "xapp-emulator-app";
inline constexpr char kAwsAccessKeyId[] = "AKIDJITEMULATOR00001";
inline constexpr char kAwsSecretAccessKey[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";  // AWS's documentation example
inline constexpr char kAwsRegion[] = "us-east-1";
inline constexpr char kInstanceArn[] = "arn:aws:sso:::instance/ssoins-1111111111111111";
inline constexpr char kIdentityStoreId[] = "d-1111111111";
// The EventBridge Scheduler group of the grants' schedules ([aws] scheduler_group's default).
inline constexpr char kScheduleGroup[] = "jit-access";
// The IAM role EventBridge Scheduler assumes to delete an expired assignment (issue 14).
inline constexpr char kSchedulerRoleArn[] = "arn:aws:iam::111111111111:role/jit-scheduler";

// Issue 16: the "legacy" account, on the IAM-role path (no Identity Center there). Its role "admin"
// is the IAM role kLegacyAdminRole; people sign in to the account as kLegacyBaseRole with their
// e-mail as aws:SourceIdentity; the service edits the role's policies through
// kLegacyManagementRole (external id kLegacyExternalId), which trusts kServicePrincipal.
inline constexpr char kLegacyAccountId[] = "222222222222";
inline constexpr char kLegacy[] = "C0LEGACY";  // legacy's owner channel
inline constexpr char kLegacyAdminRole[] = "arn:aws:iam::222222222222:role/jit-legacy-admin";
inline constexpr char kLegacyBaseRole[] = "arn:aws:iam::222222222222:role/okta-engineer";
inline constexpr char kLegacyManagementRole[] = "arn:aws:iam::222222222222:role/jit-access-management";
inline constexpr char kLegacyExternalId[] = "jit-demo-7f3a";
// Who `jit serve` is to IAM and STS with kAwsAccessKeyId (the AWS emulator's default account).
inline constexpr char kServicePrincipal[] = "arn:aws:iam::123456789012:user/jit-emulator";
// The admin's own statement in the legacy role's trust policy (CI deploys assume the role): the
// service must keep it byte for byte.
inline constexpr char kLegacyForeignStatement[] =
    R"({"Sid":"CiDeploy","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/ci-deployer"},)"
    R"("Action":"sts:AssumeRole"})";

// The AWS emulator's IAM seed (emulators/aws/README.md, "IAM roles") for the legacy account: each
// person's base-role session, the management role, and the admin role whose trust policy holds
// only kLegacyForeignStatement. JSON text.
std::string legacy_iam_seed();

struct PolicyOptions {
  std::string store_url;  // [store] url
  std::string sweep_interval = "1s";
  // The demo's policy; the end-to-end tests widen it (tests/e2e/world.cc).
  std::string prod_admin_max = "1h";
  std::vector<std::string> prod_admin_durations = {kGrantSeconds, "30m", "1h"};  // empty: any up to the max
  std::vector<std::string> prod_approvers = {kAlice};
  std::vector<std::string> sandbox_approvers = {kAlice, kDana};
  // prod's break-glass role too: two approvals and an INC- ticket; step_up = "none" unless
  // `step_up` below asks for the page (issue 15)
  bool break_glass = false;
  // false: no Identity Center instance in [aws] (jit serve then needs --dry-run).
  bool identity_center = true;
  // [aws] call_timeout: the emulator answers at once, and the e2e tests' short leases
  // (a few seconds, so takeovers are quick) must exceed it by a quarter.
  std::string call_timeout = "2s";
  // [audit] key_file and checkpoint_key_file ("" = none: an unkeyed trail, no checkpoints).
  std::string audit_key_file;
  std::string checkpoint_key_file;
  // sandbox's "ops" role too (kOpsPermissionSet): tier high, so a session cut-off and a scheduled
  // revoke by default; one approval, durations kGrantSeconds or up to 1h.
  bool high_role = false;
  // Issue 15: prod's break-glass role (needs break_glass) asks its approvers for a WebAuthn
  // step-up, and [step_up] puts the page at https://localhost:<port> (RP id localhost), listening
  // on 127.0.0.1:<port> with these TLS files. nullopt: no step-up, no [step_up].
  struct StepUpPage {
    std::uint16_t port = 0;
    std::string tls_certificate_file;
    std::string tls_key_file;
    std::string link_lifetime = "5m";
  };
  std::optional<StepUpPage> step_up;
  // Issue 16: the "legacy" account too (kLegacyAccountId, owner channel kLegacy, approver alice),
  // its role "admin" on the IAM-role path, durations kGrantSeconds, 30m or 1h.
  bool iam_role = false;
  // [aws] trust_policy_size_limit (0: not written, the default 2,048).
  int trust_policy_size_limit = 0;
};

// ["a", "b"] in TOML (the items are ids and names: not escaped).
std::string toml_list(const std::vector<std::string>& items);

// The policy file (TOML): accounts prod (123456789012, role admin) and sandbox (111111111111,
// role developer, and ops with high_role) on the emulators' Identity Center instance, admins
// U0ADMIN, ops channel C0OPS.
std::string policy_text(const PolicyOptions& options);

// The environment of a `jit serve` pointed at the emulators: their endpoints and credentials, no
// shared config or credentials file, no instance metadata. Start serve without inheriting the
// variables named by kServeEnvironmentPrefixes, so nothing points it at a real Slack or AWS.
std::vector<std::pair<std::string, std::string>> serve_environment(const std::string& slack_api_url,
                                                                   const std::string& aws_url);
inline const std::vector<std::string> kServeEnvironmentPrefixes = {"AWS_", "SLACK_", "JIT_"};

// The flags that seed jit-slack-emulator (people, the S0LEADS group, tokens) and jit-aws-emulator
// (people with their ids, the key pair, region) with this workspace.
std::vector<std::string> slack_emulator_flags();
std::vector<std::string> aws_emulator_flags();

// The request id in the app's reply to a request, "Request `r1a2b3` is waiting for approval in …",
// or in the DM "… (`r1a2b3`) is waiting …" (nullopt: none).
std::optional<std::string> request_id_in(const std::string& reply);

// The identity-store user id of the person with this Slack id ("" when there is none).
std::string aws_id_of(std::string_view slack_id);

// A person, channel, account or permission set (an id from Slack or AWS) as a person reads it:
// "dana", "prod", "admin"; the id itself when it is none of these.
std::string name_of(std::string_view id);

}  // namespace jit::demo
