#include "audit/chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jit::audit {
namespace {

using ::testing::HasSubstr;

class ChainTest : public ::testing::Test {
 protected:
  ChainTest() {
    AuditHead head{0, kGenesisHash};
    const TimePoint t0 = *parse_time("2026-11-24T10:00:00Z");
    const char* actions[] = {"submit", "approve", "begin_grant", "grant_succeeded", "expire", "revoke_succeeded"};
    for (int i = 0; i < 6; ++i) {
      AuditEvent e{.at = t0 + Seconds{i}, .actor = i == 1 ? "U0ALICE" : "system:engine", .action = actions[i],
                   .request_id = "r1", .from_state = "a", .to_state = "b", .detail = "step " + std::to_string(i)};
      seal(e, head, Keyring::unkeyed());
      head = {e.seq, e.hash};
      events.push_back(e);
    }
    this->head = head;
  }

  VerifyReport check() { return verify(events, head, Keyring::unkeyed()); }

  std::vector<AuditEvent> events;
  AuditHead head;
};

TEST_F(ChainTest, IntactTrailVerifies) {
  auto r = check();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.checked, 6);
  EXPECT_EQ(r.head.seq, 6);
  EXPECT_EQ(events[0].prev_hash, kGenesisHash);
  EXPECT_EQ(events[3].prev_hash, events[2].hash);
}

TEST_F(ChainTest, EmptyTrailVerifies) {
  EXPECT_TRUE(verify({}, {0, kGenesisHash}, Keyring::unkeyed()).ok);
  EXPECT_TRUE(verify({}, {0, ""}, Keyring::unkeyed()).ok);
}

TEST_F(ChainTest, EveryFieldIsCovered) {
  const auto base = events[2];
  std::vector<std::function<void(AuditEvent&)>> edits = {
      [](AuditEvent& e) { e.at += Seconds{1}; },     [](AuditEvent& e) { e.actor = "U0MALLORY"; },
      [](AuditEvent& e) { e.action = "deny"; },      [](AuditEvent& e) { e.request_id = "r2"; },
      [](AuditEvent& e) { e.from_state = "x"; },     [](AuditEvent& e) { e.to_state = "x"; },
      [](AuditEvent& e) { e.detail += "!"; }};
  for (const auto& edit : edits) {
    AuditEvent changed = base;
    edit(changed);
    EXPECT_NE(compute_hash(changed, Keyring::unkeyed()).value(), base.hash);
  }
}

TEST_F(ChainTest, ModifiedEventIsNamed) {
  events[3].detail = "step 3, but nicer";
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4);
  EXPECT_THAT(r.problem, HasSubstr("event 4 was modified"));
}

TEST_F(ChainTest, ModifiedAndRehashedEventBreaksTheNextLink) {
  events[3].actor = "U0MALLORY";
  events[3].hash = compute_hash(events[3], Keyring::unkeyed()).value();
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5);
  EXPECT_THAT(r.problem, HasSubstr("does not follow event 4"));
}

TEST_F(ChainTest, DeletedEventIsNamed) {
  events.erase(events.begin() + 2);
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4);
  EXPECT_THAT(r.problem, HasSubstr("event 3 is missing"));
}

TEST_F(ChainTest, DeletedLastEventIsCaughtByTheHead) {
  events.pop_back();
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 6);
  EXPECT_THAT(r.problem, HasSubstr("missing"));
}

TEST_F(ChainTest, InsertedEventIsNamed) {
  AuditEvent forged = events[2];
  forged.detail = "forged";
  forged.hash = compute_hash(forged, Keyring::unkeyed()).value();
  events.insert(events.begin() + 3, forged);
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3);
  EXPECT_THAT(r.problem, HasSubstr("out of order or duplicated"));
}

TEST_F(ChainTest, InsertedEventWithRenumberingIsNamed) {
  // A forger who renumbers everything after the insertion still cannot forge the links.
  AuditEvent forged{.at = events[2].at, .actor = "U0MALLORY", .action = "approve", .request_id = "r9"};
  seal(forged, {events[2].seq, events[2].hash}, Keyring::unkeyed());
  events.insert(events.begin() + 3, forged);
  for (std::size_t i = 4; i < events.size(); ++i) events[i].seq += 1;
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5);
}

TEST_F(ChainTest, ReorderedEventsAreNamed) {
  std::swap(events[1], events[2]);
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3);
}

TEST_F(ChainTest, ReorderedWithSwappedSeqsIsNamed) {
  std::swap(events[1], events[2]);
  std::swap(events[1].seq, events[2].seq);
  auto r = check();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 2);
  EXPECT_THAT(r.problem, HasSubstr("does not follow"));
}

}  // namespace
}  // namespace jit::audit
