// The plain HTTP values of net/http.h. No Boost here: this file is cheap to compile.
#include "net/http.h"
#include "core/text.h"

#include <cstring>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace jit::net {
namespace {


bool valid_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (text::iequals(n, name)) return v;
  return std::nullopt;
}

Result<Endpoint> Endpoint::parse(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return fail(Error::Invalid(fmt::format(
        "endpoint URL '{}': {} (expected https://host[:port][/path]; http:// only for loopback hosts)",
        url, why)));
  };
  Endpoint e;
  std::string_view rest;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return invalid("missing scheme");
  e.scheme = text::to_lower(url.substr(0, sep));
  if (e.scheme != "https" && e.scheme != "http") return invalid("scheme must be https or http");
  rest = url.substr(sep + 3);

  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) return invalid("user information is not allowed");
  if (authority.empty()) return invalid("missing host");

  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 literal");
    e.host = std::string(authority.substr(1, close - 1));
    in6_addr addr{};
    if (inet_pton(AF_INET6, e.host.c_str(), &addr) != 1) return invalid("bad IPv6 literal");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return invalid("empty port");
    }
  } else {
    const auto colon = authority.rfind(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return invalid("empty port");
    }
    if (host.empty()) return invalid("missing host");
    if (!std::all_of(host.begin(), host.end(), valid_host_char)) return invalid("bad character in host");
    e.host = text::to_lower(host);
  }
  e.port = default_port(e.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      return invalid("port must be 1-65535");
    e.port = static_cast<std::uint16_t>(value);
  }
  if (path.find_first_of("?#") != std::string_view::npos) return invalid("query or fragment not allowed");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  e.base_path = std::string(path);
  if (e.scheme == "http" && !e.is_loopback()) return invalid("plain http is accepted only for loopback hosts");
  return e;
}

std::string Endpoint::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) h += fmt::format(":{}", port);
  return h;
}

bool Endpoint::is_loopback() const {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool Endpoint::is_metadata_address() const {
  const std::string bare = host.starts_with("[") && host.ends_with("]") ? host.substr(1, host.size() - 2) : host;
  in_addr v4{};
  if (inet_pton(AF_INET, bare.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 16) == ((169u << 8) | 254u);
  in6_addr v6{}, ec2{};
  return inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && inet_pton(AF_INET6, "fd00:ec2::23", &ec2) == 1 &&
         std::memcmp(&v6, &ec2, sizeof v6) == 0;
}

std::string Endpoint::to_string() const { return scheme + "://" + host_header() + base_path; }

std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int attempt) {
  const long long base = std::max<long long>(0, policy.base_delay.count());
  const long long cap = std::max<long long>(0, policy.max_delay.count());
  long long ceiling = base;
  for (int i = 0; i < attempt && ceiling > 0 && ceiling < cap; ++i) ceiling *= 2;
  return std::chrono::milliseconds{std::min(ceiling, cap)};
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, std::uint64_t random) {
  using std::chrono::milliseconds;
  const long long ceiling = backoff_ceiling(policy, attempt).count();
  if (ceiling <= 0) return milliseconds{0};
  return milliseconds{static_cast<long long>(random % static_cast<std::uint64_t>(ceiling + 1))};
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    fields[percent_decode(pair.substr(0, eq), true)] =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
  }
  return fields;
}

}  // namespace jit::net
