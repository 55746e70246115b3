// Child processes, the one way the project starts them: `jit demo` (the emulator executables and
// `jit serve`) and the tests (moto_server, dynalite, `jit serve`, the emulators). A child runs in
// its own process group, is always stopped (SIGTERM, then SIGKILL after a bound) and reaped, and
// may print a line when it is ready (an emulator prints its URL), read here with a timeout.
//
//   auto slack = jit::ChildProcess::spawn({"/path/jit-slack-emulator", "--port", "0"}, {.pipe_stdout = true});
//   if (!slack) ...;                                   // slack.error().message names the program
//   auto url = (*slack)->read_line(std::chrono::seconds(10));   // "http://127.0.0.1:PORT"
//   ...                                                // the destructor stops and reaps it
//
// Waits never sleep for a fixed time: exits are awaited on a pidfd, output with poll(2).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace jit {

// The full path of `name` found on PATH (or `name` itself when it contains a '/' and is an
// executable file); nullopt when there is none.
std::optional<std::string> find_executable(std::string_view name);

struct ChildOptions {
  // Added to (or replacing in) the environment the child inherits.
  std::vector<std::pair<std::string, std::string>> env;
  // Inherited variables whose names start with one of these are left out (`env` still applies),
  // e.g. {"AWS_", "SLACK_"} so that nothing in the parent's environment points the child elsewhere.
  std::vector<std::string> unset_env_prefixes;
  // stdout and stderr go to this file (created or truncated); empty: the parent's.
  std::string output_file;
  // stdout goes to a pipe that read_line reads (stderr still follows output_file). Read what the
  // child prints, or it blocks once the pipe is full (64 KiB).
  bool pipe_stdout = false;
  // The child gets SIGTERM when the thread that spawned it ends, e.g. when the parent is killed
  // or calls _Exit (Linux PR_SET_PDEATHSIG). Spawn from a thread that lives as long as the child.
  bool stop_with_parent = false;
};

// A running child process. Not thread-safe.
class ChildProcess {
 public:
  // Starts argv[0] (looked up on PATH unless it contains a '/') in its own process group, with
  // stdin from /dev/null, no file descriptors but 0-2, and every signal unblocked and at its
  // default. Errc::not_found when the program does not exist, Errc::unavailable when it cannot be
  // started (exec failed: the message names the program and the reason).
  static Result<std::unique_ptr<ChildProcess>> spawn(std::vector<std::string> argv, ChildOptions options = {});

  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // argv[0] as given, for messages.
  const std::string& name() const { return name_; }
  // False once the process has exited (and it is reaped).
  bool running();
  // Waits up to `timeout` for it to exit (reaping it): its wait status (as from waitpid; -1 when
  // it was reaped elsewhere), or nullopt while it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The exit code in a wait status; -1 when the process was killed by a signal.
  static int exit_code(int wait_status);

  // With pipe_stdout: the next line the child prints, without its '\n'. Errc::unavailable when
  // the child closes stdout (or exits) first or `timeout` passes, naming the program.
  Result<std::string> read_line(std::chrono::milliseconds timeout);

  // Polls (every 20 ms) until a TCP connection to host:port succeeds. Errc::unavailable when the
  // process exits first or `timeout` passes, naming the program and the port.
  Result<> wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                         const std::string& host = "127.0.0.1");
  // Like wait_for_port, then until "GET <path> HTTP/1.0" gets any HTTP status line back.
  Result<> wait_for_http(std::uint16_t port, std::string_view path = "/",
                         std::chrono::milliseconds timeout = std::chrono::seconds(20),
                         const std::string& host = "127.0.0.1");

  // Sends `signal` to its process group; nothing once it is reaped.
  void signal(int signal);
  // SIGTERM to its process group, up to `grace` for it to exit, then SIGKILL; reaps it.
  // Returns the wait status, or -1 when it had been reaped elsewhere. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(3));

 private:
  ChildProcess(pid_t pid, std::string name, int pidfd, int stdout_fd)
      : pid_(pid), name_(std::move(name)), pidfd_(pidfd), stdout_fd_(stdout_fd) {}
  void reaped(int status);

  pid_t pid_;
  std::string name_;
  int pidfd_;      // -1 where pidfd_open is not available: exits are then polled
  int stdout_fd_;  // the read end of the stdout pipe, or -1
  std::string pending_;  // read from stdout, not yet returned by read_line
  bool reaped_ = false;
  int status_ = -1;
};

}  // namespace jit
