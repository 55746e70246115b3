#include "audit/anchors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/chain.h"

namespace jit::audit {
namespace {

using ::testing::HasSubstr;

class AnchorsTest : public ::testing::Test {
 protected:
  AnchorsTest() {
    for (int i = 0; i < 5; ++i) {
      AuditEvent e{.at = from_epoch(1'800'000'000 + i), .actor = "system:engine", .action = "step",
                   .request_id = "r1", .detail = std::to_string(i)};
      seal(e, head, Keyring::unkeyed());
      head = {e.seq, e.hash};
      events.push_back(e);
    }
  }
  Anchor at(std::int64_t seq) { return {seq, events[seq - 1].hash, "cp" + std::to_string(seq)}; }

  std::vector<AuditEvent> events;
  AuditHead head{0, kGenesisHash};
};

TEST_F(AnchorsTest, TrailHoldingEveryAnchorPasses) {
  EXPECT_TRUE(check_anchors(events, head, {at(1), at(3), at(5)}).empty());
  EXPECT_TRUE(check_anchors(events, head, {}).empty());
}

TEST_F(AnchorsTest, TruncatedTrailWithTheHeadMovedFails) {
  const Anchor latest = at(5);
  events.resize(3);
  head = {3, events.back().hash};
  ASSERT_TRUE(verify(events, head, Keyring::unkeyed()).ok);  // the chain alone sees nothing
  auto problems = check_anchors(events, head, {at(2), latest});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].anchor.source, "cp5");
  EXPECT_THAT(problems[0].problem, HasSubstr("event 5 is not in the trail, which ends at event 3"));
}

TEST_F(AnchorsTest, RewrittenTrailFails) {
  const Anchor anchor = at(4);
  events[1].detail = "rewritten";
  AuditHead rebuilt{1, events[0].hash};
  for (std::size_t i = 1; i < events.size(); ++i) {
    seal(events[i], rebuilt, Keyring::unkeyed());
    rebuilt = {events[i].seq, events[i].hash};
  }
  ASSERT_TRUE(verify(events, rebuilt, Keyring::unkeyed()).ok);
  auto problems = check_anchors(events, rebuilt, {at(1), anchor});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].problem, HasSubstr("event 4 has hash " + events[3].hash + ", not " + anchor.hash));
}

TEST_F(AnchorsTest, HeadBeforeTheAnchorFails) {
  auto problems = check_anchors(events, {2, events[1].hash}, {at(4)});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].problem, HasSubstr("recorded head is event 2"));
}

TEST_F(AnchorsTest, ParsesSeqColonHash) {
  auto a = parse_anchor("12:" + events[0].hash);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->seq, 12);
  EXPECT_EQ(a->hash, events[0].hash);
  auto k = parse_anchor("3:k1:abc");  // the head is opaque text, colons included
  ASSERT_TRUE(k);
  EXPECT_EQ(k->hash, "k1:abc");
  for (std::string bad : {"", "12", "12:", ":abc", "x:abc", "0:abc", "-1:abc", "1:a b"}) {
    auto p = parse_anchor(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_THAT(p.error().message, HasSubstr("expected SEQ:HASH"));
  }
}

}  // namespace
}  // namespace jit::audit
