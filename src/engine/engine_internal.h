// Pieces shared by the engine's source files (not part of its interface).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/model.h"
#include "core/policy.h"
#include "ports/access_provider.h"
#include "engine/engine.h"

namespace jit::engine_internal {

inline constexpr int kMaxSteps = 8;  // state steps one call may take before giving up

inline void clear_lease(AccessRequest& r) {
  r.lease_owner.clear();
  r.lease_until.reset();
}

// The facts (audit/facts.h) of the event of `action` moving `r`, computed after the move (so
// end events carry ended_at); "" for decisions, whose counts only their caller knows, and for
// lease moves.
std::string facts_of(Action action, const AccessRequest& r);

// A cut-off that cuts no session (those issued before 1970): what a grant's statement becomes when
// another grant's own statement covers the sessions it armed for (an extension took the assignment
// over, issue 17), or when an extension that failed shares the assignment with the grant it
// extended. Pruned by the next arming or pruning of the permission set.
inline SessionCutoff inert_cutoff(const std::string& grant_id, const Assignment& a, TimePoint now) {
  return {grant_id, a, now, from_epoch(0)};
}

// A new pending request for `checked` (policy's account and role), as submit and extend store it.
inline AccessRequest pending_request(const CheckedRequest& checked, const std::string& requester,
                                     const std::string& reason, const std::string& ticket, TimePoint now,
                                     const std::string& email, const std::string& principal) {
  return {.requester = requester,
          .account = checked.account->name,
          .account_id = checked.account->id,
          .role = checked.role->name,
          .permission_set_arn = checked.role->permission_set_arn,
          .duration = checked.duration,
          .reason = reason,
          .ticket = ticket,
          .created_at = now,
          .updated_at = now,
          .state = State::pending,
          .requester_email = email,
          .principal = principal,
          .chat_channel = owner_channel_of(*checked.account, *checked.role)};
}

// The request `requester` already has open for this account and role, if any: one open request
// or grant per (requester, account, role). `except`: a request not to count (the grant an
// extension extends, which it may sit beside).
Result<std::optional<AccessRequest>> open_request_of(Store& store, const std::string& requester,
                                                     const std::string& account, const std::string& role,
                                                     const std::string& except = "");
// The refusal of a second open request for the role `r` (open) is for.
Error duplicate_of(const AccessRequest& r);

// Why a decision on `r` is no longer possible, in words for the person who clicked.
std::string already_decided(const AccessRequest& r);

}  // namespace jit::engine_internal

namespace jit {

// RAII guard for Engine::claim_local: marks a request as being worked on by a thread of this
// engine, waiting up to `wait` for another thread of ours to finish with it.
class Engine::LocalClaim {
 public:
  LocalClaim(Engine& e, std::string id, std::chrono::milliseconds wait = std::chrono::milliseconds(0))
      : engine_(e), id_(std::move(id)), held_(e.claim_local(id_, wait)) {}
  ~LocalClaim() {
    if (held_) engine_.release_local(id_);
  }
  LocalClaim(const LocalClaim&) = delete;
  LocalClaim& operator=(const LocalClaim&) = delete;
  explicit operator bool() const { return held_; }

 private:
  Engine& engine_;
  std::string id_;
  bool held_;
};

}  // namespace jit
