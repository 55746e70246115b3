// What the AWS-side enforcement of issue 14 costs a grant: click-to-active latency (from the last
// approval to the state active, the time engine.approve takes) for a role with session_cutoff and
// scheduled_revoke against a standard role, and how many cut-offs fit one permission set's inline
// policy.
//
// Through the real Engine, SQLite (also the provider's cross-instance lock) and the real
// IdentityCenterProvider with its Scheduler client, against the AWS emulator in process:
// ProvisionPermissionSet stays IN_PROGRESS `--provision-ms` (default 1000, the emulator's
// default), account assignments `--assignment-ms` (default 0, as the other AWS benches). Each role
// has its own permission set; every grant is a different user, so the statements add up.
//
//   sequential  `--grants` grants of each role, one after the other;
//   concurrent  `--grants` grants of each role by `--concurrency` threads at once, all on one
//               permission set per role: the provider serialises the inline policy's
//               read-modify-write and provisioning per permission set, so arming queues.
//   capacity    grants of a cut-off role until the permission set has no room (the engine fails the
//               grant; a direct arm_cutoff then must be refused with Errc::denied), with user ids of
//               36 characters (a UUID) and of 47 ("<10 hex>-<uuid>", newer identity stores), with and
//               without 2,000 characters of the admin's own statements. Provisioning is 0 here.
//
// Usage: grant_latency_bench [--grants 20] [--concurrency 4] [--provision-ms 1000] [--assignment-ms 0]
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/facts.h"
#include "aws/cutoff_policy.h"
#include "aws/identity_center.h"
#include "emulators/aws/aws_emulator.h"
#include "engine/engine.h"
#include "expiry_bench_support.h"
#include "fakes/memory_chat.h"
#include "store/sqlite_store.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;
using jit::bench::number;
using jit::bench::percentile;

const std::string kInstance = "arn:aws:sso:::instance/ssoins-1111111111111111";
const std::string kStoreId = "d-1111111111";
const std::string kGroup = "jit-access";
const std::string kSchedulerRole = "arn:aws:iam::123456789012:role/jit-scheduler";
constexpr int kCapacityCeiling = 40;  // more than any policy of 10,240 characters can hold

std::string permission_set(int n) {
  return fmt::format("arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-00000000bench{:03}", n);
}
std::string user(int i) { return fmt::format("U0G{:05}", i); }

// A role of account "prod" on its own permission set; `enforced`: session_cutoff and scheduled_revoke.
jit::RolePolicy role(const std::string& name, int ps, bool enforced) {
  return {.name = name, .permission_set_arn = permission_set(ps), .max_duration = std::chrono::hours{2},
          .requesters = {"*"}, .session_cutoff = enforced, .scheduled_revoke = enforced};
}

std::shared_ptr<jit::Config> config_of(std::vector<jit::RolePolicy> roles) {
  auto config = std::make_shared<jit::Config>();
  jit::AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0APPROVER"}};
  prod.roles = std::move(roles);
  config->policy.accounts.push_back(prod);
  return config;
}

// The engine and what it stands on, for one emulator.
struct World {
  std::unique_ptr<jit::bench::EmulatedAws> aws;
  std::unique_ptr<jit::SqliteStore> store;
  std::unique_ptr<jit::aws::IdentityCenterProvider> provider;
  jit::MemoryChat chat;
  std::unique_ptr<jit::Engine> engine;
  std::string path;

  ~World() {
    engine.reset();
    provider.reset();
    store.reset();
    if (!path.empty()) std::filesystem::remove(path);
  }
};

jit::Result<std::unique_ptr<World>> make_world(jit::emulators::AwsEmulatorOptions options,
                                               std::shared_ptr<jit::Config> config, jit::MemoryDirectory& directory,
                                               const jit::Clock& clock, const std::string& name,
                                               jit::aws::IdentityCenterOptions provider_options = {}) {
  auto w = std::make_unique<World>();
  options.schedule_groups = {kGroup};
  options.threads = 8;
  auto aws = jit::bench::start_emulated_aws(std::move(options));
  if (!aws) return jit::fail(aws.error());
  w->aws = std::move(*aws);
  w->path = (std::filesystem::temp_directory_path() / fmt::format("jit-grant-{}-{}.db", name, getpid())).string();
  std::filesystem::remove(w->path);
  auto sqlite = jit::SqliteStore::open(w->path);
  if (!sqlite) return jit::fail(sqlite.error());
  w->store = std::move(*sqlite);
  w->provider = std::make_unique<jit::aws::IdentityCenterProvider>(
      jit::aws::IdentityCenterConfig{.instance_arn = kInstance, .identity_store_id = kStoreId,
                                     .options = provider_options,
                                     .schedule = {.group = kGroup, .role_arn = kSchedulerRole},
                                     .locks = w->store.get(), .lock_owner = "bench"},
      *w->aws->sso_admin, *w->aws->identitystore, clock, w->aws->scheduler.get());
  w->engine = std::make_unique<jit::Engine>(config, *w->store, *w->provider, w->chat, directory, clock,
                                            jit::EngineOptions{.instance_id = "bench"});
  return w;
}

// One grant: submit (not timed), then the approval that grants it, timed. The request as stored.
struct Granted {
  jit::Result<jit::AccessRequest> request;
  double approve_ms = 0;
};
Granted grant(jit::Engine& engine, const std::string& requester, const std::string& role_name) {
  auto submitted = engine.submit({requester, "prod", role_name, "1h", "grant latency bench", ""});
  if (!submitted) return {jit::fail(submitted.error())};
  const auto start = Steady::now();
  auto approved = engine.approve(submitted->id, "U0APPROVER");
  return {std::move(approved), std::chrono::duration<double, std::milli>(Steady::now() - start).count()};
}

struct Figures {
  std::vector<double> ms;
  std::string failure;  // the first grant that did not end active
};

// `count` grants of `role_name` by `threads` threads, users from `first_user` on.
Figures run_grants(jit::Engine& engine, const std::string& role_name, int count, int threads, int first_user) {
  Figures out;
  std::mutex mu;
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        auto g = grant(engine, user(first_user + i), role_name);
        std::lock_guard lock(mu);
        if (g.request && g.request->state == jit::State::active) out.ms.push_back(g.approve_ms);
        else if (out.failure.empty())
          out.failure = g.request ? fmt::format("{} ended {}: {}", g.request->id, jit::state_name(g.request->state),
                                                g.request->end_reason)
                                  : g.request.error().message;
      }
    });
  for (auto& w : workers) w.join();
  std::sort(out.ms.begin(), out.ms.end());
  return out;
}

// The provisioning times the engine recorded in each cut-off role grant's cutoff_armed event.
std::vector<double> provisioning_ms(jit::Store& store) {
  std::vector<double> out;
  auto events = store.audit_events({});
  if (!events) return out;
  for (const auto& e : *events) {
    if (e.action != "cutoff_armed") continue;
    if (auto facts = jit::audit::facts::read(e); facts && facts->contains("provisioning_ms"))
      out.push_back((*facts)["provisioning_ms"].get<double>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string summary(const std::vector<double>& sorted) {
  if (sorted.empty()) return "no figures";
  return fmt::format("p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms", percentile(sorted, 50), percentile(sorted, 99),
                     sorted.back());
}

// One admin statement of exactly `size` characters as IAM counts them (its Resource padded), in a
// policy document.
std::string admin_policy(int size) {
  jit::aws::cutoff::Json admin = {{"Sid", "Admin"}, {"Effect", "Allow"}, {"Action", "s3:GetObject"}, {"Resource", ""}};
  const int bare = jit::aws::cutoff::policy_size(admin.dump());
  admin["Resource"] = "arn:aws:s3:::" + std::string(static_cast<std::size_t>(size - bare - 13), 'b');
  using Json = jit::aws::cutoff::Json;
  return Json{{"Version", "2012-10-17"}, {"Statement", Json::array({admin})}}.dump();
}

// A user id of `length` 36 ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") or 47 ("<10 hex>-" before it).
std::string user_id(int length, int i) {
  const std::string uuid = fmt::format("{:08x}-aaaa-4bbb-8ccc-{:012x}", 0x5eed0000 + i, i);
  return length == 47 ? fmt::format("{:010x}-{}", 0x9067000000ULL + static_cast<unsigned>(i), uuid) : uuid;
}

struct Capacity {
  int fitted = 0;
  int size = 0;  // the policy's size with the last statement that fitted
  bool refused_denied = false;
  std::string refusal;
};

// Grants of one cut-off role until one fails; then a direct arm_cutoff for that grant must be
// refused with Errc::denied.
Capacity measure_capacity(int id_length, int admin_size, jit::MemoryDirectory& directory, const jit::Clock& clock) {
  Capacity out;
  jit::emulators::AwsEmulatorOptions options;
  options.assignment_delay = 0ms;
  options.provision_delay = 0ms;
  jit::emulators::EmulatedPermissionSet ps{.arn = permission_set(90)};
  if (admin_size > 0) ps.inline_policy = admin_policy(admin_size);
  options.permission_sets.push_back(ps);
  for (int i = 0; i < kCapacityCeiling; ++i) {
    const std::string u = fmt::format("U0C{:05}", i);
    options.users.push_back({u, directory.user(u).value().email, user_id(id_length, i)});
  }
  jit::RolePolicy cut = role("cut", 90, true);
  cut.scheduled_revoke = false;  // the policy's room is the question here
  // Status polls at once: only the policy's room is measured here, not time.
  auto w = make_world(options, config_of({cut}), directory, clock, fmt::format("cap{}-{}", id_length, admin_size),
                      {.poll_first_delay = 1ms, .poll_initial_delay = 5ms});
  if (!w) {
    out.refusal = w.error().message;
    return out;
  }
  for (int i = 0; i < kCapacityCeiling; ++i) {
    auto g = grant(*(*w)->engine, fmt::format("U0C{:05}", i), "cut");
    if (!g.request) {
      out.refusal = g.request.error().message;
      return out;
    }
    if (g.request->state == jit::State::active) {
      ++out.fitted;
      continue;
    }
    const jit::AccessRequest& r = *g.request;
    auto armed = (*w)->provider->arm_cutoff(
        {r.id, {r.principal, r.account_id, r.permission_set_arn}, *r.expires_at, *r.expires_at + 2min});
    out.refused_denied = !armed && armed.error().code == jit::Errc::denied;
    out.refusal = armed ? "arm_cutoff accepted it" : armed.error().message;
    break;
  }
  auto text = (*w)->aws->sso_admin->call("GetInlinePolicyForPermissionSet",
                                         {{"InstanceArn", kInstance}, {"PermissionSetArn", permission_set(90)}});
  if (text) out.size = jit::aws::cutoff::policy_size((*text).value("InlinePolicy", ""));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int grants = static_cast<int>(number(argc, argv, "--grants", 20));
  const int concurrency = std::max(1, static_cast<int>(number(argc, argv, "--concurrency", 4)));
  const auto provision = std::chrono::milliseconds(number(argc, argv, "--provision-ms", 1000));
  const auto assignment = std::chrono::milliseconds(number(argc, argv, "--assignment-ms", 0));
  if (grants < 1 || grants > 25) {
    fmt::print(stderr, "grant_latency_bench: --grants must be 1..25 (each phase's statements must fit one policy)\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::err);
  const jit::SystemClock clock;
  jit::MemoryDirectory directory;
  int status = 0;

  // Latency: four roles, each on its own permission set.
  {
    jit::emulators::AwsEmulatorOptions options;
    options.assignment_delay = assignment;
    options.provision_delay = provision;
    for (int i = 0; i < 4 * grants; ++i) options.users.push_back({user(i), directory.user(user(i)).value().email});
    auto config = config_of({role("std-seq", 1, false), role("cut-seq", 2, true), role("std-par", 3, false),
                             role("cut-par", 4, true)});
    auto w = make_world(options, config, directory, clock, "latency");
    if (!w) {
      fmt::print(stderr, "grant_latency_bench: {}\n", w.error().message);
      return 2;
    }
    auto& engine = *(*w)->engine;
    const Figures std_seq = run_grants(engine, "std-seq", grants, 1, 0);
    const Figures cut_seq = run_grants(engine, "cut-seq", grants, 1, grants);
    const Figures std_par = run_grants(engine, "std-par", grants, concurrency, 2 * grants);
    const Figures cut_par = run_grants(engine, "cut-par", grants, concurrency, 3 * grants);
    for (const auto* f : {&std_seq, &cut_seq, &std_par, &cut_par})
      if (!f->failure.empty()) {
        fmt::print(stderr, "grant_latency_bench: a grant failed: {}\n", f->failure);
        status = 1;
      }
    const auto provisioned = provisioning_ms(*(*w)->store);
    fmt::print("click-to-active (approve to active), real engine + SQLite + IdentityCenterProvider, AWS emulator: "
               "provisioning {} ms, assignments {} ms\n",
               provision.count(), assignment.count());
    fmt::print("  sequential, {} grants each: standard role {}; session_cutoff + scheduled_revoke {}\n", grants,
               summary(std_seq.ms), summary(cut_seq.ms));
    if (!std_seq.ms.empty() && !cut_seq.ms.empty())
      fmt::print("  arming adds {:.0f} ms at p50 ({:.0f} ms at p99) to click-to-active\n",
                 percentile(cut_seq.ms, 50) - percentile(std_seq.ms, 50),
                 percentile(cut_seq.ms, 99) - percentile(std_seq.ms, 99));
    fmt::print("  {} at once on one permission set, {} grants each: standard role {}; session_cutoff + "
               "scheduled_revoke {}\n",
               concurrency, grants, summary(std_par.ms), summary(cut_par.ms));
    fmt::print("  ProvisionPermissionSet as the engine recorded it (cutoff_armed events, {} of them): {}\n",
               provisioned.size(), summary(provisioned));
  }

  // Capacity: one permission set's inline policy. The refused grants' log lines are expected.
  spdlog::set_level(spdlog::level::off);
  fmt::print("cut-offs that fit one permission set's inline policy (10,240 characters, whitespace not counted):\n");
  for (int id_length : {36, 47})
    for (int admin_size : {0, 2000}) {
      const Capacity c = measure_capacity(id_length, admin_size, directory, clock);
      fmt::print("  user ids of {} characters, {:>5} characters of the admin's statements: {} grants ({} characters); "
                 "the next refused{}: {}\n",
                 id_length, admin_size, c.fitted, c.size, c.refused_denied ? " (denied)" : " NOT with denied",
                 c.refusal);
      if (!c.refused_denied || c.fitted == 0) status = 1;
    }
  return status;
}
