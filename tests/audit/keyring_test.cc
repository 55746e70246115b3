// audit::Keyring: the key file and JIT_AUDIT_KEY forms, and that no error carries a secret.
#include "audit/keyring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jit::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `openssl rand -base64 32` and `openssl rand -hex 32` outputs.
const std::string kBase64 = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
const std::string kHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kShort = "c2hvcnQgc2VjcmV0";  // "short secret": 12 bytes

TEST(Keyring, FileFirstKeySealsOthersVerify) {
  auto ring = Keyring::parse_file("# audit keys\n\nk2 " + kBase64 + "\n  k1 " + kHex + "  \n", "keys.txt");
  ASSERT_TRUE(ring) << ring.error().message;
  EXPECT_TRUE(ring->keyed());
  EXPECT_EQ(ring->current_id(), "k2");
  EXPECT_EQ(ring->ids(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_NE(ring->mac_hex("k1", "x"), ring->mac_hex("k2", "x"));
}

TEST(Keyring, KeyMarkedCurrentSeals) {
  auto ring = Keyring::parse_file("k1 " + kHex + "\nk2 " + kBase64 + " current\n", "keys.txt");
  ASSERT_TRUE(ring) << ring.error().message;
  EXPECT_EQ(ring->current_id(), "k2");
}

TEST(Keyring, HexAndBase64OfTheSameBytesAreTheSameKey) {
  auto from_hex = Keyring::parse_env("k:" + std::string(64, 'a'), "JIT_AUDIT_KEY");
  auto from_base64 = Keyring::parse_env("k:qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=", "JIT_AUDIT_KEY");
  ASSERT_TRUE(from_hex && from_base64);
  EXPECT_EQ(from_hex->mac_hex("k", "data"), from_base64->mac_hex("k", "data"));
}

// Every bad line is named by file and line, and its content (above all the secret) is not echoed.
TEST(Keyring, BadLinesAreNamedByFileAndLineWithoutTheSecret) {
  struct Case {
    std::string text, where, says;
  };
  const Case cases[] = {
      {"k1 " + kBase64 + "\nk2 " + kShort + "\n", "keys.txt:2", "has 12 bytes, fewer than 32"},
      {"# c\n" + kBase64 + "\n", "keys.txt:2", "expected `<key-id> <secret>`"},
      {"k1 " + kBase64 + " extra\n", "keys.txt:1", "expected `<key-id> <secret>`"},
      {"k1 " + kBase64 + "!\n", "keys.txt:1", "neither hex nor base64"},
      {"k/1 " + kBase64 + "\n", "keys.txt:1", "key id must be"},
      {"k1 " + kBase64 + "\nk1 " + kHex + "\n", "keys.txt:2", "key id k1 appears twice"},
      {"k1 " + kBase64 + " current\nk2 " + kHex + " current\n", "keys.txt:2", "marked current, but so is key k1"},
      {"# nothing\n\n", "keys.txt", "no key"},
  };
  for (const auto& c : cases) {
    auto ring = Keyring::parse_file(c.text, "keys.txt");
    ASSERT_FALSE(ring) << c.text;
    EXPECT_EQ(ring.error().code, Errc::invalid);
    EXPECT_THAT(ring.error().message, HasSubstr(c.where + ":")) << c.where;
    EXPECT_THAT(ring.error().message, HasSubstr(c.says));
    for (const auto& secret : {kBase64, kHex, kShort})
      EXPECT_THAT(ring.error().message, Not(HasSubstr(secret.substr(0, 12)))) << c.where;
  }
}

TEST(Keyring, EnvFormHoldsOneOrMoreKeysFirstCurrent) {
  auto one = Keyring::parse_env("prod-2026:" + kBase64, "JIT_AUDIT_KEY");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->current_id(), "prod-2026");
  auto two = Keyring::parse_env("k2:" + kHex + ",\n k1:" + kBase64 + "\n", "JIT_AUDIT_KEY");
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(two->current_id(), "k2");
  EXPECT_EQ(two->ids(), (std::vector<std::string>{"k1", "k2"}));
}

TEST(Keyring, BadEnvEntriesAreNamedWithoutTheSecret) {
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {kBase64, "JIT_AUDIT_KEY (key 1): expected <key-id>:<secret>"},
           {"k1:" + kHex + ",k2:" + kShort, "JIT_AUDIT_KEY (key 2): the secret of key k2 has 12 bytes"},
           {" , ", "JIT_AUDIT_KEY: is set but holds no key"}}) {
    auto ring = Keyring::parse_env(text, "JIT_AUDIT_KEY");
    ASSERT_FALSE(ring) << says;
    EXPECT_THAT(ring.error().message, HasSubstr(says));
    for (const auto& secret : {kBase64, kHex, kShort})
      EXPECT_THAT(ring.error().message, Not(HasSubstr(secret.substr(0, 12))));
  }
}

TEST(Keyring, MergingKeepsTheFirstCurrentAndRefusesOneIdWithTwoSecrets) {
  auto env = Keyring::parse_env("k2:" + kHex, "JIT_AUDIT_KEY").value();
  auto file = Keyring::parse_file("k1 " + kBase64 + "\nk2 " + kHex + "\n", "keys.txt").value();
  auto merged = env.merged_with(file);
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->current_id(), "k2");
  EXPECT_EQ(merged->ids(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(Keyring::unkeyed().merged_with(file).value().current_id(), "k1");

  auto clash = Keyring::parse_env("k1:" + kHex, "JIT_AUDIT_KEY").value().merged_with(file);
  ASSERT_FALSE(clash);
  EXPECT_THAT(clash.error().message, HasSubstr("key k1 is given twice with two different secrets"));
}

TEST(Keyring, UnkeyedHasNoKey) {
  EXPECT_FALSE(Keyring::unkeyed().keyed());
  EXPECT_EQ(Keyring::unkeyed().current_id(), "");
  EXPECT_TRUE(Keyring::unkeyed().ids().empty());
}

}  // namespace
}  // namespace jit::audit
