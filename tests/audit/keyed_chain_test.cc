// The keyed chain (audit/chain.h): MACs under the current key, rotation, the downgrade rule, and
// trails sealed before keys existed (canonical form v1) verifying unchanged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "audit/chain.h"

namespace jit::audit {
namespace {

using ::testing::HasSubstr;

const TimePoint kT0 = *parse_time("2026-11-24T10:00:00Z");

Keyring keys(const std::string& spec) { return Keyring::parse_env(spec, "test").value(); }
const std::string kSecret1(64, '1'), kSecret2(64, '2');
const Keyring kK1 = keys("k1:" + kSecret1);
const Keyring kK2 = keys("k2:" + kSecret2);
const Keyring kBoth = keys("k2:" + kSecret2 + ",k1:" + kSecret1);

// A trail of `count` events appended to `events`, each sealed with `ring`.
void append(std::vector<AuditEvent>& events, int count, const Keyring& ring) {
  for (int i = 0; i < count; ++i) {
    const AuditHead head = events.empty() ? AuditHead{0, kGenesisHash} : AuditHead{events.back().seq, events.back().hash};
    AuditEvent e{.at = kT0 + Seconds{static_cast<int>(events.size())}, .actor = "U0ALICE", .action = "tick",
                 .request_id = "r1", .detail = "event", .facts = R"({"n":1})"};
    seal(e, head, ring);
    events.push_back(e);
  }
}

AuditHead head_of(const std::vector<AuditEvent>& events) { return {events.back().seq, events.back().hash}; }

// Checks that `trail` fails verification with `keys` at event `seq`, saying `problem`.
void expect_broken_at(const std::vector<AuditEvent>& trail, const Keyring& keys, std::int64_t seq,
                      const std::string& problem) {
  const auto report = verify(trail, head_of(trail), keys);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seq);
  EXPECT_THAT(report.problem, HasSubstr(problem));
}

TEST(KeyedChain, SealedWithTheCurrentKeyVerifiesWithItOnly) {
  std::vector<AuditEvent> events;
  append(events, 4, kK1);
  for (const auto& e : events) EXPECT_EQ(e.key_id, "k1");
  const auto report = verify(events, head_of(events), kK1);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.key_ids, std::vector<std::string>{"k1"});
  EXPECT_EQ(report.unkeyed, 0);

  const auto unkeyed = verify(events, head_of(events), Keyring::unkeyed());
  EXPECT_FALSE(unkeyed.ok);
  EXPECT_EQ(unkeyed.first_bad_seq, 1);
  EXPECT_THAT(unkeyed.problem, HasSubstr("sealed by key k1, which this keyring lacks (no key is configured)"));
  const auto wrong = verify(events, head_of(events), kK2);
  EXPECT_FALSE(wrong.ok);
  EXPECT_THAT(wrong.problem, HasSubstr("which this keyring lacks (it holds k2)"));
  auto check = check_event(events[0], kK2);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, Errc::invalid);
}

TEST(KeyedChain, EveryFieldFactsAndKeyIdIncludedIsCovered) {
  std::vector<AuditEvent> events;
  append(events, 1, kBoth);
  const AuditEvent base = events[0];
  std::vector<std::function<void(AuditEvent&)>> edits = {
      [](AuditEvent& e) { e.at += Seconds{1}; },    [](AuditEvent& e) { e.actor = "U0MALLORY"; },
      [](AuditEvent& e) { e.action = "deny"; },     [](AuditEvent& e) { e.request_id = "r2"; },
      [](AuditEvent& e) { e.from_state = "x"; },    [](AuditEvent& e) { e.to_state = "x"; },
      [](AuditEvent& e) { e.detail += "!"; },       [](AuditEvent& e) { e.facts = R"({"n":2})"; },
      [](AuditEvent& e) { e.key_id = "k1"; },       [](AuditEvent& e) { e.prev_hash[0] = 'f'; },
      [](AuditEvent& e) { e.seq = 2; }};
  for (std::size_t i = 0; i < edits.size(); ++i) {
    AuditEvent changed = base;
    edits[i](changed);
    auto checked = check_event(changed, kBoth);
    ASSERT_FALSE(checked) << "edit " << i;
    EXPECT_THAT(checked.error().message, HasSubstr("was modified")) << "edit " << i;
  }
  // Unkeyed (SHA-256), facts are covered too.
  AuditEvent plain = base;
  plain.key_id = "";
  plain.hash = compute_hash(plain, Keyring::unkeyed()).value();
  AuditEvent edited = plain;
  edited.facts = R"({"n":2})";
  EXPECT_FALSE(check_event(edited, Keyring::unkeyed()));
}

TEST(KeyedChain, RotationVerifiesWithBothKeysAndFailsWithoutTheOldOne) {
  std::vector<AuditEvent> events;
  append(events, 3, kK1);
  append(events, 2, kBoth);  // after the rotation: k2 seals, k1 is kept
  EXPECT_EQ(events[2].key_id, "k1");
  EXPECT_EQ(events[3].key_id, "k2");
  const auto both = verify(events, head_of(events), kBoth);
  EXPECT_TRUE(both.ok) << both.problem;
  EXPECT_EQ(both.key_ids, (std::vector<std::string>{"k1", "k2"}));

  expect_broken_at(events, kK2, 1, "sealed by key k1, which this keyring lacks");
}

// The full rewrite of issue 13, done by someone without the key: edit event 3 and reseal it and
// every later event with the unkeyed compute (SHA-256), head included.
std::vector<AuditEvent> rewritten_from(std::vector<AuditEvent> events, std::size_t first) {
  events[first].detail = "forged";
  for (std::size_t i = first; i < events.size(); ++i) {
    AuditEvent& e = events[i];
    const AuditHead before = i == 0 ? AuditHead{0, kGenesisHash} : AuditHead{events[i - 1].seq, events[i - 1].hash};
    seal(e, before, Keyring::unkeyed());
  }
  return events;
}

TEST(KeyedChain, UnkeyedEventAfterAKeyedOneIsADowngrade) {
  std::vector<AuditEvent> events;
  append(events, 5, kK1);
  const auto forged = rewritten_from(events, 2);
  expect_broken_at(forged, kK1, 3, "event 3 is not keyed but follows keyed event 2");
  // The operator's explicit flag lifts the rule (and the rewrite then passes: it is only for a
  // service that really ran without its key).
  EXPECT_TRUE(verify(forged, head_of(forged), kK1, {.allow_unkeyed = true}).ok);
}

TEST(KeyedChain, AWholeTrailRewrittenUnkeyedIsCaughtWhenAKeyIsConfigured) {
  std::vector<AuditEvent> events;
  append(events, 4, kK1);
  const auto forged = rewritten_from(events, 0);
  expect_broken_at(forged, kK1, 1, "events 1 to 4 are not keyed although a key is configured");
  // Without a key (the "before"), the same rewrite verifies.
  EXPECT_TRUE(verify(forged, head_of(forged), Keyring::unkeyed()).ok);
}

TEST(KeyedChain, AnUnkeyedStartFollowedByKeyedEventsVerifies) {
  std::vector<AuditEvent> events;
  append(events, 3, Keyring::unkeyed());
  append(events, 2, kK1);
  const auto report = verify(events, head_of(events), kK1);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.unkeyed, 3);
  // Rewriting the unkeyed start breaks the first keyed event, whose MAC covers its prev_hash.
  auto forged = events;
  forged[1].detail = "forged";
  forged[1].hash = compute_hash(forged[1], Keyring::unkeyed()).value();
  forged[2].prev_hash = forged[1].hash;
  forged[2].hash = compute_hash(forged[2], Keyring::unkeyed()).value();
  forged[3].prev_hash = forged[2].hash;
  expect_broken_at(forged, kK1, 4, "event 4 was modified");
}

// Two events as the code before keys and facts sealed them (jit-audit-v1; SHA-256 over the
// length-prefixed fields), with the hashes that code produced: they must verify unchanged.
TEST(KeyedChain, ATrailSealedByTheV1FormStillVerifies) {
  std::vector<AuditEvent> v1 = {
      {.seq = 1, .at = kT0, .actor = "U0ALICE", .action = "submit", .request_id = "r1", .to_state = "pending",
       .detail = "because", .prev_hash = kGenesisHash,
       .hash = "94a26c82312f39b06e0ca5d6f7bb89b1126e6d6dc67fc6211b4e1a1a71051c91"},
      {.seq = 2, .at = kT0 + Seconds{60}, .actor = "U0BOB", .action = "approve", .request_id = "r1",
       .from_state = "pending", .to_state = "approved", .detail = "ok",
       .prev_hash = "94a26c82312f39b06e0ca5d6f7bb89b1126e6d6dc67fc6211b4e1a1a71051c91",
       .hash = "55889ad66c38bd627d9db135ee6676cb370b6d46765b85d72fc8d4cabd7180d3"},
  };
  const auto plain = verify(v1, head_of(v1), Keyring::unkeyed());
  EXPECT_TRUE(plain.ok) << plain.problem;
  EXPECT_EQ(plain.unkeyed, 2);
  // The same trail continued by a keyed service verifies with the key.
  append(v1, 1, kK1);
  const auto continued = verify(v1, head_of(v1), kK1);
  EXPECT_TRUE(continued.ok) << continued.problem;
  // Facts on an unkeyed event select the v2 form: the v1 hash no longer matches.
  AuditEvent with_facts = v1[0];
  with_facts.facts = "{}";
  EXPECT_FALSE(check_event(with_facts, Keyring::unkeyed()));
}

}  // namespace
}  // namespace jit::audit
