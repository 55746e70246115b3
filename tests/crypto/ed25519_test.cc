#include "crypto/ed25519.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/digest.h"

namespace jit::crypto {
namespace {

using ::testing::HasSubstr;

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// RFC 8032 section 7.1, TEST 1 (the empty message).
constexpr std::string_view kSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kSignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
    "655141438e7a100b";
// The same key as `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write it.
constexpr std::string_view kPrivatePem =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
constexpr std::string_view kPublicPem =
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";

TEST(Ed25519, Rfc8032Test1) {
  auto key = Ed25519PrivateKey::from_raw(unhex(kSeed));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->public_key().raw()), kPublic);
  auto signature = key->sign("");
  ASSERT_TRUE(signature);
  EXPECT_EQ(hex(*signature), kSignature);
  EXPECT_TRUE(key->public_key().verify("", *signature));
  EXPECT_FALSE(key->public_key().verify("x", *signature));
  std::string flipped = *signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(key->public_key().verify("", flipped));
  EXPECT_FALSE(key->public_key().verify("", signature->substr(1)));
}

TEST(Ed25519, PemKeysAsOpensslWritesThem) {
  auto key = Ed25519PrivateKey::from_pem(kPrivatePem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->public_key().raw()), kPublic);
  EXPECT_EQ(key->public_key().pem(), kPublicPem);
  auto pub = Ed25519PublicKey::from_pem("# key id, ignored\n" + std::string(kPublicPem));
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->key_id(), key->public_key().key_id());
  EXPECT_EQ(pub->key_id(), hex(sha256(unhex(kPublic)).substr(0, 8)));
  EXPECT_TRUE(pub->verify("", unhex(kSignature)));
}

TEST(Ed25519, GeneratedKeysReadBackAndDiffer) {
  auto a = Ed25519PrivateKey::generate_pem();
  auto b = Ed25519PrivateKey::generate_pem();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->starts_with("-----BEGIN PRIVATE KEY-----"));
  auto key = Ed25519PrivateKey::from_pem(*a);
  ASSERT_TRUE(key) << key.error().message;
  auto other = Ed25519PrivateKey::from_pem(*b);
  ASSERT_TRUE(other);
  EXPECT_NE(key->public_key().raw(), other->public_key().raw());
  auto sig = key->sign("checkpoint");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->public_key().verify("checkpoint", *sig));
}

TEST(Ed25519, RefusesWhatIsNotAnEd25519Key) {
  for (std::string_view bad : {std::string_view(""), std::string_view("hello"), kPublicPem}) {
    auto key = Ed25519PrivateKey::from_pem(bad);
    ASSERT_FALSE(key);
    EXPECT_THAT(key.error().message, HasSubstr("openssl genpkey -algorithm ed25519"));
  }
  EXPECT_FALSE(Ed25519PublicKey::from_pem(kPrivatePem.substr(0, 40)));
  EXPECT_FALSE(Ed25519PublicKey::from_raw("short"));
  EXPECT_FALSE(Ed25519PrivateKey::from_raw("short"));
}

TEST(Base64Url, RoundTripsAndRefusesOtherAlphabets) {
  for (std::string bytes : {std::string(""), std::string("f"), std::string("fo"), std::string("foo"),
                            std::string("\xff\xfe\x00\x01", 4), unhex(kSignature)}) {
    const std::string text = base64url(bytes);
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << text;
    EXPECT_EQ(from_base64url(text), bytes);
  }
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url(unhex(kSignature)).size(), 86u);
  EXPECT_FALSE(from_base64url("ab+c"));
  EXPECT_FALSE(from_base64url("abcde"));  // 5 characters cannot end a byte string
  EXPECT_FALSE(from_base64url("Zh"));     // "f" is "Zg": the leftover bits must be zero
}

}  // namespace
}  // namespace jit::crypto
