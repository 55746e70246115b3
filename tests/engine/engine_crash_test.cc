// Crash safety: the process dies between any two steps of the grant or the revoke path, a new
// engine starts on the same store and provider, and the lifecycle converges.
#include "engine_fixture.h"
#include "crashing_store.h"

namespace jit::testing {
namespace {

// Where the process dies: after a store write (by its audit action) or right after the provider
// acted (before the engine could record it).
struct CrashPoint {
  const char* name;
  const char* after_write;  // nullptr: crash on the provider effect instead
  MemoryAccessProvider::Op after_effect;
  bool revoke_path;
  bool same_instance;  // restart on the same host (own lease) or another instance takes over
};

class CrashTest : public EngineTest, public ::testing::WithParamInterface<CrashPoint> {};

TEST_P(CrashTest, ConvergesAfterRestart) {
  const CrashPoint& point = GetParam();
  CrashingStore crashing(store);
  auto doomed = make_engine("i-1", &crashing);

  AccessRequest r = submit();
  if (point.revoke_path) {
    ASSERT_EQ(doomed->approve(r.id, "U0ALICE")->state, State::active);
  }

  if (point.after_write) {
    crashing.crash_after_action = point.after_write;
  } else {
    crash_on_effect(provider, point.after_effect);
  }
  if (point.revoke_path) {
    clock.advance(std::chrono::hours{1});
    EXPECT_THROW(doomed->fire_due_timers(), Crash);
  } else {
    EXPECT_THROW(doomed->approve(r.id, "U0ALICE"), Crash);
  }
  doomed.reset();

  // Restart. Another instance must wait for the dead one's lease to end; the same instance not.
  auto restarted = make_engine(point.same_instance ? "i-1" : "i-2");
  restarted->recover();
  if (!point.same_instance) {
    clock.advance(Seconds{61});
    restarted->sweep();
  }
  AccessRequest after = read(r.id);
  const Assignment a{"p-u0dev", "123456789012", kAdminPs};
  if (point.revoke_path) {
    EXPECT_EQ(after.state, State::revoked) << point.name;
    EXPECT_FALSE(provider.has(a));
    EXPECT_EQ(provider.deleted(), 1);
  } else {
    ASSERT_EQ(after.state, State::active) << point.name;
    EXPECT_TRUE(provider.has(a));
    EXPECT_EQ(provider.created(), 1) << "granted exactly once";
    // The restarted engine owns the expiry: its timer revokes on time.
    clock.set(*after.expires_at);
    EXPECT_EQ(restarted->fire_due_timers(), 1);
    EXPECT_FALSE(provider.has(a));
    EXPECT_EQ(read(r.id).state, State::revoked);
  }
  EXPECT_TRUE(read(r.id).lease_owner.empty());
  expect_audit_ok();
}

using Op = MemoryAccessProvider::Op;
INSTANTIATE_TEST_SUITE_P(
    Steps, CrashTest,
    ::testing::Values(
        CrashPoint{"after_approve_written", "approve", Op::grant, false, true},
        CrashPoint{"after_granting_written", "begin_grant", Op::grant, false, true},
        CrashPoint{"after_granting_written_other", "begin_grant", Op::grant, false, false},
        CrashPoint{"after_provider_granted", nullptr, Op::grant, false, true},
        CrashPoint{"after_provider_granted_other", nullptr, Op::grant, false, false},
        CrashPoint{"after_active_written", "grant_succeeded", Op::grant, false, true},
        CrashPoint{"after_revoking_written", "expire", Op::revoke, true, true},
        CrashPoint{"after_revoking_written_other", "expire", Op::revoke, true, false},
        CrashPoint{"after_provider_revoked", nullptr, Op::revoke, true, true},
        CrashPoint{"after_provider_revoked_other", nullptr, Op::revoke, true, false},
        CrashPoint{"after_revoked_written", "revoke_succeeded", Op::revoke, true, true}),
    [](const ::testing::TestParamInfo<CrashPoint>& info) { return std::string(info.param.name); });

// A granting row found after its expiry has passed is rolled back, not activated late.
TEST_F(EngineTest, StaleGrantingRowIsRolledBack) {
  CrashingStore crashing(store);
  auto doomed = make_engine("i-1", &crashing);
  AccessRequest r = submit("admin", "15m");
  crash_on_effect(provider, MemoryAccessProvider::Op::grant);
  EXPECT_THROW(doomed->approve(r.id, "U0ALICE"), Crash);
  clock.advance(std::chrono::hours{1});  // down for longer than the grant's duration
  auto restarted = make_engine("i-1");
  restarted->recover();
  AccessRequest after = read(r.id);
  EXPECT_EQ(after.state, State::failed);
  EXPECT_TRUE(provider.assignments().empty());
  expect_audit_ok();
}

}  // namespace
}  // namespace jit::testing
