#include "support/awscli_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string_view>

extern char** environ;

namespace jit::emulators::awscli {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CliRun run_awscli(const std::vector<std::string>& args, const std::string& url, const fs::path& dir, const CliKeys& keys,
                  const std::vector<std::string>& extra_env) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (!std::string_view(*e).starts_with("AWS_")) env.emplace_back(*e);
  const std::string config = (dir / "empty-config").string();
  std::ofstream(config, std::ios::app).close();
  for (std::string v : {"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + config,
                        std::string("AWS_EC2_METADATA_DISABLED=true"), std::string("AWS_PAGER="),
                        "AWS_ACCESS_KEY_ID=" + keys.access_key_id, "AWS_SECRET_ACCESS_KEY=" + keys.secret_access_key})
    env.push_back(v);
  if (!keys.session_token.empty()) env.push_back("AWS_SESSION_TOKEN=" + keys.session_token);
  for (const auto& v : extra_env) {  // replaces a variable of the same name
    const std::string name = v.substr(0, v.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
    env.push_back(v);
  }
  std::vector<std::string> argv = {kAwsCli};
  argv.insert(argv.end(), args.begin(), args.end());
  for (std::string a : std::vector<std::string>{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"})
    argv.push_back(a);

  std::vector<char*> c_argv, c_env;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& v : env) c_env.push_back(v.data());
  c_env.push_back(nullptr);
  const std::string out_path = (dir / "out").string(), err_path = (dir / "err").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  CliRun run;
  const int rc = posix_spawn(&pid, kAwsCli, &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    run.err = fmt::format("posix_spawn {} failed: {}", kAwsCli, rc);
    return run;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = read_text(out_path);
  run.err = read_text(err_path);
  return run;
}

}  // namespace jit::emulators::awscli
