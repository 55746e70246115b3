// moto_server (Python moto, the AWS emulator in this machine image) for integration tests:
// DynamoDB, sso-admin, identitystore, sts on one loopback port. It accepts any signature.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "platform/child_process.h"
#include "support/free_port.h"

namespace jit::testing {

struct MotoServer {
  std::unique_ptr<ChildProcess> process;  // stopped (SIGTERM, then SIGKILL) when this is destroyed
  std::uint16_t port = 0;

  // "http://127.0.0.1:PORT"
  std::string url() const;
  // Starts `moto_server -H 127.0.0.1 -p <free port>` (output in /tmp/moto_server.<port>.log) and
  // waits until it answers. Errc::not_found with an install hint when moto_server is not on PATH:
  // tests must fail on it, not skip. `env` is added to its environment (for example
  // INITIAL_NO_AUTH_ACTION_COUNT, after which moto checks signatures and IAM policies).
  static Result<MotoServer> start(std::vector<std::pair<std::string, std::string>> env = {});
  // POST /moto-api/reset: forget every table and resource.
  Result<> reset() const;
};

}  // namespace jit::testing
