// A fake AWS for client tests: a loopback HttpServer answering from a script, which checks each
// request's SigV4 signature with our signer (shared by json_client_test.cc and
// rest_json_client_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/json_client.h"
#include "aws/sigv4.h"
#include "fakes/manual_clock.h"
#include "net/http_server.h"
#include "net/https_client.h"

namespace jit::aws::fake_aws {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "session-token-EXAMPLE-0123456789";

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

inline std::optional<std::string> header(const net::HttpRequest& r, std::string_view name) {
  return net::HttpResponse{0, r.headers, ""}.header(name);
}

// Recomputes the request's SigV4 signature from the headers it says it signed. Returns "" when it
// verifies, or what is wrong.
inline std::string verify_signature(const net::HttpRequest& received, const Credentials& credentials,
                             const std::string& region, const std::string& service) {
  const auto authorization = header(received, "Authorization");
  const auto date = header(received, "X-Amz-Date");
  if (!authorization || !date) return "no Authorization or X-Amz-Date";
  auto field = [&](std::string_view key) {
    const auto at = authorization->find(key);
    if (at == std::string::npos) return std::string();
    const auto start = at + key.size();
    return authorization->substr(start, authorization->find_first_of(", ", start) - start);
  };
  const std::string signed_headers = field("SignedHeaders="), signature_hex = field("Signature="),
                    credential = field("Credential=");
  if (credential != fmt::format("{}/{}/{}/{}/aws4_request", credentials.access_key_id, date->substr(0, 8), region, service))
    return "credential scope " + credential;
  net::HttpRequest copy{received.method, received.target, {}, received.body};
  std::string_view rest = signed_headers;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const std::string name(rest.substr(0, semi));
    auto value = header(received, name);
    if (!value) return "signed header missing: " + name;
    copy.headers.emplace_back(name, *value);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
  }
  SigningParams params;
  params.region = region;
  params.service = service;
  const std::string iso = fmt::format("{}-{}-{}T{}:{}:{}Z", date->substr(0, 4), date->substr(4, 2), date->substr(6, 2),
                                      date->substr(9, 2), date->substr(11, 2), date->substr(13, 2));
  params.time = *parse_time(iso);
  auto canonical = canonical_request(copy, params);
  if (!canonical) return canonical.error().message;
  if (canonical->signed_headers != signed_headers) return "signed header list " + canonical->signed_headers;
  const auto expected = signature(credentials, params, string_to_sign(canonical->text, params));
  return expected == signature_hex ? "" : "signature mismatch";
}

class FailingCredentials final : public CredentialsProvider {
 public:
  Result<Credentials> get() override { return fail(Error::Unavailable("no credentials: tried env, profile")); }
};

// An environment lookup over fixed values (endpoint and configuration tests).
inline net::EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

// What a client under test signs with and runs on: fixed credentials, a ManualClock, and a clock
// over it whose every backoff lasts a second more than asked (each attempt must sign at its own
// time); an HTTP client that bypasses any proxy.
struct SignedClientParts {
  Credentials credentials_{"AKIDEXAMPLE", kSecret, kToken};
  StaticCredentialsProvider provider_{credentials_};
  ManualClock clock_{*parse_time("2026-11-24T12:00:00Z")};
  SleepHookClock slow_clock_{clock_, [this](std::chrono::milliseconds) { clock_.advance(Seconds(1)); }};
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client({.proxy = net::ProxySettings{}});
};

// A fake AWS: answers from a script, one entry per request (the last one repeats).
class AwsJsonClientTest : public ::testing::Test, protected SignedClientParts {
 protected:
  struct Answer {
    int status;
    json body;
    net::Headers headers = {};
  };

  void SetUp() override {
    auto server = net::HttpServer::start({}, [this](const net::HttpRequest& r) {
      std::lock_guard lock(mutex_);
      requests_.push_back(r);
      signature_problems_.push_back(verify_signature(r, credentials_, "eu-west-1", signing_service_));
      const auto& a = answers_.at(std::min(requests_.size(), answers_.size()) - 1);
      net::HttpResponse out{a.status, a.headers, a.body.dump()};
      out.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
      return out;
    });
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }

  AwsJsonClient client(int max_attempts = 4) {
    auto config = AwsJsonClientConfig::for_service(AwsService::dynamodb, server_->endpoint(), "eu-west-1");
    config.retry = {.max_attempts = max_attempts, .base_delay = 100ms, .max_delay = 1000ms};
    return AwsJsonClient(config, provider_, *http_, slow_clock_);
  }

  std::size_t request_count() {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

  std::unique_ptr<net::HttpServer> server_;
  std::vector<Answer> answers_{{200, json::object()}};
  std::string signing_service_ = "dynamodb";
  std::mutex mutex_;
  std::vector<net::HttpRequest> requests_;
  std::vector<std::string> signature_problems_;
};

}  // namespace jit::aws::fake_aws
