// How people are told and asked: Slack in production, fakes in tests.
#pragma once

#include <string>
#include <vector>

#include "core/bundle.h"
#include "core/error.h"
#include "core/model.h"
#include "core/user_standing.h"

namespace jit {

struct MessageRef {
  std::string channel;
  std::string ts;
  std::string permalink;  // a link people can open to the message; "" when chat gave none
};

// What the requester is told in a direct message.
enum class Notice { submitted, approved, denied, active, expiring_soon, revoked, failed, cancelled, expired };

// Chat failures never undo a state change: the engine logs them and carries on. Methods may block
// and are thread-safe. Every fact shown comes from the request passed in (re-read from the store).
class Chat {
 public:
  virtual ~Chat() = default;

  // Posts a new request to `request.chat_channel` (its account's owner channel), with Approve
  // and Deny. Returns where it was posted, with the message's permalink when chat gives one
  // (failing to get the permalink never fails the post: it is then "").
  virtual Result<MessageRef> post_request(const AccessRequest& request) = 0;

  // Re-renders the owner-channel message of a request after a change (outcome instead of
  // buttons) and adds the event to its thread. No-op when it was never posted.
  virtual Result<> update_request(const AccessRequest& request, const AuditEvent& event) = 0;

  // Nobody answered (issue 17): tells `channel` (the escalation channel) that the request waits for
  // a decision, mentioning `approvers` (user ids and user-group ids, who may now decide on it) and
  // linking its owner-channel message, where they decide. No-op when it was never posted.
  virtual Result<> post_escalation(const AccessRequest& request, const std::string& channel,
                                   const std::vector<std::string>& approvers) = 0;

  // Direct message to the requester.
  virtual Result<> notify_requester(const AccessRequest& request, Notice notice) = 0;

  // Several accounts in one request (issue 17): one direct message to `requester` listing the
  // bundle, each filed request (account, role, id, where it was posted, its state) and each account
  // not filed with why. The engine sends it instead of each request's `submitted` notice; every
  // later notice is the request's own. The default, for a chat that cannot list a bundle: each
  // filed request's `submitted` notice (the first failure is returned).
  virtual Result<> notify_bundle(const std::string& requester, const BundleOutcome& outcome) {
    (void)requester;
    Result<> first;
    for (const auto& r : outcome.filed)
      if (auto sent = notify_requester(r, Notice::submitted); !sent && first) first = sent;
    return first;
  }

  // A message to the operators (the ops channel), e.g. a revoke that keeps failing.
  virtual Result<> alert(const std::string& text) = 0;
};

// Who people are: user groups for policy; the profile (e-mail for the provider's principal, and
// the flags that say whether the account may be given access at all). Methods may block and are
// thread-safe; Errc::unavailable is transient.
class Directory {
 public:
  virtual ~Directory() = default;
  // The user groups the policy names that `user_id` belongs to. A group the directory no longer
  // knows counts as empty.
  virtual Result<std::vector<std::string>> groups_of(const std::string& user_id) = 0;
  // The user as the directory shows them now (not cached: a decision about access reads it fresh).
  // Errc::not_found for an unknown user.
  virtual Result<UserProfile> user(const std::string& user_id) = 0;
  // The team (workspace) the app is installed in: users of other teams are not given access.
  virtual Result<std::string> own_team() = 0;
};

}  // namespace jit
