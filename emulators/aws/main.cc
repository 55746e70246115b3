// jit-aws-emulator: the AWS emulator as a process. Prints its URL on stdout when it serves, and
// stops on SIGTERM or SIGINT.
//
//   jit-aws-emulator --port 4566 --user dana:dana@example.com
//   jit-aws-emulator --port 0 --access-key-id AKID --secret-access-key SECRET [--session-token T]
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "aws_emulator.h"
#include "iam_service.h"
#include "emulators/serve_until_signal.h"

int main(int argc, char** argv) {
  using jit::emulators::AwsEmulatorOptions;
  CLI::App app{"Local AWS emulator (sso-admin, identitystore, STS, IAM roles, EventBridge Scheduler) for JIT Access tests and demos"};
  AwsEmulatorOptions options;
  int port = 0;
  long long delay_ms = options.assignment_delay.count();
  long long deletion_delay_ms = -1;
  long long schedule_fire_delay_ms = 0;
  long long provision_delay_ms = options.provision_delay.count();
  std::vector<std::string> key_ids, secrets, tokens, users, permission_sets;
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->check(CLI::Range(0, 65535));
  app.add_option("--address", options.address, "Loopback address to bind")->capture_default_str();
  app.add_option("--region", options.region, "Region the signatures must be scoped to")->capture_default_str();
  app.add_option("--access-key-id", key_ids, "Accepted access key id (repeat; paired in order with --secret-access-key)");
  app.add_option("--secret-access-key", secrets, "Secret access key of the --access-key-id at the same position");
  app.add_option("--session-token", tokens, "Session token required with the key pair at the same position (optional)");
  app.add_option("--instance-arn", options.instance_arn, "The one Identity Center instance")->capture_default_str();
  app.add_option("--identity-store-id", options.identity_store_id, "Its identity store")->capture_default_str();
  app.add_option("--user", users, "Seeded user NAME:EMAIL[:USER_ID] (repeat)");
  app.add_option("--delay-ms", delay_ms, "How long assignment creation/deletion stays IN_PROGRESS")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--deletion-delay-ms", deletion_delay_ms,
                 "How long a deletion stays IN_PROGRESS (Identity Center: about 1000); default: --delay-ms")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--provision-delay-ms", provision_delay_ms, "How long a ProvisionPermissionSet stays IN_PROGRESS")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--permission-set", permission_sets,
                 "Seeded permission set ARN[,SESSION_DURATION] (repeat; duration ISO-8601, default PT1H)");
  app.add_option("--throttle-per-second", options.throttle_per_second,
                 "ThrottlingException for calls of one operation past this many in a second (0: off)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--schedule-group", options.schedule_groups,
                 "Scheduler schedule group besides 'default' (repeat; the product uses jit-access)");
  app.add_option("--schedule-fire-delay-ms", schedule_fire_delay_ms,
                 "How long after its at() time a one-time schedule fires (0..60000)")
      ->check(CLI::Range(0, 60000))->capture_default_str();
  std::string iam_seed_file;
  app.add_option("--iam-seed", iam_seed_file,
                 "JSON file of IAM principals and roles: {\"principals\":[…],\"roles\":[…]} (README.md, IAM roles)")
      ->check(CLI::ExistingFile);
  app.add_option("--trust-policy-size-limit", options.trust_policy_size_limit,
                 "IAM's role trust policy quota in non-whitespace characters (LimitExceeded past it)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--account-id", options.account_id,
                 "The account of the configured key pairs (IAM) and of schedule ARNs")->capture_default_str();
  app.add_option("--threads", options.threads, "Request threads")->check(CLI::Range(1, 64))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (key_ids.size() != secrets.size() || (!tokens.empty() && tokens.size() != key_ids.size())) {
    std::cerr << "jit-aws-emulator: give one --secret-access-key (and, if any, one --session-token) per --access-key-id\n";
    return 2;
  }
  for (size_t i = 0; i < key_ids.size(); ++i)
    options.credentials.push_back({key_ids[i], secrets[i], tokens.empty() ? "" : tokens[i]});
  for (const auto& spec : users) {
    const auto first = spec.find(':');
    if (first == std::string::npos) {
      std::cerr << "jit-aws-emulator: --user '" << spec << "' must be NAME:EMAIL[:USER_ID]\n";
      return 2;
    }
    const auto second = spec.find(':', first + 1);
    jit::emulators::EmulatedUser user{spec.substr(0, first), spec.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1)};
    if (second != std::string::npos) user.user_id = spec.substr(second + 1);
    options.users.push_back(std::move(user));
  }
  for (const auto& spec : permission_sets) {
    const auto comma = spec.find(',');
    jit::emulators::EmulatedPermissionSet set{spec.substr(0, comma)};
    if (comma != std::string::npos) set.session_duration = spec.substr(comma + 1);
    options.permission_sets.push_back(std::move(set));
  }
  if (!iam_seed_file.empty()) {
    std::ifstream in(iam_seed_file);
    auto seed = jit::emulators::parse_iam_seed(nlohmann::json::parse(in, nullptr, false));
    if (!seed) {
      std::cerr << "jit-aws-emulator: --iam-seed " << iam_seed_file << ": " << seed.error() << "\n";
      return 2;
    }
    options.principals = std::move(seed->principals);
    options.roles = std::move(seed->roles);
  }
  options.provision_delay = std::chrono::milliseconds(provision_delay_ms);
  options.port = static_cast<std::uint16_t>(port);
  options.assignment_delay = std::chrono::milliseconds(delay_ms);
  options.schedule_fire_delay = std::chrono::milliseconds(schedule_fire_delay_ms);
  if (deletion_delay_ms >= 0) options.deletion_delay = std::chrono::milliseconds(deletion_delay_ms);

  return jit::emulators::serve_until_signal("jit-aws-emulator",
                                            [&] { return jit::emulators::AwsEmulator::start(options); });
}
