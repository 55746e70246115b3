#include "core/lifecycle.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include <array>

namespace jit {

namespace {

struct Transition {
  State from;
  Action action;
  State to;
};

// The whole machine. Nothing else in the program decides which transitions exist.
constexpr std::array kTransitions = {
    Transition{State::pending, Action::approve_partial, State::pending},
    Transition{State::pending, Action::approve, State::approved},
    Transition{State::pending, Action::deny, State::denied},
    Transition{State::pending, Action::cancel, State::cancelled},
    Transition{State::pending, Action::lapse, State::expired},
    Transition{State::approved, Action::begin_grant, State::granting},
    Transition{State::approved, Action::grant_failed, State::failed},
    Transition{State::granting, Action::grant_succeeded, State::active},
    Transition{State::granting, Action::grant_failed, State::failed},
    Transition{State::granting, Action::reclaim, State::granting},
    Transition{State::active, Action::expire, State::revoking},
    Transition{State::active, Action::release, State::revoking},
    Transition{State::active, Action::admin_revoke, State::revoking},
    Transition{State::revoking, Action::reclaim, State::revoking},
    Transition{State::revoking, Action::revoke_succeeded, State::revoked},
    Transition{State::active, Action::hand_over, State::revoked},
};

constexpr std::array<std::string_view, 10> kStateNames = {"pending", "approved", "granting", "active",
                                                          "revoking", "revoked", "denied", "cancelled",
                                                          "expired", "failed"};
constexpr std::array<std::string_view, 15> kActionNames = {
    "submit",          "approve_partial", "approve", "deny",   "cancel",  "lapse",   "begin_grant",
    "grant_succeeded", "grant_failed",    "expire",  "release", "admin_revoke", "reclaim", "revoke_succeeded",
    "hand_over"};

}  // namespace

std::string_view state_name(State s) { return kStateNames[static_cast<size_t>(s)]; }

std::optional<State> parse_state(std::string_view name) {
  for (size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == name) return static_cast<State>(i);
  return std::nullopt;
}

std::string_view action_name(Action a) { return kActionNames[static_cast<size_t>(a)]; }

std::optional<Action> parse_action(std::string_view name) {
  for (size_t i = 0; i < kActionNames.size(); ++i)
    if (kActionNames[i] == name) return static_cast<Action>(i);
  return std::nullopt;
}

Result<State> next_state(State from, Action action) {
  for (const auto& t : kTransitions)
    if (t.from == from && t.action == action) return t.to;
  return fail(Error::Conflict(
      fmt::format("cannot {} a request that is {}", action_name(action), state_name(from))));
}

bool is_terminal(State s) {
  switch (s) {
    case State::revoked:
    case State::denied:
    case State::cancelled:
    case State::expired:
    case State::failed: return true;
    default: return false;
  }
}

bool holds_access(State s) { return std::ranges::find(kHoldingAccessStates, s) != std::end(kHoldingAccessStates); }

bool is_in_flight(State s) { return std::ranges::find(kInFlightStates, s) != std::end(kInFlightStates); }

}  // namespace jit
