// Attacks on the decision: approving one's own request by every path, clicks from people who may
// not decide, replayed envelopes, stale buttons, double clicks, forged button values and forged
// private_metadata in the deny form. Safe outcome in every case: the request is decided only by
// someone allowed to, once, and the one who tried is told why when they are refused.
#include <gmock/gmock.h>

#include "adversarial/adversary.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;


// ---- Self-approval ----

class SelfApproval : public AdversarialTest {};

TEST_F(SelfApproval, ApproveButtonOnOwnRequest) {
  const auto me = fresh_person();  // an approver of prod
  const auto id = submit(me, "prod admin 1h fix the build");
  const Mark m = mark(me);
  ASSERT_TRUE(click(me, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

TEST_F(SelfApproval, ForgedValueOnAnotherRequestsMessagePointingAtOwnRequest) {
  const auto me = fresh_person(), other = fresh_person();
  const auto mine = submit(me, "prod admin 1h mine");
  const auto theirs = submit(other, "prod admin 1h theirs");
  const Mark m = mark(me);
  forged_click(me, theirs, slack::kApproveAction, mine);
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_EQ(stored(mine).state, State::pending);
  EXPECT_EQ(stored(theirs).state, State::pending);
  EXPECT_TRUE(stored(mine).decisions.empty());
}

TEST_F(SelfApproval, SecondApprovalFromTheSameApproverOnATwoApproverRole) {
  const auto requester = fresh_person(), approver = fresh_person();
  const auto id = submit(requester, "prod break-glass 30m db failover --ticket INC-1");
  ASSERT_TRUE(click(approver, id, slack::kApproveAction));
  ASSERT_TRUE(World::poll([&] { return stored(id).decisions.size() == 1; }, std::chrono::seconds(10)));
  const Mark m = mark(approver);
  ASSERT_TRUE(click(approver, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "already decided"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_EQ(stored(id).decisions.size(), 1u);
  EXPECT_EQ(audit_count(id, "approve_partial"), 1);
  EXPECT_EQ(audit_count(id, "approve"), 0);
}

TEST_F(SelfApproval, RequesterGivesTheSecondApprovalOnATwoApproverRole) {
  const auto requester = fresh_person();  // an approver of prod, but not of their own request
  const auto id = submit(requester, "prod break-glass 30m restore the backup --ticket INC-2");
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction));
  ASSERT_TRUE(World::poll([&] { return stored(id).decisions.size() == 1; }, std::chrono::seconds(10)));
  const Mark m = mark(requester);
  ASSERT_TRUE(click(requester, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_EQ(stored(id).decisions.size(), 1u);
}

TEST_F(SelfApproval, DenyThenApproveOwnRequest) {
  const auto me = fresh_person();
  const auto id = submit(me, "prod admin 1h deny then approve");
  Mark m = mark(me);
  ASSERT_TRUE(click(me, id, slack::kDenyAction));
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_TRUE(slack().views(me).empty()) << "no deny form for one's own request";
  m = mark(me);
  ASSERT_TRUE(click(me, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "your own request"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

// ---- People who may not decide ----

class NotAnApprover : public AdversarialTest {};

TEST_F(NotAnApprover, ApproveIsRefused) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h eve tries");
  const Mark m = mark(kEve);
  ASSERT_TRUE(click(kEve, id, slack::kApproveAction));
  EXPECT_TRUE(reply_after(m, "not an approver"));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

TEST_F(NotAnApprover, DenyIsRefusedWithoutAForm) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h eve denies");
  const Mark m = mark(kEve);
  ASSERT_TRUE(click(kEve, id, slack::kDenyAction));
  EXPECT_TRUE(reply_after(m, "not an approver"));
  EXPECT_TRUE(slack().views(kEve).empty());
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(NotAnApprover, ApproverOfAnotherAccountUsingAForgedValue) {
  // bob approves prod, not sandbox: he clicks Approve on a prod message carrying a sandbox request's id.
  const auto requester = fresh_person(), other = fresh_person();
  const auto sandbox = submit(requester, "sandbox developer 2h sandbox work");
  const auto prod = submit(other, "prod admin 1h a prod request");
  const Mark m = mark(kBob);
  forged_click(kBob, prod, slack::kApproveAction, sandbox);
  EXPECT_TRUE(reply_after(m, "not an approver for account sandbox"));
  EXPECT_EQ(stored(sandbox).state, State::pending);
  EXPECT_TRUE(stored(sandbox).decisions.empty());
  EXPECT_EQ(stored(prod).state, State::pending);
}

TEST_F(NotAnApprover, DenyValueForgedToARequestOfAnotherAccount) {
  const auto requester = fresh_person(), other = fresh_person();
  const auto sandbox = submit(requester, "sandbox developer 2h a sandbox request");
  const auto prod = submit(other, "prod admin 1h a prod request");
  const Mark m = mark(kBob);
  forged_click(kBob, prod, slack::kDenyAction, sandbox);
  EXPECT_TRUE(reply_after(m, "not an approver for account sandbox"));
  EXPECT_TRUE(slack().views(kBob).empty()) << "no deny form for a request bob may not decide";
  EXPECT_EQ(stored(sandbox).state, State::pending);
}

// ---- Someone else's request ----

class OthersRequest : public AdversarialTest {};

TEST_F(OthersRequest, CancelIsRefused) {
  const auto owner = fresh_person(), other = fresh_person();
  const auto id = submit(owner, "prod admin 1h not yours to cancel");
  EXPECT_THAT(command(other, "cancel " + id), HasSubstr("only " + owner + " can cancel"));
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(OthersRequest, ReleaseIsRefused) {
  const auto owner = fresh_person(), other = fresh_person();
  const auto id = submit(owner, "prod admin 1h not yours to release");
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(id, State::active));
  EXPECT_THAT(command(other, "release " + id), HasSubstr("only " + owner + " can release"));
  EXPECT_EQ(stored(id).state, State::active);
}

TEST_F(OthersRequest, ASecondOpenRequestForTheSameRoleIsRefused) {
  const auto owner = fresh_person();
  const auto id = submit(owner, "prod admin 1h the first");
  EXPECT_THAT(command(owner, "request prod admin 30m the second"), HasSubstr("you already have request " + id));
  auto rows = world().store().list_requests({.requester = owner});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}

// ---- Replays ----

class Replay : public AdversarialTest {};

TEST_F(Replay, RequestCommandWithANewEnvelopeIdMakesNoSecondRequest) {
  const auto owner = fresh_person();
  const Mark m = mark(owner);
  const auto envelope_id = slack().slash_command(owner, "request prod admin 1h replayed command");
  ASSERT_TRUE(reply_after(m, "is waiting for approval"));
  const Mark again = mark(owner);
  slack().send_envelope("slash_commands", envelope(envelope_id)["payload"], true);
  EXPECT_TRUE(reply_after(again, "you already have request"));
  auto rows = world().store().list_requests({.requester = owner});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}


TEST_F(Replay, SameApproveEnvelopeTwiceCountsOnce) {
  const auto requester = fresh_person(), approver = fresh_person();
  const auto id = submit(requester, "prod break-glass 30m replayed --ticket INC-3");
  const auto envelope_id = slack().click(approver, kProdChannel, message_ts(id), slack::kApproveAction);
  ASSERT_TRUE(envelope_id);
  ASSERT_TRUE(World::poll([&] { return stored(id).decisions.size() == 1; }, std::chrono::seconds(10)));
  const Mark m = mark(approver);
  ASSERT_TRUE(slack().redeliver(*envelope_id));
  ASSERT_TRUE(wait_acked(*envelope_id, 2));
  // The replay is recognised and dropped: not handed to the engine (which would say "already decided").
  EXPECT_TRUE(World::poll([&] { return world().log(0).find("socket_mode_duplicate") != std::string::npos; },
                          std::chrono::seconds(5)));
  EXPECT_THAT(command(approver, "list"), Not(HasSubstr("(no reply)")));  // a barrier: later envelopes are handled
  EXPECT_FALSE(reply_after(m, "already decided", std::chrono::milliseconds(0)));
  EXPECT_EQ(stored(id).decisions.size(), 1u);
  EXPECT_EQ(audit_count(id, "approve_partial"), 1);
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(Replay, SameHelpEnvelopeTwiceIsAnsweredOnce) {
  const auto user = fresh_person();
  const Mark m = mark(user);
  const auto envelope_id = slack().slash_command(user, "help");
  ASSERT_TRUE(reply_after(m, "/jit request"));
  ASSERT_TRUE(slack().redeliver(envelope_id));
  ASSERT_TRUE(wait_acked(envelope_id, 2));
  const Mark after = mark(user);
  ASSERT_THAT(command(user, "list"), HasSubstr("no pending requests"));  // a barrier
  EXPECT_FALSE(reply_after(after, "/jit request", std::chrono::milliseconds(0)));
  int helps = 0;
  for (const auto& c : slack().calls())
    helps += c.value("method", "") == "chat.postEphemeral" && c["args"].value("user", "") == user &&
             c["args"].dump().find("/jit request") != std::string::npos;
  EXPECT_LE(helps, 1);
}

TEST_F(Replay, ApprovePayloadWithANewEnvelopeIdAfterTheGrant) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h replay after grant");
  const auto envelope_id = slack().click(kAlice, kProdChannel, message_ts(id), slack::kApproveAction);
  ASSERT_TRUE(envelope_id);
  ASSERT_TRUE(world().wait_state(id, State::active));
  const int grants = grants_made();
  const Mark m = mark(kAlice);
  slack().send_envelope("interactive", envelope(*envelope_id)["payload"], false);
  EXPECT_TRUE(reply_after(m, "already approved"));
  EXPECT_EQ(stored(id).state, State::active);
  EXPECT_EQ(grants_made(), grants);
  EXPECT_EQ(audit_count(id, "approve"), 1);
  EXPECT_EQ(audit_count(id, "begin_grant"), 1);
}

TEST_F(Replay, DenySubmissionWithANewEnvelopeIdAfterTheDenial) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h replay the denial");
  const auto view = open_deny_form(kAlice, id);
  ASSERT_TRUE(slack().submit_view(kAlice, view, {{"reason", "not today"}}));
  ASSERT_TRUE(world().wait_state(id, State::denied));
  json submission;
  for (const auto& e : slack().envelopes())
    if (e["payload"].value("type", "") == "view_submission" && e["payload"]["view"].value("id", "") == view)
      submission = e["payload"];
  ASSERT_TRUE(submission.is_object());
  const Mark m = mark(kAlice);
  slack().send_envelope("interactive", submission, true);
  EXPECT_TRUE(reply_after(m, "already denied"));
  EXPECT_EQ(stored(id).state, State::denied);
  EXPECT_EQ(audit_count(id, "deny"), 1);
}

// ---- Stale buttons: a client still showing the buttons after the request was decided ----

class StaleButton : public AdversarialTest {};

TEST_F(StaleButton, ApproveAfterDeny) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h denied first");
  const auto view = open_deny_form(kBob, id);
  ASSERT_TRUE(slack().submit_view(kBob, view, {{"reason", "no"}}));
  ASSERT_TRUE(world().wait_state(id, State::denied));
  const int grants = grants_made();
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, id);
  EXPECT_TRUE(reply_after(m, "already denied"));
  EXPECT_EQ(stored(id).state, State::denied);
  EXPECT_EQ(grants_made(), grants);
}

TEST_F(StaleButton, ApproveAfterCancel) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h cancelled first");
  ASSERT_THAT(command(requester, "cancel " + id), HasSubstr("withdrawn"));
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, id);
  EXPECT_TRUE(reply_after(m, "cancelled"));
  EXPECT_EQ(stored(id).state, State::cancelled);
  EXPECT_TRUE(stored(id).decisions.empty());
}

TEST_F(StaleButton, DenyAfterApproval) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h approved first");
  ASSERT_TRUE(click(kAlice, id, slack::kApproveAction));
  ASSERT_TRUE(world().wait_state(id, State::active));
  const Mark m = mark(kBob);
  forged_click(kBob, id, slack::kDenyAction, id);
  EXPECT_TRUE(reply_after(m, "already approved"));
  EXPECT_TRUE(slack().views(kBob).empty()) << "no deny form for a decided request";
  EXPECT_EQ(stored(id).state, State::active);
}

// ---- Double clicks ----

class DoubleClick : public AdversarialTest {};

TEST_F(DoubleClick, TwoApproveEnvelopesBackToBackGrantOnce) {
  const auto requester = fresh_person(), approver = fresh_person();
  const auto id = submit(requester, "prod admin 1h double click");
  const std::string ts = message_ts(id);
  const int grants = grants_made();
  const Mark m = mark(approver);
  ASSERT_TRUE(slack().click(approver, kProdChannel, ts, slack::kApproveAction));
  // The double click: the second goes out from the same screen, whether or not the first was
  // already handled and the message updated.
  ASSERT_FALSE(slack().click_with_value(approver, kProdChannel, ts, slack::kApproveAction, id).empty());
  ASSERT_TRUE(world().wait_state(id, State::active));
  EXPECT_TRUE(reply_after(m, "already"));  // the second click: already approved, or already decided
  EXPECT_EQ(grants_made(), grants + 1);
  EXPECT_EQ(audit_count(id, "approve"), 1);
  EXPECT_EQ(audit_count(id, "begin_grant"), 1);
  EXPECT_EQ(stored(id).decisions.size(), 1u);
}

TEST_F(DoubleClick, TwoApproversAtOnceOnAOneApproverRoleGrantOnce) {
  const auto requester = fresh_person(), approver = fresh_person();
  const auto id = submit(requester, "prod admin 1h two approvers at once");
  const std::string ts = message_ts(id);
  const int grants = grants_made();
  ASSERT_TRUE(slack().click(approver, kProdChannel, ts, slack::kApproveAction));
  // Alice's client still shows the button (at once): her click goes out whether or not the first
  // one has already been handled and the message updated (a real click would then find no button).
  ASSERT_FALSE(slack().click_with_value(kAlice, kProdChannel, ts, slack::kApproveAction, id).empty());
  ASSERT_TRUE(world().wait_state(id, State::active));
  EXPECT_TRUE(World::poll([&] { return grants_made() == grants + 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(audit_count(id, "approve"), 1);
  EXPECT_EQ(audit_count(id, "begin_grant"), 1);
  EXPECT_EQ(stored(id).decisions.size(), 1u);
}

// ---- Forged button values ----

class ForgedValue : public AdversarialTest {};

TEST_F(ForgedValue, UnknownRequestId) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h target of a forgery");
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, "rzzzzzzzz");
  EXPECT_TRUE(reply_after(m, "does not exist"));
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(ForgedValue, OversizedValueIsRefusedWithAShortReply) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h oversized value");
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, std::string(1 << 20, 'r'));
  auto reply = reply_after(m, ":no_entry:");
  ASSERT_TRUE(reply);
  EXPECT_LT(reply->size(), 3000u) << "the reply echoes the forged value";
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(ForgedValue, UnknownActionIdChangesNothing) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h unknown action");
  const auto envelope_id = forged_click(kAlice, id, "jit_grant_everything", id);
  ASSERT_TRUE(wait_acked(envelope_id));
  ASSERT_THAT(command(kAlice, "list"), Not(HasSubstr("(no reply)")));  // a barrier
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

// Values a forger may put in the Approve button; each is refused, echoed harmlessly, and changes
// nothing.
class ForgedValues : public AdversarialTest, public ::testing::WithParamInterface<Named> {};

TEST_P(ForgedValues, AreRefused) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h forged values");
  const Mark m = mark(kAlice);
  forged_click(kAlice, id, slack::kApproveAction, GetParam().value);
  auto reply = reply_after(m, ":no_entry:");
  ASSERT_TRUE(reply);
  EXPECT_THAT(*reply, Not(HasSubstr("<!channel>")));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

INSTANTIATE_TEST_SUITE_P(Garbage, ForgedValues,
                         ::testing::Values(Named{"Empty", ""}, Named{"Spaces", "   "},
                                           Named{"SqlInjection", "'; DROP TABLE requests; --"},
                                           Named{"PathTraversal", "../../etc/passwd"},
                                           Named{"ChannelMention", "<!channel> r1"},
                                           Named{"ControlCharacters", "\x01\x02\x7f"},
                                           Named{"RightToLeftOverride", "\u202e\u200b"}, Named{"Newline", "r\nr"},
                                           Named{"PercentEncodedNul", "%00"}),
                         name_of);

// ---- Forged private_metadata in the deny form ----

class ForgedMetadata : public AdversarialTest {
 protected:
  // `approver` opens the deny form of request `form_for`, tampers its private_metadata to
  // `metadata` and submits it: the first reply to them containing `containing`.
  std::optional<std::string> deny_with(const std::string& approver, const std::string& form_for,
                                       const std::string& metadata, const std::string& containing) {
    const auto view = open_deny_form(approver, form_for);
    if (!slack().tamper_view(approver, view, metadata)) return std::nullopt;
    const Mark m = mark(approver);
    if (!slack().submit_view(approver, view, {{"reason", "forged"}})) return std::nullopt;
    return reply_after(m, containing);
  }
};

TEST_F(ForgedMetadata, DenyFormPointingAtARequestOfAnotherAccount) {
  // bob may deny prod requests: his form, re-pointed at a sandbox request, must not deny it.
  const auto a = fresh_person(), b = fresh_person();
  const auto prod = submit(a, "prod admin 1h the form's request");
  const auto sandbox = submit(b, "sandbox developer 1h the forger's target");
  EXPECT_TRUE(deny_with(kBob, prod, sandbox, "not an approver for account sandbox"));
  EXPECT_EQ(stored(sandbox).state, State::pending);
  EXPECT_EQ(stored(prod).state, State::pending);
}

TEST_F(ForgedMetadata, DenyFormPointingAtOwnRequest) {
  const auto approver = fresh_person(), other = fresh_person();
  const auto own = submit(approver, "prod admin 1h my own");
  const auto theirs = submit(other, "prod admin 1h the form's request");
  EXPECT_TRUE(deny_with(approver, theirs, own, "your own request"));
  EXPECT_EQ(stored(own).state, State::pending);
  EXPECT_EQ(stored(theirs).state, State::pending);
}

TEST_F(ForgedMetadata, JsonGarbage) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h garbage metadata");
  EXPECT_TRUE(deny_with(kAlice, id, "{\"request\": [1, 2, {\"id\":", ":no_entry:"));
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(ForgedMetadata, OversizedIsRefusedWithAShortReply) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h oversized metadata");
  auto reply = deny_with(kAlice, id, std::string(200000, '9'), ":no_entry:");
  ASSERT_TRUE(reply);
  EXPECT_LT(reply->size(), 3000u) << "the reply echoes the forged metadata";
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(ForgedMetadata, RequestFormWithMistypedMetadataStillWorks) {
  // The request form keeps the chosen account and role in private_metadata; a tampered one with
  // the wrong types must neither crash the handler nor change what is requested.
  const auto me = fresh_person();
  slack().slash_command(me, "");  // `/jit` alone opens the form
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator& s) { return !s.views(me).empty(); },
                               std::chrono::seconds(10)));
  const std::string view = slack().views(me)[0].value("id", "");
  ASSERT_TRUE(slack().tamper_view(me, view, R"({"account": 5, "role": ["admin"]})"));
  ASSERT_TRUE(slack().select_in_view(me, view, "account", "account", "sandbox"));
  ASSERT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        const json views = s.views(me);
        return !views.empty() && views[0].dump().find("developer") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << slack().views(me).dump();
}

}  // namespace
}  // namespace jit::testing
