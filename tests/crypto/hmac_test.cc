// HMAC-SHA256 against RFC 4231's test vectors, the constant-time comparison, and the decoders of
// key text (base64, hex).
#include <gtest/gtest.h>

#include "crypto/digest.h"
#include "crypto/encoding.h"

namespace jit::crypto {
namespace {

struct Vector {
  const char* name;
  std::string key, data, mac;
};

TEST(Hmac, Rfc4231Vectors) {
  const std::string aa131(131, '\xaa');
  const Vector vectors[] = {
      {"case 1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"case 2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"case 3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"case 6", aa131, "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"case 7", aa131,
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& v : vectors) EXPECT_EQ(hmac_sha256_hex(v.key, v.data), v.mac) << v.name;
}

TEST(Hmac, ConstantTimeEqualityComparesContentAndLength) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  EXPECT_FALSE(equal_constant_time("abcd", "abc"));
}

TEST(Encoding, Base64DecodesWithAndWithoutPadding) {
  EXPECT_EQ(from_base64("aGVsbG8="), "hello");
  EXPECT_EQ(from_base64("aGVsbA=="), "hell");
  EXPECT_EQ(from_base64("aGVs"), "hel");
  EXPECT_EQ(from_base64("AAEC/w=="), std::string("\x00\x01\x02\xff", 4));
  for (const char* bad : {"", "aGVsbG8", "aGV=bG8=", "aGVsbG8*", "a===", "aGVsbG=8"})
    EXPECT_FALSE(from_base64(bad)) << bad;
}

TEST(Encoding, HexDecodesEitherCase) {
  EXPECT_EQ(from_hex("00ffA0"), std::string("\x00\xff\xa0", 3));
  for (const char* bad : {"", "0", "0g", "abc"}) EXPECT_FALSE(from_hex(bad)) << bad;
}

}  // namespace
}  // namespace jit::crypto
