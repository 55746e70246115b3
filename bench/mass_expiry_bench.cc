// 1,000 grants expiring in the same second: the time until every assignment is gone from AWS.
//
// The real engine and TimerLoop (with its revocation workers), a SQLite store, our
// IdentityCenterProvider and AWS JSON client against the AWS emulator in process, with Identity
// Center's realistic behaviour switched on: each deletion stays IN_PROGRESS for ~1 s and calls
// past N per second of one operation get ThrottlingException. Slack is stuck for the whole run
// (every chat call blocks, as behind a 120 s Retry-After), to show it changes nothing.
//
// Prints the time from the expiry second to the last assignment gone, the target
// `grants / revoke_rate + 2` s, and whether it is met (exit 1 when not).
//
// Usage: mass_expiry_bench [--grants 1000] [--rate 10] [--concurrency 16] [--deletion-ms 1000]
//                          [--throttle 20] [--chat blocked|memory] [--db PATH]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "aws/identity_center.h"
#include "emulators/aws/aws_emulator.h"
#include "engine/announcer.h"
#include "engine/engine.h"
#include "engine/timer_loop.h"
#include "expiry_bench_support.h"
#include "fakes/blocking_chat.h"
#include "fakes/manual_clock.h"
#include "fakes/memory_chat.h"
#include "store/sqlite_store.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::string kPs = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000bench1";
const std::string kInstance = "arn:aws:sso:::instance/ssoins-1111111111111111";
const std::string kStoreId = "d-1111111111";

using jit::bench::flag;
using jit::bench::FrozenClock;
using jit::bench::number;
using jit::bench::ShiftedClock;

std::string user(int i) { return fmt::format("U0B{:05}", i); }

}  // namespace

int main(int argc, char** argv) {
  const int grants = static_cast<int>(number(argc, argv, "--grants", 1000));
  const int rate = static_cast<int>(number(argc, argv, "--rate", 10));
  const int concurrency = static_cast<int>(number(argc, argv, "--concurrency", 16));
  const int deletion_ms = static_cast<int>(number(argc, argv, "--deletion-ms", 1000));
  const int throttle = static_cast<int>(number(argc, argv, "--throttle", 20));
  const std::string chat_mode = flag(argc, argv, "--chat", "blocked");
  const std::string path = flag(
      argc, argv, "--db", (std::filesystem::temp_directory_path() / fmt::format("jit-mass-{}.db", getpid())).string());
  spdlog::set_level(spdlog::level::err);

  jit::MemoryDirectory directory;  // e-mail: the lower-case user id @example.com
  jit::emulators::AwsEmulatorOptions aws_options;
  aws_options.assignment_delay = 0ms;
  aws_options.deletion_delay = std::chrono::milliseconds(deletion_ms);
  aws_options.threads = 16;
  for (int i = 0; i < grants; ++i)
    aws_options.users.push_back({user(i), directory.user(user(i)).value().email});
  auto aws = jit::bench::start_emulated_aws(aws_options);
  if (!aws) {
    fmt::print(stderr, "mass_expiry_bench: {}\n", aws.error().message);
    return 2;
  }
  auto& emulator = (*aws)->emulator;
  auto& sso_admin = *(*aws)->sso_admin;
  auto& identitystore = *(*aws)->identitystore;
  const jit::SystemClock system_clock;

  auto config = jit::bench::one_role_config(kPs, std::chrono::hours{1});
  config->settings.aws.revoke_rate = rate;
  config->settings.aws.revoke_concurrency = concurrency;
  auto store = jit::SqliteStore::open(path);
  if (!store) {
    fmt::print(stderr, "mass_expiry_bench: {}\n", store.error().message);
    return 2;
  }
  jit::MemoryChat chat;

  // Set-up: every grant approved at the same frozen second, so every one expires at the same second.
  const jit::TimePoint granted_at = system_clock.now();
  const jit::TimePoint expiry = granted_at + std::chrono::hours{1};
  const auto setup_start = Steady::now();
  {
    FrozenClock frozen(system_clock, granted_at);
    jit::aws::IdentityCenterProvider provider({kInstance, kStoreId, {}}, sso_admin, identitystore, frozen);
    jit::Engine engine(config, **store, provider, chat, directory, frozen, {.instance_id = "bench"});
    for (int i = 0; i < grants; ++i) {
      auto r = engine.submit({user(i), "prod", "read", "1h", "mass expiry bench", ""});
      auto a = r ? engine.approve(r->id, "U0APPROVER") : r;
      if (!a || a->state != jit::State::active) {
        fmt::print(stderr, "mass_expiry_bench: grant {} failed: {}\n", i, a ? std::string(jit::state_name(a->state)) : a.error().message);
        return 2;
      }
    }
  }
  const auto listed = emulator->assignments()["assignments"].size();
  fmt::print("set-up: {} grants active in AWS ({} assignments), all expiring at {}, in {:.1f} s\n", grants, listed,
             jit::format_time(expiry), std::chrono::duration<double>(Steady::now() - setup_start).count());

  // The run: Identity Center as it is (deletion latency, throttling), Slack stuck.
  jit::emulators::EmulatorFaults faults;
  faults.throttle_per_second = throttle;
  emulator->set_faults(faults);
  jit::BlockingChat stuck(chat);
  jit::Chat& slack = chat_mode == "blocked" ? static_cast<jit::Chat&>(stuck) : chat;
  const ShiftedClock clock(system_clock, (expiry - jit::Seconds{2}) - system_clock.now());
  double seconds_taken = 0;
  {
    jit::Announcer announcer(slack, clock, {.drain_deadline = 0ms});
    jit::aws::IdentityCenterProvider provider({kInstance, kStoreId, {}}, sso_admin, identitystore, system_clock);
    jit::Engine engine(config, **store, provider, announcer, directory, clock, {.instance_id = "bench"});
    jit::TimerLoop loop(engine, clock, {.revoke_concurrency = concurrency, .revoke_rate = rate});
    std::thread runner([&] { loop.run(); });
    while (clock.now() < expiry) std::this_thread::sleep_for(1ms);
    const auto t0 = Steady::now();  // the expiry second has begun
    while (!emulator->assignments()["assignments"].empty()) std::this_thread::sleep_for(20ms);
    seconds_taken = std::chrono::duration<double>(Steady::now() - t0).count();
    loop.stop();
    runner.join();
    stuck.release();  // lets the announcer's worker out for shutdown
  }
  const double target = static_cast<double>(grants) / rate + 2.0;
  const auto calls = emulator->calls();
  long throttled = 0;
  for (const auto& [operation, outcomes] : calls["operations"].items())
    throttled += outcomes.value("ThrottlingException", 0L);
  fmt::print(
      "mass expiry: {} grants, revoke_rate {}/s, revoke_concurrency {}, deletion latency {} ms, throttling past {} "
      "calls/s per operation ({} calls throttled), Slack {}\n",
      grants, rate, concurrency, deletion_ms, throttle, throttled, chat_mode);
  fmt::print("all {} assignments gone {:.2f} s after the expiry second began; target {} / {} + 2 = {:.1f} s: {}\n",
             grants, seconds_taken, grants, rate, target, seconds_taken <= target ? "MET" : "NOT MET");
  std::filesystem::remove(path);
  return seconds_taken <= target ? 0 : 1;
}
