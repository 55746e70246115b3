// IdentityCenterProvider's scheduled revoke (issue 14): one EventBridge Scheduler schedule per
// grant that deletes its assignment at expiry, even with every instance of the service down.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aws/identity_center.h"
#include "aws/identity_center_internal.h"

namespace jit::aws {
namespace {

using json = nlohmann::json;
using detail::logged;
using detail::string_member;

// Scheduler's universal target for sso-admin DeleteAccountAssignment.
constexpr char kDeleteTarget[] = "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";

// `text` with only the characters `keep` allows.
template <typename Keep>
std::string only(std::string_view text, Keep keep) {
  std::string out;
  std::copy_if(text.begin(), text.end(), std::back_inserter(out), [&](unsigned char c) { return keep(c); });
  return out;
}

// "2026-12-03T15:16:29": Scheduler's at() takes no zone suffix (the zone is ScheduleExpressionTimezone).
std::string at_expression(TimePoint at) {
  std::string time = format_time(at);
  if (time.ends_with('Z')) time.pop_back();
  return fmt::format("at({})", time);
}

// The Input the target gets, as an object (it travels as JSON text).
json target_input(const json& schedule) {
  if (!schedule.contains("Target")) return nullptr;
  const json parsed = json::parse(string_member(schedule["Target"], "Input"), nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

}  // namespace

std::string IdentityCenterProvider::schedule_name(const std::string& grant_id) {
  return "jit-" + only(grant_id, [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

json IdentityCenterProvider::schedule_request(const std::string& grant_id, const Assignment& a, TimePoint at) const {
  const json delete_input = {{"InstanceArn", config_.instance_arn}, {"TargetId", a.account_id},
                             {"TargetType", "AWS_ACCOUNT"},          {"PermissionSetArn", a.permission_set_arn},
                             {"PrincipalType", "USER"},              {"PrincipalId", a.principal}};
  const auto& s = config_.schedule;
  return {{"Name", schedule_name(grant_id)},
          {"GroupName", s.group},
          {"ClientToken", only(grant_id, [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; })},
          {"ScheduleExpression", at_expression(at)},
          {"ScheduleExpressionTimezone", "UTC"},
          {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
          {"ActionAfterCompletion", "DELETE"},
          {"State", "ENABLED"},
          {"Description", fmt::format("JIT Access grant {} expiry", grant_id)},
          {"Target",
           {{"Arn", kDeleteTarget},
            {"RoleArn", s.role_arn},
            {"Input", delete_input.dump()},
            {"RetryPolicy",
             {{"MaximumEventAgeInSeconds", s.max_event_age_seconds}, {"MaximumRetryAttempts", s.max_retry_attempts}}}}}};
}

Result<> IdentityCenterProvider::schedule_revoke(const std::string& grant_id, const Assignment& a, TimePoint at) {
  if (scheduler_ == nullptr)
    return fail(logged(Error::Invalid("scheduled revokes need EventBridge Scheduler, and none is configured")));
  if (config_.schedule.role_arn.empty())
    return fail(logged(Error::Invalid("scheduled revokes need the scheduler's execution role ([aws] scheduler_role_arn)")));
  const json request = schedule_request(grant_id, a, at);
  auto created = scheduler_->call("CreateSchedule", request);
  if (created) {
    spdlog::info("event=revoke_scheduled grant={} schedule={}/{} at={}", grant_id, config_.schedule.group,
                 request["Name"].get<std::string>(), format_time(at));
    return {};
  }
  if (created.error().code != "ConflictException")
    return fail(logged(error_from_aws("scheduler CreateSchedule", created.error())));
  // The name exists: a retry after a crash (AWS answers a repeated ClientToken itself, moto does
  // not), or another schedule. Success only when it is the same one.
  auto existing = scheduler_->call("GetSchedule", {{"Name", request["Name"]}, {"GroupName", request["GroupName"]}});
  if (!existing) return fail(logged(error_from_aws("scheduler GetSchedule", existing.error())));
  const bool same = string_member(*existing, "ScheduleExpression") == request["ScheduleExpression"] &&
                    existing->contains("Target") && string_member((*existing)["Target"], "Arn") == kDeleteTarget &&
                    target_input(*existing) == target_input(request);
  if (same) return {};
  return fail(logged(Error::Invalid(fmt::format(
      "scheduler CreateSchedule: schedule {}/{} already exists with another time or target ({} {}); cancel it first",
      config_.schedule.group, request["Name"].get<std::string>(), string_member(*existing, "ScheduleExpression"),
      existing->contains("Target") ? string_member((*existing)["Target"], "Arn") : "no target"))));
}

Result<> IdentityCenterProvider::cancel_scheduled_revoke(const std::string& grant_id) {
  if (scheduler_ == nullptr) return {};
  auto deleted = scheduler_->call("DeleteSchedule", {{"Name", schedule_name(grant_id)}, {"GroupName", config_.schedule.group}});
  if (!deleted && deleted.error().code != "ResourceNotFoundException" && deleted.error().http_status != 404)
    return fail(logged(error_from_aws("scheduler DeleteSchedule", deleted.error())));
  return {};
}

}  // namespace jit::aws
