#include "app/dry_run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace jit {

Result<std::string> DryRunProvider::resolve_principal(const std::string& email, const std::string&) { return "dry-run:" + email; }

Result<> DryRunProvider::grant(const Assignment& a, const GrantTerms&) {
  spdlog::info("event=dry_run_grant principal={} account={} permission_set={} detail=\"nothing granted in AWS\"",
               a.principal, a.account_id, a.permission_set_arn);
  return {};
}

Result<> DryRunProvider::revoke(const Assignment& a) {
  spdlog::info("event=dry_run_revoke principal={} account={} permission_set={} detail=\"nothing revoked in AWS\"",
               a.principal, a.account_id, a.permission_set_arn);
  return {};
}

Result<std::vector<Assignment>> DryRunProvider::list(const std::string&, const std::string&) {
  return std::vector<Assignment>{};
}

Result<CutoffArmed> DryRunProvider::arm_cutoff(const SessionCutoff& c) {
  spdlog::info("event=dry_run_arm_cutoff request={} principal={} account={} permission_set={} cut_at={} "
               "detail=\"no session cut-off armed in AWS\"",
               c.grant_id, c.assignment.principal, c.assignment.account_id, c.assignment.permission_set_arn,
               format_time(c.cut_at));
  return CutoffArmed{};
}

Result<> DryRunProvider::schedule_revoke(const std::string& grant_id, const Assignment& a, TimePoint at) {
  spdlog::info("event=dry_run_schedule_revoke request={} principal={} account={} at={} detail=\"no schedule "
               "created in AWS\"",
               grant_id, a.principal, a.account_id, format_time(at));
  return {};
}

Result<MessageRef> LogOnlyChat::post_request(const AccessRequest& r) {
  spdlog::info("event=chat_skipped what=post request={} detail=\"--no-slack\"", r.id);
  return fail(Error::Unavailable("no Slack (--no-slack): the request is not posted"));
}

Result<> LogOnlyChat::update_request(const AccessRequest& r, const AuditEvent& e) {
  spdlog::info("event=chat_skipped what=update request={} action={} detail=\"--no-slack\"", r.id, e.action);
  return {};
}

Result<> LogOnlyChat::post_escalation(const AccessRequest& r, const std::string& channel,
                                      const std::vector<std::string>&) {
  spdlog::info("event=chat_skipped what=escalation request={} channel={} detail=\"--no-slack\"", r.id, channel);
  return {};
}

Result<> LogOnlyChat::notify_requester(const AccessRequest& r, Notice) {
  spdlog::info("event=chat_skipped what=notify request={} requester={} detail=\"--no-slack\"", r.id, r.requester);
  return {};
}

Result<> LogOnlyChat::alert(const std::string& text) {
  spdlog::warn("event=ops_alert detail=\"{}\"", text);
  return {};
}

namespace {
Error no_slack(const std::string& user_id) {
  return Error::Unavailable(fmt::format("cannot look up {}: this instance runs without Slack (--no-slack)", user_id));
}
}  // namespace

Result<std::vector<std::string>> NoDirectory::groups_of(const std::string& user_id) { return fail(no_slack(user_id)); }
Result<UserProfile> NoDirectory::user(const std::string& user_id) { return fail(no_slack(user_id)); }
Result<std::string> NoDirectory::own_team() { return fail(no_slack("the workspace")); }

}  // namespace jit
