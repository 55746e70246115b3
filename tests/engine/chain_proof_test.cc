// Grants the chain proves: rows written to the store by something other than the engine are
// never granted, and an edited expiry never extends a grant.
#include "engine_fixture.h"

#include "audit/facts.h"

namespace jit::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class ChainProofTest : public EngineTest {
 protected:
  // A row as someone with write access to the store would insert it: no events at all.
  AccessRequest forged(State state) {
    AccessRequest r{.id = "r-forged", .version = 1, .requester = "U0EVE", .account = "prod",
                    .account_id = "123456789012", .role = "admin", .permission_set_arn = kAdminPs,
                    .duration = std::chrono::hours{1}, .reason = "trust me", .created_at = clock.now(),
                    .updated_at = clock.now(), .state = state, .requester_email = "u0eve@example.com",
                    .principal = "p-u0eve"};
    r.decisions.push_back({"U0ALICE", true, "", clock.now()});
    if (state == State::active) {
      r.granted_at = clock.now();
      r.expires_at = clock.now() + std::chrono::hours{1};
    }
    EXPECT_TRUE(store.import_request(r));
    return r;
  }

  std::vector<std::string> alerts() {
    std::vector<std::string> out;
    for (const auto& line : chat.transcript())
      if (line.kind == ChatLine::Kind::alert) out.push_back(line.text);
    return out;
  }

  AuditEvent last_event_of(const std::string& id) {
    const auto events = store.audit_events({.request_id = id}).value();
    return events.empty() ? AuditEvent{} : events.back();
  }
};

TEST_F(ChainProofTest, AnInsertedApprovedRowIsRefusedNeverGrantedAlertedAndAudited) {
  const AccessRequest r = forged(State::approved);
  engine->sweep();
  const AccessRequest after = read(r.id);
  EXPECT_EQ(after.state, State::failed);
  EXPECT_THAT(after.end_reason, HasSubstr("refused, nothing granted: the audit trail does not explain request "
                                          "r-forged: submit: no submit event"));
  // The provider is not asked anything for it.
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::resolve), 0);
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::list), 0);
  EXPECT_TRUE(provider.assignments().empty());
  EXPECT_THAT(alerts(), Contains(HasSubstr("Refused to grant r-forged (admin on prod for U0EVE)")));
  // The refusal itself is in the chain, with its facts.
  EXPECT_EQ(actions_of(r.id), std::vector<std::string>{"grant_failed"});
  const AuditEvent refusal = last_event_of(r.id);
  EXPECT_THAT(refusal.facts, HasSubstr("\"end_reason\":\"refused, nothing granted"));
  expect_audit_ok();
  // Once failed, later sweeps leave it alone.
  engine->sweep();
  EXPECT_EQ(alerts().size(), 1u);
}

TEST_F(ChainProofTest, AnInsertedGrantingRowIsRefusedWithoutAProviderCall) {
  AccessRequest granting = forged(State::approved);
  granting.id = "r-forged-2";
  granting.state = State::granting;
  granting.expires_at = clock.now() + std::chrono::hours{1};
  granting.lease_owner = "i-dead";
  granting.requester = "U0MALLORY";  // one open request per role and requester
  ASSERT_TRUE(store.import_request(granting));
  engine->sweep();
  EXPECT_EQ(read("r-forged-2").state, State::failed);
  EXPECT_THAT(read("r-forged-2").end_reason, HasSubstr("begin_grant: the row says granting"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::revoke), 0);
}

TEST_F(ChainProofTest, AGrantingRowResumedWithAnEditedExpiryIsRefused) {
  AccessRequest r = submit();
  provider.fail_next(MemoryAccessProvider::Op::grant, 1, Error::Unavailable("AWS is down"));
  ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
  AccessRequest granting = read(r.id);
  ASSERT_EQ(granting.state, State::granting);
  granting.expires_at = *granting.expires_at + std::chrono::days{365};
  ASSERT_TRUE(store.update_request(granting, {.at = clock.now(), .actor = "mallory", .action = "edit",
                                              .request_id = r.id, .from_state = "granting", .to_state = "granting"}));
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::failed);
  EXPECT_THAT(read(r.id).end_reason, HasSubstr("expires_at: the row says"));
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 1);  // only the attempt before the edit
  EXPECT_TRUE(provider.assignments().empty());
}

TEST_F(ChainProofTest, AGenuineGrantIsGrantedAndEveryEventCarriesFacts) {
  AccessRequest r = submit();
  auto active = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->state, State::active);
  // Every request event carries its facts.
  const auto events = store.audit_events({.request_id = r.id}).value();
  for (const auto& e : events)
    if (e.action != "posted") {
      EXPECT_FALSE(e.facts.empty()) << e.action;
    }
}

TEST_F(ChainProofTest, AnExpiryEditedAYearAheadIsRevokedAtTheChainsExpiry) {
  AccessRequest r = submit();
  const AccessRequest active = engine->approve(r.id, "U0ALICE").value();
  ASSERT_EQ(active.state, State::active);
  const TimePoint genuine = *active.expires_at;
  AccessRequest edited = active;
  edited.expires_at = genuine + std::chrono::days{365};
  ASSERT_TRUE(store.update_request(edited, {.at = clock.now(), .actor = "mallory", .action = "edit",
                                            .request_id = r.id, .from_state = "active", .to_state = "active"}));
  // A restarted instance arms its timers from the chain, not the column.
  engine = make_engine("i-1");
  engine->recover();
  EXPECT_EQ(engine->next_timer(), genuine - std::chrono::minutes{5});  // the warning, then the expiry
  EXPECT_EQ(*read(r.id).expires_at, genuine);                         // the column is put back
  EXPECT_THAT(alerts(), Contains(HasSubstr("was edited in the store")));
  EXPECT_THAT(actions_of(r.id), Contains("expiry_mismatch"));
  EXPECT_THAT(last_event_of(r.id).facts, HasSubstr(fmt::format("\"row_expires_at\":{}", epoch_seconds(genuine) + 365 * 86400)));
  // Edited again after the check: the revocation still goes by the chain.
  edited = read(r.id);
  edited.expires_at = genuine + std::chrono::days{365};
  ASSERT_TRUE(store.update_request(edited, {.at = clock.now(), .actor = "mallory", .action = "edit",
                                            .request_id = r.id, .from_state = "active", .to_state = "active"}));
  clock.set(genuine);
  engine->fire_due_timers();
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_EQ(*read(r.id).ended_at, genuine);
  EXPECT_FALSE(provider.has(assignment(active)));
  expect_audit_ok();
}

TEST_F(ChainProofTest, AnotherInstancesSweepRevokesAnEditedGrantAtTheChainsExpiry) {
  AccessRequest r = submit();
  const AccessRequest active = engine->approve(r.id, "U0ALICE").value();
  AccessRequest edited = active;
  edited.expires_at = *active.expires_at + std::chrono::days{365};
  ASSERT_TRUE(store.update_request(edited, {.at = clock.now(), .actor = "mallory", .action = "edit",
                                            .request_id = r.id, .from_state = "active", .to_state = "active"}));
  auto other = make_engine("i-2");
  clock.set(*active.expires_at);
  other->sweep();  // the moved row is not among those due: the sweep costs O(due)
  EXPECT_EQ(read(r.id).state, State::active);
  other->reconcile();  // its pass over every grant puts the expiry back
  other->sweep();
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_FALSE(provider.has(assignment(active)));
}

TEST_F(ChainProofTest, AnInsertedActiveRowIsRevokedAtOnceAndAlerted) {
  const AccessRequest r = forged(State::active);
  ASSERT_TRUE(provider.grant(assignment(r), {}));  // what the forger also set up in AWS
  engine->reconcile();
  EXPECT_EQ(read(r.id).state, State::revoked);
  EXPECT_THAT(read(r.id).end_reason, HasSubstr("the audit trail has no grant event"));
  EXPECT_FALSE(provider.has(assignment(r)));
  EXPECT_THAT(alerts(), Contains(HasSubstr("Active grant r-forged (admin on prod for U0EVE) has no grant event")));
}

}  // namespace
}  // namespace jit::testing
