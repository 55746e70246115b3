// Runs Debian's awscli v2 (/usr/bin/aws, never an `aws` earlier on PATH, which may be pyenv's v1)
// against an endpoint with a clean AWS environment, for the emulator's fidelity tests.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace jit::emulators::awscli {

inline constexpr char kAwsCli[] = "/usr/bin/aws";

struct CliRun {
  int exit_code = -1;
  std::string out, err;
  nlohmann::json output() const { return nlohmann::json::parse(out, nullptr, false); }
};

// The key pair (and session token) the run signs with.
struct CliKeys {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token = {};
};

// /usr/bin/aws <args> --endpoint-url <url> --region us-east-1 --output json, with no AWS_ variable
// of this process: only `keys`, empty config files (made in `dir`), no instance metadata, no pager,
// then `extra_env` ("NAME=value", replacing a variable of the same name). Output files go to `dir`.
CliRun run_awscli(const std::vector<std::string>& args, const std::string& url, const std::filesystem::path& dir,
                  const CliKeys& keys, const std::vector<std::string>& extra_env = {});

// The contents of `path` ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

}  // namespace jit::emulators::awscli
