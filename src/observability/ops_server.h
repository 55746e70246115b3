// The operator's HTTP endpoint of `jit serve`, on its own address (loopback by default):
//   GET /healthz  200 while the process is alive
//   GET /readyz   200 when every readiness check passes, else 503 naming the failing ones
//   GET /metrics  the metrics in the Prometheus text format
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "observability/metrics.h"
#include "core/error.h"

namespace jit {

namespace net {
class HttpServer;
}

// A readiness check: its name, and "" when it passes or why it does not.
using ReadinessCheck = std::pair<std::string, std::function<std::string()>>;

struct OpsOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9090;  // 0: any free port
};

// "127.0.0.1:9090", "[::1]:9090" or ":9090" (loopback) into options; Errc::invalid naming the value.
Result<OpsOptions> parse_ops_address(const std::string& text);

class OpsServer {
 public:
  // `before_scrape` runs before /metrics renders (to refresh gauges); may be empty.
  static Result<std::unique_ptr<OpsServer>> start(const OpsOptions& options, Metrics& metrics,
                                                  std::vector<ReadinessCheck> checks,
                                                  std::function<void()> before_scrape);
  ~OpsServer();
  std::uint16_t port() const;

 private:
  OpsServer() = default;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace jit
