// Revoke lag with several instances on one store: for each grant, the time from its expiry second
// to the moment its assignment is gone from the AWS emulator; prints p50, p99 and the worst.
//
// Like tests/e2e/multi_test.cc, in one process: `--instances` engines, each with its TimerLoop and
// revocation workers (rate 10/s, 16 workers) and its own IdentityCenterProvider, share one store;
// every instance has an expiry timer for every grant (as the sweeper gives them), so they all race
// at each expiry second and the leases decide. The store is SQLite behind a remote-store stand-in:
// each call waits `--store-ms` (default 20) and calls are served one at a time, as by moto_server,
// so every store round trip before DeleteAccountAssignment shows in the lag. Deletions stay
// IN_PROGRESS `--deletion-ms` (default 50, the e2e world's figure; Identity Center takes ~1 s).
//
// Usage: revoke_lag_bench [--instances 3] [--grants 18] [--spread 9] [--store-ms 20] [--deletion-ms 50]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "aws/identity_center.h"
#include "emulators/aws/aws_emulator.h"
#include "engine/engine.h"
#include "engine/timer_loop.h"
#include "expiry_bench_support.h"
#include "fakes/forwarding_store.h"
#include "fakes/memory_chat.h"
#include "store/sqlite_store.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;
using jit::bench::flag;
using jit::bench::FrozenClock;
using jit::bench::number;
using jit::bench::percentile;
using jit::bench::ShiftedClock;

const std::string kPs = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000bench2";
const std::string kInstance = "arn:aws:sso:::instance/ssoins-1111111111111111";
const std::string kStoreId = "d-1111111111";

std::string user(int i) { return fmt::format("U0L{:05}", i); }

// A store reached over the network by one server thread: every call waits `latency`, one at a time.
class RemoteStore final : public jit::ForwardingStore {
 public:
  RemoteStore(jit::Store& inner, std::chrono::milliseconds latency) : ForwardingStore(inner), latency_(latency) {}
  std::size_t calls() const { return calls_.load(); }

  jit::Result<jit::AccessRequest> create_request(const jit::AccessRequest& r, const jit::AuditEvent& e) override {
    return serve([&] { return inner_.create_request(r, e); });
  }
  jit::Result<jit::AccessRequest> get_request(const std::string& id) override {
    return serve([&] { return inner_.get_request(id); });
  }
  jit::Result<jit::AccessRequest> update_request(const jit::AccessRequest& r, const jit::AuditEvent& e) override {
    return serve([&] { return inner_.update_request(r, e); });
  }
  jit::Result<std::vector<jit::AccessRequest>> expired_grants(jit::TimePoint now, std::size_t limit) override {
    return serve([&] { return inner_.expired_grants(now, limit); });
  }
  jit::Result<std::vector<jit::AccessRequest>> in_flight(std::size_t limit) override {
    return serve([&] { return inner_.in_flight(limit); });
  }
  jit::Result<std::vector<jit::AccessRequest>> pending_before(jit::TimePoint cutoff, std::size_t limit) override {
    return serve([&] { return inner_.pending_before(cutoff, limit); });
  }
  jit::Result<std::vector<jit::AccessRequest>> holding_access(std::size_t limit) override {
    return serve([&] { return inner_.holding_access(limit); });
  }
  jit::Result<jit::AuditEvent> append_audit(const jit::AuditEvent& e) override {
    return serve([&] { return inner_.append_audit(e); });
  }

 private:
  template <class Call>
  std::invoke_result_t<Call> serve(Call call) {
    std::lock_guard lock(server_);
    ++calls_;
    std::this_thread::sleep_for(latency_);
    return call();
  }

  std::chrono::milliseconds latency_;
  std::mutex server_;
  std::atomic<std::size_t> calls_{0};
};

}  // namespace

int main(int argc, char** argv) {
  const int instances = static_cast<int>(number(argc, argv, "--instances", 3));
  const int grants = static_cast<int>(number(argc, argv, "--grants", 18));
  const int spread = std::max(1, static_cast<int>(number(argc, argv, "--spread", 9)));
  const auto store_latency = std::chrono::milliseconds(number(argc, argv, "--store-ms", 20));
  const auto deletion = std::chrono::milliseconds(number(argc, argv, "--deletion-ms", 50));
  const std::string path = flag(
      argc, argv, "--db", (std::filesystem::temp_directory_path() / fmt::format("jit-lag-{}.db", getpid())).string());
  spdlog::set_level(spdlog::level::err);

  jit::MemoryDirectory directory;
  jit::emulators::AwsEmulatorOptions aws_options;
  aws_options.assignment_delay = 0ms;
  aws_options.deletion_delay = deletion;
  aws_options.threads = 8;
  for (int i = 0; i < grants; ++i) aws_options.users.push_back({user(i), directory.user(user(i)).value().email});
  auto aws = jit::bench::start_emulated_aws(aws_options);
  if (!aws) {
    fmt::print(stderr, "revoke_lag_bench: {}\n", aws.error().message);
    return 2;
  }
  auto& emulator = (*aws)->emulator;
  auto& sso_admin = *(*aws)->sso_admin;
  auto& identitystore = *(*aws)->identitystore;
  const jit::SystemClock system_clock;

  auto config = jit::bench::one_role_config(kPs, std::chrono::hours{2});
  auto sqlite = jit::SqliteStore::open(path);
  if (!sqlite) {
    fmt::print(stderr, "revoke_lag_bench: {}\n", sqlite.error().message);
    return 2;
  }
  jit::MemoryChat chat;

  // Set-up, straight on SQLite: grant i expires one hour after second (i % spread).
  const jit::TimePoint start = system_clock.now();
  std::map<std::string, jit::TimePoint> expiry_of;  // principal -> expiry second
  {
    FrozenClock frozen(system_clock, start);
    jit::aws::IdentityCenterProvider provider({kInstance, kStoreId, {}}, sso_admin, identitystore, frozen);
    jit::Engine engine(config, **sqlite, provider, chat, directory, frozen, {.instance_id = "setup"});
    for (int i = 0; i < grants; ++i) {
      frozen.set(start + jit::Seconds{i % spread});
      auto r = engine.submit({user(i), "prod", "read", "1h", "revoke lag bench", ""});
      auto a = r ? engine.approve(r->id, "U0APPROVER") : r;
      if (!a || a->state != jit::State::active) {
        fmt::print(stderr, "revoke_lag_bench: grant {} failed: {}\n", i,
                   a ? std::string(jit::state_name(a->state)) : a.error().message);
        return 2;
      }
      expiry_of[a->principal] = *a->expires_at;
    }
  }

  // The run: the first grants expire two seconds from now.
  RemoteStore store(**sqlite, store_latency);
  const ShiftedClock clock(system_clock, (start + std::chrono::hours{1} - jit::Seconds{2}) - system_clock.now());
  std::map<std::string, std::chrono::system_clock::duration> lag_of;  // principal -> gone after its expiry second
  std::size_t store_calls = 0;
  {
    struct Instance {
      std::unique_ptr<jit::aws::IdentityCenterProvider> provider;
      std::unique_ptr<jit::Engine> engine;
      std::unique_ptr<jit::TimerLoop> loop;
      std::thread runner;
    };
    std::vector<Instance> running(instances);
    for (int k = 0; k < instances; ++k) {
      auto& in = running[k];
      in.provider = std::make_unique<jit::aws::IdentityCenterProvider>(jit::aws::IdentityCenterConfig{kInstance, kStoreId, {}},
                                                                     sso_admin, identitystore, system_clock);
      in.engine = std::make_unique<jit::Engine>(config, store, *in.provider, chat, directory, clock,
                                                jit::EngineOptions{.instance_id = fmt::format("i{}", k)});
      in.loop = std::make_unique<jit::TimerLoop>(*in.engine, clock,
                                                 jit::TimerLoopOptions{.revoke_concurrency = 16, .revoke_rate = 10});
      in.runner = std::thread([loop = in.loop.get()] { loop->run(); });
    }
    const auto deadline = Steady::now() + 60s + jit::Seconds{spread};
    while (lag_of.size() < expiry_of.size() && Steady::now() < deadline) {
      const auto listed = emulator->assignments()["assignments"];
      const auto wall = std::chrono::system_clock::now() + clock.shift();
      std::set<std::string> present;
      for (const auto& a : listed) present.insert(a.value("PrincipalId", ""));
      for (const auto& [principal, expiry] : expiry_of)
        if (!present.contains(principal) && !lag_of.contains(principal)) lag_of[principal] = wall - expiry;
      std::this_thread::sleep_for(5ms);
    }
    store_calls = store.calls();
    for (auto& in : running) in.loop->stop();
    for (auto& in : running) in.runner.join();
  }
  std::filesystem::remove(path);
  if (lag_of.size() < expiry_of.size()) {
    fmt::print(stderr, "revoke_lag_bench: {} of {} assignments still there after a minute\n",
               expiry_of.size() - lag_of.size(), expiry_of.size());
    return 1;
  }
  std::vector<double> lags;
  for (const auto& [principal, lag] : lag_of) lags.push_back(std::chrono::duration<double, std::milli>(lag).count());
  std::sort(lags.begin(), lags.end());
  fmt::print("revoke lag: {} grants over {} s, {} instances on one store ({} ms a call, one at a time), "
             "deletions {} ms, {} store calls in the run\n",
             grants, spread, instances, store_latency.count(), deletion.count(), store_calls);
  fmt::print("revoke lag p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms, min {:.0f} ms (expiry second to assignment gone)\n",
             percentile(lags, 50), percentile(lags, 99), lags.back(), lags.front());
  return lags.front() < 0 ? 1 : 0;  // never before the expiry second
}
