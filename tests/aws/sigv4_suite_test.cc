// Runs the official AWS SigV4 test suite (the aws-c-auth "v4" cases, Apache-2.0) against our
// signer. The suite is in tests/data/sigv4; SIGV4_SUITE_DIR overrides where to find it.
// Every folder with context.json and request.txt is a case; each is checked step by step
// (canonical request, string to sign, signature, signed request) for header signing and, where
// the query-* files exist, for query signing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "support/sigv4_request.h"

#ifndef JIT_SIGV4_DEFAULT_DIR
#error "JIT_SIGV4_DEFAULT_DIR must be set by CMake to the suite's absolute path"
#endif

namespace jit::aws {
namespace {

namespace fs = std::filesystem;

fs::path suite_dir() {
  const char* env = std::getenv("SIGV4_SUITE_DIR");
  return env && *env ? fs::path(env) : fs::path(JIT_SIGV4_DEFAULT_DIR);
}

// The case folders, sorted by name. Empty when the directory is missing or holds no case.
std::vector<fs::path> find_cases(const fs::path& dir) {
  std::vector<fs::path> cases;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return cases;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && fs::is_regular_file(entry.path() / "context.json") &&
        fs::is_regular_file(entry.path() / "request.txt"))
      cases.push_back(entry.path());
  }
  std::ranges::sort(cases);
  return cases;
}

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The suite's canonical requests, strings to sign and signatures have no meaningful trailing
// newline; tolerate one.
std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Header names compare case-insensitively (HTTP), everything else exactly, order included.
std::string diff_requests(const HttpRequest& expected, const HttpRequest& actual) {
  if (expected.method != actual.method)
    return "method: expected '" + expected.method + "', got '" + actual.method + "'";
  if (expected.target != actual.target)
    return "target:\n  expected " + expected.target + "\n  got      " + actual.target;
  if (expected.body != actual.body) return "body differs";
  for (size_t i = 0; i < std::max(expected.headers.size(), actual.headers.size()); ++i) {
    auto show = [](const auto& headers, size_t i) {
      return i < headers.size() ? headers[i].first + ":" + headers[i].second : "(none)";
    };
    if (i >= expected.headers.size() || i >= actual.headers.size() ||
        !iequals(expected.headers[i].first, actual.headers[i].first) ||
        expected.headers[i].second != actual.headers[i].second)
      return "header " + std::to_string(i) + ":\n  expected " + show(expected.headers, i) +
             "\n  got      " + show(actual.headers, i);
  }
  return {};
}

struct Case {
  std::string name;
  fs::path dir;
  HttpRequest request;
  Credentials credentials;
  SigningParams params;
  Seconds expires{0};
  // omit_session_token (post-sts-header-after): the token is sent but not signed.
  bool omit_session_token = false;
};

std::optional<Case> load_case(const fs::path& dir, std::string& why) {
  Case c;
  c.name = dir.filename().string();
  c.dir = dir;
  auto context_text = read_text(dir / "context.json");
  auto request_text = read_text(dir / "request.txt");
  if (!context_text || !request_text) {
    why = "cannot read context.json or request.txt";
    return std::nullopt;
  }
  auto request = sigv4_suite::parse_suite_request(*request_text);
  if (!request) {
    why = "request.txt: " + request.error();
    return std::nullopt;
  }
  c.request = std::move(*request);
  try {
    const auto context = nlohmann::json::parse(*context_text);
    const auto& credentials = context.at("credentials");
    c.credentials.access_key_id = credentials.at("access_key_id").get<std::string>();
    c.credentials.secret_access_key = credentials.at("secret_access_key").get<std::string>();
    c.credentials.session_token = credentials.value("token", std::string{});
    c.params.region = context.at("region").get<std::string>();
    c.params.service = context.at("service").get<std::string>();
    c.params.sign_body = context.value("sign_body", false);
    c.params.normalize_path = context.value("normalize", true);
    c.expires = Seconds{context.value("expiration_in_seconds", 0LL)};
    const auto timestamp = context.at("timestamp").get<std::string>();
    auto time = parse_time(timestamp);
    if (!time) {
      why = "unreadable timestamp " + timestamp;
      return std::nullopt;
    }
    c.params.time = *time;
    c.omit_session_token = context.value("omit_session_token", false);
  } catch (const nlohmann::json::exception& e) {
    why = std::string("context.json: ") + e.what();
    return std::nullopt;
  }
  return c;
}

// omit_session_token: signs without the token, then adds it unsigned where the signer puts a
// signed one (before X-Amz-Date, or before X-Amz-Signature in the query), as the suite expects.
Result<SigningResult> sign_then_add_token(HttpRequest& request, const Case& c, std::string_view mode) {
  Credentials unsigned_token = c.credentials;
  unsigned_token.session_token.clear();
  if (mode == "header") {
    auto result = sign_headers(request, unsigned_token, c.params);
    const auto date = std::ranges::find_if(request.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
    request.headers.insert(date, {"X-Amz-Security-Token", c.credentials.session_token});
    return result;
  }
  auto result = presign_query(request, unsigned_token, c.params, c.expires);
  const auto signature = request.target.find("&X-Amz-Signature=");
  if (signature != std::string::npos)
    request.target.insert(signature, "&X-Amz-Security-Token=" + net::percent_encode(c.credentials.session_token));
  return result;
}

// Checks one mode ("header" or "query") of one case; returns true when every step matches.
bool check_mode(const Case& c, std::string_view mode) {
  const std::string prefix(mode);
  auto expected_file = [&](const char* suffix) { return read_text(c.dir / (prefix + suffix)); };
  const auto canonical = expected_file("-canonical-request.txt");
  const auto to_sign = expected_file("-string-to-sign.txt");
  const auto signature = expected_file("-signature.txt");
  const auto signed_request = expected_file("-signed-request.txt");
  if (!canonical || !to_sign || !signature || !signed_request) {
    ADD_FAILURE() << c.name << " [" << mode << "]: some " << mode << "-*.txt files are missing";
    return false;
  }

  HttpRequest request = c.request;
  Result<SigningResult> result = c.omit_session_token ? sign_then_add_token(request, c, mode)
                                 : mode == "header"   ? sign_headers(request, c.credentials, c.params)
                                                      : presign_query(request, c.credentials, c.params, c.expires);
  if (!result) {
    ADD_FAILURE() << c.name << " [" << mode << "]: signing failed: " << result.error().message;
    return false;
  }
  bool ok = true;
  auto expect_same = [&](const char* step, const std::string& expected, const std::string& actual) {
    if (expected == actual) return;
    ok = false;
    ADD_FAILURE() << c.name << " [" << mode << "]: " << step << " differs\n--- expected\n"
                  << expected << "\n--- actual\n"
                  << actual;
  };
  expect_same("canonical request", strip_trailing_newlines(*canonical), result->canonical_request);
  expect_same("string to sign", strip_trailing_newlines(*to_sign), result->string_to_sign);
  expect_same("signature", strip_trailing_newlines(*signature), result->signature);

  auto expected_request = sigv4_suite::parse_suite_request(*signed_request);
  if (!expected_request) {
    ADD_FAILURE() << c.name << " [" << mode << "]: cannot parse signed request: " << expected_request.error();
    return false;
  }
  if (auto diff = diff_requests(*expected_request, request); !diff.empty()) {
    ok = false;
    ADD_FAILURE() << c.name << " [" << mode << "]: signed request differs: " << diff;
  }
  return ok;
}

TEST(Sigv4Suite, FindsCases) {
  const auto dir = suite_dir();
  ASSERT_TRUE(fs::is_directory(dir))
      << "SigV4 suite directory " << dir << " is missing; set SIGV4_SUITE_DIR";
  EXPECT_GT(find_cases(dir).size(), 0u)
      << "no case (a folder with context.json and request.txt) in " << dir;
}

TEST(Sigv4Suite, AllCases) {
  const auto dir = suite_dir();
  const auto cases = find_cases(dir);
  ASSERT_FALSE(cases.empty()) << "no SigV4 case found in " << dir << "; set SIGV4_SUITE_DIR";

  int header_passed = 0, query_passed = 0, query_cases = 0;
  for (const auto& case_dir : cases) {
    std::string why;
    auto c = load_case(case_dir, why);
    if (!c) {
      ADD_FAILURE() << case_dir.filename().string() << ": " << why;
      continue;
    }
    if (check_mode(*c, "header")) ++header_passed;
    if (fs::exists(case_dir / "query-canonical-request.txt")) {
      ++query_cases;
      if (check_mode(*c, "query")) ++query_passed;
    }
  }
  std::cout << "SigV4 suite " << dir.string() << ": " << cases.size() << " cases; header signing "
            << header_passed << "/" << cases.size() << " passed, query signing " << query_passed
            << "/" << query_cases << " passed\n";
}

}  // namespace
}  // namespace jit::aws
