// Unit tests for the SigV4 signer: what the official suite (sigv4_suite_test.cc) does not cover.
#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/digest.h"

namespace jit::aws {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "FQoGZXIvYXdzEXAMPLEsessionTOKENvalue0123456789abcdef";

Credentials long_term() { return {"AKIDEXAMPLE", kSecret, ""}; }
Credentials with_token(std::string token = kToken) { return {"AKIDEXAMPLE", kSecret, token}; }

SigningParams params(std::string service = "service") {
  SigningParams p;
  p.region = "us-east-1";
  p.service = std::move(service);
  p.time = *parse_time("2015-08-30T12:36:00Z");
  return p;
}

HttpRequest get(std::string target = "/") {
  return {"GET", std::move(target), {{"Host", "example.amazonaws.com"}}, ""};
}

std::string header(const HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers)
    if (n == name) return v;
  return "(absent)";
}

int count_header(const HttpRequest& request, std::string_view name) {
  int n = 0;
  for (const auto& header : request.headers) n += header.first == name;
  return n;
}

std::string canonical_uri(std::string target, bool normalize) {
  auto p = params();
  p.normalize_path = normalize;
  auto canonical = canonical_request(get(std::move(target)), p);
  EXPECT_TRUE(canonical) << canonical.error().message;
  const auto& text = canonical->text;
  auto first = text.find('\n') + 1;
  return text.substr(first, text.find('\n', first) - first);
}

std::string canonical_query(std::string target) {
  auto canonical = canonical_request(get(std::move(target)), params());
  EXPECT_TRUE(canonical) << canonical.error().message;
  const auto& text = canonical->text;
  auto first = text.find('\n', text.find('\n') + 1) + 1;
  return text.substr(first, text.find('\n', first) - first);
}

// The derivation example from AWS's documentation ("Examples of how to derive a signing key").
TEST(Sigv4, SigningKeyMatchesAwsDocumentation) {
  SigningParams p = params("iam");
  p.time = *parse_time("2012-02-15T00:00:00Z");
  EXPECT_EQ(crypto::hex(signing_key(kSecret, p)),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sigv4, DatesAndScope) {
  EXPECT_EQ(amz_date(params().time), "20150830T123600Z");
  EXPECT_EQ(credential_scope(params()), "20150830/us-east-1/service/aws4_request");
}

TEST(Sigv4, SessionTokenIsSentAndSigned) {
  HttpRequest plain = get(), token1 = get(), token2 = get();
  auto r0 = sign_headers(plain, long_term(), params());
  auto r1 = sign_headers(token1, with_token(), params());
  auto r2 = sign_headers(token2, with_token(std::string(kToken) + "2"), params());
  ASSERT_TRUE(r0 && r1 && r2);

  EXPECT_EQ(header(plain, "X-Amz-Security-Token"), "(absent)");
  EXPECT_EQ(header(token1, "X-Amz-Security-Token"), kToken);
  EXPECT_NE(
      header(token1, "Authorization").find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
      std::string::npos)
      << header(token1, "Authorization");
  EXPECT_NE(r1->canonical_request.find(std::string("x-amz-security-token:") + kToken),
            std::string::npos);
  // The token is part of what is signed: changing it changes the signature.
  EXPECT_NE(r0->signature, r1->signature);
  EXPECT_NE(r1->signature, r2->signature);
}

TEST(Sigv4, PresignedUrlCarriesTheToken) {
  HttpRequest request = get();
  auto result = presign_query(request, with_token(), params(), Seconds{900});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_NE(
      request.target.find(std::string("&X-Amz-Security-Token=") + kToken + "&X-Amz-Signature="),
      std::string::npos)
      << request.target;
  EXPECT_NE(request.target.find("X-Amz-Expires=900"), std::string::npos);
  EXPECT_EQ(request.headers.size(), 1u);  // headers are left alone
}

// Signed with botocore 1.43.11's SigV4Auth at the same time and with the same keys; awscli signs
// the same four headers (DESIGN.md).
TEST(Sigv4, DynamoDbJsonPostMatchesBotocore) {
  HttpRequest request{
      "POST",
      "/",
      {{"Host", "dynamodb.us-east-1.amazonaws.com"},
       {"Content-Type", "application/x-amz-json-1.0"},
       {"X-Amz-Target", "DynamoDB_20120810.PutItem"}},
      R"({"TableName":"jit_requests","Item":{"pk":{"S":"req#1"},"status":{"S":"pending"}}})"};
  SigningParams p = params("dynamodb");
  p.time = *parse_time("2026-11-24T23:11:32Z");
  auto result = sign_headers(request, long_term(), p);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->signature, "e71e7075f2c13907a20fdb66d6e8a8e95e5169c82fab89b8c6d4f0d8c113e044");
  EXPECT_EQ(header(request, "X-Amz-Date"), "20261124T231132Z");
  EXPECT_EQ(header(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=e71e7075f2c13907a20fdb66d6e8a8e95e5169c82fab89b8c6d4f0d8c113e044");
}

TEST(Sigv4, ResigningReplacesTheEarlierSignature) {
  HttpRequest request = get();
  SigningParams p = params();
  ASSERT_TRUE(sign_headers(request, with_token(), p));
  p.time += Seconds{60};
  auto again = sign_headers(request, with_token(), p);
  ASSERT_TRUE(again);
  for (auto name : {"Authorization", "X-Amz-Date", "X-Amz-Security-Token"})
    EXPECT_EQ(count_header(request, name), 1) << name;
  EXPECT_EQ(header(request, "X-Amz-Date"), "20150830T123700Z");

  HttpRequest fresh = get();
  EXPECT_EQ(sign_headers(fresh, with_token(), p)->signature, again->signature);
}

TEST(Sigv4, SignBodyAddsContentHash) {
  HttpRequest request{"POST", "/", {{"Host", "example.amazonaws.com"}}, "Param1=value1"};
  SigningParams p = params();
  p.sign_body = true;
  ASSERT_TRUE(sign_headers(request, long_term(), p));
  EXPECT_EQ(header(request, "X-Amz-Content-Sha256"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

TEST(Sigv4, PathNormalisation) {
  EXPECT_EQ(canonical_uri("//a//./b/../c//", true), "/a/c/");
  EXPECT_EQ(canonical_uri("/a/b/..", true), "/a/");  // RFC 3986: a final ".." leaves a slash
  EXPECT_EQ(canonical_uri("/../..", true), "/");
  EXPECT_EQ(canonical_uri("/a/./b", true), "/a/b");
}

TEST(Sigv4, PathNormalisationOffKeepsThePathAsIs) {
  EXPECT_EQ(canonical_uri("//", false), "//");
  EXPECT_EQ(canonical_uri("//a//./b/../c//", false), "//a//./b/../c//");
}

TEST(Sigv4, PathSegmentsAreEncodedOnceMore) {
  // The target is wire form, so an encoded space is encoded again (AWS's rule for all but S3).
  EXPECT_EQ(canonical_uri("/a b/c%20d/=", true), "/a%20b/c%2520d/%3D");
}

TEST(Sigv4, CanonicalQuery) {
  EXPECT_EQ(canonical_query("/?b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(canonical_query("/?empty=&flag&x=1"), "empty=&flag=&x=1");  // empty values kept
  EXPECT_EQ(canonical_query("/?k=a b%2Fc+d"), "k=a%20b%2Fc%2Bd");       // decoded, then encoded
  EXPECT_EQ(canonical_query("/?a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(canonical_query("/?"), "");
  // Byte order of the encoded keys: 'B' (0x42) < '_' (0x5F) < 'b' (0x62).
  EXPECT_EQ(canonical_query("/?b=1&B=2&_=3"), "B=2&_=3&b=1");
}

TEST(Sigv4, HeaderValuesAreTrimmedAndJoined) {
  HttpRequest request{"GET",
                      "/",
                      {{"Host", "example.amazonaws.com"},
                       {"My-Header", "  a \t  b  "},
                       {"my-header", "c"},
                       {"User-Agent", "not signed"}},
                      ""};
  auto canonical = canonical_request(request, params());
  ASSERT_TRUE(canonical);
  EXPECT_NE(canonical->text.find("\nmy-header:a b,c\n"), std::string::npos) << canonical->text;
  EXPECT_EQ(canonical->signed_headers, "host;my-header");
}

TEST(Sigv4, HostIsRequired) {
  HttpRequest request{"GET", "/", {{"X-Other", "1"}}, ""};
  auto result = sign_headers(request, long_term(), params());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid);
  EXPECT_NE(result.error().message.find("Host"), std::string::npos);
  EXPECT_EQ(request.headers.size(), 1u);  // unchanged on error
  EXPECT_FALSE(presign_query(request, long_term(), params(), Seconds{60}));
}

TEST(Sigv4, SecretsNeverAppearInErrors) {
  const std::string secret = "SECRETsecretSECRETsecret";
  const std::string token = "TOKENtokenTOKENtoken";
  auto check = [&](const Result<SigningResult>& result, const char* what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().message.find(secret), std::string::npos) << what;
    EXPECT_EQ(result.error().message.find(token), std::string::npos) << what;
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos) << what;
    EXPECT_EQ(result.error().message.find("TOKEN"), std::string::npos) << what;
  };
  const Credentials good{"AKIDEXAMPLE", secret, token};

  HttpRequest no_host{"GET", "/", {}, ""};
  check(sign_headers(no_host, good, params()), "no host");
  HttpRequest request = get();
  SigningParams bad_region = params();
  bad_region.region = "";
  check(sign_headers(request, good, bad_region), "empty region");
  check(presign_query(request, good, params(), Seconds{0}), "zero expiry");
  check(presign_query(request, good, params(), kMaxPresignExpiry + Seconds{1}), "long expiry");
  check(sign_headers(request, {"", secret, token}, params()), "empty key id");
  check(sign_headers(request, {"AKID", "", token}, params()), "empty secret");
  check(sign_headers(request, {"AKID", secret, token + "\r\nX-Evil: 1"}, params()), "token CRLF");
  HttpRequest bad_value = get();
  bad_value.headers.emplace_back("X-Amz-Security-Token", token + "\n");
  check(presign_query(bad_value, good, params(), Seconds{60}), "header value CRLF");
  HttpRequest bad_target = get("relative");
  check(sign_headers(bad_target, good, params()), "relative target");

  // A successful signing exposes the token (it is sent) but never the secret.
  HttpRequest ok = get();
  auto result = sign_headers(ok, good, params());
  ASSERT_TRUE(result);
  for (const auto& text : {result->canonical_request, result->string_to_sign, result->signature})
    EXPECT_EQ(text.find(secret), std::string::npos);
  for (const auto& [name, value] : ok.headers)
    EXPECT_EQ(value.find(secret), std::string::npos) << name;
}

}  // namespace
}  // namespace jit::aws
