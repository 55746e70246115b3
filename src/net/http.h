// HTTP values shared by every client and server of the project (AWS, Slack, emulators, the ops
// endpoint). Plain types, no Boost: the Beast-based implementation lives behind HttpClient.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace jit::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// An HTTP request as it goes on the wire.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // Path plus optional "?query", as on the request line, already percent-encoded for the wire.
  std::string target;
  // In wire order; names in any case; a name may repeat. Clients add Host when it is missing.
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// Where requests go: parsed from "https://host[:port][/base/path]".
struct Endpoint {
  std::string scheme;  // "https" or "http"
  std::string host;
  std::uint16_t port = 443;
  std::string base_path;  // "" or "/api" (no trailing slash)

  // Errc::invalid naming the URL and what is accepted. Plain http is accepted only for loopback
  // hosts (127.0.0.0/8, ::1, localhost): emulators and local test servers.
  static Result<Endpoint> parse(std::string_view url);
  // "host" or "host:port" when the port is not the scheme's default.
  std::string host_header() const;
  // An IP literal in 127.0.0.0/8 or ::1, or exactly "localhost" (which every resolver maps to
  // loopback). Names are never trusted by their text otherwise: "x.localhost" or
  // "127.0.0.1.example.test" are not loopback.
  bool is_loopback() const;
  // An IP literal of a cloud metadata service: link-local 169.254.0.0/16, or fd00:ec2::23. Never
  // a name ("169.254.example.test" is not).
  bool is_metadata_address() const;
  std::string to_string() const;
};

struct RetryPolicy {
  int max_attempts = 4;  // including the first
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
};

// Exponential backoff with full jitter: a uniformly random delay in
// [0, min(max_delay, base_delay * 2^attempt)], attempt counting from 0. `random` is any 64-bit value
// from the caller's random source.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, std::uint64_t random);
// The upper end of that range: min(max_delay, base_delay * 2^attempt).
std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int attempt);

// RFC 3986 percent-encoding (AWS SigV4, form bodies): unreserved characters (A-Z a-z 0-9 - . _ ~)
// kept, and '/' too with `keep_slash`; every other byte %XX with upper-case hex.
std::string percent_encode(std::string_view text, bool keep_slash = false);

// Undoes %XX escapes (a '%' not followed by two hex digits stays as it is); with `plus_is_space`
// (form bodies) '+' becomes a space, otherwise (AWS query strings) it stays '+'.
std::string percent_decode(std::string_view text, bool plus_is_space);

// An application/x-www-form-urlencoded body or URL query: "a=1&b=x+y%21" -> {a: "1", b: "x y!"};
// a repeated name keeps its last value.
std::map<std::string, std::string> parse_form(std::string_view body);

// A blocking HTTP client: one request, one response, no retries (callers retry, because a retry
// may need a new signature). Thread-safe. Transport errors and timeouts are Errc::unavailable with
// a message naming the endpoint and what failed, never headers or body (they may hold secrets).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> send(const Endpoint& endpoint, const HttpRequest& request) = 0;
};

}  // namespace jit::net
