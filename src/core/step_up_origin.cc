#include "core/step_up_origin.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace jit {

namespace {

constexpr std::string_view kOriginForm =
    "expected https://HOST or https://HOST:PORT exactly as the browser shows it, like "
    "\"https://jit.internal.example\" (no path, not even a trailing \"/\", no query, fragment or user)";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_host_char(char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.'; }

// A port from 1 to 65535 written in digits only.
std::optional<std::uint16_t> port_of(std::string_view s) {
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
  unsigned value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    const auto dot = s.find('.');
    const auto part = s.substr(0, dot);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), is_digit)) return false;
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

bool is_bracketed_ipv6(std::string_view s) {
  if (s.size() < 4 || s.front() != '[' || s.back() != ']') return false;
  const auto inner = s.substr(1, s.size() - 2);
  return inner.find(':') != std::string_view::npos &&
         std::all_of(inner.begin(), inner.end(), [](char c) {
           return is_digit(c) || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
         });
}

// A DNS name: labels of lowercase letters, digits and '-', not starting or ending with '-'.
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  while (true) {
    const auto dot = s.find('.');
    const auto label = s.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return is_lower_host_char(c) && c != '.'; }))
      return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

Error invalid_origin(std::string_view what) { return Error::Invalid(fmt::format("{}; {}", what, kOriginForm)); }

}  // namespace

bool is_ip_literal(std::string_view host) { return is_ipv4(host) || is_bracketed_ipv6(host); }

Result<HttpsOrigin> parse_https_origin(std::string_view text) {
  constexpr std::string_view scheme = "https://";
  if (text.starts_with("http://")) return fail(invalid_origin("http is not allowed: WebAuthn needs https"));
  if (!text.starts_with(scheme)) return fail(invalid_origin("it does not start with https://"));
  std::string_view rest = text.substr(scheme.size());
  if (rest.find('@') != std::string_view::npos) return fail(invalid_origin("it has user info (\"…@\")"));
  if (rest.find('?') != std::string_view::npos) return fail(invalid_origin("it has a query (\"?…\")"));
  if (rest.find('#') != std::string_view::npos) return fail(invalid_origin("it has a fragment (\"#…\")"));
  if (rest.find('/') != std::string_view::npos)
    return fail(invalid_origin(rest.ends_with('/') && rest.find('/') == rest.size() - 1
                                   ? "it ends with \"/\""
                                   : "it has a path"));
  HttpsOrigin origin;
  std::string_view host = rest;
  // The port follows the last ':' outside an IPv6 address's brackets.
  const auto bracket = rest.rfind(']');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = rest.substr(0, colon);
    const auto port = port_of(rest.substr(colon + 1));
    if (!port) return fail(invalid_origin(fmt::format("port \"{}\" is not from 1 to 65535", rest.substr(colon + 1))));
    if (*port == 443)
      return fail(invalid_origin("leave out \":443\": browsers write the origin without the default port"));
    origin.port = *port;
  }
  if (std::any_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return fail(invalid_origin("write the host in lowercase, as browsers do"));
  if (is_ip_literal(host))
    return fail(invalid_origin(fmt::format("\"{}\" is an IP address: WebAuthn needs a host name (browsers refuse an "
                                           "IP address as RP ID)",
                                           host)));
  if (!is_dns_name(host))
    return fail(invalid_origin(fmt::format("\"{}\" is not a host name or IP address", host)));
  origin.host = std::string(host);
  return origin;
}

Result<> check_rp_id(std::string_view rp_id, std::string_view host) {
  if (rp_id == host) return {};
  const bool suffix = host.size() > rp_id.size() + 1 && host.ends_with(rp_id) &&
                      host[host.size() - rp_id.size() - 1] == '.';
  if (!suffix || rp_id.empty())
    return fail(Error::Invalid(fmt::format(
        "expected the origin's host \"{}\" or a suffix of it after a \".\" (like \"{}\"); browsers refuse any other "
        "RP ID", host, host.find('.') == std::string_view::npos ? host : host.substr(host.find('.') + 1))));
  if (is_ip_literal(host) || is_ip_literal(rp_id))
    return fail(Error::Invalid(fmt::format("an RP ID is a host name, not an IP address (\"{}\")", rp_id)));
  return {};
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const auto form = [&](std::string_view what) {
    return Error::Invalid(fmt::format(
        "{}; expected ADDRESS:PORT with a port from 1 to 65535, like \"0.0.0.0:8443\" or \"[::]:8443\" (IPv6 in "
        "brackets)",
        what));
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return fail(form("no address and port"));
  std::string_view address = text.substr(0, colon);
  const auto port = port_of(text.substr(colon + 1));
  if (!port) return fail(form(fmt::format("port \"{}\" is not from 1 to 65535", text.substr(colon + 1))));
  if (address.front() == '[') {
    if (!is_bracketed_ipv6(address)) return fail(form(fmt::format("\"{}\" is not an IPv6 address", address)));
    address = address.substr(1, address.size() - 2);
  } else if (address.find(':') != std::string_view::npos) {
    return fail(form("an IPv6 address must be written in brackets"));
  } else if (!is_ipv4(address)) {
    return fail(form(fmt::format("\"{}\" is not an IPv4 address", address)));
  }
  return ListenAddress{std::string(address), *port};
}

}  // namespace jit
