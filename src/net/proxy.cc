// HTTPS_PROXY / NO_PROXY: reading them and deciding which hosts bypass the proxy.
#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "net/https_client.h"
#include "core/text.h"

namespace jit::net {
namespace {


std::optional<std::string> first_of(const EnvLookup& env, std::string_view upper, std::string_view lower_name) {
  for (auto name : {upper, lower_name}) {
    auto v = env(name);
    if (v && !text::trim(*v).empty()) return std::string(text::trim(*v));
  }
  return std::nullopt;
}

bool is_ip_literal(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

std::optional<std::string> process_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<ProxySettings> ProxySettings::from_environment(const EnvLookup& env) {
  ProxySettings settings;
  if (auto no_proxy = first_of(env, "NO_PROXY", "no_proxy")) {
    std::string_view rest = *no_proxy;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto item = text::trim(rest.substr(0, comma));
      if (!item.empty()) settings.no_proxy.push_back(text::to_lower(item));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  const auto url = first_of(env, "HTTPS_PROXY", "https_proxy");
  if (!url) return settings;
  auto invalid = [&](std::string_view why) {
    // The value may carry a password ("http://user:secret@proxy"): never echo it then.
    const std::string shown = url->find('@') == std::string::npos ? "'" + *url + "'" : "(value not shown)";
    return fail(Error::Invalid(fmt::format("HTTPS_PROXY {}: {} (expected http://host[:port])", shown, why)));
  };
  std::string_view rest = *url;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    if (text::to_lower(rest.substr(0, sep)) != "http") return invalid("only http:// proxies are supported");
    rest.remove_prefix(sep + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos) return invalid("proxy credentials are not supported");
  if (rest.find('/') != std::string_view::npos) return invalid("a path is not allowed");
  Proxy proxy;
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 literal");
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return invalid("unexpected text after the IPv6 literal");
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    rest.remove_prefix(colon);
  } else {
    rest = {};
  }
  if (!rest.empty()) {  // ":port"
    const auto digits = rest.substr(1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
      return invalid("port must be 1-65535");
    proxy.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) return invalid("missing host");
  proxy.host = text::to_lower(host);
  settings.proxy = std::move(proxy);
  return settings;
}

bool ProxySettings::bypass(const Endpoint& endpoint) const {
  if (!proxy || endpoint.scheme != "https" || endpoint.is_loopback()) return true;
  const std::string host = text::to_lower(endpoint.host);
  for (std::string_view entry : no_proxy) {
    if (entry == "*") return true;
    // An optional ":port" suffix (not for bare IPv6 literals, which contain colons themselves).
    std::string_view pattern = entry;
    if (const auto colon = entry.rfind(':');
        colon != std::string_view::npos && entry.find(':') == colon) {
      unsigned port = 0;
      auto digits = entry.substr(colon + 1);
      std::from_chars(digits.data(), digits.data() + digits.size(), port);
      if (port != endpoint.port) continue;
      pattern = entry.substr(0, colon);
    }
    if (pattern.size() > 2 && pattern.front() == '[' && pattern.back() == ']')
      pattern = pattern.substr(1, pattern.size() - 2);
    if (is_ip_literal(host)) {
      if (pattern == host) return true;
      continue;
    }
    if (!pattern.empty() && pattern.front() == '.') pattern.remove_prefix(1);
    if (pattern.starts_with("*.")) pattern.remove_prefix(2);
    if (pattern.empty()) continue;
    if (host == pattern) return true;
    if (host.size() > pattern.size() && host.ends_with(pattern) &&
        host[host.size() - pattern.size() - 1] == '.')
      return true;
  }
  return false;
}

}  // namespace jit::net
