#include "net/connect_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace jit::testing {
namespace {

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

ConnectProxy::ConnectProxy(std::uint16_t target_port) : target_port_(target_port) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("ConnectProxy: pipe failed");
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("ConnectProxy: cannot listen");
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ConnectProxy::~ConnectProxy() {
  const char byte = 0;
  (void)!::write(stop_pipe_[1], &byte, 1);  // every poll below watches the pipe
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listener_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::vector<std::string> ConnectProxy::requested() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

void ConnectProxy::accept_loop() {
  while (true) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard lock(mutex_);
    threads_.emplace_back([this, client] { tunnel(client); });
  }
}

void ConnectProxy::tunnel(int client) {
  // The request head: "CONNECT host:port HTTP/1.1\r\n...\r\n\r\n".
  std::string head;
  char buffer[16384];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    pollfd fds[2] = {{client, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    ::poll(fds, 2, -1);
    if (fds[1].revents) break;
    const auto n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  const auto end = head.find("\r\n\r\n");
  int upstream = -1;
  if (end != std::string::npos && head.starts_with("CONNECT ")) {
    const auto space = head.find(' ', 8);
    {
      std::lock_guard lock(mutex_);
      requested_.push_back(head.substr(8, space - 8));
    }
    upstream = connect_loopback(target_port_);
  }
  const std::string answer = upstream >= 0 ? "HTTP/1.1 200 Connection established\r\n\r\n"
                                           : "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
  if (!send_all(client, answer.data(), answer.size()) || upstream < 0) {
    ::close(client);
    if (upstream >= 0) ::close(upstream);
    return;
  }
  // Bytes after the head (a client that did not wait for the answer) go upstream first.
  const std::string early = head.substr(end + 4);
  bool open = send_all(upstream, early.data(), early.size());
  while (open) {
    pollfd fds[3] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    ::poll(fds, 3, -1);
    if (fds[2].revents) break;
    for (int i = 0; i < 2 && open; ++i) {
      if (!fds[i].revents) continue;
      const int from = i == 0 ? client : upstream, to = i == 0 ? upstream : client;
      const auto n = ::recv(from, buffer, sizeof buffer, 0);
      open = n > 0 && send_all(to, buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(client);
  ::close(upstream);
}

}  // namespace jit::testing
