// Figures for the core on SQLite, printed as a table:
//  - the sweeper's tick on a store holding N historical grants and M active ones (nothing due,
//    and with a batch due), showing that a tick costs O(due), not O(table);
//  - the whole lifecycle (submit, approve, grant, release/revoke) of K requests through the
//    engine with the in-memory provider.
// Usage: jit_bench [--historical N] [--active M] [--lifecycles K] [--db PATH]
// Defaults: 1,000,000 historical, 10,000 active, 10,000 lifecycles.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fakes/manual_clock.h"
#include "audit/facts.h"
#include "audit/proof.h"
#include "engine/engine.h"
#include "fakes/memory_chat.h"
#include "fakes/memory_provider.h"
#include "store/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using jit::Seconds;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

const std::string kPs = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-bench";

// Rows as the engine would leave them, written in one transaction straight into the schema that
// SqliteStore created (going through the engine would take minutes and measure nothing new).
void bulk_fill(const std::string& path, long historical, long active, jit::TimePoint now) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open failed");
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  const char* sql =
      "INSERT INTO requests (id, version, requester, account, account_id, role, permission_set_arn, "
      "duration_seconds, reason, ticket, created_at, updated_at, state, decisions, principal, granted_at, "
      "expires_at, ended_at, end_reason, lease_owner, lease_until, chat_channel, chat_ts) VALUES "
      "(?1, 5, ?2, 'prod', '123456789012', 'admin', ?3, 3600, 'bench', '', ?4, ?4, ?5, '[]', ?6, ?4, ?7, ?8, "
      "'', '', NULL, 'C0PROD', '1')";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
  const long long t = jit::epoch_seconds(now);
  for (long i = 0; i < historical + active; ++i) {
    const bool live = i >= historical;
    const std::string id = fmt::format("h{:08}", i), user = fmt::format("U{:07}", i);
    const long long created = live ? t - 60 : t - 3600 * 24 * 365 + i;
    sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, user.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kPs.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, created);
    sqlite3_bind_text(st, 5, live ? "active" : "revoked", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, ("p-" + user).c_str(), -1, SQLITE_TRANSIENT);
    // Active grants expire one a second from a minute on; historical ones ended an hour after creation.
    sqlite3_bind_int64(st, 7, live ? t + 60 + (i - historical) : created + 3600);
    if (live) sqlite3_bind_null(st, 8);
    else sqlite3_bind_int64(st, 8, created + 3600);
    if (sqlite3_step(st) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_exec(db, "COMMIT; ANALYZE;", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

long arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::stol(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  const long historical = arg(argc, argv, "--historical", 1000000);
  const long active = arg(argc, argv, "--active", 10000);
  const long lifecycles = arg(argc, argv, "--lifecycles", 10000);
  std::string path = (std::filesystem::temp_directory_path() / fmt::format("jit-bench-{}.db", getpid())).string();
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--db") == 0) path = argv[i + 1];

  auto config = std::make_shared<jit::Config>();
  jit::Policy* policy = &config->policy;
  jit::AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0APPROVER"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = kPs, .max_duration = std::chrono::hours{1},
                        .requesters = {"*"}});
  policy->accounts.push_back(prod);

  const jit::TimePoint start = jit::SystemClock().now();
  fmt::print("jit_bench: SQLite store at {}\n", path);
  {
    auto store = jit::SqliteStore::open(path);
    if (!store) {
      fmt::print(stderr, "{}\n", store.error().message);
      return 1;
    }
  }
  auto t0 = Clock::now();
  bulk_fill(path, historical, active, start);
  fmt::print("fill: {} historical + {} active grants in {:.0f} ms\n", historical, active, ms_since(t0));

  auto store = jit::SqliteStore::open(path);
  if (!store) return 1;
  // Each active grant's begin_grant event, which fixes its expiry (the engine holds grants to it).
  t0 = Clock::now();
  for (long i = historical; i < historical + active; ++i) {
    const std::string user = fmt::format("U{:07}", i);
    const jit::AccessRequest r{.id = fmt::format("h{:08}", i), .account_id = "123456789012",
                               .permission_set_arn = kPs, .principal = "p-" + user,
                               .expires_at = start + Seconds{60 + (i - historical)}};
    auto appended = (*store)->append_audit({.at = start - Seconds{60}, .actor = "system:engine",
                                            .action = "begin_grant", .request_id = r.id, .from_state = "approved",
                                            .to_state = "granting", .facts = jit::audit::facts::of_begin_grant(r)});
    if (!appended) return 1;
  }
  fmt::print("grant events: {} appended in {:.0f} ms\n", active, ms_since(t0));
  jit::MemoryAccessProvider provider;
  jit::MemoryChat chat;
  jit::MemoryDirectory directory;
  jit::ManualClock clock(start);
  jit::EngineOptions options;
  options.instance_id = "bench";
  jit::Engine engine(config, **store, provider, chat, directory, clock, options);

  // Sweeper tick with nothing due: the median of 50.
  std::vector<double> ticks;
  for (int i = 0; i < 50; ++i) {
    t0 = Clock::now();
    auto report = engine.sweep();
    ticks.push_back(ms_since(t0));
    if (report.revoked || report.errors) {
      fmt::print(stderr, "unexpected sweep work: revoked={} errors={}\n", report.revoked, report.errors);
      return 1;
    }
  }
  std::sort(ticks.begin(), ticks.end());
  fmt::print("sweeper tick, nothing due ({} rows in store): median {:.3f} ms, max {:.3f} ms\n", historical + active,
             ticks[ticks.size() / 2], ticks.back());

  // Let 100 grants fall due and sweep them (each revoke is 2 conditional writes + 1 provider call).
  clock.set(start + Seconds{60 + 99});
  t0 = Clock::now();
  auto due = engine.sweep();
  const double due_ms = ms_since(t0);
  fmt::print("sweeper tick, {} grants due: {:.1f} ms ({:.3f} ms per revoke)\n", due.revoked, due_ms,
             due.revoked ? due_ms / due.revoked : 0.0);
  clock.set(start);

  // Full lifecycles through the engine.
  t0 = Clock::now();
  long ok = 0;
  for (long i = 0; i < lifecycles; ++i) {
    auto r = engine.submit({fmt::format("U9{:06}", i), "prod", "admin", "30m", "bench", ""});
    if (!r) continue;
    auto a = engine.approve(r->id, "U0APPROVER");
    if (!a || a->state != jit::State::active) continue;
    auto done = engine.release(r->id, r->requester);
    if (done && done->state == jit::State::revoked) ++ok;
  }
  const double life_ms = ms_since(t0);
  fmt::print("lifecycles: {} of {} submit+approve+grant+revoke in {:.0f} ms: {:.0f} per second, {:.3f} ms each\n",
             ok, lifecycles, life_ms, ok / (life_ms / 1000.0), life_ms / std::max(1L, ok));

  // What the grant path adds per grant: one read of the request's events and the proof over them.
  auto recent = (*store)->list_requests({.limit = 1000});
  if (!recent || recent->empty()) return 1;
  t0 = Clock::now();
  std::size_t events_read = 0;
  for (const auto& r : *recent) {
    auto events = (*store)->audit_events({.request_id = r.id});
    if (!events) return 1;
    events_read += events->size();
    (void)jit::audit::examine_request(r, *events, jit::audit::Keyring::unkeyed(), &config->policy);
  }
  const double proof_ms = ms_since(t0);
  fmt::print("chain proof per grant (one events read of ~{} events + examine_request, {} requests): {:.3f} ms\n",
             events_read / recent->size(), recent->size(), proof_ms / static_cast<double>(recent->size()));
  fmt::print("peak RSS: {} MiB; database file: {} MiB\n", peak_rss_mib(),
             std::filesystem::file_size(path) / (1024 * 1024));
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return ok == lifecycles && due.revoked == 100 ? 0 : 1;
}
