// jit-pagerduty-emulator: the PagerDuty emulator as a process. Prints its URL on stdout when it
// serves, and stops on SIGTERM or SIGINT (emulators/serve_until_signal.h).
//
//   jit-pagerduty-emulator --port 0 --user PDANA01:dana:dana@example.com --on-call PSCHED1:PDANA01
#include <CLI/CLI.hpp>
#include <iostream>

#include "emulators/pagerduty/pagerduty_emulator.h"
#include "emulators/serve_until_signal.h"

int main(int argc, char** argv) {
  jit::emulators::PagerDutyEmulatorOptions options;
  CLI::App app{"Local PagerDuty REST API emulator (on-calls) for JIT Access tests"};
  int port = 0;
  std::vector<std::string> users, on_call;
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->check(CLI::Range(0, 65535));
  app.add_option("--address", options.address, "Loopback address to bind")->capture_default_str();
  app.add_option("--token", options.token, "The REST API token accepted (Authorization: Token token=...)")
      ->capture_default_str();
  app.add_option("--user", users, "User ID:NAME:EMAIL (repeat)");
  app.add_option("--on-call", on_call, "Schedule SCHEDULE:USER,USER... on call for ever (repeat)");
  app.add_option("--threads", options.threads, "Request threads")->check(CLI::Range(1, 64))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  for (const auto& spec : users) {
    const auto first = spec.find(':');
    const auto second = first == std::string::npos ? first : spec.find(':', first + 1);
    if (second == std::string::npos) {
      std::cerr << "jit-pagerduty-emulator: --user '" << spec << "' must be ID:NAME:EMAIL\n";
      return 2;
    }
    options.users.push_back({spec.substr(0, first), spec.substr(first + 1, second - first - 1), spec.substr(second + 1)});
  }
  for (const auto& spec : on_call) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "jit-pagerduty-emulator: --on-call '" << spec << "' must be SCHEDULE:USER,USER...\n";
      return 2;
    }
    jit::emulators::PagerDutySchedule schedule{spec.substr(0, colon), spec.substr(0, colon), {}};
    std::string rest = spec.substr(colon + 1);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (comma != 0) schedule.on_call.push_back({rest.substr(0, comma)});
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
    options.schedules.push_back(std::move(schedule));
  }
  options.port = static_cast<std::uint16_t>(port);
  return jit::emulators::serve_until_signal("jit-pagerduty-emulator",
                                            [&] { return jit::emulators::PagerDutyEmulator::start(options); });
}
