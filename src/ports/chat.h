// How people are told and asked: Slack in production, fakes in tests.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/model.h"

namespace jit {

struct MessageRef {
  std::string channel;
  std::string ts;
};

// What the requester is told in a direct message.
enum class Notice { submitted, approved, denied, active, expiring_soon, revoked, failed, cancelled, expired };

// Chat failures never undo a state change: the engine logs them and carries on. Methods may block
// and are thread-safe. Every fact shown comes from the request passed in (re-read from the store).
class Chat {
 public:
  virtual ~Chat() = default;

  // Posts a new request to `request.chat_channel` (its account's owner channel), with Approve
  // and Deny. Returns where it was posted.
  virtual Result<MessageRef> post_request(const AccessRequest& request) = 0;

  // Re-renders the owner-channel message of a request after a change (outcome instead of
  // buttons) and adds the event to its thread. No-op when it was never posted.
  virtual Result<> update_request(const AccessRequest& request, const AuditEvent& event) = 0;

  // Direct message to the requester.
  virtual Result<> notify_requester(const AccessRequest& request, Notice notice) = 0;

  // A message to the operators (the ops channel), e.g. a revoke that keeps failing.
  virtual Result<> alert(const std::string& text) = 0;
};

// Who people are: user groups for policy, e-mail for the provider's principal.
class Directory {
 public:
  virtual ~Directory() = default;
  virtual Result<std::vector<std::string>> groups_of(const std::string& user_id) = 0;
  virtual Result<std::string> email_of(const std::string& user_id) = 0;
};

}  // namespace jit
