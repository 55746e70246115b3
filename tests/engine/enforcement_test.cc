// Issue 14 in the engine: a grant of a role with session_cutoff / scheduled_revoke arms the deny and
// creates the schedule before the assignment exists, and every end of it moves the deny (early
// ends) and cancels the schedule before the grant is recorded as revoked.
#include "audit/facts.h"
#include "engine_fixture.h"
#include "crashing_store.h"

namespace jit::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Op = MemoryAccessProvider::Op;

// admin: the deny and the schedule; read: a standard role with neither.
class EnforcementTest : public EnforcingEngineTest {
 protected:
  // The facts of the request's (last) event of `action`.
  audit::facts::Json facts_of(const std::string& id, const std::string& action) {
    audit::facts::Json out;
    const auto events = store.audit_events({.request_id = id}).value();
    for (const auto& e : events)
      if (e.action == action) out = audit::facts::read(e).value();
    return out;
  }
  std::string detail_of(const std::string& id, const std::string& action) {
    std::string out;
    const auto events = store.audit_events({.request_id = id}).value();
    for (const auto& e : events)
      if (e.action == action) out = e.detail;
    return out;
  }
  int arms() const {
    const auto e = provider.effects();
    return static_cast<int>(std::count(e.begin(), e.end(), Op::arm));
  }
  bool alerted(const std::string& text) {
    for (const auto& line : chat.transcript())
      if (line.text.find(text) != std::string::npos) return true;
    return false;
  }
};

TEST_F(EnforcementTest, DenyAndScheduleComeBeforeTheAssignmentInThatOrder) {
  AccessRequest r = granted();
  const TimePoint e = *r.expires_at;
  EXPECT_THAT(provider.effects(), ElementsAre(Op::arm, Op::schedule, Op::grant));
  auto cutoff = provider.cutoff(r.id);
  ASSERT_TRUE(cutoff);
  EXPECT_EQ(cutoff->assignment, assignment(r));
  EXPECT_EQ(cutoff->cut_at, e);
  EXPECT_EQ(cutoff->sessions_before, e + std::chrono::minutes{2});
  ASSERT_EQ(provider.schedules().size(), 1u);
  EXPECT_EQ(provider.schedules().at(r.id).at, e);
  EXPECT_EQ(provider.schedules().at(r.id).assignment, assignment(r));
  EXPECT_THAT(actions_of(r.id), ElementsAre("submit", "posted", "approve", "begin_grant", "cutoff_armed",
                                            "revoke_scheduled", "grant_succeeded"));
  const auto begin = facts_of(r.id, "begin_grant");
  EXPECT_EQ(begin.value("session_cutoff", false), true);
  EXPECT_EQ(begin.value("scheduled_revoke", false), true);
  const auto armed = facts_of(r.id, "cutoff_armed");
  EXPECT_EQ(audit::facts::number(armed, "cut_at"), epoch_seconds(e));
  EXPECT_EQ(audit::facts::number(armed, "sessions_before"), epoch_seconds(e + std::chrono::minutes{2}));
  EXPECT_EQ(audit::facts::number(armed, "statements"), 1);
  EXPECT_EQ(audit::facts::number(armed, "size_limit"), 10240);
  EXPECT_EQ(audit::facts::number(facts_of(r.id, "revoke_scheduled"), "at"), epoch_seconds(e));
  EXPECT_THAT(detail_of(r.id, "grant_succeeded"), HasSubstr("cut-off armed"));
  EXPECT_THAT(detail_of(r.id, "grant_succeeded"), HasSubstr("schedule at " + format_time(e)));
  // A session of this grant is cut at its expiry second; one of a later grant is not.
  EXPECT_FALSE(provider.session_cut(assignment(r), kStart, e));
  EXPECT_TRUE(provider.session_cut(assignment(r), kStart, e + Seconds{1}));
  EXPECT_FALSE(provider.session_cut(assignment(r), e + std::chrono::minutes{3}, e + std::chrono::minutes{4}));
  expect_audit_ok();
}

TEST_F(EnforcementTest, StandardRoleArmsAndSchedulesNothing) {
  AccessRequest r = granted("read");
  EXPECT_THAT(provider.effects(), ElementsAre(Op::grant));
  EXPECT_EQ(provider.calls(Op::arm), 0);
  EXPECT_EQ(provider.calls(Op::schedule), 0);
  EXPECT_FALSE(facts_of(r.id, "begin_grant").contains("session_cutoff"));
  clock.set(*r.expires_at);
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_EQ(provider.calls(Op::cancel), 0);
}

TEST_F(EnforcementTest, FullPolicyFailsTheGrantWithTheProvidersMessage) {
  const std::string full = "permission set ps-admin has 31 live cut-offs; the next frees at 2026-11-24T11:30:00Z";
  provider.fail_next(Op::arm, 1, Error::Denied(full));
  AccessRequest r = submit();
  auto after = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, State::failed);
  EXPECT_THAT(after->end_reason, HasSubstr(full));
  EXPECT_TRUE(provider.assignments().empty());
  EXPECT_TRUE(provider.schedules().empty());
  EXPECT_EQ(chat.notices_for("U0DEV").back(), Notice::failed);
  EXPECT_TRUE(alerted(full));
  expect_audit_ok();
}

TEST_F(EnforcementTest, CapacityOfThePermissionSetIsEnforced) {
  provider.set_cutoff_capacity(1);
  granted();
  AccessRequest second = submit("admin", "1h", "U0ALICE");
  auto after = engine->approve(second.id, "U0BOB");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, State::failed);
  EXPECT_THAT(after->end_reason, HasSubstr("1 live cut-offs"));
  EXPECT_EQ(provider.cutoffs().size(), 1u);
  EXPECT_EQ(provider.created(), 1);
}

TEST_F(EnforcementTest, ArmingUnavailableIsRetriedLikeAGrant) {
  provider.fail_next(Op::arm, 1, Error::Unavailable("ProvisionPermissionSet: ConflictException"));
  AccessRequest r = submit();
  auto after = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, State::granting);
  EXPECT_TRUE(provider.assignments().empty());
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::active);
  EXPECT_EQ(provider.calls(Op::arm), 2);
  EXPECT_THAT(provider.effects(), ElementsAre(Op::arm, Op::schedule, Op::grant));
}

TEST_F(EnforcementTest, ScheduleRefusedFailsTheGrantAndNothingIsLeftToFire) {
  provider.fail_next(Op::schedule, 1, Error::Denied("AccessDeniedException: iam:PassRole"));
  AccessRequest r = submit();
  auto after = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, State::failed);
  EXPECT_THAT(after->end_reason, HasSubstr("iam:PassRole"));
  EXPECT_TRUE(provider.assignments().empty());
  EXPECT_TRUE(provider.schedules().empty());
  EXPECT_EQ(provider.calls(Op::grant), 0);
  // The armed cut-off is moved to the failure: at the grant's expiry it cuts no later grant's
  // sessions (before, a new grant made within the hour lost its sessions at this one's expiry).
  auto cutoff = provider.cutoff(r.id);
  ASSERT_TRUE(cutoff);
  EXPECT_EQ(cutoff->cut_at, clock.now());
  EXPECT_EQ(cutoff->sessions_before, clock.now());
  EXPECT_FALSE(provider.session_cut(assignment(r), clock.now() + Seconds{1}, *after->expires_at + Seconds{1}));
}

TEST_F(EnforcementTest, ReleaseMovesTheCutoffToTheReleaseTimeAndCancelsTheSchedule) {
  AccessRequest r = granted();
  clock.advance(std::chrono::minutes{10});
  const TimePoint released_at = clock.now();
  auto after = engine->release(r.id, "U0DEV");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->state, State::revoked);
  EXPECT_THAT(provider.effects(), ElementsAre(Op::arm, Op::schedule, Op::grant, Op::arm, Op::revoke, Op::cancel));
  auto cutoff = provider.cutoff(r.id);
  ASSERT_TRUE(cutoff);
  EXPECT_EQ(cutoff->cut_at, released_at);
  // Sessions opened until the assignment is gone are cut too: the margin, as at expiry.
  EXPECT_EQ(cutoff->sessions_before, released_at + std::chrono::minutes{2});
  EXPECT_TRUE(provider.schedules().empty());
  // A session opened during the grant ends now, not at the expiry.
  EXPECT_TRUE(provider.session_cut(assignment(r), kStart, released_at + Seconds{1}));
  EXPECT_TRUE(provider.session_cut(assignment(r), released_at + Seconds{1}, released_at + Seconds{2}));
  const auto facts = facts_of(r.id, "revoke_succeeded");
  EXPECT_EQ(audit::facts::number(facts, "cutoff_moved_to"), epoch_seconds(released_at));
  EXPECT_EQ(facts.value("schedule_cancelled", false), true);
  EXPECT_THAT(detail_of(r.id, "revoke_succeeded"), HasSubstr("cut-off moved to " + format_time(released_at)));
  expect_audit_ok();
}

TEST_F(EnforcementTest, AdminRevokeMovesTheCutoffToo) {
  AccessRequest r = granted();
  clock.advance(std::chrono::minutes{5});
  auto after = engine->admin_revoke(r.id, "U0ADMIN", "incident over");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->state, State::revoked);
  EXPECT_EQ(provider.cutoff(r.id)->cut_at, clock.now());
  EXPECT_TRUE(provider.schedules().empty());
}

TEST_F(EnforcementTest, ExpiryCancelsTheScheduleAndLeavesTheArmedCutoff) {
  AccessRequest r = granted();
  clock.set(*r.expires_at);
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_THAT(provider.effects(), ElementsAre(Op::arm, Op::schedule, Op::grant, Op::revoke, Op::cancel));
  EXPECT_EQ(provider.cutoff(r.id)->cut_at, *r.expires_at);
  EXPECT_TRUE(provider.schedules().empty());
  EXPECT_EQ(facts_of(r.id, "revoke_succeeded").value("schedule_cancelled", false), true);
  EXPECT_FALSE(facts_of(r.id, "revoke_succeeded").contains("cutoff_moved_to"));
}

TEST_F(EnforcementTest, AGrantTheScheduleAlreadyEndedIsFinishedAsRevoked) {
  AccessRequest r = granted();
  engine.reset();  // every instance is down at the expiry second
  clock.set(*r.expires_at + Seconds{40});
  ASSERT_TRUE(provider.fire_schedule(r.id));
  EXPECT_TRUE(provider.assignments().empty());
  engine = make_engine("i-2");
  engine->recover();
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_EQ(provider.deleted(), 0) << "the schedule deleted it; the revoke found nothing";
  EXPECT_EQ(provider.calls(Op::cancel), 1);
  expect_audit_ok();
}

TEST_F(EnforcementTest, FailedCancelKeepsTheGrantRevokingAndAlerts) {
  AccessRequest r = granted();
  provider.fail_next(Op::cancel, 1, Error::Unavailable("scheduler: ThrottlingException"));
  clock.set(*r.expires_at);
  engine->fire_due_timers();
  EXPECT_EQ(read(r.id).state, State::revoking);
  EXPECT_TRUE(provider.assignments().empty()) << "the assignment goes all the same";
  EXPECT_TRUE(alerted("could not cancel the scheduled revoke"));
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_TRUE(provider.schedules().empty());
}

TEST_F(EnforcementTest, FailedRearmNeverHoldsTheDeletionBack) {
  AccessRequest r = granted();
  clock.advance(std::chrono::minutes{10});
  provider.fail_next(Op::arm, 1, Error::Unavailable("ProvisionPermissionSet: ConflictException"));
  auto after = engine->release(r.id, "U0DEV");
  EXPECT_FALSE(after);
  EXPECT_EQ(read(r.id).state, State::revoking);
  EXPECT_TRUE(provider.assignments().empty());
  EXPECT_TRUE(alerted("could not move the session cut-off"));
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_EQ(provider.cutoff(r.id)->cut_at, clock.now());
  EXPECT_TRUE(provider.schedules().empty());
}

TEST_F(EnforcementTest, TheRevokeFollowsWhatTheGrantArmedNotPolicyNow) {
  AccessRequest r = granted();
  auto changed = std::make_shared<Config>(*config);
  changed->policy.accounts[0].roles[0].session_cutoff = false;
  changed->policy.accounts[0].roles[0].scheduled_revoke = false;
  engine->set_config(changed);
  engine = make_engine("i-2");  // and a fresh instance: it learns it from the chain
  engine->set_config(changed);
  clock.advance(std::chrono::minutes{10});
  ASSERT_TRUE(engine->release(r.id, "U0DEV"));
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_EQ(provider.cutoff(r.id)->cut_at, clock.now());
  EXPECT_TRUE(provider.schedules().empty());
}

TEST_F(EnforcementTest, ReconcilePrunesCutoffsNoSessionNeeds) {
  AccessRequest r = granted();
  clock.set(*r.expires_at);
  engine->fire_due_timers();
  ASSERT_EQ(provider.cutoffs().size(), 1u);
  clock.set(*r.expires_at + std::chrono::minutes{2} + std::chrono::hours{1});
  EXPECT_EQ(engine->reconcile().cutoffs_pruned, 0) << "a session issued just before the bound still lives";
  clock.advance(Seconds{1});
  EXPECT_EQ(engine->reconcile().cutoffs_pruned, 1);
  EXPECT_TRUE(provider.cutoffs().empty());
  EXPECT_EQ(provider.calls(Op::prune), 2) << "one permission set has cut-offs";
}

TEST_F(EnforcementTest, TwoEnginesOnOneStoreArmOnce) {
  auto other = make_engine("i-2");
  AccessRequest r = submit();
  // While i-1 arms, i-2 sweeps: the row is granting under i-1's lease, so i-2 leaves it.
  provider.on_effect([&](Op op, const Assignment&) {
    if (op == Op::arm) other->sweep();
  });
  ASSERT_EQ(engine->approve(r.id, "U0ALICE")->state, State::active);
  provider.on_effect(nullptr);
  other->sweep();
  EXPECT_EQ(arms(), 1);
  EXPECT_EQ(provider.calls(Op::schedule), 1);
  EXPECT_EQ(provider.created(), 1);
}

// An engine that read the request's chain while it was still approved, and then saw another
// instance make the grant, still moves the cut-off and cancels the schedule when it ends it.
TEST_F(EnforcementTest, AnEngineThatSawTheRequestBeforeItsGrantStillCancels) {
  AccessRequest r = submit();
  provider.fail_next(Op::list, 1, Error::Unavailable("ListAccountAssignments: ThrottlingException"));
  ASSERT_EQ(engine->approve(r.id, "U0ALICE")->state, State::approved);  // i-1 read it, did not begin
  auto other = make_engine("i-2");
  other->sweep();
  ASSERT_EQ(read(r.id).state, State::active);
  ASSERT_EQ(provider.schedules().size(), 1u);
  clock.advance(std::chrono::minutes{10});
  ASSERT_TRUE(engine->release(r.id, "U0DEV"));  // through i-1
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_TRUE(provider.schedules().empty());
  EXPECT_EQ(provider.cutoff(r.id)->cut_at, clock.now());
}

// The grant step makes three provider calls, each up to the provider's deadline; the lease covers
// one call (check_lease), and each recorded step renews it, so another instance never takes over
// a grant whose calls are still running.
TEST_F(EnforcementTest, EachRecordedStepRenewsTheLease) {
  auto other = make_engine("i-2");  // both with a 60 s lease
  AccessRequest r = submit();
  provider.on_effect([&](Op op, const Assignment&) {
    if (op == Op::arm || op == Op::schedule) clock.advance(Seconds{50});  // slow provisioning
    if (op == Op::schedule) other->sweep();  // 100 s after begin_grant: past its lease, not past the renewed one
  });
  ASSERT_EQ(engine->approve(r.id, "U0ALICE")->state, State::active);
  const auto actions = actions_of(r.id);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "reclaim"), 0);
  EXPECT_EQ(provider.calls(Op::arm), 1);
  EXPECT_EQ(provider.created(), 1);
}

// kill -9 between the steps of the grant (or of an early end), a restart of the same instance or
// another one taking over: exactly one statement, one schedule, one assignment, and the grant ends
// with its schedule cancelled.
struct EnforcementCrash {
  const char* name;
  const char* after_write;  // nullptr: crash right after the provider's `after_effect`
  Op after_effect;
  bool same_instance;
  int arms_after_grant;  // the step redone on resume when it had not been recorded
};

class EnforcementCrashTest : public EnforcementTest, public ::testing::WithParamInterface<EnforcementCrash> {};

TEST_P(EnforcementCrashTest, ResumeConvergesOnOneStatementAndOneSchedule) {
  const EnforcementCrash& point = GetParam();
  CrashingStore crashing(store);
  auto doomed = make_engine("i-1", &crashing);
  AccessRequest r = submit();
  if (point.after_write) {
    crashing.crash_after_action = point.after_write;
  } else {
    crash_on_effect(provider, point.after_effect);
  }
  EXPECT_THROW(doomed->approve(r.id, "U0ALICE"), Crash);
  doomed.reset();

  restart_after_crash(point.same_instance);
  AccessRequest after = read(r.id);
  ASSERT_EQ(after.state, State::active) << point.name;
  EXPECT_EQ(provider.cutoffs().size(), 1u);
  EXPECT_EQ(provider.cutoff(r.id)->cut_at, *after.expires_at);
  EXPECT_EQ(provider.schedules().size(), 1u);
  EXPECT_EQ(provider.created(), 1);
  EXPECT_EQ(arms(), point.arms_after_grant);
  const auto actions = actions_of(r.id);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "cutoff_armed"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "revoke_scheduled"), 1);

  clock.set(*after.expires_at);
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_TRUE(provider.schedules().empty());
  expect_audit_ok();
}

INSTANTIATE_TEST_SUITE_P(
    Steps, EnforcementCrashTest,
    ::testing::Values(EnforcementCrash{"after_granting_written", "begin_grant", Op::arm, true, 1},
                      EnforcementCrash{"after_provider_armed", nullptr, Op::arm, true, 2},
                      EnforcementCrash{"after_provider_armed_other", nullptr, Op::arm, false, 2},
                      EnforcementCrash{"after_armed_written", "cutoff_armed", Op::arm, true, 1},
                      EnforcementCrash{"after_armed_written_other", "cutoff_armed", Op::arm, false, 1},
                      EnforcementCrash{"after_provider_scheduled", nullptr, Op::schedule, true, 1},
                      EnforcementCrash{"after_provider_scheduled_other", nullptr, Op::schedule, false, 1},
                      EnforcementCrash{"after_scheduled_written", "revoke_scheduled", Op::arm, true, 1},
                      EnforcementCrash{"after_scheduled_written_other", "revoke_scheduled", Op::arm, false, 1},
                      EnforcementCrash{"after_provider_granted", nullptr, Op::grant, true, 1}),
    [](const ::testing::TestParamInfo<EnforcementCrash>& info) { return std::string(info.param.name); });

// kill -9 in an early end, after the cut-off was moved or after the schedule was cancelled.
TEST_F(EnforcementTest, ReleaseResumedAfterACrashEndsWithTheCutoffMovedAndNoSchedule) {
  for (Op at : {Op::arm, Op::revoke, Op::cancel}) {
    AccessRequest r = granted();
    clock.advance(std::chrono::minutes{10});
    crash_on_effect(provider, at);
    EXPECT_THROW(engine->release(r.id, "U0DEV"), Crash);
    engine = make_engine("i-1");
    engine->recover();
    EXPECT_EQ(read(r.id).state, State::revoked);
    EXPECT_FALSE(provider.has(assignment(r)));
    EXPECT_LE(provider.cutoff(r.id)->cut_at, clock.now());
    EXPECT_GT(provider.cutoff(r.id)->cut_at, kStart);
    EXPECT_TRUE(provider.schedules().empty());
  }
  expect_audit_ok();
}

}  // namespace
}  // namespace jit::testing
