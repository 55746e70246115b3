#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "core/model.h"
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
      {{State::active, Action::hand_over}, State::revoked},
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
  EXPECT_EQ(allowed, 16);
  EXPECT_EQ(allowed + refused, 10 * 15);
}

// Issue 17: an extension takes the assignment over from an active grant only; the old grant ends
// at once (nothing is revoked in AWS, so there is no revoking step to resume).
TEST(Lifecycle, OnlyAnActiveGrantIsHandedOverAndItEndsThere) {
  for (State from : kAllStates) {
    auto to = next_state(from, Action::hand_over);
    EXPECT_EQ(to.has_value(), from == State::active) << state_name(from);
  }
  EXPECT_EQ(next_state(State::active, Action::hand_over).value(), State::revoked);
  EXPECT_TRUE(is_terminal(State::revoked));
  EXPECT_EQ(parse_action("hand_over"), Action::hand_over);
}

// ---- src/core/model.h: the open slots (issue 17) ----

TEST(OpenSlot, AnExtensionWaitsInItsOwnSlotUntilItIsActive) {
  for (State s : kAllStates) {
    EXPECT_EQ(open_slot_of(s, ""), OpenSlot::main) << state_name(s);
    const bool waits = s == State::pending || s == State::approved || s == State::granting;
    EXPECT_EQ(open_slot_of(s, "r-old"), waits ? OpenSlot::extension : OpenSlot::main) << state_name(s);
  }
}

TEST(OpenSlot, AnExtensionEntersOnlyBesideTheGrantItExtends) {
  AccessRequest ext{.id = "r-new", .requester = "U1", .account = "prod", .role = "admin"};
  ext.extends = "r-old";
  const OpenRow grant{"r-old", State::active, ""};
  EXPECT_FALSE(open_slot_conflict(ext, true, {grant}));
  const auto none = open_slot_conflict(ext, true, {});
  ASSERT_TRUE(none);
  EXPECT_NE(none->find("extends r-old, which is not U1's open grant"), std::string::npos) << *none;
  EXPECT_TRUE(open_slot_conflict(ext, true, {OpenRow{"r-other", State::active, ""}}));
  // Once in, it stays while the grant ends (it is then an ordinary request).
  EXPECT_FALSE(open_slot_conflict(ext, false, {}));
  // One extension at a time.
  EXPECT_TRUE(open_slot_conflict(ext, false, {grant, OpenRow{"r-ext2", State::pending, "r-old"}}));
}

TEST(OpenSlot, NothingEntersTheMainSlotWhileAnExtensionWaits) {
  AccessRequest fresh{.id = "r-fresh", .requester = "U1", .account = "prod", .role = "admin"};
  const OpenRow waiting{"r-new", State::granting, "r-old"};
  const auto conflict = open_slot_conflict(fresh, true, {waiting});
  ASSERT_TRUE(conflict);
  EXPECT_NE(conflict->find("r-new"), std::string::npos) << *conflict;
  EXPECT_TRUE(open_slot_conflict(fresh, true, {OpenRow{"r-old", State::active, ""}}));
  // The extension itself moving to the main slot, once the grant it extended has ended.
  AccessRequest promoted{.id = "r-new", .requester = "U1", .account = "prod", .role = "admin", .state = State::active};
  promoted.extends = "r-old";
  EXPECT_FALSE(open_slot_conflict(promoted, true, {}));
  EXPECT_TRUE(open_slot_conflict(promoted, true, {OpenRow{"r-old", State::active, ""}}));
  // A request that ended takes no slot.
  fresh.state = State::denied;
  EXPECT_FALSE(open_slot_conflict(fresh, true, {waiting}));
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
