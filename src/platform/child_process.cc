#include "platform/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

extern char** environ;

namespace jit {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
constexpr milliseconds kPollInterval{20};

// Milliseconds left until `deadline` for poll(2): 0 once it passed.
int ms_until(SteadyClock::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - SteadyClock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits `ms` without a timer thread: poll(2) on nothing.
void pause_ms(int ms) { ::poll(nullptr, 0, ms); }

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

// The environment for the child: the parent's, less the dropped prefixes, with the overrides.
std::vector<std::string> child_environment(const ChildOptions& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name(entry.substr(0, eq));
    bool dropped = false;
    for (const auto& prefix : options.unset_env_prefixes) dropped = dropped || name.starts_with(prefix);
    if (!dropped) env[name] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [name, value] : options.env) env[name] = value;
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

// Closes the descriptors it holds unless released.
struct Fds {
  std::vector<int> fds;
  int add(int fd) {
    if (fd >= 0) fds.push_back(fd);
    return fd;
  }
  int release(int fd) {
    std::erase(fds, fd);
    return fd;
  }
  ~Fds() {
    for (int fd : fds) ::close(fd);
  }
};

}  // namespace

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

// Long on purpose: everything between fork and exec must be written out in the child, where only
// async-signal-safe calls are allowed (no helpers that allocate).
Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(std::vector<std::string> argv, ChildOptions options) {
  if (argv.empty()) return fail(Error::Invalid("ChildProcess::spawn: argv is empty"));
  const auto program = find_executable(argv[0]);
  if (!program) {
    if (argv[0].find('/') != std::string::npos)
      return fail(Error::NotFound(fmt::format("'{}' does not exist or is not executable", argv[0])));
    return fail(Error::NotFound(fmt::format("'{}' is not on PATH ({})", argv[0],
                                            std::getenv("PATH") ? std::getenv("PATH") : "")));
  }
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env = child_environment(options);
  std::vector<char*> envp, args;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : argv) args.push_back(s.data());
  args.push_back(nullptr);

  Fds fds;
  const int null_in = fds.add(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int output = -1;
  if (!options.output_file.empty()) {
    output = fds.add(::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (output < 0)
      return fail(Error::Unavailable(fmt::format("cannot write {} (for {}'s output): {}", options.output_file,
                                                 argv[0], std::strerror(errno))));
  }
  int out_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
  if (options.pipe_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0)
    return fail(Error::Unavailable(fmt::format("cannot make a pipe for {}: {}", argv[0], std::strerror(errno))));
  fds.add(out_pipe[0]);
  fds.add(out_pipe[1]);
  // exec failing is reported through this pipe (closed by a successful exec).
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0)
    return fail(Error::Unavailable(fmt::format("cannot make a pipe for {}: {}", argv[0], std::strerror(errno))));
  fds.add(exec_pipe[0]);
  fds.add(exec_pipe[1]);

  const pid_t parent = ::getpid();
  const bool stop_with_parent = options.stop_with_parent;
  const pid_t pid = ::fork();
  if (pid < 0) return fail(Error::Unavailable(fmt::format("cannot start {}: fork: {}", argv[0], std::strerror(errno))));
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: stop() ends its children too, and a Ctrl-C meant for us skips it
    if (stop_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);  // the parent is already gone
    }
    struct sigaction default_action{};
    default_action.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) ::sigaction(s, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(null_in, STDIN_FILENO);
    if (out_pipe[1] >= 0) ::dup2(out_pipe[1], STDOUT_FILENO);
    else if (output >= 0) ::dup2(output, STDOUT_FILENO);
    if (output >= 0) ::dup2(output, STDERR_FILENO);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // none of the parent's sockets survive exec
    ::execve(program->c_str(), args.data(), envp.data());
    const int error = errno;
    [[maybe_unused]] auto written = ::write(exec_pipe[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(fds.release(exec_pipe[1]));
  int exec_error = 0;
  ssize_t n;
  while ((n = ::read(exec_pipe[0], &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    ::waitpid(pid, nullptr, 0);
    return fail(Error::Unavailable(fmt::format("starting {} failed: {}", *program, std::strerror(exec_error))));
  }
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, argv[0], pidfd, fds.release(out_pipe[0])));
}

ChildProcess::~ChildProcess() {
  stop();
  if (pidfd_ >= 0) ::close(pidfd_);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void ChildProcess::reaped(int status) {
  reaped_ = true;
  status_ = status;
}

std::optional<int> ChildProcess::wait_exit(milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) reaped(status);
    else if (r < 0 && errno == ECHILD) reaped(-1);
    else if (const int left = ms_until(deadline); left == 0) return std::nullopt;
    else if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, left);  // readable once it exits
    } else {
      pause_ms(std::min(left, 10));  // no pidfd (an old kernel): look again shortly
    }
  }
  return status_;
}

bool ChildProcess::running() { return !wait_exit(milliseconds(0)).has_value(); }

int ChildProcess::exit_code(int wait_status) {
  return wait_status >= 0 && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

Result<std::string> ChildProcess::read_line(milliseconds timeout) {
  if (stdout_fd_ < 0) return fail(Error::Invalid(name_ + " was not started with pipe_stdout"));
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, ms_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0)
      return fail(Error::Unavailable(fmt::format("{} printed no line within {} ms", name_, timeout.count())));
    char buffer[4096];
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const auto status = wait_exit(milliseconds(1000));
      return fail(Error::Unavailable(
          status ? fmt::format("{} exited (code {}) before printing a line", name_, exit_code(*status))
                 : fmt::format("{} closed its output before printing a line", name_)));
    }
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
}

Result<> ChildProcess::wait_for_port(std::uint16_t port, milliseconds timeout, const std::string& host) {
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
    pause_ms(static_cast<int>(kPollInterval.count()));  // nothing to wait on for a port: look again
  }
}

Result<> ChildProcess::wait_for_http(std::uint16_t port, std::string_view path, milliseconds timeout,
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
    pause_ms(static_cast<int>(kPollInterval.count()));
  }
}

void ChildProcess::signal(int signal) {
  if (!reaped_) ::kill(-pid_, signal);
}

int ChildProcess::stop(milliseconds grace) {
  if (!running()) return status_;
  signal(SIGTERM);
  if (auto status = wait_exit(grace)) return *status;
  signal(SIGKILL);
  int status = 0;
  reaped(::waitpid(pid_, &status, 0) == pid_ ? status : -1);
  return status_;
}

}  // namespace jit
