#include "app/doctor.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "app/doctor_iam_role.h"
#include "app/store_url.h"
#include "aws/cutoff_policy.h"
#include "store/dynamodb_api.h"

namespace jit {

namespace {

using Json = nlohmann::json;
using Level = DoctorFinding::Level;
using aws::AwsError;

// The cut-off statement a permission set's room is measured with: the longest ids a grant has
// (the engine's request ids are "r" + 8 characters; a prefixed identity-store user id).
constexpr char kSampleGrantId[] = "rzzzzzzzz";
constexpr char kSampleUserId[] = "1111111111-00000000-0000-4000-8000-000000000000";
// The scheduler probe: never enabled, due long after anyone cares, deleted at once.
constexpr char kProbeExpression[] = "at(2099-01-01T00:00:00)";
constexpr char kDeleteTarget[] = "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";

// The string member `name` of `object` ("" when it is absent or not a string).
std::string text_member(const Json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The object member `name` of `object` (an empty object when it is absent or not an object).
Json object_member(const Json& object, const char* name) {
  if (!object.is_object()) return Json::object();
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : Json::object();
}

// AWS's error code without a namespace prefix ("com.amazonaws...#ResourceNotFoundException").
std::string code_of(const AwsError& e) { return dynamodb::error_code(e); }

bool not_found(const AwsError& e) { return code_of(e) == "ResourceNotFoundException" || e.http_status == 404; }
bool denied(const AwsError& e) { return code_of(e) == "AccessDeniedException" || e.http_status == 403; }

// "sso-admin DescribePermissionSet failed: AccessDeniedException: User ... is not authorized ...".
std::string failed_text(std::string_view operation, const AwsError& e) {
  const std::string code = code_of(e);
  return fmt::format("{} failed: {}{}{}", operation, code.empty() ? fmt::format("HTTP {}", e.http_status) : code,
                     e.message.empty() ? "" : ": ", e.message);
}

// The fix for an error no check expects: what the client saw, or AWS's message.
std::string general_fix(const AwsError& e) {
  const std::string code = code_of(e);
  if (code == "Credentials" || code == "Signing")
    return "give jit AWS credentials (the task role on ECS; AWS_PROFILE or AWS_ACCESS_KEY_ID by hand)";
  if (code == "UnrecognizedClientException" || code == "InvalidSignatureException" || code == "ExpiredTokenException" ||
      code == "ExpiredToken")
    return "the AWS credentials are not valid here: renew them, or check that they belong to this account";
  if (code == "Transport")
    return "AWS could not be reached: check [aws] region, AWS_ENDPOINT_URL_* and the network, then run again";
  if (e.retryable) return "AWS is throttling or failing right now (retried already): run again later";
  return "see AWS's message";
}

class Doctor {
 public:
  Doctor(const Config& config, const DoctorClients& clients, const Clock& clock)
      : config_(config), aws_(config.settings.aws), clients_(clients), clock_(clock) {}

  DoctorReport run() {
    if (!uses_identity_center()) {
      add(Level::skip, "identity center",
          "no account in policy is on Identity Center (all have provider = \"iam-role\")");
    } else if (identity_center()) {
      permission_sets();
    }
    check_iam_role_path(config_.policy, clients_.iam_role, report_.findings);
    scheduler();
    table();
    return std::move(report_);
  }

 private:
  void add(Level level, std::string check, std::string detail, std::string fix = "") {
    report_.findings.push_back({level, std::move(check), std::move(detail), std::move(fix)});
  }

  // An account is on Identity Center, or the policy has no accounts (then its checks say so).
  bool uses_identity_center() const {
    const auto& accounts = config_.policy.accounts;
    return accounts.empty() || std::ranges::any_of(accounts, on_identity_center);
  }
  static bool on_identity_center(const AccountPolicy& account) { return account.provider == AccessPath::identity_center; }

  // The identity store answers; true when the permission sets can be asked about.
  bool identity_center() {
    if (aws_.instance_arn.empty() || aws_.identity_store_id.empty()) {
      add(Level::fail, "identity center", "[aws] instance_arn or identity_store_id is not set",
          "set both in the policy's [aws] table (`aws sso-admin list-instances` shows them)");
      return false;
    }
    if (!clients_.sso_admin || !clients_.identitystore) {
      add(Level::fail, "identity center", "no sso-admin or identitystore client", "set AWS_REGION or [aws] region");
      return false;
    }
    // An address nobody has: "no such user" proves the store exists and we may ask it.
    const Json probe = {
        {"IdentityStoreId", aws_.identity_store_id},
        {"AlternateIdentifier",
         {{"UniqueAttribute",
           {{"AttributePath", "emails.value"}, {"AttributeValue", "jit-doctor-probe@example.invalid"}}}}}};
    auto looked = clients_.identitystore->call("GetUserId", probe);
    if (looked || (not_found(looked.error()) && text_member(looked.error().body, "ResourceType") != "IDENTITY_STORE")) {
      add(Level::ok, "identity store", fmt::format("{} answers GetUserId", aws_.identity_store_id));
    } else {
      const AwsError& e = looked.error();
      add(Level::fail, "identity store", failed_text("identitystore GetUserId", e),
          not_found(e) ? "fix [aws] identity_store_id (`aws sso-admin list-instances` shows it)"
          : denied(e)  ? "the task role needs identitystore:GetUserId on the identity store and its users "
                         "(deploy/iam-task-policy.json, ResolveRequesterByEmail)"
                       : general_fix(e));
    }
    return true;
  }

  // Each permission set in policy once, in policy order: the first role that names it, and
  // whether any role with it has session_cutoff.
  struct PermissionSetUse {
    std::string arn, label;
    bool cutoff = false;
  };
  std::vector<PermissionSetUse> permission_sets_in_policy() const {
    std::vector<PermissionSetUse> out;
    for (const auto& account : config_.policy.accounts | std::views::filter(on_identity_center))
      for (const auto& role : account.roles) {
        auto same = std::find_if(out.begin(), out.end(), [&](const auto& u) { return u.arn == role.permission_set_arn; });
        if (same == out.end())
          out.push_back({role.permission_set_arn, fmt::format("{}/{}", account.name, role.name), role.session_cutoff});
        else
          same->cutoff = same->cutoff || role.session_cutoff;
      }
    return out;
  }

  // Each permission set, and before them whether the instance answered for any of them.
  void permission_sets() {
    const std::size_t instance_at = report_.findings.size();
    const auto sets = permission_sets_in_policy();
    int answered = 0;
    for (const auto& set : sets) answered += permission_set(set) ? 1 : 0;
    DoctorFinding instance{Level::ok, "identity center instance",
                           fmt::format("{} answers DescribePermissionSet", aws_.instance_arn), ""};
    if (sets.empty()) {
      instance = {Level::skip, "identity center instance", "the policy has no roles: nothing to ask it", ""};
    } else if (answered == 0) {
      instance = {Level::fail, "identity center instance",
                  fmt::format("{} described none of the policy's permission sets (see below)", aws_.instance_arn),
                  "check [aws] instance_arn and region (`aws sso-admin list-instances`) and the roles' "
                  "permission_set_arn"};
    }
    report_.findings.insert(report_.findings.begin() + static_cast<std::ptrdiff_t>(instance_at), std::move(instance));
  }

  // True when DescribePermissionSet answered.
  bool permission_set(const PermissionSetUse& set) {
    const std::string check = "permission set " + set.label;
    auto described = clients_.sso_admin->call("DescribePermissionSet",
                                              {{"InstanceArn", aws_.instance_arn}, {"PermissionSetArn", set.arn}});
    if (!described) {
      const AwsError& e = described.error();
      add(Level::fail, check, failed_text("sso-admin DescribePermissionSet", e),
          not_found(e) ? fmt::format("create the permission set, or fix permission_set_arn of {} ({})", set.label, set.arn)
          : denied(e)  ? "the task role needs sso:DescribePermissionSet on the instance and this permission set "
                         "(deploy/iam-task-policy.json, ArmSessionCutoffs; PermissionSetArns)"
                       : general_fix(e));
      return false;
    }
    const Json described_set = object_member(*described, "PermissionSet");
    const std::string iso = text_member(described_set, "SessionDuration");
    const std::string name = text_member(described_set, "Name");
    const auto parsed = aws::cutoff::parse_duration(iso);
    const Seconds duration = parsed.value_or(aws::cutoff::kDefaultSessionDuration);
    const std::string exists = fmt::format("{} exists", name.empty() ? set.arn : name);
    if (!parsed) {
      add(Level::warn, check,
          fmt::format("{}; its session duration {} cannot be read, so {} s is assumed", exists,
                      iso.empty() ? "(none given)" : iso, duration.count()),
          "set the permission set's session duration to PT1H");
    } else if (duration > kRecommendedSessionDuration) {
      add(Level::warn, check, fmt::format("{}; its session duration is {} ({} s)", exists, iso, duration.count()),
          "set the permission set's session duration to PT1H: a JIT session should not outlive its grant by "
          "hours, and each cut-off statement stays in its inline policy for the grant and this long");
    } else {
      add(Level::ok, check, fmt::format("{}; session duration {}", exists, iso));
    }
    if (set.cutoff) cutoff_room(check + " cut-off", set.arn, duration);
    return true;
  }

  // How many more cut-off statements fit the inline policy once the provider has pruned it.
  void cutoff_room(const std::string& check, const std::string& arn, Seconds duration) {
    auto got = clients_.sso_admin->call("GetInlinePolicyForPermissionSet",
                                        {{"InstanceArn", aws_.instance_arn}, {"PermissionSetArn", arn}});
    if (!got) {
      const AwsError& e = got.error();
      add(Level::fail, check, failed_text("sso-admin GetInlinePolicyForPermissionSet", e),
          denied(e) ? "the task role needs sso:GetInlinePolicyForPermissionSet and sso:PutInlinePolicyToPermissionSet "
                      "on it (deploy/iam-task-policy.json, ArmSessionCutoffs)"
                    : general_fix(e));
      return;
    }
    auto policy = aws::cutoff::parse_policy(text_member(*got, "InlinePolicy"));
    if (!policy) {
      add(Level::fail, check, "its inline policy cannot be read: " + policy.error().message,
          "fix the inline policy by hand: JIT Access never rewrites a document it cannot read");
      return;
    }
    const TimePoint now = clock_.now();
    const auto [used, live, each, room] = aws::cutoff::room_for(
        *policy, aws::cutoff::statement_of({kSampleGrantId, {kSampleUserId, "123456789012", arn}, now, now}), now,
        duration);
    const std::string sizes = fmt::format("{} of {} characters used, {} of ours live, {} per grant", used,
                                          aws::cutoff::kSizeLimit, live, each);
    if (room == 0) {
      add(Level::fail, check, fmt::format("no cut-off statement fits its inline policy ({})", sizes),
          "shorten the admin's statements in its inline policy, or set session_cutoff = false on its roles: "
          "until then each grant of them fails");
    } else if (room < kFewCutoffSlots) {
      add(Level::warn, check, fmt::format("only {} more cut-off statements fit ({})", room, sizes),
          "few grants of its roles can be live at once: shorten the admin's statements in its inline policy, or "
          "the session duration (statements are pruned that much sooner)");
    } else {
      add(Level::ok, check, fmt::format("{} more cut-off statements fit ({})", room, sizes));
    }
  }

  // The first role with scheduled_revoke, as "account id, permission set ARN"; nullopt: none.
  std::optional<std::pair<std::string, std::string>> scheduled_role() const {
    for (const auto& account : config_.policy.accounts | std::views::filter(on_identity_center))
      for (const auto& role : account.roles)
        if (role.scheduled_revoke) return std::pair{account.id, role.permission_set_arn};
    return std::nullopt;
  }

  void scheduler() {
    const auto role = scheduled_role();
    if (!role) {
      add(Level::skip, "scheduler", "no role has scheduled_revoke");
      return;
    }
    if (aws_.scheduler_role_arn.empty()) {
      add(Level::fail, "scheduler", "a role has scheduled_revoke but [aws] scheduler_role_arn is not set",
          "deploy the execution role (deploy/ecs-service.yaml, SchedulerRole) and set [aws] scheduler_role_arn");
      return;
    }
    if (!clients_.scheduler) {
      add(Level::fail, "scheduler", "no Scheduler client", "set AWS_REGION or [aws] region");
      return;
    }
    // Scheduler checks the group, the execution role and our iam:PassRole on it when a schedule
    // is created, enabled or not: a disabled one that would never be due, named like ours (the
    // task role may create only jit-* schedules) and unlike any grant's (those are jit-r...).
    const std::string name = fmt::format("jit-doctor-{:016x}", clock_.random());
    const Json delete_input = {{"InstanceArn", aws_.instance_arn}, {"TargetId", role->first},
                               {"TargetType", "AWS_ACCOUNT"},     {"PermissionSetArn", role->second},
                               {"PrincipalType", "USER"},          {"PrincipalId", kSampleUserId}};
    const Json input = {{"Name", name},
                        {"GroupName", aws_.scheduler_group},
                        {"ClientToken", name},
                        {"ScheduleExpression", kProbeExpression},
                        {"ScheduleExpressionTimezone", "UTC"},
                        {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
                        {"State", "DISABLED"},
                        {"ActionAfterCompletion", "DELETE"},
                        {"Description", "jit doctor: proves the group and the execution role; deleted at once"},
                        {"Target", {{"Arn", kDeleteTarget}, {"RoleArn", aws_.scheduler_role_arn}, {"Input", delete_input.dump()}}}};
    auto made = clients_.scheduler->call("CreateSchedule", input);
    if (!made) {
      const AwsError& e = made.error();
      add(Level::fail, "scheduler", failed_text("scheduler CreateSchedule", e),
          not_found(e) ? fmt::format("create the schedule group {} (deploy/ecs-service.yaml), or fix [aws] scheduler_group",
                                     aws_.scheduler_group)
          : denied(e)  ? fmt::format("the task role needs scheduler:CreateSchedule on schedule/{}/jit-* and iam:PassRole "
                                     "on {} for scheduler.amazonaws.com (deploy/iam-task-policy.json)",
                                     aws_.scheduler_group, aws_.scheduler_role_arn)
          : code_of(e) == "ValidationException"
              ? fmt::format("check [aws] scheduler_role_arn: {} must exist and trust scheduler.amazonaws.com "
                            "(deploy/ecs-service.yaml, SchedulerRole)",
                            aws_.scheduler_role_arn)
              : general_fix(e));
      return;
    }
    auto deleted = clients_.scheduler->call("DeleteSchedule", {{"Name", name}, {"GroupName", aws_.scheduler_group}});
    if (!deleted && !not_found(deleted.error())) {
      add(Level::fail, "scheduler", failed_text("scheduler DeleteSchedule", deleted.error()),
          fmt::format("the task role needs scheduler:DeleteSchedule on schedule/{}/jit-*; then delete the disabled "
                      "schedule {}/{} by hand",
                      aws_.scheduler_group, aws_.scheduler_group, name));
      return;
    }
    add(Level::ok, "scheduler",
        fmt::format("group {} takes schedules run as {} (a disabled probe was created and deleted)",
                    aws_.scheduler_group, aws_.scheduler_role_arn));
  }

  void table() {
    const std::string& url_text = config_.settings.store.url;
    auto url = parse_store_url(url_text);
    if (!url || url->kind != StoreUrl::Kind::dynamodb) {
      add(Level::skip, "table", fmt::format("the store is {}, not a DynamoDB table", url_text));
      return;
    }
    const std::string check = "table " + url->name;
    if (!clients_.dynamodb) {
      add(Level::fail, check, "no DynamoDB client", "set AWS_REGION or [aws] region");
      return;
    }
    auto described = clients_.dynamodb->call("DescribeTable", {{"TableName", url->name}});
    if (!described) {
      const AwsError& e = described.error();
      add(Level::fail, check, failed_text("dynamodb DescribeTable", e),
          not_found(e) ? "create it: jit store init --store " + url_text + " (or deploy/dynamodb-table.yaml)"
          : denied(e)  ? "the task role needs dynamodb:DescribeTable on it (deploy/iam-task-policy.json, ReadStore)"
                       : general_fix(e));
      return;
    }
    const Json description = object_member(*described, "Table");
    if (!dynamodb::table_is_active(description)) {
      add(Level::fail, check, fmt::format("the table or one of its indexes is not ACTIVE (table: {})",
                                          text_member(description, "TableStatus")),
          "wait until it is ACTIVE, then run jit doctor again");
      return;
    }
    if (auto shape = dynamodb::check_table_shape(description, url->name); !shape) {
      add(Level::fail, check, shape.error().message);
      return;
    }
    auto ttl = clients_.dynamodb->call("DescribeTimeToLive", {{"TableName", url->name}});
    if (!ttl) {
      const AwsError& e = ttl.error();
      add(Level::fail, check, failed_text("dynamodb DescribeTimeToLive", e),
          denied(e) ? "the task role needs dynamodb:DescribeTimeToLive on it (deploy/iam-task-policy.json, ReadStore)"
                    : general_fix(e));
      return;
    }
    const Json status = object_member(*ttl, "TimeToLiveDescription");
    const std::string state = text_member(status, "TimeToLiveStatus");
    const std::string attribute = text_member(status, "AttributeName");
    const bool on = state == "ENABLED" || state == "ENABLING";
    if (on && attribute == dynamodb::kTtlAttribute) {
      add(Level::ok, check, fmt::format("ACTIVE with this store's key and indexes; TTL {} on `{}`", state, attribute));
    } else if (on) {
      add(Level::fail, check, fmt::format("TTL is on for `{}`, but this store expires items by `{}`", attribute,
                                          dynamodb::kTtlAttribute),
          "disable TTL on the table, wait until it is disabled, then run jit store init --store " + url_text);
    } else {
      add(Level::fail, check,
          fmt::format("TTL is {}: expired live-grant, lock and step-up link items are never cleaned up",
                      state.empty() ? "off" : state),
          "turn it on for `ttl`: jit store init --store " + url_text);
    }
  }

  const Config& config_;
  const AwsSettings& aws_;
  const DoctorClients& clients_;
  const Clock& clock_;
  DoctorReport report_;
};

}  // namespace

const char* level_name(DoctorFinding::Level level) {
  switch (level) {
    case Level::ok: return "ok";
    case Level::skip: return "skip";
    case Level::warn: return "warn";
    case Level::fail: return "FAILED";
  }
  return "?";
}

bool DoctorReport::healthy(bool strict) const {
  return std::none_of(findings.begin(), findings.end(), [&](const DoctorFinding& f) {
    return f.level == Level::fail || (strict && f.level == Level::warn);
  });
}

DoctorReport run_doctor(const Config& config, const DoctorClients& clients, const Clock& clock) {
  return Doctor(config, clients, clock).run();
}

}  // namespace jit
