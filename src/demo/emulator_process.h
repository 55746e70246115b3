// An emulator executable (jit-slack-emulator, jit-aws-emulator) as `jit demo` runs it: a child
// process that prints its URL once it serves, driven through its control API under /_emulator/
// (emulators/slack/README.md, emulators/aws/README.md). `jit` links no emulator code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "net/https_client.h"
#include "platform/child_process.h"

namespace jit::demo {

// The two emulator executables.
struct EmulatorPrograms {
  std::string slack;  // .../jit-slack-emulator
  std::string aws;    // .../jit-aws-emulator
};

// Where the emulator executables are: in `dir`, else in $JIT_EMULATORS_DIR, else beside this
// program (an installation) or in its build tree (emulators/slack/, emulators/aws/ beside jit).
// Errc::not_found naming each place looked at and how to build or name the executable.
Result<EmulatorPrograms> find_emulators(const std::string& dir);

class EmulatorProcess {
 public:
  // Starts `program` with `flags` and "--port 0" (stderr to `log_path`), and returns once it has
  // printed its URL (within 10 s). It gets SIGTERM should this process die without stopping it.
  // Errc::unavailable naming the program and its log when it does not come up.
  static Result<std::unique_ptr<EmulatorProcess>> start(const std::string& program, std::vector<std::string> flags,
                                                        const std::string& log_path);

  ~EmulatorProcess();  // stop()
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  pid_t pid() const { return process_->pid(); }
  const std::string& log_path() const { return log_path_; }

  // GET or POST /_emulator/<path> (path may carry a query): the JSON answer. An HTTP error is an
  // Error carrying the answer's "error" (404: Errc::not_found, 400: Errc::invalid).
  Result<nlohmann::json> get(const std::string& path) const;
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body) const;
  // GET, with an empty array in place of an error: for reading lists (messages, views, ...).
  nlohmann::json list(const std::string& path) const;

  // The Slack emulator: calls `done` now and after every change of the emulator's state (long
  // polls on GET /_emulator/wait) until it returns true (then true) or `timeout` passes.
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) const;

  // SIGTERM, then SIGKILL after 5 s; reaped. Idempotent.
  void stop();

 private:
  EmulatorProcess() = default;
  Result<nlohmann::json> send(net::HttpRequest request) const;

  std::unique_ptr<ChildProcess> process_;
  std::string url_, log_path_;
  net::Endpoint endpoint_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace jit::demo
