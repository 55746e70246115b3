// Nobody answers (issue 17): a pending request is re-announced once after remind_after, escalated
// once after escalate_after, and only then may its escalation approvers decide; a cancel stops
// both, and two engines sharing a store do each step once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "audit/facts.h"
#include "audit/proof.h"
#include "crashing_store.h"
#include "engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using std::chrono::minutes;

// prod reminds after 10m and escalates after 20m to S0LEADS and U0LEAD2, linked in C0ESC; U0LEAD
// is in S0LEADS.
std::shared_ptr<Config> escalating_config() {
  auto c = test_config();
  c->policy.accounts[0].escalation = {.remind_after = minutes{10}, .escalate_after = minutes{20},
                                      .approvers = {"S0LEADS", "U0LEAD2"}, .channel = "C0ESC"};
  return c;
}

class NobodyAnswersTest : public EngineTest {
 protected:
  NobodyAnswersTest() {
    config = escalating_config();
    engine = make_engine();
    directory.set_groups("U0LEAD", {"S0LEADS"});
  }
  // Moves the clock to `since` after kStart (the requests' submit time) and sweeps.
  SweepReport sweep_at(Seconds since) {
    clock.set(kStart + since);
    return engine->sweep();
  }
  int count_of(const std::string& id, const std::string& action) {
    const auto actions = actions_of(id);
    return static_cast<int>(std::count(actions.begin(), actions.end(), action));
  }
  std::vector<ChatLine> lines_in(const std::string& channel) {
    std::vector<ChatLine> out;
    for (const auto& line : chat.transcript())
      if (line.channel == channel) out.push_back(line);
    return out;
  }
  AuditEvent event_of(const std::string& id, const std::string& action) {
    const auto events = store.audit_events({.request_id = id}).value();
    for (const auto& e : events)
      if (e.action == action) return e;
    ADD_FAILURE() << "no " << action << " event for " << id;
    return {};
  }
};

TEST_F(NobodyAnswersTest, TheRequestIsRemindedOnceAfterRemindAfter) {
  const auto r = submit();
  EXPECT_EQ(sweep_at(minutes{10} - Seconds{1}).reminded, 0);
  EXPECT_FALSE(read(r.id).reminded_at);
  const auto first = sweep_at(minutes{10});
  EXPECT_EQ(first.reminded, 1);
  EXPECT_EQ(first.escalated, 0);
  EXPECT_EQ(read(r.id).reminded_at, kStart + minutes{10});
  EXPECT_EQ(read(r.id).state, State::pending);
  for (Seconds at : {minutes{11}, minutes{15}, minutes{19}}) EXPECT_EQ(sweep_at(at).reminded, 0);
  EXPECT_EQ(count_of(r.id, "reminded"), 1);
  // The event names who was called on: the role's approvers as policy has them.
  const auto facts = audit::facts::read(event_of(r.id, "reminded")).value();
  EXPECT_EQ(audit::facts::approvers_of_nudge(facts),
            (std::vector<std::string>{"U0ALICE", "U0BOB", "U0CAROL", "S0SRE"}));
  // Re-announced in the owner channel's thread; nothing in the escalation channel yet.
  const auto thread = lines_in("C0PROD");
  EXPECT_TRUE(std::any_of(thread.begin(), thread.end(), [&](const ChatLine& l) {
    return l.kind == ChatLine::Kind::thread && l.text.find("reminded U0ALICE, U0BOB, U0CAROL, S0SRE") != std::string::npos;
  })) << chat.transcript().back().text;
  EXPECT_TRUE(lines_in("C0ESC").empty());
  expect_audit_ok();
}

TEST_F(NobodyAnswersTest, TheRequestIsEscalatedOnceAfterEscalateAfter) {
  const auto r = submit();
  sweep_at(minutes{10});
  EXPECT_EQ(sweep_at(minutes{20} - Seconds{1}).escalated, 0);
  EXPECT_EQ(sweep_at(minutes{20}).escalated, 1);
  EXPECT_EQ(read(r.id).escalated_at, kStart + minutes{20});
  for (Seconds at : {minutes{21}, minutes{40}}) {
    const auto later = sweep_at(at);
    EXPECT_EQ(later.escalated + later.reminded, 0);
  }
  EXPECT_EQ(count_of(r.id, "escalated"), 1);
  EXPECT_EQ(count_of(r.id, "reminded"), 1);
  const auto facts = audit::facts::read(event_of(r.id, "escalated")).value();
  EXPECT_EQ(audit::facts::approvers_of_nudge(facts), (std::vector<std::string>{"S0LEADS", "U0LEAD2"}));
  EXPECT_EQ(audit::facts::text(facts, "channel"), "C0ESC");
  // Linked in the escalation channel, with the escalation approvers.
  const auto escalation = lines_in("C0ESC");
  ASSERT_EQ(escalation.size(), 1u);
  EXPECT_THAT(escalation[0].text, HasSubstr("escalated " + r.id + ": S0LEADS, U0LEAD2"));
  EXPECT_THAT(escalation[0].text, HasSubstr("/archives/C0PROD/p"));
  // At the approval window it lapses like any request nobody decided on.
  EXPECT_EQ(sweep_at(minutes{60}).lapsed, 1);
  EXPECT_EQ(read(r.id).state, State::expired);
  expect_audit_ok();
}

TEST_F(NobodyAnswersTest, AMissedReminderGivesWayToTheEscalation) {
  const auto r = submit();
  EXPECT_EQ(sweep_at(minutes{25}).escalated, 1);  // no sweep between 10m and 20m
  EXPECT_EQ(count_of(r.id, "reminded"), 0);
  EXPECT_EQ(sweep_at(minutes{26}).reminded, 0);
}

TEST_F(NobodyAnswersTest, AnEscalationApproverIsRefusedBeforeTheEscalationAndGrantsAfter) {
  const auto r = submit();
  sweep_at(minutes{10});  // reminded: still only the role's approvers
  for (const char* lead : {"U0LEAD", "U0LEAD2"}) {
    auto early = engine->approve(r.id, lead);
    ASSERT_FALSE(early) << lead;
    EXPECT_EQ(early.error().code, Errc::denied);
    EXPECT_THAT(early.error().message, HasSubstr("you may decide once nobody else has for 20m"));
  }
  EXPECT_TRUE(read(r.id).decisions.empty());
  sweep_at(minutes{20});
  auto approved = engine->approve(r.id, "U0LEAD");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::active);
  EXPECT_EQ(provider.assignments().size(), 1u);
  const auto events = store.audit_events({.request_id = r.id}).value();
  const auto proof = audit::prove_request(read(r.id), events, audit::Keyring::unkeyed(), config->policy);
  ASSERT_TRUE(proof) << proof.error().message;
  EXPECT_EQ(proof->escalated_to, (std::vector<std::string>{"S0LEADS", "U0LEAD2"}));
  EXPECT_EQ(proof->approved_after_escalation, (std::vector<std::string>{"U0LEAD"}));
  expect_audit_ok();
}

TEST_F(NobodyAnswersTest, TheRolesApproversStillDecideAfterTheEscalation) {
  const auto r = submit();
  sweep_at(minutes{20});
  auto approved = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::active);
  // And the requester never, escalation approver or not.
  directory.set_groups("U0DEV", {"S0DEVS", "S0LEADS"});
  const auto own = submit("read");  // created at +20m
  EXPECT_EQ(sweep_at(minutes{40}).escalated, 1);
  auto self = engine->approve(own.id, "U0DEV");
  ASSERT_FALSE(self);
  EXPECT_THAT(self.error().message, HasSubstr("you cannot decide on your own request"));
}

// The requester, who never decides on their own request, is not called on for it.
TEST_F(NobodyAnswersTest, TheRequesterIsNotCalledOnForTheirOwnRequest) {
  config->policy.accounts[0].approvers = {"U0ALICE", "U0DEV"};
  config->policy.accounts[0].escalation.approvers = {"U0DEV", "U0LEAD2"};
  engine = make_engine();
  const auto r = submit();
  sweep_at(minutes{10});
  EXPECT_EQ(audit::facts::approvers_of_nudge(audit::facts::read(event_of(r.id, "reminded")).value()),
            (std::vector<std::string>{"U0ALICE"}));
  sweep_at(minutes{20});
  EXPECT_EQ(audit::facts::approvers_of_nudge(audit::facts::read(event_of(r.id, "escalated")).value()),
            (std::vector<std::string>{"U0LEAD2"}));
  const auto escalation = lines_in("C0ESC");
  ASSERT_EQ(escalation.size(), 1u);
  EXPECT_THAT(escalation[0].text, HasSubstr("escalated " + r.id + ": U0LEAD2 "));
}

TEST_F(NobodyAnswersTest, ACancelStopsTheReminderAndTheEscalation) {
  const auto never = submit();
  clock.set(kStart + minutes{5});
  ASSERT_TRUE(engine->cancel(never.id, "U0DEV"));
  const auto reminded = submit("read");  // created at +5m
  sweep_at(minutes{15});
  EXPECT_TRUE(read(reminded.id).reminded_at);
  auto cancelled = engine->cancel(reminded.id, "U0DEV");
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->state, State::cancelled);
  for (Seconds at : {minutes{20}, minutes{30}, minutes{59}}) {
    const auto report = sweep_at(at);
    EXPECT_EQ(report.reminded + report.escalated, 0);
  }
  EXPECT_EQ(count_of(never.id, "reminded") + count_of(never.id, "escalated"), 0);
  EXPECT_EQ(count_of(reminded.id, "escalated"), 0);
  EXPECT_TRUE(lines_in("C0ESC").empty());
  // An escalated request can be cancelled too.
  clock.set(kStart + minutes{60});
  const auto late = submit("glass");
  sweep_at(minutes{80});
  ASSERT_TRUE(read(late.id).escalated_at);
  ASSERT_TRUE(engine->cancel(late.id, "U0DEV"));
  EXPECT_EQ(read(late.id).state, State::cancelled);
  expect_audit_ok();
}

TEST_F(NobodyAnswersTest, TwoEnginesSharingAStoreRemindAndEscalateOnce) {
  auto second = make_engine("i-2");
  std::vector<std::string> ids;
  for (const char* role : {"admin", "read", "glass"}) ids.push_back(submit(role).id);
  for (Seconds at : {minutes{10}, minutes{20}}) {
    clock.set(kStart + at);
    SweepReport a, b;
    std::thread one([&] { a = engine->sweep(); });
    std::thread two([&] { b = second->sweep(); });
    one.join();
    two.join();
    EXPECT_EQ(a.reminded + b.reminded, at == minutes{10} ? 3 : 0);
    EXPECT_EQ(a.escalated + b.escalated, at == minutes{20} ? 3 : 0);
    EXPECT_EQ(a.errors + b.errors, 0);
  }
  for (const auto& id : ids) {
    EXPECT_EQ(count_of(id, "reminded"), 1) << id;
    EXPECT_EQ(count_of(id, "escalated"), 1) << id;
  }
  EXPECT_EQ(lines_in("C0ESC").size(), 3u);
  expect_audit_ok();
}

// The process dies right after the reminder's or the escalation's write, before any message: a
// restarted engine does neither again (the write is the record), and the escalation stands.
TEST_F(NobodyAnswersTest, ACrashAfterTheWriteConvergesWithoutASecondReminderOrEscalation) {
  for (const char* action : {"reminded", "escalated"}) {
    SCOPED_TRACE(action);
    CrashingStore crashing(store);
    clock.set(kStart);
    auto doomed = make_engine("i-1", &crashing);
    const auto r = doomed->submit({"U0DEV", "prod", action == std::string("reminded") ? "admin" : "read", "1h",
                                   "investigating INC-1", ""});
    ASSERT_TRUE(r) << r.error().message;
    crashing.crash_after_action = action;
    const Seconds due = action == std::string("reminded") ? minutes{10} : minutes{20};
    clock.set(kStart + due);
    EXPECT_THROW(doomed->sweep(), Crash);
    doomed.reset();
    engine = make_engine("i-2");
    for (Seconds at : {due, due + minutes{1}}) sweep_at(at);
    EXPECT_EQ(count_of(r->id, action), 1);
    EXPECT_EQ(action == std::string("reminded") ? read(r->id).reminded_at : read(r->id).escalated_at,
              kStart + due);
    if (action == std::string("escalated")) {
      auto approved = engine->approve(r->id, "U0LEAD");
      ASSERT_TRUE(approved) << approved.error().message;
      EXPECT_EQ(approved->state, State::active);
    }
  }
  expect_audit_ok();
}

// A row edited to say "escalated" (no escalated event in the chain) lets the click through, but
// never the grant: the chain does not explain the row.
TEST_F(NobodyAnswersTest, AnEscalationWrittenIntoTheRowAloneGrantsNothing) {
  const auto r = submit();
  AccessRequest forged = read(r.id);
  forged.escalated_at = kStart;
  ASSERT_TRUE(store.update_request(forged, AuditEvent{.at = kStart, .actor = "U0MALLORY", .action = "note",
                                                      .request_id = r.id}));
  auto approved = engine->approve(r.id, "U0LEAD");
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, State::failed);
  EXPECT_THAT(approved->end_reason, HasSubstr("escalated_at"));
  EXPECT_THAT(approved->end_reason, HasSubstr("no escalated event"));
  EXPECT_TRUE(provider.assignments().empty());
}

}  // namespace
}  // namespace jit::testing
