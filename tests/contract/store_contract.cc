#include "contract/store_contract.h"
#include "fakes/requests.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/chain.h"

namespace jit {
namespace {

const TimePoint kT0 = from_epoch(1'700'000'000);

// The value of `r`, or a test failure naming the error (and a default value).
template <class T>
T ok(Result<T> r) {
  if (!r) {
    ADD_FAILURE() << errc_name(r.error().code) << ": " << r.error().message;
    return T{};
  }
  return std::move(*r);
}

// The error code of `r`, which must be an error.
template <class T>
Errc error_of(const Result<T>& r) {
  if (r) {
    ADD_FAILURE() << "expected an error, got a value";
    return Errc::internal;
  }
  return r.error().code;
}

using testing::full_request;
using testing::new_request;

// A fresh submission (tests/fakes/requests.h).
AccessRequest make_request(std::string id, std::string requester = "U1", std::string account = "prod",
                           std::string role = "admin") {
  return new_request(std::move(id), std::move(requester), std::move(account), std::move(role));
}

AuditEvent event_for(const AccessRequest& r, std::string action = "submit") {
  return {.at = r.updated_at,
          .actor = r.requester,
          .action = std::move(action),
          .request_id = r.id,
          .to_state = std::string(state_name(r.state))};
}

std::vector<std::string> ids(const std::vector<AccessRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.id);
  return out;
}

std::set<std::string> id_set(const std::vector<AccessRequest>& requests) {
  auto v = ids(requests);
  return {v.begin(), v.end()};
}

std::vector<std::int64_t> seqs(const std::vector<AuditEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

std::vector<AuditEvent> all_events(Store& store) { return ok(store.audit_events({})); }

// Creates `r` directly in `state` (a store does not check transitions) with `expires_at`.
AccessRequest put(Store& store, AccessRequest r, State state, std::optional<TimePoint> expires_at = std::nullopt) {
  r.state = state;
  r.expires_at = expires_at;
  return ok(store.create_request(r, event_for(r)));
}

TEST_P(StoreContract, EmptyStoreHasNothing) {
  EXPECT_EQ(error_of(store().get_request("r-1")), Errc::not_found);
  EXPECT_TRUE(ok(store().list_requests({})).empty());
  EXPECT_TRUE(ok(store().expired_grants(kT0, 10)).empty());
  EXPECT_TRUE(ok(store().in_flight(10)).empty());
  EXPECT_TRUE(ok(store().pending_before(kT0, 10)).empty());
  EXPECT_TRUE(ok(store().holding_access(10)).empty());
  EXPECT_TRUE(all_events(store()).empty());
  const AuditHead head = ok(store().audit_head());
  EXPECT_EQ(head.seq, 0);
  EXPECT_EQ(head.hash, audit::kGenesisHash);
}

TEST_P(StoreContract, CreateAndGetRoundTripEveryField) {
  AccessRequest full = full_request("r-full");
  full.version = 0;
  full.extends = "r-older";  // active: in the main slot, whatever it extended

  AccessRequest bare;  // every string empty, every optional empty, no decisions
  bare.id = "r-bare";

  for (AccessRequest r : {full, bare}) {
    const AccessRequest created = ok(store().create_request(r, event_for(r)));
    r.version = 1;
    EXPECT_EQ(created, r) << r.id;
    EXPECT_EQ(ok(store().get_request(r.id)), r) << r.id;
  }
}

TEST_P(StoreContract, VersionStartsAtOneAndEachUpdateAddsOne) {
  AccessRequest r = make_request("r-1");
  r.version = 42;  // ignored: a new request is version 1
  r = ok(store().create_request(r, event_for(r)));
  EXPECT_EQ(r.version, 1);
  for (std::int64_t expected = 2; expected <= 4; ++expected) {
    r.reason = "edit " + std::to_string(expected);
    r = ok(store().update_request(r, event_for(r, "edit")));
    EXPECT_EQ(r.version, expected);
  }
  const AccessRequest stored = ok(store().get_request("r-1"));
  EXPECT_EQ(stored.version, 4);
  EXPECT_EQ(stored.reason, "edit 4");
}

TEST_P(StoreContract, UpdateWithStaleVersionIsConflictAndChangesNothing) {
  const AccessRequest original = put(store(), make_request("r-1"), State::pending);
  AccessRequest first = original;
  first.reason = "first";
  const AccessRequest updated = ok(store().update_request(first, event_for(first, "edit")));

  AccessRequest stale = original;
  stale.reason = "second";
  EXPECT_EQ(error_of(store().update_request(stale, event_for(stale, "edit"))), Errc::conflict);
  EXPECT_EQ(ok(store().get_request("r-1")), updated);
  EXPECT_EQ(all_events(store()).size(), 2u);
}

TEST_P(StoreContract, UpdateOfMissingIdIsNotFound) {
  AccessRequest ghost = make_request("r-ghost");
  ghost.version = 1;
  EXPECT_EQ(error_of(store().update_request(ghost, event_for(ghost))), Errc::not_found);
  EXPECT_EQ(error_of(store().get_request("r-ghost")), Errc::not_found);
  EXPECT_TRUE(all_events(store()).empty());
}

TEST_P(StoreContract, DuplicateIdIsConflict) {
  const AccessRequest original = put(store(), make_request("r-1"), State::pending);
  const AccessRequest twin = make_request("r-1", "U2", "staging", "viewer");
  EXPECT_EQ(error_of(store().create_request(twin, event_for(twin))), Errc::conflict);
  EXPECT_EQ(ok(store().get_request("r-1")), original);
  EXPECT_EQ(all_events(store()).size(), 1u);
}

TEST_P(StoreContract, OnlyOpenRequestsBlockAnotherForTheSameAccountAndRole) {
  for (State state : kAllStates) {
    const std::string requester = "U-" + std::string(state_name(state));
    put(store(), make_request("first-" + requester, requester), state);
    const AccessRequest second = make_request("second-" + requester, requester);
    auto created = store().create_request(second, event_for(second));
    if (is_open(state))
      EXPECT_EQ(error_of(created), Errc::conflict) << state_name(state);
    else
      EXPECT_TRUE(created.has_value()) << state_name(state) << ": " << created.error().message;
  }
}

TEST_P(StoreContract, OneOpenRequestPerRequesterAccountAndRole) {
  AccessRequest first = put(store(), make_request("r-1"), State::pending);
  const AccessRequest again = make_request("r-2");
  EXPECT_EQ(error_of(store().create_request(again, event_for(again))), Errc::conflict);
  EXPECT_EQ(all_events(store()).size(), 1u);

  // Anyone else, another account or another role is fine.
  for (const auto& other : {make_request("r-3", "U2"), make_request("r-4", "U1", "staging"),
                            make_request("r-5", "U1", "prod", "viewer")})
    EXPECT_TRUE(store().create_request(other, event_for(other)).has_value()) << other.id;

  // Once the first ends, the slot is free again, and it cannot be reopened while taken.
  first.state = State::cancelled;
  first = ok(store().update_request(first, event_for(first, "cancel")));
  EXPECT_TRUE(store().create_request(again, event_for(again)).has_value());
  first.state = State::pending;
  EXPECT_EQ(error_of(store().update_request(first, event_for(first, "reopen"))), Errc::conflict);
  EXPECT_EQ(ok(store().get_request("r-1")).state, State::cancelled);
}

// Issue 17: an extension (extends = the grant's id) waits beside the active grant it extends, in a
// slot of its own, one at a time; it takes the main slot when its own grant is active, only once
// the grant it extended has ended (core/model.h open_slot_conflict).
TEST_P(StoreContract, AnExtensionWaitsBesideTheGrantItExtendsAndNothingElse) {
  AccessRequest grant = put(store(), make_request("r-grant"), State::active, kT0 + Seconds{3600});
  AccessRequest extension = make_request("r-ext");
  extension.extends = "r-grant";
  extension = ok(store().create_request(extension, event_for(extension)));

  // A second extension, a fresh request, an extension of something else: refused.
  AccessRequest second = make_request("r-ext2");
  second.extends = "r-grant";
  EXPECT_EQ(error_of(store().create_request(second, event_for(second))), Errc::conflict);
  const AccessRequest fresh = make_request("r-fresh");
  EXPECT_EQ(error_of(store().create_request(fresh, event_for(fresh))), Errc::conflict);
  put(store(), make_request("r-other-grant", "U2"), State::active, kT0 + Seconds{3600});
  AccessRequest stray = make_request("r-stray", "U2");
  stray.extends = "r-grant";  // U1's grant, not U2's
  EXPECT_EQ(error_of(store().create_request(stray, event_for(stray))), Errc::conflict);
  AccessRequest of_nothing = make_request("r-of-nothing", "U3");
  of_nothing.extends = "r-gone";
  EXPECT_EQ(error_of(store().create_request(of_nothing, event_for(of_nothing))), Errc::conflict);

  // It goes through its decision and its grant beside the grant, but is active only after it ended.
  for (State s : {State::approved, State::granting}) {
    extension.state = s;
    extension = ok(store().update_request(extension, event_for(extension, "step")));
  }
  extension.state = State::active;
  EXPECT_EQ(error_of(store().update_request(extension, event_for(extension, "grant_succeeded"))), Errc::conflict);
  grant.state = State::revoked;
  grant = ok(store().update_request(grant, event_for(grant, "hand_over")));
  extension = ok(store().update_request(extension, event_for(extension, "grant_succeeded")));
  EXPECT_EQ(extension.state, State::active);

  // Now it holds the main slot: a fresh request waits, an extension of it may be asked for.
  EXPECT_EQ(error_of(store().create_request(fresh, event_for(fresh))), Errc::conflict);
  second.extends = "r-ext";
  EXPECT_TRUE(store().create_request(second, event_for(second)).has_value());
  EXPECT_EQ(ok(store().get_request("r-ext2")).extends, "r-ext");
}

TEST_P(StoreContract, AnExtensionThatEndsLeavesTheGrantItsSlot) {
  put(store(), make_request("r-grant"), State::active, kT0 + Seconds{3600});
  AccessRequest extension = make_request("r-ext");
  extension.extends = "r-grant";
  extension = ok(store().create_request(extension, event_for(extension)));
  extension.state = State::denied;
  extension = ok(store().update_request(extension, event_for(extension, "deny")));
  const AccessRequest fresh = make_request("r-fresh");
  EXPECT_EQ(error_of(store().create_request(fresh, event_for(fresh))), Errc::conflict);  // the grant's
  AccessRequest again = make_request("r-ext-again");
  again.extends = "r-grant";
  EXPECT_TRUE(store().create_request(again, event_for(again)).has_value());
}

TEST_P(StoreContract, RacingUpdatesOfOneVersionExactlyOneWins) {
  constexpr int kThreads = 8;
  AccessRequest r = put(store(), make_request("r-1"), State::pending);
  for (int round = 0; round < 5; ++round) {
    std::atomic<int> won = 0, lost = 0;
    std::latch start(kThreads);
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        AccessRequest mine = r;
        mine.reason = "thread " + std::to_string(t);
        start.arrive_and_wait();
        auto result = store().update_request(mine, event_for(mine, "edit"));
        if (result) ++won;
        else if (result.error().code == Errc::conflict) ++lost;
      });
    threads.clear();  // joins
    EXPECT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(lost.load(), kThreads - 1) << "round " << round;
    r = ok(store().get_request("r-1"));
    EXPECT_EQ(r.version, round + 2);
  }
  const auto events = all_events(store());
  EXPECT_EQ(events.size(), 6u);
  EXPECT_TRUE(audit::verify(events, ok(store().audit_head()), audit::Keyring::unkeyed()).ok);
}

TEST_P(StoreContract, RacingCreatesForOneAccountAndRoleExactlyOneWins) {
  constexpr int kThreads = 8;
  std::atomic<int> won = 0, lost = 0;
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const AccessRequest mine = make_request("r-" + std::to_string(t));
      start.arrive_and_wait();
      auto result = store().create_request(mine, event_for(mine));
      if (result) ++won;
      else if (result.error().code == Errc::conflict) ++lost;
    });
  threads.clear();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), kThreads - 1);
  EXPECT_EQ(all_events(store()).size(), 1u);
}

TEST_P(StoreContract, ExpiredGrantsAreDueActiveRowsSoonestFirst) {
  const TimePoint now = kT0 + Seconds{1000};
  put(store(), make_request("due-10", "U1"), State::active, now - Seconds{10});
  put(store(), make_request("due-now", "U2"), State::active, now);
  put(store(), make_request("due-100", "U3"), State::active, now - Seconds{100});
  put(store(), make_request("later", "U4"), State::active, now + Seconds{1});
  put(store(), make_request("revoking", "U5"), State::revoking, now - Seconds{50});
  put(store(), make_request("granting", "U6"), State::granting, now - Seconds{50});
  put(store(), make_request("revoked", "U7"), State::revoked, now - Seconds{50});
  put(store(), make_request("pending", "U8"), State::pending);

  EXPECT_EQ(ids(ok(store().expired_grants(now, 10))), (std::vector<std::string>{"due-100", "due-10", "due-now"}));
  EXPECT_EQ(ids(ok(store().expired_grants(now, 2))), (std::vector<std::string>{"due-100", "due-10"}));
  EXPECT_TRUE(ok(store().expired_grants(now - Seconds{101}, 10)).empty());
}

// One request in every state, each for its own requester.
void put_one_per_state(Store& store) {
  for (State state : kAllStates) {
    const std::string name(state_name(state));
    put(store, make_request(name, "U-" + name), state, kT0 + Seconds{3600});
  }
}

TEST_P(StoreContract, InFlightIsApprovedGrantingAndRevoking) {
  put_one_per_state(store());
  EXPECT_EQ(id_set(ok(store().in_flight(10))), (std::set<std::string>{"approved", "granting", "revoking"}));
  EXPECT_EQ(ok(store().in_flight(2)).size(), 2u);
}

TEST_P(StoreContract, HoldingAccessIsGrantingActiveAndRevoking) {
  put_one_per_state(store());
  EXPECT_EQ(id_set(ok(store().holding_access(10))), (std::set<std::string>{"granting", "active", "revoking"}));
  EXPECT_EQ(ok(store().holding_access(2)).size(), 2u);
}

TEST_P(StoreContract, PendingBeforeIsOlderPendingOldestFirst) {
  put_one_per_state(store());  // all created at kT0
  for (int age : {10, 20, 30}) {
    AccessRequest r = make_request("pending+" + std::to_string(age), "U" + std::to_string(age));
    r.created_at = kT0 + Seconds{age};
    put(store(), r, State::pending);
  }
  const TimePoint cutoff = kT0 + Seconds{20};  // exclusive
  EXPECT_EQ(ids(ok(store().pending_before(cutoff, 10))), (std::vector<std::string>{"pending", "pending+10"}));
  EXPECT_EQ(ids(ok(store().pending_before(cutoff, 1))), (std::vector<std::string>{"pending"}));
  EXPECT_TRUE(ok(store().pending_before(kT0, 10)).empty());
}

TEST_P(StoreContract, ListRequestsIsNewestFirstAndFilters) {
  const auto add = [&](std::string id, std::string requester, std::string role, int at, State state) {
    AccessRequest r = make_request(std::move(id), std::move(requester), "prod", std::move(role));
    r.created_at = kT0 + Seconds{at};
    put(store(), r, state);
  };
  add("a", "U1", "r1", 0, State::active);
  add("b", "U1", "r2", 10, State::pending);
  add("c", "U1", "r3", 10, State::denied);  // same time as b: the larger id comes first
  add("d", "U2", "r1", 5, State::pending);

  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids(ok(store().list_requests({}))), (Ids{"c", "b", "d", "a"}));
  EXPECT_EQ(ids(ok(store().list_requests({.limit = 2}))), (Ids{"c", "b"}));
  EXPECT_EQ(ids(ok(store().list_requests({.requester = "U1"}))), (Ids{"c", "b", "a"}));
  EXPECT_EQ(ids(ok(store().list_requests({.states = {State::pending}}))), (Ids{"b", "d"}));
  EXPECT_EQ(ids(ok(store().list_requests({.states = {State::active, State::denied}}))), (Ids{"c", "a"}));
  EXPECT_EQ(ids(ok(store().list_requests({.requester = "U1", .states = {State::pending, State::active}}))),
            (Ids{"b", "a"}));
  EXPECT_TRUE(ok(store().list_requests({.requester = "U9"})).empty());
}

TEST_P(StoreContract, EveryChangeAppendsOneChainedEvent) {
  AccessRequest r = put(store(), make_request("r-1"), State::pending);
  r.state = State::approved;
  r.updated_at = kT0 + Seconds{5};
  AuditEvent approve = event_for(r, "approve");
  approve.actor = "U2";
  approve.from_state = "pending";
  approve.detail = "looks fine";
  r = ok(store().update_request(r, approve));
  const AuditEvent stray = {.at = kT0 + Seconds{9}, .actor = "system:reconciler", .action = "stray_assignment",
                            .detail = "principal p-1 on 123456789012"};
  const AuditEvent appended = ok(store().append_audit(stray));

  const auto events = all_events(store());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(seqs(events), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(events[0].action, "submit");
  EXPECT_EQ(events[0].prev_hash, audit::kGenesisHash);
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_EQ(events[i].prev_hash, events[i - 1].hash);

  // The store fills in seq and the hashes; every other field is kept as given.
  AuditEvent expected = approve;
  audit::seal(expected, {1, events[0].hash}, audit::Keyring::unkeyed());
  EXPECT_EQ(events[1], expected);
  EXPECT_EQ(events[2], appended);
  EXPECT_EQ(appended.seq, 3);
  EXPECT_EQ(appended.hash, audit::compute_hash(appended, audit::Keyring::unkeyed()).value());

  const AuditHead head = ok(store().audit_head());
  EXPECT_EQ(head.seq, 3);
  EXPECT_EQ(head.hash, appended.hash);
  const auto report = audit::verify(events, head, audit::Keyring::unkeyed());
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_P(StoreContract, AuditEventsFilterBySinceUntilAfterSeqAndLimit) {
  for (int i = 0; i < 5; ++i)
    ok(store().append_audit({.at = kT0 + Seconds{10 * i}, .actor = "system:test", .action = "tick"}));

  using Seqs = std::vector<std::int64_t>;
  const auto query = [&](AuditQuery q) { return seqs(ok(store().audit_events(q))); };
  EXPECT_EQ(query({}), (Seqs{1, 2, 3, 4, 5}));
  EXPECT_EQ(query({.since = kT0 + Seconds{10}}), (Seqs{2, 3, 4, 5}));    // inclusive
  EXPECT_EQ(query({.until = kT0 + Seconds{30}}), (Seqs{1, 2, 3}));       // exclusive
  EXPECT_EQ(query({.since = kT0 + Seconds{10}, .until = kT0 + Seconds{30}}), (Seqs{2, 3}));
  EXPECT_EQ(query({.after_seq = 3}), (Seqs{4, 5}));
  EXPECT_EQ(query({.limit = 2}), (Seqs{1, 2}));
  EXPECT_EQ(query({.after_seq = 1, .limit = 2}), (Seqs{2, 3}));
  EXPECT_TRUE(query({.since = kT0 + Seconds{41}}).empty());
}

// A keyring from its JIT_AUDIT_KEY form, e.g. "k1:<hex>,k0:<hex>" (the first key current).
audit::Keyring test_keys(const std::string& spec) {
  auto keys = audit::Keyring::parse_env(spec, "test keys");
  if (!keys) ADD_FAILURE() << keys.error().message;
  return keys ? *keys : audit::Keyring::unkeyed();
}
const std::string kSecretA(64, 'a'), kSecretB(64, 'b');  // 32 bytes each, in hex

TEST_P(StoreContract, EventsKeepTheirFactsAndKeyIdAndAreReadByRequest) {
  Store* keyed = keyed_store(test_keys("k2026:" + kSecretA));
  ASSERT_NE(keyed, nullptr);
  Store& s = *keyed;
  AccessRequest a = put(s, make_request("r-a"), State::pending);
  put(s, make_request("r-b", "U2"), State::pending);
  ok(s.append_audit({.at = kT0 + Seconds{1}, .actor = "system:reconciler", .action = "stray_found"}));
  a.state = State::approved;
  AuditEvent approve = event_for(a, "approve");
  approve.from_state = "pending";
  approve.facts = R"({"approvals":1,"approver":"U7","needed":1})";
  ok(s.update_request(a, approve));

  using Seqs = std::vector<std::int64_t>;
  const auto of = [&](std::string id, std::int64_t after = 0) {
    return ok(s.audit_events({.request_id = std::move(id), .after_seq = after}));
  };
  const auto events_a = of("r-a");
  EXPECT_EQ(seqs(events_a), (Seqs{1, 4}));
  ASSERT_EQ(events_a.size(), 2u);
  EXPECT_EQ(events_a[1].facts, approve.facts);
  EXPECT_EQ(events_a[1].key_id, "k2026");  // the store's current key, set by the seal
  EXPECT_EQ(events_a[1], all_events(s)[3]);  // the same event as the trail holds
  EXPECT_EQ(seqs(of("r-b")), (Seqs{2}));
  EXPECT_EQ(seqs(of("r-a", 1)), (Seqs{4}));
  EXPECT_TRUE(of("r-none").empty());
  EXPECT_TRUE(of("").empty());  // events about no request are not a request's
}

// The keyed chain (audit/chain.h) on every backend: the store seals each event with its current
// key, and the trail verifies only with that key.
TEST_P(StoreContract, KeyedStoreSealsEveryEventWithItsCurrentKey) {
  const audit::Keyring keys = test_keys("k1:" + kSecretA);
  Store* keyed = keyed_store(keys);
  ASSERT_NE(keyed, nullptr);
  AccessRequest r = put(*keyed, make_request("r-1"), State::pending);
  r.state = State::approved;
  AuditEvent approve = event_for(r, "approve");
  approve.facts = R"({"approver":"U7"})";
  ok(keyed->update_request(r, approve));
  ok(keyed->append_audit({.at = kT0 + Seconds{3}, .actor = "system:test", .action = "tick"}));

  const auto events = all_events(*keyed);
  ASSERT_EQ(events.size(), 3u);
  for (const auto& e : events) {
    EXPECT_EQ(e.key_id, "k1") << e.seq;
    EXPECT_EQ(e.hash, ok(audit::compute_hash(e, keys))) << e.seq;
  }
  const AuditHead head = ok(keyed->audit_head());
  const auto with_key = audit::verify(events, head, keys);
  EXPECT_TRUE(with_key.ok) << with_key.problem;
  EXPECT_EQ(with_key.key_ids, std::vector<std::string>{"k1"});

  const auto without_key = audit::verify(events, head, audit::Keyring::unkeyed());
  EXPECT_FALSE(without_key.ok);
  EXPECT_EQ(without_key.first_bad_seq, 1);
  EXPECT_NE(without_key.problem.find("sealed by key k1, which this keyring lacks"), std::string::npos)
      << without_key.problem;
  // A key of the same id with another secret is not the key.
  const auto other_secret = audit::verify(events, head, test_keys("k1:" + kSecretB));
  EXPECT_FALSE(other_secret.ok);
  EXPECT_EQ(other_secret.first_bad_seq, 1);
  EXPECT_NE(other_secret.problem.find("event 1 was modified"), std::string::npos) << other_secret.problem;
}

// ---- import_request and import_audit (`jit store migrate`) ----

// A request as another store holds it: every field set, a version past 1.
AccessRequest imported_request(std::string id, State state, std::string requester = "U1") {
  AccessRequest r = full_request(std::move(id));
  r.requester = std::move(requester);
  r.version = 7;
  r.state = state;
  r.ended_at.reset();
  r.end_reason.clear();
  return r;
}

// `count` events chained from the empty trail, as another store would have sealed them.
std::vector<AuditEvent> sealed_chain(int count, AuditHead head = {0, audit::kGenesisHash}) {
  std::vector<AuditEvent> events;
  for (int i = 0; i < count; ++i) {
    AuditEvent e{.at = kT0 + Seconds{i}, .actor = "U1", .action = "tick", .detail = "event " + std::to_string(i)};
    audit::seal(e, head, audit::Keyring::unkeyed());
    head = {e.seq, e.hash};
    events.push_back(e);
  }
  return events;
}

TEST_P(StoreContract, ImportRequestKeepsEveryFieldAndTheVersionAndAppendsNoEvent) {
  AccessRequest bare;  // every string empty, every optional empty, no decisions
  bare.id = "r-bare";
  bare.version = 3;
  bare.ended_at = kT0 + Seconds{20};
  for (const AccessRequest& r : {imported_request("r-active", State::active), imported_request("r-pending", State::pending, "U2"),
                                 imported_request("r-revoked", State::revoked, "U3"), bare}) {
    EXPECT_EQ(ok(store().import_request(r)), r) << r.id;
    EXPECT_EQ(ok(store().get_request(r.id)), r) << r.id;
  }
  EXPECT_EQ(id_set(ok(store().holding_access(10))), (std::set<std::string>{"r-active"}));
  EXPECT_TRUE(all_events(store()).empty());
  EXPECT_EQ(ok(store().audit_head()).seq, 0);

  // An imported request is updated like any other, from its own version.
  AccessRequest next = ok(store().get_request("r-pending"));
  next.reason = "edited";
  EXPECT_EQ(ok(store().update_request(next, event_for(next, "edit"))).version, 8);
}

TEST_P(StoreContract, ImportOfAnExistingIdIsConflict) {
  const AccessRequest original = put(store(), make_request("r-1"), State::pending);
  const AccessRequest twin = imported_request("r-1", State::revoked, "U2");
  EXPECT_EQ(error_of(store().import_request(twin)), Errc::conflict);
  EXPECT_EQ(ok(store().get_request("r-1")), original);
  EXPECT_EQ(all_events(store()).size(), 1u);
}

TEST_P(StoreContract, ImportedOpenRequestHoldsItsSlot) {
  AccessRequest imported = ok(store().import_request(imported_request("r-1", State::active)));
  const AccessRequest again = make_request("r-2");
  EXPECT_EQ(error_of(store().create_request(again, event_for(again))), Errc::conflict);
  EXPECT_EQ(error_of(store().import_request(imported_request("r-3", State::pending))), Errc::conflict);
  EXPECT_EQ(error_of(store().get_request("r-3")), Errc::not_found);

  // Once it ends the slot is free, as for a request created here.
  imported.state = State::revoked;
  ok(store().update_request(imported, event_for(imported, "revoke")));
  EXPECT_TRUE(store().create_request(again, event_for(again)).has_value());
  EXPECT_TRUE(ok(store().holding_access(10)).empty());
}

TEST_P(StoreContract, ImportAuditKeepsTheChainAsGiven) {
  const auto chain = sealed_chain(5);
  for (const auto& e : chain) EXPECT_EQ(ok(store().import_audit(e)), e);
  const auto events = all_events(store());
  EXPECT_EQ(events, chain);
  const AuditHead head = ok(store().audit_head());
  EXPECT_EQ(head.seq, 5);
  EXPECT_EQ(head.hash, chain.back().hash);
  const auto report = audit::verify(events, head, audit::Keyring::unkeyed());
  EXPECT_TRUE(report.ok) << report.problem;

  // Ordinary changes continue the imported chain.
  const AuditEvent next = ok(store().append_audit({.at = kT0 + Seconds{9}, .actor = "system:test", .action = "tick"}));
  EXPECT_EQ(next.seq, 6);
  EXPECT_EQ(next.prev_hash, chain.back().hash);
  EXPECT_TRUE(audit::verify(all_events(store()), ok(store().audit_head()), audit::Keyring::unkeyed()).ok);
}

TEST_P(StoreContract, ImportAuditThatDoesNotFollowTheHeadIsConflictAndChangesNothing) {
  const auto chain = sealed_chain(3);
  EXPECT_EQ(error_of(store().import_audit(chain[1])), Errc::conflict);  // seq 2 on an empty trail
  ok(store().import_audit(chain[0]));

  AuditEvent wrong_seq = chain[1];
  wrong_seq.seq = 3;
  AuditEvent wrong_prev = chain[1];
  wrong_prev.prev_hash = chain[0].prev_hash;
  for (const AuditEvent& bad : {wrong_seq, wrong_prev, chain[0], chain[2]}) {
    EXPECT_EQ(error_of(store().import_audit(bad)), Errc::conflict) << bad.seq;
    EXPECT_EQ(all_events(store()), std::vector<AuditEvent>{chain[0]});
    const AuditHead head = ok(store().audit_head());
    EXPECT_EQ(head.seq, 1);
    EXPECT_EQ(head.hash, chain[0].hash);
  }
  EXPECT_EQ(ok(store().import_audit(chain[1])), chain[1]);
}

TEST_P(StoreContract, ImportAuditIntoATrailContinuesOnlyFromItsHead) {
  put(store(), make_request("r-1"), State::pending);
  ok(store().append_audit({.at = kT0 + Seconds{1}, .actor = "system:test", .action = "tick"}));
  const AuditHead head = ok(store().audit_head());
  ASSERT_EQ(head.seq, 2);

  // Another trail's events never fit, not even at the same seq.
  for (const AuditEvent& other : sealed_chain(3)) EXPECT_EQ(error_of(store().import_audit(other)), Errc::conflict);
  EXPECT_EQ(all_events(store()).size(), 2u);

  const auto continuation = sealed_chain(2, head);
  for (const auto& e : continuation) EXPECT_EQ(ok(store().import_audit(e)), e);
  const auto events = all_events(store());
  EXPECT_EQ(seqs(events), (std::vector<std::int64_t>{1, 2, 3, 4}));
  const auto report = audit::verify(events, ok(store().audit_head()), audit::Keyring::unkeyed());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(ok(store().audit_head()).hash, continuation.back().hash);
}

TEST_P(StoreContract, RacingImportsOfOneEventExactlyOneWins) {
  constexpr int kThreads = 8;
  const auto chain = sealed_chain(1);
  std::atomic<int> won = 0, lost = 0;
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto result = store().import_audit(chain[0]);
      if (result) ++won;
      else if (result.error().code == Errc::conflict) ++lost;
    });
  threads.clear();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), kThreads - 1);
  EXPECT_EQ(all_events(store()), chain);
}

}  // namespace
}  // namespace jit
