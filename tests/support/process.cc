#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace jit::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
constexpr milliseconds kPollInterval{20};

// A connected TCP socket to host:port (IPv4 or IPv6 literal), or -1.
int connect_to(const std::string& host, std::uint16_t port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    return -1;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return fd;
}

bool answers_http(const std::string& host, std::uint16_t port, std::string_view path) {
  const int fd = connect_to(host, port);
  if (fd < 0) return false;
  const std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: {}:{}\r\n\r\n", path, host, port);
  bool ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  char head[5] = {};
  std::size_t got = 0;
  while (ok && got < sizeof head) {
    const auto n = ::recv(fd, head + got, sizeof head - got, 0);
    if (n <= 0) ok = false;
    else got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return ok && std::string_view(head, sizeof head) == "HTTP/";
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

std::optional<std::string> find_executable(std::string_view name) {
  auto executable = [](const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    if (executable(std::string(name))) return std::string(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    if (executable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

Result<std::unique_ptr<Process>> Process::spawn(std::vector<std::string> argv, ProcessOptions options) {
  if (argv.empty()) return fail(Error::Invalid("Process::spawn: argv is empty"));
  const auto program = find_executable(argv[0]);
  if (!program) return fail(Error::NotFound(fmt::format("'{}' is not on PATH ({})", argv[0],
                                                        std::getenv("PATH") ? std::getenv("PATH") : "")));
  // The environment: the parent's, with the overrides applied.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos) env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (auto& [name, value] : options.env) env[name] = value;
  std::vector<std::string> env_strings;
  for (auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : argv) args.push_back(s.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!options.output_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.output_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);  // its own group: stop() ends its children too
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program->c_str(), &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) return fail(Error::Unavailable(fmt::format("starting {} failed: {}", *program, std::strerror(rc))));
  return std::unique_ptr<Process>(new Process(pid, argv[0]));
}

Process::~Process() { stop(); }

bool Process::running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    reaped_ = true;
    status_ = r == pid_ ? status : -1;
    return false;
  }
  return true;
}

Result<> Process::wait_for_port(std::uint16_t port, milliseconds timeout, const std::string& host) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (!running())
      return fail(Error::Unavailable(fmt::format("{} exited (status {}) before {}:{} accepted connections",
                                                 name_, status_, host, port)));
    if (const int fd = connect_to(host, port); fd >= 0) {
      ::close(fd);
      return {};
    }
    if (SteadyClock::now() >= deadline)
      return fail(Error::Unavailable(fmt::format("{} did not accept connections on {}:{} within {} ms", name_,
                                                 host, port, timeout.count())));
    std::this_thread::sleep_for(kPollInterval);
  }
}

Result<> Process::wait_for_http(std::uint16_t port, std::string_view path, milliseconds timeout,
                                const std::string& host) {
  const auto deadline = SteadyClock::now() + timeout;
  if (auto r = wait_for_port(port, timeout, host); !r) return r;
  while (true) {
    if (answers_http(host, port, path)) return {};
    if (!running())
      return fail(Error::Unavailable(fmt::format("{} exited before answering HTTP on {}:{}", name_, host, port)));
    if (SteadyClock::now() >= deadline)
      return fail(Error::Unavailable(fmt::format("{} did not answer HTTP on {}:{} within {} ms", name_, host,
                                                 port, timeout.count())));
    std::this_thread::sleep_for(kPollInterval);
  }
}

int Process::stop(milliseconds grace) {
  if (!running()) return status_;
  ::kill(-pid_, SIGTERM);
  const auto deadline = SteadyClock::now() + grace;
  while (running()) {
    if (SteadyClock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return status_;
}

}  // namespace jit::testing
