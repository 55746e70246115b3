// The stand-ins `jit serve` uses when it is told to do without the real thing, each named for what
// it is and said out loud in the log:
//   DryRunProvider (--dry-run): grants nothing in AWS; the engine then marks every audit event and
//     Slack message "dry run".
//   LogOnlyChat, NoDirectory (--no-slack): nothing is sent to Slack (each message is logged), and
//     nobody can be looked up, so only the timers, sweeper and reconciler run.
// They are product modes, not test doubles: none of them pretends that something happened.
#pragma once

#include "ports/access_provider.h"
#include "ports/chat.h"

namespace jit {

class DryRunProvider final : public AccessProvider {
 public:
  // "dry-run:<e-mail>": no identity store is asked.
  Result<std::string> resolve_principal(const std::string& email, const std::string& target_arn) override;
  // Log that nothing was done, and succeed.
  Result<> grant(const Assignment& assignment, const GrantTerms& terms) override;
  Result<> revoke(const Assignment& assignment) override;
  // Nothing is assigned in a dry run: an empty list (so the reconciler removes nothing).
  Result<std::vector<Assignment>> list(const std::string& account_id, const std::string& permission_set_arn) override;
  // Log that nothing was armed or scheduled, and succeed (so a role with session_cutoff or
  // scheduled_revoke goes through the same steps as for real).
  Result<CutoffArmed> arm_cutoff(const SessionCutoff& cutoff) override;
  Result<> schedule_revoke(const std::string& grant_id, const Assignment& assignment, TimePoint at) override;
};

class LogOnlyChat final : public Chat {
 public:
  Result<MessageRef> post_request(const AccessRequest& request) override;
  Result<> update_request(const AccessRequest& request, const AuditEvent& event) override;
  Result<> post_escalation(const AccessRequest& request, const std::string& channel,
                           const std::vector<std::string>& approvers) override;
  Result<> notify_requester(const AccessRequest& request, Notice notice) override;
  Result<> alert(const std::string& text) override;
};

class NoDirectory final : public Directory {
 public:
  // Errc::unavailable: without Slack nobody can be looked up.
  Result<std::vector<std::string>> groups_of(const std::string& user_id) override;
  Result<UserProfile> user(const std::string& user_id) override;
  Result<std::string> own_team() override;
};

}  // namespace jit
