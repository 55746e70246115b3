#include "support/moto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace jit::testing {

std::string MotoServer::url() const { return fmt::format("http://127.0.0.1:{}", port); }

Result<MotoServer> MotoServer::start(std::vector<std::pair<std::string, std::string>> env) {
  if (!find_executable("moto_server"))
    return fail(Error::NotFound(
        "moto_server is not on PATH: install Python moto with its server extra "
        "(pip install 'moto[server]==5.2.*') or use the project's machine image"));
  MotoServer server;
  server.port = free_port();
  auto process = ChildProcess::spawn({"moto_server", "-H", "127.0.0.1", "-p", std::to_string(server.port)},
                                     {.env = std::move(env),
                                      .output_file = fmt::format("/tmp/moto_server.{}.log", server.port),
                                      .stop_with_parent = true});  // never outlives a test that died
  if (!process) return fail(process.error());
  server.process = std::move(*process);
  if (auto ready = server.process->wait_for_http(server.port, "/moto-api/"); !ready)
    return fail(Error::Unavailable(fmt::format("{} (see /tmp/moto_server.{}.log)", ready.error().message, server.port)));
  return server;
}

Result<> MotoServer::reset() const {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  const std::string request =
      fmt::format("POST /moto-api/reset HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\r\n", port);
  ok = ok && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  char head[12] = {};
  std::size_t got = 0;
  while (ok && got < sizeof head) {
    const auto n = ::recv(fd, head + got, sizeof head - got, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (!ok || got < sizeof head || std::string_view(head + 9, 3) != "200")
    return fail(Error::Unavailable(fmt::format("moto_server on port {}: reset failed", port)));
  return {};
}

}  // namespace jit::testing
