#include "observability/ops_server.h"

#include <fmt/format.h>

#include <charconv>

#include "net/http_server.h"

namespace jit {

Result<OpsOptions> parse_ops_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return fail(Error::Invalid(fmt::format("--ops-address \"{}\": expected HOST:PORT, e.g. 127.0.0.1:9090", text)));
  OpsOptions o;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!host.empty()) o.address = host;
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return fail(Error::Invalid(fmt::format("--ops-address \"{}\": the port must be a number from 0 to 65535", text)));
  o.port = static_cast<std::uint16_t>(value);
  return o;
}

Result<std::unique_ptr<OpsServer>> OpsServer::start(const OpsOptions& options, Metrics& metrics,
                                                    std::vector<ReadinessCheck> checks,
                                                    std::function<void()> before_scrape) {
  auto handler = [&metrics, checks = std::move(checks),
                  before_scrape = std::move(before_scrape)](const net::HttpRequest& request) -> net::HttpResponse {
    const std::string path = request.target.substr(0, request.target.find('?'));
    auto text = [](int status, std::string body, std::string type = "text/plain; charset=utf-8") {
      return net::HttpResponse{status, {{"Content-Type", std::move(type)}}, std::move(body)};
    };
    if (request.method != "GET" && request.method != "HEAD") return text(405, "use GET\n");
    if (path == "/healthz") return text(200, "ok\n");
    if (path == "/readyz") {
      std::string failing;
      for (const auto& [name, check] : checks)
        if (std::string why = check(); !why.empty()) failing += fmt::format("{}: {}\n", name, why);
      return failing.empty() ? text(200, "ready\n") : text(503, "not ready\n" + failing);
    }
    if (path == "/metrics") {
      if (before_scrape) before_scrape();
      return text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    return text(404, "not found: try /healthz, /readyz or /metrics\n");
  };
  auto server = net::HttpServer::start(net::ServerOptions{.address = options.address, .port = options.port},
                                       std::move(handler));
  if (!server) return fail(server.error());
  std::unique_ptr<OpsServer> ops(new OpsServer());
  ops->server_ = std::move(*server);
  return ops;
}

OpsServer::~OpsServer() = default;

std::uint16_t OpsServer::port() const { return server_->port(); }

}  // namespace jit
