// Child processes for tests: start a local server (moto_server, dynalite, an emulator), wait
// until it answers, and always stop it. No fixed sleeps: waits poll with short intervals and a
// bound.
//
//   auto port = jit::testing::free_port();
//   auto moto = jit::testing::Process::spawn({"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port)});
//   ASSERT_TRUE(moto) << moto.error().message;
//   ASSERT_TRUE((*moto)->wait_for_http(port)) << ...;
//   ... // the destructor sends SIGTERM (then SIGKILL) and reaps it
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

namespace jit::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). Another
// process may take it before you do; tests accept that small race.
std::uint16_t free_port();

// The full path of `name` found on PATH (or `name` itself when it contains a '/' and is
// executable); nullopt when there is none.
std::optional<std::string> find_executable(std::string_view name);

struct ProcessOptions {
  // Added to (or replacing in) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // stdout and stderr go to this file (created or truncated); empty: the test's own output.
  std::string output_file;
};

// A running child process. Not thread-safe.
class Process {
 public:
  // Starts argv[0] (looked up on PATH) in its own process group. Errc::not_found when the
  // program is not on PATH, Errc::unavailable when it cannot be started.
  static Result<std::unique_ptr<Process>> spawn(std::vector<std::string> argv, ProcessOptions options = {});

  ~Process();  // stop()
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // False once the process has exited (and it is reaped).
  bool running();

  // Polls (every 20 ms) until a TCP connection to host:port succeeds. Errc::unavailable when the
  // process exits first or `timeout` passes, naming the program and the port.
  Result<> wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                         const std::string& host = "127.0.0.1");
  // Like wait_for_port, then until "GET <path> HTTP/1.0" gets any HTTP status line back.
  Result<> wait_for_http(std::uint16_t port, std::string_view path = "/",
                         std::chrono::milliseconds timeout = std::chrono::seconds(20),
                         const std::string& host = "127.0.0.1");

  // SIGTERM to its process group, up to `grace` for it to exit, then SIGKILL; reaps it.
  // Returns the wait status (as from waitpid), or -1 when it had already been reaped. Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(3));

 private:
  Process(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  pid_t pid_;
  std::string name_;
  bool reaped_ = false;
  int status_ = -1;
};

}  // namespace jit::testing
