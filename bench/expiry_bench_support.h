// What the expiry benchmarks share: a clock that stands still for the set-up, one that runs in
// real time with its wall clock moved so that grants made "an hour ago" expire a moment from now,
// the AWS emulator with clients signed for it, a one-role policy, and command-line flags.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/json_client.h"
#include "aws/rest_json_client.h"
#include "core/settings.h"
#include "emulators/aws/aws_emulator.h"
#include "fakes/manual_clock.h"
#include "net/https_client.h"

namespace jit::bench {

// Time stands still at `at` (until set() moves it) and sleeps return at once, so many grants are
// made in seconds with exactly the expiry seconds wanted.
class FrozenClock final : public ClockWrapper {
 public:
  FrozenClock(const Clock& base, TimePoint at) : ClockWrapper(base), at_(at.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(Seconds(at_.load())); }
  void sleep_for(std::chrono::milliseconds) const override {}
  void set(TimePoint at) { at_.store(at.time_since_epoch().count()); }

 private:
  std::atomic<Seconds::rep> at_;
};

// Real time (sleeps, monotonic, waits) with the wall clock moved by `shift`.
class ShiftedClock final : public ClockWrapper {
 public:
  ShiftedClock(const Clock& base, Seconds shift) : ClockWrapper(base), shift_(shift) {}
  TimePoint now() const override { return ClockWrapper::now() + shift_; }
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, TimePoint deadline,
                  const std::function<bool()>& stop_waiting) const override {
    return ClockWrapper::wait_until(lock, wake, deadline - shift_, stop_waiting);
  }
  Seconds shift() const { return shift_; }

 private:
  Seconds shift_;
};

// The AWS emulator started with `options`, and sso-admin and identitystore clients signed for it.
struct EmulatedAws {
  std::unique_ptr<emulators::AwsEmulator> emulator;
  std::unique_ptr<net::HttpClient> http = net::make_http_client();
  aws::StaticCredentialsProvider credentials{{emulators::kEmulatorAccessKeyId, emulators::kEmulatorSecretAccessKey, ""}};
  SystemClock clock;
  std::optional<aws::AwsJsonClient> sso_admin, identitystore;
  std::unique_ptr<aws::AwsRestJsonClient> scheduler;  // EventBridge Scheduler (issue 14)
};

inline Result<std::unique_ptr<EmulatedAws>> start_emulated_aws(emulators::AwsEmulatorOptions options) {
  auto out = std::make_unique<EmulatedAws>();
  auto started = emulators::AwsEmulator::start(std::move(options));
  if (!started) return fail(started.error());
  out->emulator = std::move(*started);
  auto client = [&](aws::AwsService service) {
    return aws::AwsJsonClient(aws::AwsJsonClientConfig::for_service(service, out->emulator->endpoint(), "us-east-1"),
                              out->credentials, *out->http, out->clock);
  };
  out->sso_admin.emplace(client(aws::AwsService::sso_admin));
  out->identitystore.emplace(client(aws::AwsService::identitystore));
  out->scheduler = std::make_unique<aws::AwsRestJsonClient>(
      aws::AwsJsonClientConfig::for_service(aws::AwsService::scheduler, out->emulator->endpoint(), "us-east-1"),
      aws::scheduler_bindings(), out->credentials, *out->http, out->clock);
  return out;
}

// Account "prod" (123456789012) with role "read" (`permission_set_arn`) that anyone may request
// for up to `max_duration`, approved by U0APPROVER.
inline std::shared_ptr<Config> one_role_config(const std::string& permission_set_arn, std::chrono::hours max_duration) {
  auto config = std::make_shared<Config>();
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0APPROVER"}};
  prod.roles.push_back(
      {.name = "read", .permission_set_arn = permission_set_arn, .max_duration = max_duration, .requesters = {"*"}});
  config->policy.accounts.push_back(prod);
  return config;
}

// The p-th percentile (0..100) of `sorted` (ascending, not empty), nearest rank as the e2e tests
// report it.
inline double percentile(const std::vector<double>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// The value after `name` on the command line, or `fallback`.
inline std::string flag(int argc, char** argv, const char* name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}
inline long number(int argc, char** argv, const char* name, long fallback) {
  return std::stol(flag(argc, argv, name, std::to_string(fallback)));
}

}  // namespace jit::bench
