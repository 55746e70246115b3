// A tiny HTTP CONNECT proxy for tests (POSIX sockets and threads, no Boost). Every tunnel goes to
// 127.0.0.1:<target_port>, whatever host the CONNECT names, so a test can use a non-loopback
// host name (which the client must not bypass) and still reach its local server.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jit::testing {

class ConnectProxy {
 public:
  explicit ConnectProxy(std::uint16_t target_port);
  ~ConnectProxy();  // closes every tunnel and joins its threads

  std::uint16_t port() const { return port_; }
  // The authorities ("host:port") CONNECT asked for, in order.
  std::vector<std::string> requested() const;

 private:
  void accept_loop();
  void tunnel(int client);

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mutex_;
  std::vector<std::string> requested_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace jit::testing
