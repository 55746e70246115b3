#include "signature_check.h"
#include "core/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "aws/sigv4.h"
#include "core/time.h"

namespace jit::emulators {

namespace {

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details.";
constexpr auto kMaxSkew = std::chrono::minutes(15);

struct Authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;
  std::string signed_headers;
  std::string signature;
};


std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

AuthFailure incomplete(std::string message) { return {400, "IncompleteSignatureException", std::move(message)}; }
AuthFailure invalid(std::string message) { return {403, "InvalidSignatureException", std::move(message)}; }

// "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sso/aws4_request, SignedHeaders=a;b, Signature=hex"
std::expected<Authorization, AuthFailure> parse_authorization(std::string_view value) {
  const std::string algorithm(aws::kSigv4Algorithm);
  if (!value.starts_with(algorithm + " "))
    return std::unexpected(incomplete(fmt::format(
        "Authorization header requires the {} algorithm followed by 'Credential', 'SignedHeaders' and "
        "'Signature' parameters.",
        algorithm)));
  std::string credential, signed_headers, signature;
  for (const auto& part : split(value.substr(algorithm.size() + 1), ',')) {
    const std::string item = std::string(text::trim(part));
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    if (key == "Credential") credential = val;
    else if (key == "SignedHeaders") signed_headers = val;
    else if (key == "Signature") signature = val;
  }
  std::string missing;
  for (auto [name, v] : {std::pair{"Credential", &credential}, {"SignedHeaders", &signed_headers}, {"Signature", &signature}})
    if (v->empty()) missing += fmt::format("Authorization header requires '{}' parameter. ", name);
  if (!missing.empty()) return std::unexpected(incomplete(std::string(text::trim(missing))));
  const auto scope = split(credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty())
    return std::unexpected(incomplete(fmt::format(
        "Credential should be of the form <access key>/<date>/<region>/<service>/aws4_request, got "
        "'{}'.",
        scope.size() > 1 ? credential.substr(credential.find('/') + 1) : std::string("(no scope)"))));
  return Authorization{scope[0], scope[1], scope[2], scope[3], signed_headers, signature};
}

// "20150830T123600Z" -> time point
std::optional<TimePoint> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  const std::string iso = fmt::format("{}-{}-{}T{}:{}:{}Z", d.substr(0, 4), d.substr(4, 2), d.substr(6, 2),
                                      d.substr(9, 2), d.substr(11, 2), d.substr(13, 2));
  return parse_time(iso);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::optional<std::string> authorization_service(const net::HttpRequest& request) {
  const auto value = net::HttpResponse{0, request.headers, ""}.header("Authorization");
  if (!value) return std::nullopt;
  auto parsed = parse_authorization(*value);
  if (!parsed) return std::nullopt;
  return parsed->service;
}

std::expected<SignedBy, AuthFailure> verify_sigv4(const net::HttpRequest& request,
                                                  const std::vector<aws::Credentials>& accepted,
                                                  std::string_view region, std::string_view expected_service,
                                                  std::chrono::system_clock::time_point now) {
  const net::HttpResponse view{0, request.headers, ""};  // for its case-insensitive header lookup
  const auto header = view.header("Authorization");
  if (!header) return std::unexpected(AuthFailure{400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"});
  auto auth = parse_authorization(*header);
  if (!auth) return std::unexpected(auth.error());

  const auto date_header = view.header("X-Amz-Date");
  if (!date_header)
    return std::unexpected(incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."));
  const auto signed_at = parse_amz_date(*date_header);
  if (!signed_at)
    return std::unexpected(incomplete(fmt::format("Date must be in ISO-8601 'basic format'. Got '{}'.", *date_header)));

  const auto key = std::ranges::find(accepted, auth->access_key_id, &aws::Credentials::access_key_id);
  const auto token = view.header("X-Amz-Security-Token").value_or("");
  if (key == accepted.end() || !constant_time_equal(key->session_token, token))
    return std::unexpected(AuthFailure{403, "UnrecognizedClientException", "The security token included in the request is invalid."});

  const std::string stamp = aws::amz_date(*signed_at);
  const auto now_s = std::chrono::floor<Seconds>(now);
  if (*signed_at < now_s - kMaxSkew)
    return std::unexpected(invalid(fmt::format("Signature expired: {} is now earlier than {} ({} - 15 min.)", stamp,
                                               aws::amz_date(now_s - kMaxSkew), aws::amz_date(now_s))));
  if (*signed_at > now_s + kMaxSkew)
    return std::unexpected(invalid(fmt::format("Signature not yet current: {} is still later than {} ({} + 15 min.)",
                                               stamp, aws::amz_date(now_s + kMaxSkew), aws::amz_date(now_s))));
  if (auth->date != stamp.substr(0, 8))
    return std::unexpected(invalid(fmt::format(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
        auth->date, stamp.substr(0, 8), stamp)));
  if (auth->region != region)
    return std::unexpected(invalid(fmt::format("Credential should be scoped to a valid region, not '{}'. ", auth->region)));
  if (auth->service != expected_service)
    return std::unexpected(invalid(fmt::format("Credential should be scoped to correct service: '{}'. ", expected_service)));

  // Only the headers it says it signed, in wire order; host must be one of them.
  net::HttpRequest copy{request.method, request.target, {}, request.body};
  const auto names = split(auth->signed_headers, ';');
  if (std::ranges::find(names, "host") == names.end())
    return std::unexpected(invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."));
  for (const auto& name : names) {
    bool found = false;
    for (const auto& [n, v] : request.headers)
      if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char x, char y) {
            return std::tolower(static_cast<unsigned char>(x)) == y;
          })) {
        copy.headers.emplace_back(n, v);
        found = true;
      }
    if (!found) return std::unexpected(invalid(std::string(kMismatch)));
  }
  aws::SigningParams params;
  params.region = auth->region;
  params.service = auth->service;
  params.time = *signed_at;
  auto canonical = aws::canonical_request(copy, params);
  if (!canonical || canonical->signed_headers != auth->signed_headers) return std::unexpected(invalid(std::string(kMismatch)));
  const auto expected = aws::signature(*key, params, aws::string_to_sign(canonical->text, params));
  if (!constant_time_equal(expected, auth->signature)) return std::unexpected(invalid(std::string(kMismatch)));
  return SignedBy{auth->access_key_id, auth->region, auth->service};
}

}  // namespace jit::emulators
