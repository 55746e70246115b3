// Shared pieces of the credentials tests: an environment from a map, a temporary directory, a
// stub HTTP peer (STS, container, instance metadata) reachable either through a fake HttpClient
// or through the real client and a real loopback HttpServer, and recognisable secrets.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "aws/credentials_chain.h"
#include "aws/shared_config.h"
#include "core/time.h"
#include "net/http.h"
#include "net/http_server.h"
#include "net/https_client.h"
#include "support/log_capture.h"

namespace jit::aws::testing {

// Every secret the tests feed in: none may ever show up in an error message or a log line.
// The moment the credentials tests start at, and the role they assume.
inline const TimePoint kStart = *parse_time("2026-11-24T12:00:00Z");
inline constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/jit-access";

inline constexpr char kEnvSecret[] = "SECRETenvKEYwJalrXUtnFEMI0001";
inline constexpr char kEnvToken[] = "SESSIONenvTOKENFQoGZXIvYX0002";
inline constexpr char kFileSecret[] = "SECRETfileKEYwJalrXUtnFEMI0003";
inline constexpr char kFileToken[] = "SESSIONfileTOKENFQoGZXIvYX0004";
inline constexpr char kWebIdentityToken[] = "WEBIDENTITYeyJhbGciOiJSUzI1NiJ90005";
inline constexpr char kStsSecret[] = "SECRETstsKEYwJalrXUtnFEMI0006";
inline constexpr char kStsToken[] = "SESSIONstsTOKENFQoGZXIvYX0007";
inline constexpr char kContainerAuth[] = "CONTAINERAUTHtokenQWxhZGRp0008";
inline constexpr char kContainerSecret[] = "SECRETecsKEYwJalrXUtnFEMI0009";
inline constexpr char kContainerToken[] = "SESSIONecsTOKENFQoGZXIvYX0010";
inline constexpr char kImdsSession[] = "IMDSSESSIONtokenAQAEAHm0011";
inline constexpr char kImdsSecret[] = "SECRETimdsKEYwJalrXUtnFEMI0012";
inline constexpr char kImdsToken[] = "SESSIONimdsTOKENFQoGZXIvYX0013";

inline const std::vector<std::string>& all_secrets() {
  static const std::vector<std::string> secrets = {
      kEnvSecret,      kEnvToken,      kFileSecret,      kFileToken,         kWebIdentityToken,
      kStsSecret,      kStsToken,      kContainerAuth,   kContainerSecret,   kContainerToken,
      kImdsSession,    kImdsSecret,    kImdsToken};
  return secrets;
}

// An environment that holds exactly the variables set on it.
class FakeEnv {
 public:
  FakeEnv& set(std::string name, std::string value) {
    (*vars_)[std::move(name)] = std::move(value);
    return *this;
  }
  FakeEnv& unset(const std::string& name) {
    vars_->erase(name);
    return *this;
  }
  // The lookup shares the map, so later set() calls are seen by sources made earlier.
  EnvLookup lookup() const {
    auto vars = vars_;
    return [vars](std::string_view name) -> std::optional<std::string> {
      auto it = vars->find(std::string(name));
      if (it == vars->end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::shared_ptr<std::map<std::string, std::string>> vars_ = std::make_shared<std::map<std::string, std::string>>();
};

// A fresh directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jit-credentials-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  // Writes `text` to `name` inside the directory; returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

inline std::optional<std::string> header_of(const net::HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (n.size() == name.size() &&
        std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  }
  return std::nullopt;
}

// Decodes an application/x-www-form-urlencoded body.
inline std::map<std::string, std::string> parse_form(std::string_view body) {
  auto decode = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += s[i] == '+' ? ' ' : s[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> form;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const size_t eq = pair.find('=');
    form[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
  }
  return form;
}

// What the stub peer saw: every request, in order. Thread-safe (the real server answers on its
// own thread).
class StubPeer {
 public:
  using Route = std::function<net::HttpResponse(const net::HttpRequest&)>;

  // Routes by "METHOD /path" (query ignored); unknown routes get 404.
  void on(const std::string& method, const std::string& path, Route route) {
    std::lock_guard lock(mutex_);
    routes_[method + " " + path] = std::move(route);
  }

  net::HttpResponse handle(const net::HttpRequest& request) {
    Route route;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      const std::string path = request.target.substr(0, request.target.find('?'));
      auto it = routes_.find(request.method + " " + path);
      if (it == routes_.end()) return {404, {}, "not found"};
      ++hits_[it->first];
      route = it->second;
    }
    return route(request);
  }

  int hits(const std::string& method, const std::string& path) const {
    std::lock_guard lock(mutex_);
    auto it = hits_.find(method + " " + path);
    return it == hits_.end() ? 0 : it->second;
  }
  std::vector<net::HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Route> routes_;
  std::map<std::string, int> hits_;
  std::vector<net::HttpRequest> requests_;
};

// An HttpClient that hands each request to a StubPeer (no sockets), recording the endpoint.
// `fail_with` makes every send fail like a transport error.
class FakeHttpClient final : public net::HttpClient {
 public:
  explicit FakeHttpClient(StubPeer& peer) : peer_(peer) {}

  Result<net::HttpResponse> send(const net::Endpoint& endpoint, const net::HttpRequest& request) override {
    {
      std::lock_guard lock(mutex_);
      endpoints_.push_back(endpoint);
      if (fail_with_) return fail(*fail_with_);
    }
    return peer_.handle(request);
  }

  void fail_with(std::optional<Error> error) {
    std::lock_guard lock(mutex_);
    fail_with_ = std::move(error);
  }
  std::vector<net::Endpoint> endpoints() const {
    std::lock_guard lock(mutex_);
    return endpoints_;
  }

 private:
  StubPeer& peer_;
  mutable std::mutex mutex_;
  std::optional<Error> fail_with_;
  std::vector<net::Endpoint> endpoints_;
};

// How a test reaches its StubPeer.
enum class Transport { fake, loopback };

inline std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::fake ? "FakeClient" : "LoopbackServer";
}

// The peer behind one base URL: either "http://127.0.0.1:1" reached by a FakeHttpClient, or a real
// net::HttpServer on a free loopback port reached by the real client (short timeouts, as the
// metadata client has in production: metadata_client_options()).
class PeerConnection {
 public:
  PeerConnection(Transport transport, StubPeer& peer) {
    if (transport == Transport::fake) {
      client_ = std::make_unique<FakeHttpClient>(peer);
      url_ = "http://127.0.0.1:1";
      return;
    }
    auto server = net::HttpServer::start({}, [&peer](const net::HttpRequest& r) { return peer.handle(r); });
    if (!server) throw std::runtime_error("cannot start the loopback server: " + server.error().message);
    server_ = std::move(*server);
    url_ = server_->url();
    client_ = net::make_http_client(metadata_client_options());
  }

  net::HttpClient& client() { return *client_; }
  // "http://127.0.0.1:PORT"
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::HttpClient> client_;
  std::string url_;
};

using jit::testing::LogCapture;  // tests/support/log_capture.h

}  // namespace jit::aws::testing
