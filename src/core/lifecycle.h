// The one state machine of an access request, from submission to revocation.
//
//  pending ──approve×N──▶ approved ──▶ granting ──▶ active ──expire/release/revoke──▶ revoking ──▶ revoked
//     │ └─deny──▶ denied      └─▶ failed    └─▶ failed      └──hand_over (an extension took the assignment)──▶ revoked
//     ├─cancel──▶ cancelled
//     └─lapse (approval window passed)──▶ expired
//
// Every state change anywhere in the program goes through next_state(); a pair that is not in the
// table is an error value, never silently ignored.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"

namespace jit {

enum class State { pending, approved, granting, active, revoking, revoked, denied, cancelled, expired, failed };

enum class Action {
  submit,           // (new) -> pending
  approve_partial,  // pending -> pending: one more approval recorded, more are needed
  approve,          // pending -> approved: the last approval needed
  deny,             // pending -> denied
  cancel,           // pending -> cancelled: the requester withdraws
  lapse,            // pending -> expired: nobody decided within the approval window
  begin_grant,      // approved -> granting: intent written before the provider is called
  grant_succeeded,  // granting -> active
  grant_failed,     // granting -> failed (rolled back), approved -> failed (no principal)
  expire,           // active -> revoking: expires_at reached
  release,          // active -> revoking: the requester ends the grant early
  admin_revoke,     // active -> revoking: an admin ends the grant
  reclaim,          // granting -> granting, revoking -> revoking: take over a dead owner's lease
  revoke_succeeded, // revoking -> revoked
  hand_over,        // active -> revoked: an approved extension (AccessRequest::extends) took the grant's
                    // assignment over; nothing is revoked in AWS (issue 17)
};

inline constexpr State kAllStates[] = {State::pending,  State::approved, State::granting, State::active,
                                       State::revoking, State::revoked,  State::denied,   State::cancelled,
                                       State::expired,  State::failed};
inline constexpr Action kAllActions[] = {
    Action::submit,      Action::approve_partial, Action::approve, Action::deny,         Action::cancel,
    Action::lapse,       Action::begin_grant,     Action::grant_succeeded, Action::grant_failed,
    Action::expire,      Action::release,         Action::admin_revoke,    Action::reclaim,
    Action::revoke_succeeded, Action::hand_over};

std::string_view state_name(State s);
std::optional<State> parse_state(std::string_view name);
std::string_view action_name(Action a);
std::optional<Action> parse_action(std::string_view name);

// The state a request in `from` moves to on `action`, or Errc::conflict naming both when the
// pair is not an allowed transition. `submit` has no source state and is not accepted here.
Result<State> next_state(State from, Action action);

// A terminal state never changes again.
bool is_terminal(State s);
// Open states count against "one open request or active grant per (requester, account, role)".
inline bool is_open(State s) { return !is_terminal(s); }
// States in which an assignment may exist in the provider (or is about to): a grant being made,
// active, or being revoked.
inline constexpr State kHoldingAccessStates[] = {State::granting, State::active, State::revoking};
bool holds_access(State s);
// States an engine has work left in (intent written, action not finished): the sweeper resumes them.
inline constexpr State kInFlightStates[] = {State::approved, State::granting, State::revoking};
bool is_in_flight(State s);

}  // namespace jit
