// The plain HTTP values: Endpoint, HttpResponse::header, backoff_delay, proxy settings.
#include "net/http.h"

#include <gtest/gtest.h>

#include <map>

#include "net/https_client.h"

namespace jit::net {
namespace {

TEST(Endpoint, ParsesHttpsWithDefaults) {
  auto e = Endpoint::parse("https://dynamodb.us-east-1.amazonaws.com");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->scheme, "https");
  EXPECT_EQ(e->host, "dynamodb.us-east-1.amazonaws.com");
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->base_path, "");
  EXPECT_EQ(e->host_header(), "dynamodb.us-east-1.amazonaws.com");
  EXPECT_EQ(e->to_string(), "https://dynamodb.us-east-1.amazonaws.com");
  EXPECT_FALSE(e->is_loopback());
}

TEST(Endpoint, ParsesPortPathAndCase) {
  auto e = Endpoint::parse("HTTPS://Slack.COM:8443/api/");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->host, "slack.com");
  EXPECT_EQ(e->port, 8443);
  EXPECT_EQ(e->base_path, "/api");
  EXPECT_EQ(e->host_header(), "slack.com:8443");
  EXPECT_EQ(e->to_string(), "https://slack.com:8443/api");
}

TEST(Endpoint, PlainHttpOnlyForLoopback) {
  for (const char* url : {"http://127.0.0.1:4566", "http://localhost:8000/", "http://[::1]:9000/x", "http://127.8.9.10"}) {
    auto e = Endpoint::parse(url);
    ASSERT_TRUE(e) << url << ": " << e.error().message;
    EXPECT_TRUE(e->is_loopback()) << url;
  }
  auto e = Endpoint::parse("http://dynamodb.us-east-1.amazonaws.com");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::invalid);
  EXPECT_NE(e.error().message.find("http://dynamodb.us-east-1.amazonaws.com"), std::string::npos) << e.error().message;
  EXPECT_NE(e.error().message.find("loopback"), std::string::npos) << e.error().message;
}

// Plain http rests on what the host IS, never on how its name reads: a DNS name that looks like a
// loopback or metadata address gets no plain http.
TEST(Endpoint, LoopbackAndMetadataAreIpLiteralsNotNames) {
  for (const char* url : {"http://api.localhost:8000", "http://127.0.0.1.example.test", "http://localhost.example.test"}) {
    auto e = Endpoint::parse(url);
    EXPECT_FALSE(e) << url << " was taken for loopback";
  }
  auto metadata = [](std::string host) { return Endpoint{.scheme = "http", .host = std::move(host), .port = 80}; };
  EXPECT_TRUE(metadata("169.254.169.254").is_metadata_address());
  EXPECT_TRUE(metadata("169.254.170.2").is_metadata_address());
  EXPECT_TRUE(metadata("fd00:ec2::23").is_metadata_address());
  EXPECT_TRUE(metadata("[fd00:ec2::23]").is_metadata_address());
  EXPECT_FALSE(metadata("169.254.example.test").is_metadata_address());
  EXPECT_FALSE(metadata("169.254.169.254.nip.example").is_metadata_address());
  EXPECT_FALSE(metadata("169.255.0.1").is_metadata_address());
  EXPECT_FALSE(metadata("fd00:ec2::24").is_metadata_address());
}

TEST(Endpoint, Ipv6Literal) {
  auto e = Endpoint::parse("https://[2001:db8::1]:8443");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->host, "2001:db8::1");
  EXPECT_EQ(e->port, 8443);
  EXPECT_EQ(e->host_header(), "[2001:db8::1]:8443");
  EXPECT_EQ(Endpoint::parse("https://[::1]")->host_header(), "[::1]");
  EXPECT_EQ(Endpoint::parse("http://[::1]:8080")->host_header(), "[::1]:8080");
}

TEST(Endpoint, RejectsMalformedUrlsNamingThem) {
  for (const char* url : {"dynamodb.amazonaws.com", "ftp://x.com", "https://", "https://:443", "https://x.com:0",
                          "https://x.com:65536", "https://x.com:12ab", "https://x.com:", "https://[::1",
                          "https://[zz::1]", "https://user:pw@x.com", "https://x.com/a?b=c", "https://x y.com",
                          "https://[::1]x"}) {
    auto e = Endpoint::parse(url);
    ASSERT_FALSE(e) << url;
    EXPECT_EQ(e.error().code, Errc::invalid) << url;
    EXPECT_NE(e.error().message.find(url), std::string::npos) << e.error().message;
  }
}

TEST(HttpResponse, HeaderIsCaseInsensitiveFirstMatch) {
  HttpResponse r{200, {{"Content-Type", "a"}, {"x-amzn-ErrorType", "b"}, {"content-type", "c"}}, ""};
  EXPECT_EQ(r.header("content-TYPE"), "a");
  EXPECT_EQ(r.header("X-Amzn-Errortype"), "b");
  EXPECT_EQ(r.header("missing"), std::nullopt);
}

TEST(Backoff, FullJitterWithinExponentialCap) {
  RetryPolicy policy{.max_attempts = 10, .base_delay = std::chrono::milliseconds(100),
                     .max_delay = std::chrono::milliseconds(1000)};
  const long long caps[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int attempt = 0; attempt < 7; ++attempt) {
    EXPECT_EQ(backoff_delay(policy, attempt, 0).count(), 0);
    EXPECT_EQ(backoff_delay(policy, attempt, caps[attempt]).count(), caps[attempt]) << attempt;
    EXPECT_EQ(backoff_delay(policy, attempt, caps[attempt] + 1).count(), 0) << attempt;  // wraps: uniform over [0, cap]
    for (std::uint64_t r : {1ull, 12345ull, ~0ull, 0x9e3779b97f4a7c15ull})
      EXPECT_LE(backoff_delay(policy, attempt, r).count(), caps[attempt]);
  }
  EXPECT_LE(backoff_delay(policy, 1000000, ~0ull).count(), 1000);  // no overflow for large attempts
  EXPECT_EQ(backoff_delay({.base_delay = std::chrono::milliseconds(0)}, 5, 77).count(), 0);
}

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

Endpoint https(std::string host, std::uint16_t port = 443) { return {"https", std::move(host), port, ""}; }

TEST(ProxySettings, ReadsEnvironment) {
  auto s = ProxySettings::from_environment(env_of({{"https_proxy", "http://Proxy.corp:3128/"},
                                                   {"NO_PROXY", " .internal.corp, example.com:8443 ,169.254.169.254"}}));
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(s->proxy);
  EXPECT_EQ(s->proxy->host, "proxy.corp");
  EXPECT_EQ(s->proxy->port, 3128);
  EXPECT_FALSE(s->bypass(https("dynamodb.us-east-1.amazonaws.com")));
  EXPECT_TRUE(s->bypass(https("db.internal.corp")));
  EXPECT_TRUE(s->bypass(https("internal.corp")));
  EXPECT_FALSE(s->bypass(https("notinternal.corp")));
  EXPECT_TRUE(s->bypass(https("api.example.com", 8443)));
  EXPECT_FALSE(s->bypass(https("api.example.com", 443)));
  EXPECT_TRUE(s->bypass(https("169.254.169.254")));
  EXPECT_TRUE(s->bypass(https("127.0.0.1", 8443)));  // loopback never goes through a proxy
  EXPECT_TRUE(s->bypass(https("localhost")));
}

TEST(ProxySettings, UpperCaseWinsAndWildcard) {
  auto s = ProxySettings::from_environment(env_of({{"HTTPS_PROXY", "10.0.0.1"}, {"https_proxy", "http://other:1"},
                                                   {"no_proxy", "*"}}));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->proxy->host, "10.0.0.1");
  EXPECT_EQ(s->proxy->port, 1080);
  EXPECT_TRUE(s->bypass(https("anything.example")));
}

TEST(ProxySettings, NoProxyVariableMeansDirect) {
  auto s = ProxySettings::from_environment(env_of({}));
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->proxy);
  EXPECT_TRUE(s->bypass(https("dynamodb.us-east-1.amazonaws.com")));
}

TEST(ProxySettings, RejectsWhatItCannotDoNamingTheVariable) {
  for (const char* url : {"https://proxy:443", "http://user:pw@proxy:3128", "http://proxy:99999", "http://proxy/path",
                          "socks5://proxy:1080"}) {
    auto s = ProxySettings::from_environment(env_of({{"HTTPS_PROXY", url}}));
    ASSERT_FALSE(s) << url;
    EXPECT_EQ(s.error().code, Errc::invalid);
    EXPECT_NE(s.error().message.find("HTTPS_PROXY"), std::string::npos) << s.error().message;
  }
}

}  // namespace
}  // namespace jit::net
