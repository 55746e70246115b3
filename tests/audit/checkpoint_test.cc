#include "audit/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/digest.h"

namespace jit::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

crypto::Ed25519PrivateKey test_key(char fill = 7) {
  return *crypto::Ed25519PrivateKey::from_raw(std::string(32, fill));
}

class CheckpointTest : public ::testing::Test {
 protected:
  CheckpointTest() {
    auto made = make_checkpoint({123, crypto::sha256_hex("event 123")}, *parse_time("2026-12-03T12:00:00Z"), key);
    EXPECT_TRUE(made) << made.error().message;
    checkpoint = *made;
  }
  crypto::Ed25519PrivateKey key = test_key();
  Checkpoint checkpoint;
};

TEST_F(CheckpointTest, LineRoundTrips) {
  const std::string line = to_line(checkpoint);
  EXPECT_THAT(line, StartsWith("jit-checkpoint v1 seq=123 head=" + checkpoint.head +
                               " at=2026-12-03T12:00:00Z key=" + key.public_key().key_id() + " sig="));
  auto scan = scan_checkpoints(line);
  ASSERT_EQ(scan.found.size(), 1u);
  EXPECT_EQ(scan.found[0], checkpoint);
  EXPECT_FALSE(scan.truncated);
  EXPECT_TRUE(signature_valid(scan.found[0], key.public_key()));
}

TEST_F(CheckpointTest, FoundInNoisyText) {
  const std::string line = to_line(checkpoint);
  const std::string fields = fields_text(checkpoint);
  auto other = make_checkpoint({124, "k1:" + crypto::sha256_hex("x")}, checkpoint.at + Seconds{60}, key);
  ASSERT_TRUE(other);
  const std::string text =
      // A Slack export: the message text in a JSON string, the line in backticks after a newline escape.
      R"([{"type":"message","text":":rotating_light: Audit checkpoint: the trail is at event 123.\n`)" + line +
      R"(`","ts":"1764763200.000100"}],)" "\n"
      // A CloudWatch export of the JSON log line, and the same checkpoint again (kept once).
      R"({"timestamp":1764763200000,"message":"{\"level\":\"info\",\"msg\":\"event=audit_checkpoint )" + fields +
      R"(\"}"})" "\n"
      // Text logs: a marker with fields missing, out of order, a cut signature, then a good one.
      "2026-12-03 [info] event=audit_checkpoint seq=5 head=abc\n"
      "jit-checkpoint v1 head=abc seq=5 at=2026-12-03T12:00:00Z key=0011223344556677 sig=" + std::string(86, 'A') +
      "\n" + line.substr(0, line.size() - 3) + "\n" + "jit-checkpoint v1\tjit-checkpoint v1 " +
      fields_text(*other) + "\ttrailing words\n";
  auto scan = scan_checkpoints(text);
  ASSERT_EQ(scan.found.size(), 2u);
  EXPECT_EQ(scan.found[0], checkpoint);
  EXPECT_EQ(scan.found[1], *other);
  EXPECT_EQ(scan.found[1].head, "k1:" + crypto::sha256_hex("x"));
  for (const auto& c : scan.found) EXPECT_TRUE(signature_valid(c, key.public_key()));
}

TEST_F(CheckpointTest, EveryTamperedFieldFailsTheSignature) {
  std::vector<std::function<void(Checkpoint&)>> edits = {
      [](Checkpoint& c) { c.seq += 1; },
      [](Checkpoint& c) { c.head[0] = c.head[0] == 'a' ? 'b' : 'a'; },
      [](Checkpoint& c) { c.at += Seconds{1}; },
      [](Checkpoint& c) { c.signature[5] ^= 1; },
  };
  for (const auto& edit : edits) {
    Checkpoint changed = checkpoint;
    edit(changed);
    // Through the text form, as an attacker editing a log would.
    auto scan = scan_checkpoints(to_line(changed));
    ASSERT_EQ(scan.found.size(), 1u);
    EXPECT_FALSE(signature_valid(scan.found[0], key.public_key())) << to_line(changed);
  }
  // Another key, even one claiming the right key id, does not verify.
  const auto other = test_key(8);
  EXPECT_FALSE(signature_valid(checkpoint, other.public_key()));
  auto forged = make_checkpoint({123, checkpoint.head}, checkpoint.at, other);
  ASSERT_TRUE(forged);
  forged->key_id = checkpoint.key_id;
  EXPECT_FALSE(signature_valid(*forged, key.public_key()));
}

TEST_F(CheckpointTest, RefusesHeadsThatCannotBeWrittenOnOneLine) {
  EXPECT_FALSE(make_checkpoint({0, "abc"}, checkpoint.at, key));
  for (std::string head : {std::string(""), std::string("ab cd"), std::string("ab=cd"), std::string("a`b"), std::string("ab/cd"),
                           std::string(kMaxHeadLength + 1, 'a')}) {
    auto made = make_checkpoint({1, head}, checkpoint.at, key);
    ASSERT_FALSE(made) << head;
    EXPECT_THAT(made.error().message, HasSubstr("event 1"));
  }
  EXPECT_TRUE(make_checkpoint({1, std::string(kMaxHeadLength, 'a')}, checkpoint.at, key));
}

TEST_F(CheckpointTest, ScanIsBounded) {
  // A checkpoint past the scan limit is not read, and the result says the text was cut.
  std::string text(kMaxScanBytes - 10, 'x');
  text += to_line(checkpoint);
  auto scan = scan_checkpoints(text);
  EXPECT_TRUE(scan.found.empty());
  EXPECT_TRUE(scan.truncated);
  // Values longer than their field allows are not cut short into something else.
  auto long_seq = scan_checkpoints("jit-checkpoint v1 seq=" + std::string(19, '1') + " head=a at=2026-12-03T12:00:00Z "
                                   "key=0011223344556677 sig=" + std::string(86, 'A'));
  EXPECT_TRUE(long_seq.found.empty());
  EXPECT_TRUE(scan_checkpoints(to_line(checkpoint) + "A").found.empty());  // an 87-character signature
  // Many markers and nothing else: read once, found nothing, quickly.
  std::string markers;
  for (int i = 0; i < 200'000; ++i) markers += i % 2 ? "event=audit_checkpoint seq=1 " : "jit-checkpoint v1 seq=";
  EXPECT_TRUE(scan_checkpoints(markers).found.empty());
}

}  // namespace
}  // namespace jit::audit
