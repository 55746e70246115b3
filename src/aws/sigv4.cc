#include "aws/sigv4.h"
#include "core/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/digest.h"
#include "net/http.h"

namespace jit::aws {

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kTerminator = "aws4_request";
// Headers that proxies and SDKs add or rewrite after signing.
constexpr std::array<std::string_view, 4> kUnsignedHeaders = {"authorization", "user-agent",
                                                              "x-amzn-trace-id", "expect"};

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }


// Removes "." and ".." segments (RFC 3986 section 5.2.4) and empty segments ("//"). A trailing
// slash is kept, as is one implied by a final "." or "..".
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> kept;
  std::string_view last;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    last = path.substr(start, end - start);
    if (last == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!last.empty() && last != ".") {
      kept.push_back(last);
    }
    start = end + 1;
  }
  std::string out;
  for (auto segment : kept) {
    out += '/';
    out += segment;
  }
  if (out.empty()) return "/";
  if (last.empty() || last == "." || last == "..") out += '/';
  return out;
}

std::string canonical_uri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (!normalize) return net::percent_encode(path, true);
  return net::percent_encode(normalize_path(path), true);
}

// Sorted by encoded key, then encoded value; a key without '=' gets an empty value ("key=").
// `query` is wire form (decoded, then encoded canonically); `extra` values are raw.
std::string canonical_query(std::string_view query, const Pairs& extra) {
  Pairs encoded;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view piece = query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view key = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
    encoded.emplace_back(net::percent_encode(net::percent_decode(key, false), false), net::percent_encode(net::percent_decode(value, false), false));
  }
  for (const auto& [key, value] : extra)
    encoded.emplace_back(net::percent_encode(key, false), net::percent_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

// Leading and trailing blanks dropped, each inner run of blanks made one space.
std::string trim_all(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_blank(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;  // "name:value\n" per distinct name, sorted
  std::string signed_headers;
};

Result<CanonicalHeaders> canonical_headers(const Pairs& headers) {
  Pairs signed_pairs;
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || std::ranges::any_of(name, [](unsigned char c) {
          return is_control(c) || c == ' ' || c == ':';
        }))
      return fail(Error::Invalid(
          fmt::format("sigv4: header name '{}' is empty or has a space, colon or control character",
                      net::percent_encode(name, false))));
    // Tabs are legal inside a value; a line break would let the value forge another header.
    if (std::ranges::any_of(value, [](unsigned char c) { return is_control(c) && c != '\t'; }))
      return fail(Error::Invalid(fmt::format(
          "sigv4: header '{}' has a line break or control character in its value; fold it "
          "into one line",
          name)));
    std::string key = text::to_lower(name);
    if (key == "host") has_host = true;
    if (std::ranges::find(kUnsignedHeaders, key) != kUnsignedHeaders.end()) continue;
    signed_pairs.emplace_back(std::move(key), trim_all(value));
  }
  if (!has_host)
    return fail(Error::Invalid(
        "sigv4: request has no Host header; add Host (the endpoint's host[:port]) before signing"));
  // Stable: repeated headers keep their wire order, joined with ','.
  std::ranges::stable_sort(signed_pairs, {}, &std::pair<std::string, std::string>::first);
  CanonicalHeaders out;
  for (size_t i = 0; i < signed_pairs.size(); ++i) {
    const auto& [name, value] = signed_pairs[i];
    if (i > 0 && signed_pairs[i - 1].first == name) {
      out.block.back() = ',';  // replace the previous line's '\n'
    } else {
      if (i > 0) out.signed_headers += ';';
      out.signed_headers += name;
      out.block += name;
      out.block += ':';
    }
    out.block += value;
    out.block += '\n';
  }
  return out;
}

Result<> check_request(const HttpRequest& request) {
  if (request.method.empty() || std::ranges::any_of(request.method, [](unsigned char c) {
        return is_control(c) || c == ' ';
      }))
    return fail(
        Error::Invalid("sigv4: request method is empty or has a space; use e.g. GET or POST"));
  if (request.target.empty() || request.target.front() != '/')
    return fail(Error::Invalid("sigv4: request target must start with '/' (path and query only)"));
  if (std::ranges::any_of(request.target, [](unsigned char c) { return is_control(c); }))
    return fail(Error::Invalid("sigv4: request target has a control character; percent-encode it"));
  return {};
}

// The messages never contain the secret key or the session token.
Result<> check_signing_inputs(const Credentials& credentials, const SigningParams& params) {
  auto bad_scope_part = [](std::string_view s) {
    return s.empty() || std::ranges::any_of(s, [](unsigned char c) {
             return is_control(c) || c == ' ' || c == '/';
           });
  };
  if (bad_scope_part(params.region))
    return fail(Error::Invalid(fmt::format(
        "sigv4: region '{}' is empty or has a space or '/'; use e.g. us-east-1", params.region)));
  if (bad_scope_part(params.service))
    return fail(Error::Invalid(fmt::format(
        "sigv4: service '{}' is empty or has a space or '/'; use the signing name, e.g. dynamodb",
        params.service)));
  if (bad_scope_part(credentials.access_key_id))
    return fail(Error::Invalid(
        "sigv4: access_key_id is empty or has a space or '/'; check the credentials source"));
  if (credentials.secret_access_key.empty())
    return fail(Error::Invalid("sigv4: secret_access_key is empty; check the credentials source"));
  if (std::ranges::any_of(credentials.session_token,
                          [](unsigned char c) { return is_control(c) || c == ' '; }))
    return fail(Error::Invalid(
        "sigv4: session_token has a space or control character; check the credentials source"));
  return {};
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

CanonicalRequest assemble(const HttpRequest& request, const SigningParams& params,
                          const CanonicalHeaders& headers, const Pairs& extra_query) {
  auto [path, query] = split_target(request.target);
  CanonicalRequest out;
  out.text =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method,
                  canonical_uri(path, params.normalize_path), canonical_query(query, extra_query),
                  headers.block, headers.signed_headers, crypto::sha256_hex(request.body));
  out.signed_headers = headers.signed_headers;
  return out;
}

void remove_headers(Pairs& headers, std::initializer_list<std::string_view> names) {
  std::erase_if(headers, [&](const auto& header) {
    return std::ranges::any_of(names, [&](std::string_view n) { return text::iequals(header.first, n); });
  });
}

}  // namespace

std::string amz_date(TimePoint time) {
  std::string out = format_time(time);  // 2015-08-30T12:36:00Z
  std::erase_if(out, [](char c) { return c == '-' || c == ':'; });
  return out;
}

std::string credential_scope(const SigningParams& params) {
  return fmt::format("{}/{}/{}/{}", amz_date(params.time).substr(0, 8), params.region,
                     params.service, kTerminator);
}

Result<CanonicalRequest> canonical_request(const HttpRequest& request,
                                           const SigningParams& params) {
  if (auto ok = check_request(request); !ok) return fail(ok.error());
  auto headers = canonical_headers(request.headers);
  if (!headers) return fail(headers.error());
  return assemble(request, params, *headers, {});
}

std::string string_to_sign(std::string_view canonical_request, const SigningParams& params) {
  return fmt::format("{}\n{}\n{}\n{}", kSigv4Algorithm, amz_date(params.time),
                     credential_scope(params), crypto::sha256_hex(canonical_request));
}

std::string signing_key(std::string_view secret_access_key, const SigningParams& params) {
  std::string secret = "AWS4";
  secret += secret_access_key;
  std::string key = crypto::hmac_sha256(secret, amz_date(params.time).substr(0, 8));
  key = crypto::hmac_sha256(key, params.region);
  key = crypto::hmac_sha256(key, params.service);
  return crypto::hmac_sha256(key, kTerminator);
}

std::string signature(const Credentials& credentials, const SigningParams& params,
                      std::string_view string_to_sign) {
  return crypto::hex(
      crypto::hmac_sha256(signing_key(credentials.secret_access_key, params), string_to_sign));
}

Result<SigningResult> sign_headers(HttpRequest& request, const Credentials& credentials,
                                   const SigningParams& params) {
  if (auto ok = check_signing_inputs(credentials, params); !ok) return fail(ok.error());
  HttpRequest out = request;
  remove_headers(out.headers, {"authorization", "x-amz-date", "x-amz-security-token"});
  if (params.sign_body) remove_headers(out.headers, {"x-amz-content-sha256"});
  // This order (token, date, content hash) is the order of the official suite's signed requests.
  if (!credentials.session_token.empty())
    out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  out.headers.emplace_back("X-Amz-Date", amz_date(params.time));
  if (params.sign_body)
    out.headers.emplace_back("X-Amz-Content-Sha256", crypto::sha256_hex(out.body));

  auto canonical = canonical_request(out, params);
  if (!canonical) return fail(canonical.error());
  SigningResult result;
  result.canonical_request = std::move(canonical->text);
  result.string_to_sign = string_to_sign(result.canonical_request, params);
  result.signature = signature(credentials, params, result.string_to_sign);
  out.headers.emplace_back(
      "Authorization",
      fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kSigv4Algorithm,
                  credentials.access_key_id, credential_scope(params), canonical->signed_headers,
                  result.signature));
  request = std::move(out);
  return result;
}

Result<SigningResult> presign_query(HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params, Seconds expires) {
  if (auto ok = check_signing_inputs(credentials, params); !ok) return fail(ok.error());
  if (expires < Seconds{1} || expires > kMaxPresignExpiry)
    return fail(Error::Invalid(
        fmt::format("sigv4: presign expiry {}s is out of range; use 1s to {}s (7 days)",
                    expires.count(), kMaxPresignExpiry.count())));
  if (auto ok = check_request(request); !ok) return fail(ok.error());
  auto headers = canonical_headers(request.headers);
  if (!headers) return fail(headers.error());

  // In the order they are appended to the URL; the canonical query sorts them.
  Pairs added = {
      {"X-Amz-Algorithm", std::string(kSigv4Algorithm)},
      {"X-Amz-Credential", credentials.access_key_id + "/" + credential_scope(params)},
      {"X-Amz-Date", amz_date(params.time)},
      {"X-Amz-SignedHeaders", headers->signed_headers},
      {"X-Amz-Expires", std::to_string(expires.count())},
  };
  if (!credentials.session_token.empty())
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);

  SigningResult result;
  result.canonical_request = assemble(request, params, *headers, added).text;
  result.string_to_sign = string_to_sign(result.canonical_request, params);
  result.signature = signature(credentials, params, result.string_to_sign);
  added.emplace_back("X-Amz-Signature", result.signature);

  std::string& target = request.target;
  if (target.find('?') == std::string::npos)
    target += '?';
  else if (target.back() != '?' && target.back() != '&')
    target += '&';
  for (size_t i = 0; i < added.size(); ++i) {
    if (i > 0) target += '&';
    target += net::percent_encode(added[i].first, false);
    target += '=';
    target += net::percent_encode(added[i].second, false);
  }
  return result;
}

}  // namespace jit::aws
