// jit-slack-emulator: the Slack emulator as a process. Prints its URL on stdout when it serves,
// and stops on SIGTERM or SIGINT (emulators/serve_until_signal.h).
//
//   jit-slack-emulator --port 3000 --user U0DANA:dana:dana@example.com --usergroup S0ONCALL:U0DANA,U0ERIN
#include <CLI/CLI.hpp>
#include <iostream>

#include "emulators/serve_until_signal.h"
#include "slack_emulator.h"

namespace {

// "A:B,C" -> {"A", ["B", "C"]}
std::pair<std::string, std::vector<std::string>> split_group(const std::string& spec) {
  const auto colon = spec.find(':');
  std::vector<std::string> members;
  std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (comma != 0) members.push_back(rest.substr(0, comma));
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  return {spec.substr(0, colon), members};
}

}  // namespace

int main(int argc, char** argv) {
  jit::emulators::SlackEmulatorOptions options;
  CLI::App app{"Local Slack emulator (Web API + Socket Mode) for JIT Access tests and demos"};
  int port = 0;
  long long ping_ms = options.ping_interval.count(), retry_ms = options.retry_unacked_after.count();
  std::vector<std::string> users, groups;
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->check(CLI::Range(0, 65535));
  app.add_option("--address", options.address, "Loopback address to bind")->capture_default_str();
  app.add_option("--user", users, "Workspace user ID:NAME:EMAIL (repeat)");
  app.add_option("--usergroup", groups, "User group ID:MEMBER,MEMBER... (repeat)");
  app.add_option("--bot-token", options.bot_token, "The bot token (xoxb-...) the Web API accepts")->capture_default_str();
  app.add_option("--app-token", options.app_token, "The app-level token (xapp-...) for apps.connections.open")
      ->capture_default_str();
  app.add_option("--team-id", options.team_id, "Workspace id")->capture_default_str();
  app.add_option("--command", options.command, "The slash command")->capture_default_str();
  app.add_option("--ping-ms", ping_ms, "Server ping interval")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--retry-ms", retry_ms, "Redeliver unacked envelopes after")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--threads", options.threads, "Request threads")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--max-connections", options.max_connections,
                 "Open Socket Mode connections allowed at once; one more gets too_many_websockets")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  for (const auto& spec : users) {
    const auto first = spec.find(':');
    const auto second = first == std::string::npos ? first : spec.find(':', first + 1);
    if (second == std::string::npos) {
      std::cerr << "jit-slack-emulator: --user '" << spec << "' must be ID:NAME:EMAIL\n";
      return 2;
    }
    options.users.push_back({spec.substr(0, first), spec.substr(first + 1, second - first - 1), spec.substr(second + 1)});
  }
  for (const auto& spec : groups) {
    auto [id, members] = split_group(spec);
    if (id.empty() || spec.find(':') == std::string::npos) {
      std::cerr << "jit-slack-emulator: --usergroup '" << spec << "' must be ID:MEMBER,MEMBER...\n";
      return 2;
    }
    options.usergroups[id] = members;
  }
  options.port = static_cast<std::uint16_t>(port);
  options.ping_interval = std::chrono::milliseconds(ping_ms);
  options.retry_unacked_after = std::chrono::milliseconds(retry_ms);

  return jit::emulators::serve_until_signal("jit-slack-emulator",
                                            [&] { return jit::emulators::SlackEmulator::start(options); });
}
