// A ready-made engine on in-memory ports with a manual clock, for the engine's unit tests.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "fakes/manual_clock.h"
#include "engine/engine.h"
#include "core/settings.h"
#include "fakes/memory_chat.h"
#include "fakes/memory_provider.h"
#include "audit/chain.h"
#include "fakes/memory_store.h"

namespace jit::testing {

inline const TimePoint kStart = *parse_time("2026-11-24T10:00:00Z");
inline const std::string kAdminPs = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-admin";
inline const std::string kReadPs = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-read";
inline const std::string kGlassPs = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-glass";

// prod: admin (1 approval, max 2h), read (any requester), glass (2 approvals).
// Approvers of prod: U0ALICE, U0BOB, U0CAROL and the group S0SRE. Admin: U0ADMIN.
inline std::shared_ptr<Config> test_config() {
  auto c = std::make_shared<Config>();
  Policy* p = &c->policy;
  p->approval_window = std::chrono::hours{1};
  p->admins = {"U0ADMIN"};
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD",
                     .approvers = {"U0ALICE", "U0BOB", "U0CAROL", "S0SRE"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{2},
                        .requesters = {"U0DEV", "U0ALICE", "S0DEVS"}});
  prod.roles.push_back({.name = "read", .permission_set_arn = kReadPs, .max_duration = std::chrono::hours{8},
                        .requesters = {"*"}});
  prod.roles.push_back({.name = "glass", .permission_set_arn = kGlassPs, .max_duration = std::chrono::hours{1},
                        .tier = Tier::break_glass, .approvals_required = 2, .requesters = {"*"}});
  p->accounts.push_back(prod);
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() { spdlog::set_level(spdlog::level::off); }

  std::unique_ptr<Engine> make_engine(const std::string& instance = "i-1", Store* store = nullptr) {
    EngineOptions o;
    o.instance_id = instance;
    o.lease = Seconds{60};
    return std::make_unique<Engine>(config, store ? *store : this->store, provider, chat, directory, clock, o);
  }

  AccessRequest submit(const std::string& role = "admin", const std::string& duration = "1h",
                       const std::string& requester = "U0DEV") {
    auto r = engine->submit({requester, "prod", role, duration, "investigating INC-1", ""});
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(AccessRequest{});
  }

  AccessRequest read(const std::string& id) { return store.get_request(id).value(); }

  Assignment assignment(const AccessRequest& r) { return assignment_of(r); }

  void expect_audit_ok() {
    auto events = store.audit_events({});
    ASSERT_TRUE(events);
    auto report = audit::verify(*events, store.audit_head().value(), audit::Keyring::unkeyed());
    EXPECT_TRUE(report.ok) << report.problem;
  }

  std::vector<std::string> actions_of(const std::string& id) {
    std::vector<std::string> out;
    const auto events = store.audit_events({}).value();
    for (const auto& e : events)
      if (e.request_id == id) out.push_back(e.action);
    return out;
  }

  std::shared_ptr<Config> config = test_config();
  MemoryStore store;
  MemoryAccessProvider provider;
  MemoryChat chat;
  MemoryDirectory directory;
  ManualClock clock{kStart};
  std::unique_ptr<Engine> engine = make_engine();
};

// An engine whose prod/admin role arms the session cut-off and schedules the revoke (issue 14), on a
// provider that prunes cut-offs by the clock (sessions last up to 1h).
class EnforcingEngineTest : public EngineTest {
 protected:
  EnforcingEngineTest() {
    RolePolicy& admin = config->policy.accounts[0].roles[0];
    admin.session_cutoff = true;
    admin.scheduled_revoke = true;
    provider.use_clock(&clock, std::chrono::hours{1});
  }

  // After an in-process "kill -9" (crashing_store.h): the same instance restarts (recover), or
  // another one takes over once the dead one's lease has run out (recover, then a sweep).
  void restart_after_crash(bool same_instance) {
    engine = make_engine(same_instance ? "i-1" : "i-2");
    engine->recover();
    if (same_instance) return;
    clock.advance(Seconds{61});
    engine->sweep();
  }

  // A request of `role` for `duration`, approved by U0ALICE and active.
  AccessRequest granted(const std::string& role = "admin", const std::string& duration = "1h") {
    AccessRequest r = submit(role, duration);
    auto g = engine->approve(r.id, "U0ALICE");
    EXPECT_TRUE(g && g->state == State::active) << (g ? std::string(state_name(g->state)) : g.error().message);
    return g.value_or(r);
  }
};

}  // namespace jit::testing
