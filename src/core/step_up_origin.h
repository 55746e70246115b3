// The forms of the [step_up] settings a browser holds us to (issue 15): the page's origin, the
// WebAuthn relying-party id, and the page's listen address. Pure; the policy loader reports the
// messages with the file position, and the step-up service uses the parsed origin.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace jit {

// An https origin as browsers serialize it (clientDataJSON.origin): host lowercase, no default port.
struct HttpsOrigin {
  std::string host;        // a DNS name (WebAuthn takes no IP address as RP ID)
  std::uint16_t port = 443;
  bool operator==(const HttpsOrigin&) const = default;
};

// `text` as "https://HOST" or "https://HOST:PORT" and nothing else: Errc::invalid, with a message
// that states the expected form and what is wrong (http, a path or trailing "/", a query, a
// fragment, user info, an uppercase host, an IP address, ":443" written out, a port outside
// 1..65535).
Result<HttpsOrigin> parse_https_origin(std::string_view text);

// True for an IPv4 literal ("10.0.0.1") or a bracketed IPv6 one ("[::1]").
bool is_ip_literal(std::string_view host);

// `rp_id` against the origin's host: it must equal the host or be a suffix of it on a label
// boundary ("example.com" for "jit.example.com"), and a suffix is never an IP address. Errc::invalid
// saying which rule failed.
Result<> check_rp_id(std::string_view rp_id, std::string_view host);

// "ADDRESS:PORT" (IPv6 in brackets, "[::]:8443"), port 1..65535: Errc::invalid stating the form.
struct ListenAddress {
  std::string address;  // without brackets
  std::uint16_t port = 0;
  bool operator==(const ListenAddress&) const = default;
};
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace jit
