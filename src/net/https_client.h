// The project's HttpClient: HTTP/1.1 over TLS with keep-alive, timeouts and HTTPS proxies.
// Plain types only; the Beast/Asio implementation is in https_client.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "net/http.h"

namespace jit::net {

// Reads one environment variable; std::getenv in production, a map in tests.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment.
std::optional<std::string> process_env(std::string_view name);

// Where HTTPS requests go when a proxy is configured: a CONNECT tunnel through `proxy`, then TLS
// end to end with the real host (the proxy never sees plain text).
struct ProxySettings {
  struct Proxy {
    std::string host;
    std::uint16_t port = 1080;  // curl's default when the URL has no port
  };
  std::optional<Proxy> proxy;  // none: connect directly
  // NO_PROXY entries, lower-case: "*", "host", ".domain" / "domain" (the domain and its
  // subdomains), each optionally with ":port"; IP literals match exactly (no CIDR ranges).
  std::vector<std::string> no_proxy;

  // HTTPS_PROXY (or https_proxy) = "http://host[:port]" or "host[:port]", and NO_PROXY (or
  // no_proxy). HTTP_PROXY and ALL_PROXY are not read: plain http only ever goes to loopback. Errc::invalid naming the variable when the proxy URL is not understood (https://
  // proxies and proxy credentials are not supported).
  static Result<ProxySettings> from_environment(const EnvLookup& env = process_env);

  // True when requests to `endpoint` go directly: no proxy, loopback hosts, plain http, and
  // NO_PROXY matches.
  bool bypass(const Endpoint& endpoint) const;
};

struct ClientOptions {
  // Resolving, connecting, the proxy's CONNECT and the TLS handshake, together.
  std::chrono::milliseconds connect_timeout{5000};
  // Writing the request and reading the whole response.
  std::chrono::milliseconds request_timeout{30000};
  // PEM file of trusted CA certificates; empty: the system store (/etc/ssl/certs).
  std::string ca_file;
  // A response body larger than this fails the request (Errc::unavailable).
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  // Idle keep-alive connections kept per (scheme, host, port); older ones are closed.
  std::size_t max_idle_per_host = 4;
  // A pooled connection idle for longer is closed instead of reused (servers drop idle
  // connections after 60 s or so; reusing one they dropped costs a retry).
  std::chrono::milliseconds max_idle_time{30000};
  // Sent when the request has no User-Agent.
  std::string user_agent = "jit-access";
  // Explicit proxy settings; nullopt: read HTTPS_PROXY / NO_PROXY from the process environment
  // when the client is made. An invalid HTTPS_PROXY makes every proxied request fail with
  // Errc::invalid naming the variable (loopback and NO_PROXY hosts still work).
  std::optional<ProxySettings> proxy;
  // Also allow plain http to the cloud metadata services (link-local 169.254.0.0/16 and
  // fd00:ec2::23), which serve credentials over http only. For the credentials chain's client.
  bool allow_metadata_http = false;
};

// The HttpClient of the project (thread-safe, blocking).
//
// - Sends request.target verbatim: it must already start with endpoint.base_path. Adds Host,
//   User-Agent and Content-Length when missing; never changes a header the caller set (so a
//   signature over them stays valid).
// - TLS always verifies the peer's chain and host name (SNI set); plain http only to loopback.
// - Keeps idle connections for reuse. A reused connection that fails before any response byte
//   arrives (the server closed it while idle) is retried once on a new connection; nothing else
//   is retried.
// - Runs one internal I/O thread; `send` blocks the calling thread until the response or error.
//   Destroying the client while a `send` is in progress on another thread is a bug.
std::unique_ptr<HttpClient> make_http_client(const ClientOptions& options = {});

}  // namespace jit::net
