// migrate() between in-memory stores: what is copied, what is refused, and what a failure midway
// leaves. The same copy between SQLite and DynamoDB is tested through `jit store migrate` in
// cli_test.cc.
#include "app/migrate.h"

#include <gtest/gtest.h>

#include "audit/chain.h"
#include "core/lifecycle.h"
#include "fakes/faulty_store.h"
#include "fakes/forwarding_store.h"
#include "fakes/memory_store.h"

namespace jit {
namespace {

const TimePoint kT0 = from_epoch(1'700'000'000);

// One request per state (each for its own requester), each updated a few times, and a stray event.
void fill(Store& store) {
  int n = 0;
  for (State state : kAllStates) {
    AccessRequest r;
    r.id = "r-" + std::string(state_name(state));
    r.requester = "U" + std::to_string(++n);
    r.account = "prod";
    r.role = "admin";
    r.created_at = r.updated_at = kT0 + Seconds{n};
    if (holds_access(state)) r.expires_at = kT0 + Seconds{3600};
    r = store.create_request(r, {.at = r.created_at, .actor = r.requester, .action = "submit", .request_id = r.id})
            .value();
    for (int i = 0; i < n % 3; ++i) {
      r.reason = "edit " + std::to_string(i);
      r = store.update_request(r, {.at = r.created_at, .actor = r.requester, .action = "edit", .request_id = r.id})
              .value();
    }
    r.state = state;
    r = store.update_request(r, {.at = r.created_at, .actor = "system", .action = "move", .request_id = r.id}).value();
  }
  store.append_audit({.at = kT0, .actor = "system:reconciler", .action = "stray_assignment"}).value();
}

std::vector<AccessRequest> requests_of(Store& store) { return store.list_requests({.limit = 1000}).value(); }

TEST(MigrateTest, CopiesEveryRequestAndTheWholeChain) {
  MemoryStore from, to;
  fill(from);
  auto report = migrate(from, to, audit::Keyring::unkeyed());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->requests, static_cast<std::int64_t>(std::size(kAllStates)));
  const auto events = all_audit_events(from).value();
  EXPECT_EQ(report->audit_events, static_cast<std::int64_t>(events.size()));
  EXPECT_EQ(report->head.seq, from.audit_head().value().seq);
  EXPECT_EQ(report->head.hash, from.audit_head().value().hash);

  EXPECT_EQ(requests_of(to), requests_of(from));
  EXPECT_EQ(all_audit_events(to).value(), events);
  EXPECT_TRUE(audit::verify(all_audit_events(to).value(), to.audit_head().value(), audit::Keyring::unkeyed()).ok);
  // The copy is a working store: open requests still hold their slots.
  AccessRequest again;
  again.id = "r-again";
  again.requester = "U1";  // r-pending's requester
  again.account = "prod";
  again.role = "admin";
  EXPECT_EQ(to.create_request(again, {.action = "submit"}).error().code, Errc::conflict);
}

TEST(MigrateTest, EmptyToEmptyCopiesNothing) {
  MemoryStore from, to;
  auto report = migrate(from, to, audit::Keyring::unkeyed());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->requests, 0);
  EXPECT_EQ(report->audit_events, 0);
  EXPECT_EQ(report->head.hash, audit::kGenesisHash);
}

TEST(MigrateTest, RefusesATargetThatHoldsStateAndWritesNothing) {
  MemoryStore from, with_events, with_requests;
  fill(from);
  with_events.append_audit({.action = "tick"}).value();
  with_requests.import_request({.id = "r-old", .version = 3, .state = State::revoked}).value();
  for (Store* to : {static_cast<Store*>(&with_events), static_cast<Store*>(&with_requests)}) {
    const auto requests = requests_of(*to);
    const auto events = all_audit_events(*to).value();
    auto refused = migrate(from, *to, audit::Keyring::unkeyed());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::invalid);
    EXPECT_NE(refused.error().message.find("not empty"), std::string::npos) << refused.error().message;
    EXPECT_EQ(requests_of(*to), requests);
    EXPECT_EQ(all_audit_events(*to).value(), events);
  }
}

// A source whose trail does not verify: its events are served as stored, but one was altered.
class TamperedStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::vector<AuditEvent>> audit_events(const AuditQuery& q) override {
    auto events = inner_.audit_events(q);
    if (events)
      for (auto& e : *events)
        if (e.seq == 3) e.detail = "nothing to see";
    return events;
  }
};

TEST(MigrateTest, RefusesASourceWhoseTrailDoesNotVerifyAndWritesNothing) {
  MemoryStore inner, to;
  fill(inner);
  TamperedStore from(inner);
  auto refused = migrate(from, to, audit::Keyring::unkeyed());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_NE(refused.error().message.find("event 3"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(requests_of(to).empty());
  EXPECT_EQ(to.audit_head().value().seq, 0);
}

TEST(MigrateTest, AFailedWriteStopsTheMigrationAndSaysWhere) {
  MemoryStore from, inner;
  fill(from);
  FaultyStore to(inner);
  to.fail_next(FaultyStore::Method::import_audit, 1, Error::Unavailable("throttled"));
  auto failed = migrate(from, to, audit::Keyring::unkeyed());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::unavailable);
  EXPECT_NE(failed.error().message.find("copying audit event 1: throttled"), std::string::npos)
      << failed.error().message;
  // Part of the state is there: a second attempt into the same target is refused.
  EXPECT_EQ(migrate(from, to, audit::Keyring::unkeyed()).error().code, Errc::invalid);
}

TEST(MigrateTest, ACopyThatReadsBackDifferentFails) {
  MemoryStore from, inner;
  fill(from);
  FaultyStore to(inner);
  to.fail_next(FaultyStore::Method::get_request, 1, Error::NotFound("lost"));
  auto failed = migrate(from, to, audit::Keyring::unkeyed());
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("in the target"), std::string::npos) << failed.error().message;
}

}  // namespace
}  // namespace jit
