// Extensions (issue 17): "Request more time" files a new request linked to an active grant,
// decided like any other; approved before the grant ends, it takes the assignment over without a
// gap (one assignment throughout: no delete, no second create), and the two grants never revoke
// each other's access (iam-identity-center-team #279).
#include "audit/facts.h"
#include "audit/proof.h"
#include "crashing_store.h"
#include "engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using Op = MemoryAccessProvider::Op;

// admin: 1 approval, max 2h, with the session cut-off and the scheduled revoke (issue 14).
class ExtendTest : public EnforcingEngineTest {
 protected:
  Result<AccessRequest> extend(const std::string& grant_id, const std::string& duration = "1h30m",
                               const std::string& requester = "U0DEV") {
    return engine->extend({requester, grant_id, duration, "still debugging INC-1"});
  }

  // Granted at kStart for 1h; 50 minutes later, an extension of 1h30m is asked for.
  std::pair<AccessRequest, Result<AccessRequest>> pending_extension() {
    AccessRequest old = granted();
    clock.advance(std::chrono::minutes{50});
    return {old, extend(old.id)};
  }

  // Granted at kStart for 1h; 50 minutes later, an extension of 1h30m is asked for and approved:
  // the access goes on until kStart + 50m + 1h30m.
  std::pair<AccessRequest, AccessRequest> extended() {
    auto [old, e] = pending_extension();
    EXPECT_TRUE(e) << e.error().message;
    auto approved = engine->approve(e.value_or(AccessRequest{}).id, "U0BOB");
    EXPECT_TRUE(approved) << approved.error().message;
    return {read(old.id), approved.value_or(AccessRequest{})};
  }

  void expect_one_assignment_handed_over(const AccessRequest& old, const AccessRequest& ext) {
    EXPECT_EQ(read(old.id).state, State::revoked);
    EXPECT_EQ(read(old.id).end_reason, "extended by " + ext.id);
    EXPECT_EQ(read(ext.id).state, State::active);
    EXPECT_TRUE(provider.has(assignment(old)));
    EXPECT_EQ(provider.created(), 1);
    EXPECT_EQ(provider.deleted(), 0);
    EXPECT_EQ(provider.calls(Op::revoke), 0);
    EXPECT_EQ(provider.schedules().size(), 1u);
    EXPECT_TRUE(provider.schedules().contains(ext.id));
  }
};

TEST_F(ExtendTest, ApprovedBeforeExpiryTheAssignmentGoesOnWithoutAGap) {
  auto [old, ext] = extended();
  ASSERT_EQ(ext.state, State::active);
  EXPECT_EQ(ext.extends, old.id);
  expect_one_assignment_handed_over(old, ext);
  // The old grant's expiry never moved; the new grant has its own, counted from its grant.
  EXPECT_EQ(*read(old.id).expires_at, kStart + std::chrono::hours{1});
  EXPECT_EQ(*ext.expires_at, kStart + std::chrono::minutes{50} + std::chrono::minutes{90});
  // The old grant's events end it by hand_over, naming the extension; the extension's own events
  // carry its expiry and the takeover.
  const auto old_actions = actions_of(old.id);
  EXPECT_EQ(old_actions.back(), "hand_over");
  EXPECT_EQ(std::count(old_actions.begin(), old_actions.end(), "revoke_succeeded"), 0);
  const auto events = store.audit_events({.request_id = old.id}).value();
  EXPECT_EQ(audit::facts::text(audit::facts::read(events.back()).value(), "extended_by"), ext.id);
  const auto ext_events = store.audit_events({.request_id = ext.id}).value();
  const auto succeeded = std::find_if(ext_events.begin(), ext_events.end(),
                                      [](const AuditEvent& e) { return e.action == "grant_succeeded"; });
  ASSERT_NE(succeeded, ext_events.end());
  EXPECT_THAT(succeeded->detail, HasSubstr("took the assignment over from grant " + old.id));
  // A session opened under the old grant is not cut at its expiry, only at the new one.
  const TimePoint session = kStart + std::chrono::minutes{5};
  EXPECT_FALSE(provider.session_cut(assignment(old), session, kStart + std::chrono::minutes{61}));
  EXPECT_TRUE(provider.session_cut(assignment(old), session, *ext.expires_at + Seconds{1}));
  expect_audit_ok();
  EXPECT_TRUE(audit::prove_request(read(ext.id), ext_events, audit::Keyring::unkeyed(), config->policy));
}

TEST_F(ExtendTest, TheOldGrantsTimerSweeperAndReconcilerLeaveTheAssignmentAlone) {
  auto [old, ext] = extended();
  clock.set(*old.expires_at + Seconds{5});
  engine->fire_due_timers();
  EXPECT_EQ(engine->expire(old.id).value().state, State::revoked);
  engine->sweep();
  const auto reconciled = engine->reconcile();
  EXPECT_EQ(reconciled.stray_revoked + reconciled.stray_reported, 0);
  expect_one_assignment_handed_over(old, ext);
  // The new grant ends at its own expiry, with the one Delete.
  clock.set(*ext.expires_at);
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(ext.id).state, State::revoked);
  EXPECT_FALSE(provider.has(assignment(old)));
  EXPECT_EQ(provider.created(), 1);
  EXPECT_EQ(provider.deleted(), 1);
  EXPECT_TRUE(provider.schedules().empty());
  expect_audit_ok();
}

TEST_F(ExtendTest, ApprovedAfterTheGrantEndedItIsAnOrdinaryGrant) {
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  clock.set(*old.expires_at);
  engine->fire_due_timers();
  ASSERT_EQ(read(old.id).state, State::revoked);
  EXPECT_THAT(read(old.id).end_reason, HasSubstr("expired"));
  clock.advance(std::chrono::minutes{1});
  auto approved = engine->approve(ext->id, "U0BOB");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::active);
  EXPECT_EQ(*approved->expires_at, clock.now() + std::chrono::minutes{90});
  EXPECT_EQ(provider.created(), 2);
  EXPECT_EQ(provider.deleted(), 1);
  EXPECT_TRUE(provider.has(assignment(old)));
  expect_audit_ok();
}

TEST_F(ExtendTest, DeniedTheGrantEndsOnTime) {
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  ASSERT_TRUE(engine->deny(ext->id, "U0BOB", "wrap it up"));
  clock.set(*old.expires_at);
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_EQ(read(old.id).state, State::revoked);
  EXPECT_FALSE(provider.has(assignment(old)));
  EXPECT_EQ(provider.created(), 1);
  EXPECT_EQ(provider.deleted(), 1);
  expect_audit_ok();
}

TEST_F(ExtendTest, OnlyTheRequesterExtendsOnlyAnActiveGrantOnlyOnceAtATime) {
  const AccessRequest old = granted();
  clock.advance(std::chrono::minutes{50});
  auto by_other = extend(old.id, "1h30m", "U0ALICE");
  ASSERT_FALSE(by_other);
  EXPECT_EQ(by_other.error().code, Errc::denied);
  auto first = extend(old.id);
  ASSERT_TRUE(first) << first.error().message;
  auto second = extend(old.id);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::conflict);
  EXPECT_THAT(second.error().message, HasSubstr(first->id));
  // A fresh request beside them is refused too, pointing at the way to ask for more time.
  auto fresh = engine->submit({"U0DEV", "prod", "admin", "1h", "again", ""});
  ASSERT_FALSE(fresh);
  EXPECT_EQ(fresh.error().code, Errc::conflict);
  // The extension of a pending request, or of one that ended, is refused.
  auto of_pending = extend(first->id);
  ASSERT_FALSE(of_pending);
  EXPECT_EQ(of_pending.error().code, Errc::conflict);
  ASSERT_TRUE(engine->release(old.id, "U0DEV"));
  auto of_ended = extend(old.id);
  ASSERT_FALSE(of_ended);
  EXPECT_EQ(of_ended.error().code, Errc::conflict);
  EXPECT_THAT(of_ended.error().message, HasSubstr("not active"));
}

// The duration counts from the extension's grant, within the role's maximum (2h): the whole
// continuous session never runs past max after the approval. Shorter than what is left: refused.
TEST_F(ExtendTest, TheDurationIsWithinTheMaximumAndLongerThanWhatIsLeft) {
  const AccessRequest old = granted();
  clock.advance(std::chrono::minutes{20});
  auto too_long = extend(old.id, "2h30m");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::invalid);
  auto too_short = extend(old.id, "30m");
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().code, Errc::invalid);
  EXPECT_THAT(too_short.error().message, HasSubstr("has 40m left"));
  EXPECT_TRUE(extend(old.id, "2h"));
}

TEST_F(ExtendTest, TheRequesterIsNeverTheApproverOfTheirExtension) {
  config->policy.accounts[0].approvers.push_back("U0DEV");
  engine = make_engine();
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  auto self = engine->approve(ext->id, "U0DEV");
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, Errc::denied);
  EXPECT_EQ(read(ext->id).state, State::pending);
}

// An extension never grants what a fresh request would have refused: policy as it is at the click
// and at the grant decides, as for any request (the role removed, the requester no longer allowed,
// a step-up role without the security key), and the grant keeps only its own time.
TEST_F(ExtendTest, AnExtensionIsNeverMorePermissiveThanAFreshRequest) {
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto reload = [&](auto&& change) {
    auto next = std::make_shared<Config>(*config);
    change(next->policy.accounts[0].roles[0]);
    engine->set_config(next);
  };
  // The requester is no longer among the role's requesters: the approval is refused.
  reload([](RolePolicy& admin) { admin.requesters = {"U0ALICE"}; });
  auto refused = engine->approve(pending->id, "U0BOB");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::denied);
  // A step-up role: an approval without the security key is refused.
  reload([](RolePolicy& admin) { admin.requesters = {"U0DEV"}, admin.step_up = true; });
  auto without_key = engine->approve(pending->id, "U0BOB");
  ASSERT_FALSE(without_key);
  EXPECT_THAT(without_key.error().message, HasSubstr("security-key step-up"));
  // The role is gone from policy.
  reload([](RolePolicy& admin) { admin.name = "admin-renamed", admin.step_up = false; });
  auto gone = engine->approve(pending->id, "U0BOB");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::denied);
  EXPECT_EQ(read(pending->id).state, State::pending);
  EXPECT_EQ(read(old.id).state, State::active);
  EXPECT_EQ(provider.created(), 1);
  // Nor may it be asked for again then: the rules of a fresh request refuse the role.
  ASSERT_TRUE(engine->cancel(pending->id, "U0DEV"));
  auto asked = extend(old.id);
  ASSERT_FALSE(asked);
  EXPECT_NE(asked.error().code, Errc::conflict) << asked.error().message;
  clock.set(*old.expires_at);
  engine->fire_due_timers();
  EXPECT_FALSE(provider.has(assignment(old)));
}

// An extension that fails before it took the assignment over (here: AWS refuses its schedule)
// leaves the grant's assignment, sessions and schedule alone: that grant still ends on time.
TEST_F(ExtendTest, AFailedExtensionLeavesTheGrantItsAccess) {
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  provider.fail_next(Op::schedule, 1, Error::Invalid("scheduler refused"));
  auto approved = engine->approve(ext->id, "U0BOB");
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_EQ(read(old.id).state, State::active);
  EXPECT_TRUE(provider.has(assignment(old)));
  EXPECT_EQ(provider.deleted(), 0);
  EXPECT_TRUE(provider.schedules().contains(old.id));
  const TimePoint session = kStart + std::chrono::minutes{5};
  EXPECT_FALSE(provider.session_cut(assignment(old), session, clock.now() + Seconds{1}));
  EXPECT_TRUE(provider.session_cut(assignment(old), session, *old.expires_at + Seconds{1}));
  clock.set(*old.expires_at);
  EXPECT_EQ(engine->fire_due_timers(), 1);
  EXPECT_FALSE(provider.has(assignment(old)));
  expect_audit_ok();
}

// While the grant is being revoked (its expiry won the race), the extension waits instead of
// creating an assignment the revocation would delete; then it is an ordinary grant.
TEST_F(ExtendTest, AnExtensionWaitsForTheRevocationItRacedWith) {
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  provider.fail_next(Op::revoke, 1, Error::Unavailable("AWS is slow"));
  clock.set(*old.expires_at);
  engine->fire_due_timers();
  ASSERT_EQ(read(old.id).state, State::revoking);
  auto approved = engine->approve(ext->id, "U0BOB");
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->state, State::approved);  // deferred
  EXPECT_EQ(provider.created(), 1);
  clock.advance(Seconds{61});
  engine->sweep();  // the revocation finishes, then the extension is granted
  engine->sweep();
  EXPECT_EQ(read(old.id).state, State::revoked);
  EXPECT_EQ(read(ext->id).state, State::active);
  EXPECT_TRUE(provider.has(assignment(old)));
  EXPECT_EQ(provider.created(), 2);
  EXPECT_EQ(provider.deleted(), 1);
}

// A row whose `extends` was edited in the store (it names another grant than its submit event did)
// is refused by the chain proof before anything is asked of AWS: nothing granted, nothing handed
// over, the grant keeps its access.
TEST_F(ExtendTest, AForgedExtendsDoesNotSurviveTheAuditProof) {
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  AccessRequest forged = read(ext->id);
  forged.extends = "r-someone-elses";
  ASSERT_TRUE(store.update_request(forged, {.actor = "intruder", .action = "edit", .request_id = forged.id}));
  auto approved = engine->approve(ext->id, "U0BOB");
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_THAT(approved->end_reason, HasSubstr("extends: the row says r-someone-elses, the chain " + old.id));
  EXPECT_EQ(read(old.id).state, State::active);
  EXPECT_EQ(provider.created(), 1);
  EXPECT_EQ(provider.deleted(), 0);
  EXPECT_TRUE(provider.schedules().contains(old.id));
}

// `jit audit verify`'s check of a handover (audit::handover_problem): the grant's hand_over names
// the extension, whose own chain extends the grant and was approved.
TEST_F(ExtendTest, TheChainsOfBothGrantsExplainTheHandover) {
  auto [old, ext] = extended();
  const auto keys = audit::Keyring::unkeyed();
  const auto old_proof = audit::examine_request(read(old.id), store.audit_events({.request_id = old.id}).value(), keys,
                                                nullptr);
  const auto ext_proof = audit::examine_request(read(ext.id), store.audit_events({.request_id = ext.id}).value(), keys,
                                                nullptr);
  EXPECT_TRUE(old_proof.mismatches.empty()) << old_proof.mismatches[0].describe();
  EXPECT_TRUE(ext_proof.mismatches.empty()) << ext_proof.mismatches[0].describe();
  EXPECT_EQ(audit::handover_problem(old.id, old_proof.proof, ext.id, ext_proof.proof), "");
  audit::Proof unapproved = ext_proof.proof;
  unapproved.approved = false;
  EXPECT_THAT(audit::handover_problem(old.id, old_proof.proof, ext.id, unapproved), HasSubstr("no approve event"));
  audit::Proof unrelated = ext_proof.proof;
  unrelated.extends = "";
  EXPECT_THAT(audit::handover_problem(old.id, old_proof.proof, ext.id, unrelated), HasSubstr("extends nothing"));
  EXPECT_THAT(audit::handover_problem(old.id, old_proof.proof, "r-other", ext_proof.proof),
              HasSubstr("handed over to " + ext.id + ", not to request r-other"));
}

// kill -9 at every step of the handover, the same instance or another one resuming: one
// assignment throughout, the old grant handed over once, the new grant active with one schedule.
struct HandoverCrash {
  const char* name;
  const char* after_write;  // nullptr: right after the provider's `after_effect`
  Op after_effect;
  bool same_instance;
  int nth = 1;  // the nth effect of `after_effect` in the approval (the extension's arm is the 1st)
};

class HandoverCrashTest : public ExtendTest, public ::testing::WithParamInterface<HandoverCrash> {};

TEST_P(HandoverCrashTest, ResumeConvergesOnOneAssignmentHandedOverOnce) {
  const HandoverCrash& point = GetParam();
  const auto [old, pending] = pending_extension();
  ASSERT_TRUE(pending) << pending.error().message;
  const auto ext = &*pending;
  CrashingStore crashing(store);
  auto doomed = make_engine("i-1", &crashing);
  if (point.after_write) crashing.crash_after_action = point.after_write;
  else
    provider.on_effect([this, &point, seen = std::make_shared<int>(0)](Op done, const Assignment&) {
      if (done != point.after_effect || ++*seen < point.nth) return;
      provider.on_effect(nullptr);
      throw Crash{};
    });
  EXPECT_THROW(doomed->approve(ext->id, "U0BOB"), Crash) << point.name;
  doomed.reset();

  restart_after_crash(point.same_instance);
  ASSERT_EQ(read(ext->id).state, State::active) << point.name;
  expect_one_assignment_handed_over(old, read(ext->id));
  const auto old_actions = actions_of(old.id);
  EXPECT_EQ(std::count(old_actions.begin(), old_actions.end(), "hand_over"), 1);
  // The old grant's expiry passes: nothing is revoked; the new one's: the one Delete.
  clock.set(*old.expires_at + Seconds{1});
  engine->fire_due_timers();
  engine->sweep();
  EXPECT_TRUE(provider.has(assignment(old)));
  clock.set(*read(ext->id).expires_at);
  engine->fire_due_timers();
  engine->sweep();
  EXPECT_EQ(read(ext->id).state, State::revoked);
  EXPECT_EQ(provider.deleted(), 1);
  EXPECT_TRUE(provider.schedules().empty());
  expect_audit_ok();
}

INSTANTIATE_TEST_SUITE_P(
    Steps, HandoverCrashTest,
    ::testing::Values(HandoverCrash{"after_begin_grant", "begin_grant", Op::arm, true},
                      HandoverCrash{"after_armed", "cutoff_armed", Op::arm, true},
                      HandoverCrash{"after_scheduled_other", "revoke_scheduled", Op::arm, false},
                      HandoverCrash{"after_hand_over", "hand_over", Op::arm, true},
                      HandoverCrash{"after_hand_over_other", "hand_over", Op::arm, false},
                      HandoverCrash{"after_own_cutoff_armed", nullptr, Op::arm, true},
                      HandoverCrash{"after_old_cutoff_disarmed", nullptr, Op::arm, true, 2},
                      HandoverCrash{"after_old_cutoff_disarmed_other", nullptr, Op::arm, false, 2},
                      HandoverCrash{"after_old_schedule_cancelled", nullptr, Op::cancel, true},
                      HandoverCrash{"after_old_schedule_cancelled_other", nullptr, Op::cancel, false}),
    [](const ::testing::TestParamInfo<HandoverCrash>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace jit::testing
