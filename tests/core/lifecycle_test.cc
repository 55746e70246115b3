#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "core/time.h"

namespace jit {
namespace {

// Written from the diagram in lifecycle.h, independently of the table in lifecycle.cc.
const std::map<std::pair<State, Action>, State>& expected_transitions() {
  static const std::map<std::pair<State, Action>, State> table = {
      {{State::pending, Action::approve_partial}, State::pending},
      {{State::pending, Action::approve}, State::approved},
      {{State::pending, Action::deny}, State::denied},
      {{State::pending, Action::cancel}, State::cancelled},
      {{State::pending, Action::lapse}, State::expired},
      {{State::approved, Action::begin_grant}, State::granting},
      {{State::approved, Action::grant_failed}, State::failed},
      {{State::granting, Action::grant_succeeded}, State::active},
      {{State::granting, Action::grant_failed}, State::failed},
      {{State::granting, Action::reclaim}, State::granting},
      {{State::active, Action::expire}, State::revoking},
      {{State::active, Action::release}, State::revoking},
      {{State::active, Action::admin_revoke}, State::revoking},
      {{State::revoking, Action::reclaim}, State::revoking},
      {{State::revoking, Action::revoke_succeeded}, State::revoked},
  };
  return table;
}

TEST(Lifecycle, EveryStateActionPairIsAllowedOrAConflict) {
  int allowed = 0, refused = 0;
  for (State from : kAllStates) {
    for (Action action : kAllActions) {
      const std::string pair = std::string(state_name(from)) + " + " + std::string(action_name(action));
      auto to = next_state(from, action);
      auto it = expected_transitions().find({from, action});
      if (it != expected_transitions().end()) {
        ASSERT_TRUE(to.has_value()) << pair << ": " << to.error().message;
        EXPECT_EQ(*to, it->second) << pair << " went to " << state_name(*to);
        ++allowed;
      } else {
        ASSERT_FALSE(to.has_value()) << pair << " unexpectedly went to " << state_name(*to);
        EXPECT_EQ(to.error().code, Errc::conflict) << pair;
        EXPECT_NE(to.error().message.find(state_name(from)), std::string::npos) << to.error().message;
        EXPECT_NE(to.error().message.find(action_name(action)), std::string::npos) << to.error().message;
        ++refused;
      }
    }
  }
  EXPECT_EQ(allowed, 15);
  EXPECT_EQ(allowed + refused, 10 * 14);
}

TEST(Lifecycle, ConflictMessageNamesActionAndState) {
  EXPECT_EQ(next_state(State::revoked, Action::approve).error().message,
            "cannot approve a request that is revoked");
}

TEST(Lifecycle, SubmitHasNoSourceState) {
  for (State from : kAllStates) EXPECT_FALSE(next_state(from, Action::submit).has_value()) << state_name(from);
}

TEST(Lifecycle, TerminalStatesAcceptNothing) {
  const std::set<State> terminal = {State::revoked, State::denied, State::cancelled, State::expired, State::failed};
  for (State s : kAllStates) {
    EXPECT_EQ(is_terminal(s), terminal.count(s) == 1) << state_name(s);
    EXPECT_EQ(is_open(s), !is_terminal(s)) << state_name(s);
    if (!is_terminal(s)) continue;
    for (Action a : kAllActions)
      EXPECT_FALSE(next_state(s, a).has_value()) << state_name(s) << " + " << action_name(a);
  }
}

TEST(Lifecycle, OnlyGrantingActiveAndRevokingHoldAccess) {
  for (State s : kAllStates)
    EXPECT_EQ(holds_access(s), s == State::granting || s == State::active || s == State::revoking)
        << state_name(s);
}

TEST(Lifecycle, StateNamesRoundTrip) {
  std::set<std::string_view> names;
  for (State s : kAllStates) {
    names.insert(state_name(s));
    auto back = parse_state(state_name(s));
    ASSERT_TRUE(back.has_value()) << state_name(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(names.size(), std::size(kAllStates));
  EXPECT_EQ(state_name(State::pending), "pending");
  EXPECT_EQ(state_name(State::failed), "failed");
  EXPECT_FALSE(parse_state("").has_value());
  EXPECT_FALSE(parse_state("Pending").has_value());
  EXPECT_FALSE(parse_state("unknown").has_value());
}

TEST(Lifecycle, ActionNamesRoundTrip) {
  std::set<std::string_view> names;
  for (Action a : kAllActions) {
    names.insert(action_name(a));
    auto back = parse_action(action_name(a));
    ASSERT_TRUE(back.has_value()) << action_name(a);
    EXPECT_EQ(*back, a);
  }
  EXPECT_EQ(names.size(), std::size(kAllActions));
  EXPECT_EQ(action_name(Action::admin_revoke), "admin_revoke");
  EXPECT_FALSE(parse_action("approve ").has_value());
}

// ---- src/core/time.h ----

TEST(Time, FormatsUtcWithSecondPrecision) {
  EXPECT_EQ(format_time(from_epoch(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_time(from_epoch(1795993892)), "2026-11-29T23:11:32Z");
  EXPECT_EQ(epoch_seconds(from_epoch(1795993892)), 1795993892);
}

TEST(Time, FormatParseRoundTrip) {
  for (long long s : {0LL, 1LL, 59LL, 86399LL, 86400LL, 951782400LL /* 2000-02-29 */, 1700000000LL,
                      1795993892LL, 4102444799LL /* 2099-12-31T23:59:59Z */}) {
    const std::string text = format_time(from_epoch(s));
    auto back = parse_time(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(epoch_seconds(*back), s) << text;
  }
}

TEST(Time, ParsesDateAloneAsMidnightAndSpaceSeparator) {
  EXPECT_EQ(parse_time("2026-11-24"), parse_time("2026-11-24T00:00:00Z"));
  EXPECT_EQ(parse_time("2026-11-24 23:11:32Z"), parse_time("2026-11-24T23:11:32Z"));
  EXPECT_EQ(format_time(parse_time("2026-11-24T23:11:32Z").value()), "2026-11-24T23:11:32Z");
}

TEST(Time, RejectsMalformedTimes) {
  for (const char* text : {"", "2026", "2026-11", "2026-13-01", "2026-02-30", "2025-02-29", "2026-11-24T",
                           "2026-11-24T23:11:32", "2026-11-24T24:00:00Z", "2026-11-24T23:60:00Z",
                           "2026-11-24T23:11:60Z", "2026-11-24T23:11:32+01:00", "2026/11/24", "26-11-24",
                           "2026-11-24T-1:00:00Z", "2026-11-24T00:-1:00Z", "2026-11-24T00:00:-1Z",
                           "-026-11-24", "+026-11-24", "2026-+1-24", "2026-11-2x", " 2026-11-24"})
    EXPECT_FALSE(parse_time(text).has_value()) << '"' << text << '"';
}

}  // namespace
}  // namespace jit
