#include "demo/world.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include <cctype>
#include <map>
#include <stdexcept>

namespace jit::demo {

namespace {

constexpr char kProdAccount[] = "123456789012";
constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-";

// The [audit] table for the key files the options name ("" when they name none).
std::string audit_section(const PolicyOptions& o) {
  if (o.audit_key_file.empty() && o.checkpoint_key_file.empty()) return "";
  std::string out = "\n[audit]\n";
  if (!o.audit_key_file.empty()) out += fmt::format("key_file = \"{}\"\n", o.audit_key_file);
  if (!o.checkpoint_key_file.empty())
    out += fmt::format("checkpoint_key_file = \"{}\"\ncheckpoint_interval = \"10s\"\n", o.checkpoint_key_file);
  return out;
}

// The [step_up] table of the step-up page the options ask for ("" when none).
std::string step_up_section(const PolicyOptions& o) {
  if (!o.step_up) return "";
  return fmt::format(R"toml(
[step_up]
origin = "https://localhost:{port}"
rp_id = "localhost"
listen = "127.0.0.1:{port}"
tls_certificate_file = "{certificate}"
tls_key_file = "{key}"
link_lifetime = "{lifetime}"
)toml",
                     fmt::arg("port", o.step_up->port), fmt::arg("certificate", o.step_up->tls_certificate_file),
                     fmt::arg("key", o.step_up->tls_key_file), fmt::arg("lifetime", o.step_up->link_lifetime));
}

}  // namespace

std::string Person::email() const { return std::string(name) + "@example.com"; }

std::string Person::base_access_key_id() const {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fmt::format("AKIDBASE{:0>12}", upper);
}

std::string Person::base_secret_access_key() const { return fmt::format("base-session-secret-of-{:x<17}", name); }

std::string legacy_iam_seed() {
  using nlohmann::json;
  json principals = json::array();
  for (const auto& p : kPeople)
    principals.push_back({{"access_key_id", p.base_access_key_id()},
                          {"secret_access_key", p.base_secret_access_key()},
                          {"principal_arn", fmt::format("arn:aws:sts::{}:assumed-role/okta-engineer/{}", kLegacyAccountId, p.name)},
                          {"source_identity", p.email()}});
  const json management_trust = {
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"AWS", kServicePrincipal}}},
         {"Action", "sts:AssumeRole"},
         {"Condition", {{"StringEquals", {{"sts:ExternalId", kLegacyExternalId}}}}}}}}};
  const json roles = {
      {{"arn", kLegacyManagementRole}, {"max_session_duration", 3600}, {"trust_policy", management_trust}},
      {{"arn", kLegacyBaseRole}, {"trust_policy", R"({"Version":"2012-10-17","Statement":[]})"}},
      {{"arn", kLegacyAdminRole},
       {"max_session_duration", 3600},
       {"trust_policy", fmt::format(R"({{"Version":"2012-10-17","Statement":[{}]}})", kLegacyForeignStatement)},
       {"inline_policies",
        {{"admin", {{"Version", "2012-10-17"}, {"Statement", {{{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}}}}}}}}}};
  return json{{"principals", principals}, {"roles", roles}}.dump();
}

// Most of its length is the TOML text itself.
std::string toml_list(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const auto& i : items) quoted.push_back("\"" + i + "\"");
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

std::string policy_text(const PolicyOptions& o) {
  const std::string durations =
      o.prod_admin_durations.empty() ? "" : "\n  allowed_durations = " + toml_list(o.prod_admin_durations);
  const std::string break_glass = !o.break_glass ? "" : fmt::format(R"toml(

  [[accounts.roles]]
  name = "break-glass"
  permission_set_arn = "{ps}0000000000000002"
  max_duration = "1h"
  tier = "break-glass"
  step_up = "{step_up}"
  approvals_required = 2
  requesters = ["*"]
  ticket_required = true
  ticket_pattern = "^INC-[0-9]+$")toml",
                                                                     fmt::arg("ps", kPermissionSet),
                                                                     fmt::arg("step_up", o.step_up ? "webauthn" : "none"));
  const std::string high_role = !o.high_role ? "" : fmt::format(R"toml(

  [[accounts.roles]]
  name = "ops"
  permission_set_arn = "{}"
  max_duration = "1h"
  allowed_durations = ["{}", "30m", "1h"]
  tier = "high"
  approvals_required = 1
  requesters = ["*"])toml", kOpsPermissionSet, kGrantSeconds);
  const std::string legacy = !o.iam_role ? "" : fmt::format(R"toml(

[[accounts]]
name = "legacy"
id = "{account}"
owner_channel = "{channel}"
approvers = ["{alice}"]
provider = "iam-role"
management_role_arn = "{management}"
external_id = "{external_id}"
base_principal_arn = "{base}"

  [[accounts.roles]]
  name = "admin"
  role_arn = "{role}"
  max_duration = "1h"
  allowed_durations = ["{short}", "30m", "1h"]
  requesters = ["*"])toml",
      fmt::arg("account", kLegacyAccountId), fmt::arg("channel", kLegacy), fmt::arg("alice", kAlice),
      fmt::arg("management", kLegacyManagementRole), fmt::arg("external_id", kLegacyExternalId),
      fmt::arg("base", kLegacyBaseRole), fmt::arg("role", kLegacyAdminRole), fmt::arg("short", kGrantSeconds));
  const std::string trust_limit =
      o.trust_policy_size_limit > 0 ? fmt::format("trust_policy_size_limit = {}\n", o.trust_policy_size_limit) : "";
  return fmt::format(R"toml(# The policy of `jit demo` and the end-to-end tests (src/demo/world.cc): two accounts on the emulated Identity Center.
approval_window = "1h"
sweep_interval = "{sweep}"
reconcile_interval = "1h"
admins = ["{admin}"]
ops_channel = "{ops}"

[store]
url = "{store}"

[aws]
region = "{region}"
call_timeout = "{call_timeout}"
{identity_center}{trust_limit}access_portal_url = "https://{identity_store}.awsapps.com/start"
{audit}{step_up}
[[accounts]]
name = "prod"
id = "{prod_account}"
owner_channel = "{prod}"
approvers = {prod_approvers}

  [[accounts.roles]]
  name = "admin"
  permission_set_arn = "{ps}0000000000000001"
  max_duration = "{prod_admin_max}"{durations}
  requesters = ["*"]{break_glass}

[[accounts]]
name = "sandbox"
id = "{sandbox_account}"
owner_channel = "{sandbox}"
approvers = {sandbox_approvers}

  [[accounts.roles]]
  name = "developer"
  permission_set_arn = "{ps}0000000000000003"
  max_duration = "8h"
  requesters = ["*"]{high_role}{legacy}
)toml",
                     fmt::arg("sweep", o.sweep_interval), fmt::arg("admin", kAdmin), fmt::arg("ops", kOps),
                     fmt::arg("store", o.store_url), fmt::arg("region", kAwsRegion), fmt::arg("call_timeout", o.call_timeout),
                     fmt::arg("identity_center", o.identity_center ? fmt::format("instance_arn = \"{}\"\nidentity_store_id = \"{}\"\n"
                                                                                 "scheduler_role_arn = \"{}\"\n",
                                                                                 kInstanceArn, kIdentityStoreId,
                                                                                 kSchedulerRoleArn)
                                                                   : std::string()),
                     fmt::arg("identity_store", kIdentityStoreId), fmt::arg("audit", audit_section(o)),
                     fmt::arg("step_up", step_up_section(o)),
                     fmt::arg("prod_account", kProdAccount), fmt::arg("prod", kProd),
                     fmt::arg("prod_approvers", toml_list(o.prod_approvers)), fmt::arg("ps", kPermissionSet),
                     fmt::arg("prod_admin_max", o.prod_admin_max), fmt::arg("durations", durations),
                     fmt::arg("break_glass", break_glass), fmt::arg("sandbox_account", kSandboxAccountId),
                     fmt::arg("sandbox", kSandbox), fmt::arg("sandbox_approvers", toml_list(o.sandbox_approvers)),
                     fmt::arg("high_role", high_role), fmt::arg("legacy", legacy), fmt::arg("trust_limit", trust_limit));
}

std::vector<std::pair<std::string, std::string>> serve_environment(const std::string& slack_api_url,
                                                                   const std::string& aws_url) {
  return {{"SLACK_API_URL", slack_api_url},
          {"SLACK_BOT_TOKEN", kSlackBotToken},
          {"SLACK_APP_TOKEN", kSlackAppToken},
          {"AWS_ENDPOINT_URL_SSO_ADMIN", aws_url},
          {"AWS_ENDPOINT_URL_IDENTITYSTORE", aws_url},
          {"AWS_ENDPOINT_URL_SCHEDULER", aws_url},
          {"AWS_ENDPOINT_URL_IAM", aws_url},
          {"AWS_ENDPOINT_URL_STS", aws_url},
          {"AWS_ACCESS_KEY_ID", kAwsAccessKeyId},
          {"AWS_SECRET_ACCESS_KEY", kAwsSecretAccessKey},
          {"AWS_REGION", kAwsRegion},
          {"AWS_CONFIG_FILE", "/dev/null"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
          {"AWS_EC2_METADATA_DISABLED", "true"}};
}

std::vector<std::string> slack_emulator_flags() {
  std::vector<std::string> flags = {"--bot-token", kSlackBotToken, "--app-token", kSlackAppToken,
                                    "--usergroup", fmt::format("{}:{}", kLeads, kBob)};
  for (const auto& p : kPeople) {
    flags.push_back("--user");
    flags.push_back(fmt::format("{}:{}:{}", p.slack_id, p.name, p.email()));
  }
  return flags;
}

std::vector<std::string> aws_emulator_flags() {
  std::vector<std::string> flags = {"--access-key-id", kAwsAccessKeyId, "--secret-access-key", kAwsSecretAccessKey,
                                    "--region", kAwsRegion, "--instance-arn", kInstanceArn,
                                    "--identity-store-id", kIdentityStoreId, "--schedule-group", kScheduleGroup};
  for (const auto& p : kPeople) {
    flags.push_back("--user");
    flags.push_back(fmt::format("{}:{}:{}", p.name, p.email(), p.aws_id));
  }
  return flags;
}

std::optional<std::string> request_id_in(const std::string& reply) {
  // "Request `r1a2b3` is waiting…" (the reply to /jit request) or "… (`r1a2b3`) is waiting…" (the DM).
  static const RE2 id(R"(`([a-z0-9]+)`\)? is waiting)");
  std::string found;
  if (!RE2::PartialMatch(reply, id, &found)) return std::nullopt;
  return found;
}

const Person& person_of(std::string_view slack_id) {
  for (const auto& p : kPeople)
    if (slack_id == p.slack_id) return p;
  throw std::logic_error(fmt::format("{} is not a person of the demo workspace", slack_id));
}

std::string aws_id_of(std::string_view slack_id) {
  for (const auto& p : kPeople)
    if (slack_id == p.slack_id) return p.aws_id;
  return "";
}

std::string name_of(std::string_view id) {
  for (const auto& p : kPeople)
    if (id == p.slack_id || id == p.aws_id) return p.name;
  static const std::map<std::string, std::string, std::less<>> names = {
      {kProdAccount, "prod"},         {kSandboxAccountId, "sandbox"},     {"0000000000000001", "admin"},
      {"0000000000000002", "break-glass"}, {"0000000000000003", "developer"}, {"0000000000000004", "ops"},
      {kProd, "prod"},                {kSandbox, "sandbox"},              {kGeneral, "general"},
      {kOps, "jit-ops"},              {kLeads, "leads"},                  {kLegacyAccountId, "legacy"},
      {kLegacy, "legacy"},            {kLegacyAdminRole, "admin"}};
  const auto it = names.find(id);
  return it == names.end() ? std::string(id) : it->second;
}

}  // namespace jit::demo
