// The request and approval rules of src/core/policy.h, on a policy built in code.
#include "core/policy.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/limits.h"

namespace jit {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

Policy test_policy() {
  Policy p;
  p.admins = {"U0ADMIN", "S0SECOPS"};

  RolePolicy admin;
  admin.name = "admin";
  admin.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1";
  admin.max_duration = hours{2};
  admin.allowed_durations = {minutes{15}, hours{1}, hours{2}};
  admin.tier = Tier::high;
  admin.approvals_required = 2;
  admin.requesters = {"U0REQ", "S0DEVS"};
  admin.ticket_required = true;
  admin.ticket_pattern = "^OPS-[0-9]+$";
  admin.ticket_regex = Pattern::compile(admin.ticket_pattern).value();

  RolePolicy read;
  read.name = "read";
  read.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-2";
  read.max_duration = hours{4};
  read.requesters = {"*"};

  RolePolicy audit;  // ticket optional, but checked when given
  audit.name = "audit";
  audit.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-3";
  audit.max_duration = hours{1};
  audit.requesters = {"*"};
  audit.ticket_pattern = "INC-[0-9]+";
  audit.ticket_regex = Pattern::compile(audit.ticket_pattern).value();

  RolePolicy plain_ticket;  // ticket required, any text
  plain_ticket.name = "plain";
  plain_ticket.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-4";
  plain_ticket.max_duration = hours{1};
  plain_ticket.requesters = {"*"};
  plain_ticket.ticket_required = true;

  AccountPolicy prod;
  prod.name = "prod";
  prod.id = "123456789012";
  prod.owner_channel = "C0PROD";
  prod.approvers = {"U0ALICE", "S0SRE"};
  prod.roles = {admin, read, audit, plain_ticket};

  AccountPolicy sandbox;
  sandbox.name = "sandbox";
  sandbox.id = "111111111111";
  sandbox.owner_channel = "C0SANDBOX";
  sandbox.approvers = {"U0BOB"};
  sandbox.roles = {read};

  p.accounts = {prod, sandbox};
  return p;
}

// A draft that passes every rule for prod/admin; tests change one field.
RequestDraft good_draft() {
  return RequestDraft{.requester = {"U0REQ", {}},
                      .account = "prod",
                      .role = "admin",
                      .duration = "1h",
                      .reason = "deploy hotfix",
                      .ticket = "OPS-42"};
}

Error error_of(const RequestDraft& draft) {
  auto r = check_request(test_policy(), draft);
  EXPECT_FALSE(r.has_value()) << "request was accepted";
  return r.has_value() ? Error{} : r.error();
}

// ---- check_request ----

TEST(CheckRequest, AcceptsAGoodRequestAndResolvesIt) {
  const Policy p = test_policy();
  auto r = check_request(p, good_draft());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->account, &p.accounts[0]);
  EXPECT_EQ(r->role, &p.accounts[0].roles[0]);
  EXPECT_EQ(r->duration, hours{1});
}

TEST(CheckRequest, UnknownAccountByName) {
  auto d = good_draft();
  d.account = "staging";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "account \"staging\" is not in policy; known accounts: prod, sandbox");
}

TEST(CheckRequest, AccountByIdAndUnknownId) {
  const Policy p = test_policy();
  auto d = good_draft();
  d.account = "123456789012";
  auto r = check_request(p, d);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->account->name, "prod");

  d.account = "999999999999";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_THAT(e.message, HasSubstr("account \"999999999999\" is not in policy"));
}

TEST(CheckRequest, UnknownRole) {
  auto d = good_draft();
  d.role = "root";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "role \"root\" does not exist on account prod; roles there: admin, read, audit, plain");
}

TEST(CheckRequest, RoleOfAnotherAccountIsUnknown) {
  auto d = good_draft();
  d.account = "sandbox";
  EXPECT_THAT(error_of(d).message, HasSubstr("role \"admin\" does not exist on account sandbox"));
}

TEST(CheckRequest, RequesterNotAllowedIsDenied) {
  auto d = good_draft();
  d.requester = {"U0STRANGER", {"S0OTHERS"}};
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::denied);
  EXPECT_THAT(e.message, HasSubstr("you may not request role admin on account prod"));
}

TEST(CheckRequest, RequesterAllowedViaGroup) {
  auto d = good_draft();
  d.requester = {"U0DEV", {"S0OTHERS", "S0DEVS"}};
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
}

TEST(CheckRequest, RequesterAllowedViaStar) {
  auto d = good_draft();
  d.requester = {"U0ANYONE", {}};
  d.role = "read";
  d.ticket = "";
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
}

TEST(CheckRequest, BadDuration) {
  auto d = good_draft();
  d.duration = "1 hour";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "duration \"1 hour\": expected a duration like 90m or 2h");
  d.duration = "";
  EXPECT_THAT(error_of(d).message, HasSubstr("duration"));
}

TEST(CheckRequest, DurationOverMaximum) {
  auto d = good_draft();
  d.duration = "3h";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "duration 3h is longer than the maximum 2h for role admin");
}

TEST(CheckRequest, DurationNotInAllowedList) {
  auto d = good_draft();
  d.duration = "30m";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "duration 30m is not allowed for role admin; choose one of: 15m, 1h, 2h");
  d.duration = "60m";  // the same as 1h, written differently
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
}

TEST(CheckRequest, AnyDurationUpToMaximumWithoutAllowedList) {
  auto d = good_draft();
  d.role = "read";
  for (const char* text : {"1s", "17m", "3h59m", "4h"}) {
    d.duration = text;
    EXPECT_TRUE(check_request(test_policy(), d).has_value()) << text;
  }
}

TEST(CheckRequest, MissingOrBlankReason) {
  auto d = good_draft();
  for (const char* reason : {"", " ", " \t\n "}) {
    d.reason = reason;
    Error e = error_of(d);
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_EQ(e.message, "reason is required: say why you need this access");
  }
}

TEST(CheckRequest, ReasonLengthLimit) {
  auto d = good_draft();
  d.reason = std::string(500, 'x');
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
  d.reason = std::string(501, 'x');
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "reason is 501 characters long; the limit is 500");
}

TEST(CheckRequest, ReasonLengthCountsCharactersNotBytes) {
  auto d = good_draft();
  d.reason.clear();
  for (int i = 0; i < 500; ++i) d.reason += "é";  // two bytes each
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
  d.reason += "é";
  EXPECT_EQ(error_of(d).message, "reason is 501 characters long; the limit is 500");
}

// Blank means blank in Unicode: a reason of no-break or zero-width spaces says nothing.
TEST(CheckRequest, ReasonOfUnicodeSpacesIsBlank) {
  auto d = good_draft();
  for (const char* reason : {"\u200B", "\u200B\u200B\u200B", "\u00A0", " \u00A0\t", "\u3000", "\uFEFF",
                             "\u2003\u202F\u205F\u180E", "\u2000\u2001\u2002\u2009\u200A"}) {
    d.reason = reason;
    Error e = error_of(d);
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_EQ(e.message, "reason is required: say why you need this access") << reason;
  }
  d.reason = "\u200Bfix\u00A0it";  // words among the spaces are a reason
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
}

TEST(CheckRequest, InvalidUtf8IsRefusedByName) {
  auto d = good_draft();
  d.reason = "fix \xC3";  // a lead byte with nothing after it
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "reason is not valid UTF-8 (byte 5): retype it");
  d = good_draft();
  d.ticket = "OPS-\xFF";
  EXPECT_EQ(error_of(d).message, "ticket is not valid UTF-8 (byte 5): retype it");
}

// Issue 12: libstdc++'s std::regex recursed once per character, and `^INC-[0-9]+$` against a ticket
// of 40,000 digits overflowed the stack (the whole service died). The ticket is now bounded before
// anything looks at it, and refused cleanly.
TEST(CheckRequest, TicketOfFortyThousandDigitsIsRefusedAsTooLong) {
  Policy p = test_policy();
  RolePolicy& audit = p.accounts[0].roles[2];
  ASSERT_EQ(audit.name, "audit");
  audit.ticket_pattern = "^INC-[0-9]+$";
  audit.ticket_regex = Pattern::compile(audit.ticket_pattern).value();
  auto d = good_draft();
  d.role = "audit";
  d.ticket = "INC-" + std::string(40'000, '7');
  auto r = check_request(p, d);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_EQ(r.error().message, fmt::format("ticket is 40004 characters long; the limit is {}", limits::kMaxTicketLength));
  d.ticket = "INC-" + std::string(limits::kMaxTicketLength - 4, '7');  // at the limit: matched as usual
  EXPECT_TRUE(check_request(p, d).has_value());
}

TEST(CheckRequest, TicketMissingWhenRequired) {
  auto d = good_draft();
  d.ticket = "";
  Error e = error_of(d);
  EXPECT_EQ(e.code, Errc::invalid);
  EXPECT_EQ(e.message, "ticket is required for role admin (pattern ^OPS-[0-9]+$)");

  d.role = "plain";
  EXPECT_EQ(error_of(d).message, "ticket is required for role plain");
  d.ticket = "  ";  // blank is as good as missing
  EXPECT_EQ(error_of(d).message, "ticket is required for role plain");
  d.ticket = "anything goes";
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
}

TEST(CheckRequest, TicketNotMatchingPattern) {
  auto d = good_draft();
  for (const char* ticket : {"JIRA-1", "OPS-", "ops-1", "OPS-12x", "xOPS-12"}) {
    d.ticket = ticket;
    Error e = error_of(d);
    EXPECT_EQ(e.code, Errc::invalid);
    EXPECT_EQ(e.message, "ticket \"" + std::string(ticket) +
                             "\" does not match the pattern ^OPS-[0-9]+$ required for role admin");
  }
}

TEST(CheckRequest, TicketMatchingPatternIsAccepted) {
  auto d = good_draft();
  d.ticket = "OPS-1234";
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
}

TEST(CheckRequest, OptionalTicketIsCheckedOnlyWhenGiven) {
  auto d = good_draft();
  d.role = "audit";
  d.ticket = "";
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
  d.ticket = "INC-7";
  EXPECT_TRUE(check_request(test_policy(), d).has_value());
  d.ticket = "INC-7 and more";  // the whole ticket must match, even without ^ and $
  EXPECT_THAT(error_of(d).message, HasSubstr("does not match the pattern INC-[0-9]+"));
}

// ---- check_approver ----

AccessRequest pending_request(std::string requester = "U0REQ") {
  AccessRequest r;
  r.id = "req-1";
  r.requester = std::move(requester);
  r.account = "prod";
  r.role = "admin";
  r.state = State::pending;
  return r;
}

TEST(CheckApprover, ApproverByUserIdOrGroupIsAllowed) {
  const Policy p = test_policy();
  EXPECT_TRUE(check_approver(p, pending_request(), {"U0ALICE", {}}).has_value());
  EXPECT_TRUE(check_approver(p, pending_request(), {"U0CAROL", {"S0SRE"}}).has_value());
}

TEST(CheckApprover, SelfApprovalIsRefusedEvenForAnApprover) {
  const Policy p = test_policy();
  for (const Identity& self : {Identity{"U0ALICE", {}}, Identity{"U0CAROL", {"S0SRE"}}}) {
    auto r = check_approver(p, pending_request(self.user_id), self);
    ASSERT_FALSE(r.has_value()) << self.user_id;
    EXPECT_EQ(r.error().code, Errc::denied);
    EXPECT_EQ(r.error().message, "you cannot decide on your own request; to withdraw it, cancel it");
  }
}

TEST(CheckApprover, NonApproverIsRefused) {
  auto r = check_approver(test_policy(), pending_request(), {"U0BOB", {"S0DEVS"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_EQ(r.error().message, "you are not an approver for account prod");
}

TEST(CheckApprover, ApproversOfAnotherAccountAreRefused) {
  // U0BOB approves sandbox, not prod.
  auto r = check_approver(test_policy(), pending_request(), {"U0BOB", {}});
  EXPECT_FALSE(r.has_value());
}

TEST(CheckApprover, SecondDecisionBySameApproverIsRefused) {
  const Policy p = test_policy();
  for (bool approved : {true, false}) {
    auto req = pending_request();
    req.decisions.push_back({"U0ALICE", approved, "", from_epoch(100)});
    auto r = check_approver(p, req, {"U0ALICE", {}});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::denied);
    EXPECT_EQ(r.error().message, "you have already decided on this request: another approver must");
    // Someone else still may.
    EXPECT_TRUE(check_approver(p, req, {"U0CAROL", {"S0SRE"}}).has_value());
  }
}

TEST(CheckApprover, AccountNoLongerInPolicy) {
  auto req = pending_request();
  req.account = "retired";
  auto r = check_approver(test_policy(), req, {"U0ALICE", {}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_THAT(r.error().message, HasSubstr("retired"));
}

// ---- approvals ----

TEST(Approvals, CountsDistinctApproversOnly) {
  auto req = pending_request();
  EXPECT_EQ(approvals_count(req), 0);
  req.decisions = {
      {"U0ALICE", true, "", from_epoch(1)},
      {"U0ALICE", true, "again", from_epoch(2)},  // the same person twice counts once
      {"U0CAROL", true, "", from_epoch(3)},
      {"U0DAVE", false, "no", from_epoch(4)},  // a denial is not an approval
      {"U0REQ", true, "", from_epoch(5)},      // the requester never counts
  };
  EXPECT_EQ(approvals_count(req), 2);
}

TEST(Approvals, NeededComesFromTheRole) {
  const Policy p = test_policy();
  auto req = pending_request();
  EXPECT_EQ(approvals_needed(p, req), 2);
  req.role = "read";
  EXPECT_EQ(approvals_needed(p, req), 1);
  // A role that left policy needs no number of approvals: it cannot be approved at all (it used to
  // fall back to 1, turning a 2-approver role renamed by a reload into a 1-approver one).
  req.role = "removed";
  EXPECT_EQ(approvals_needed(p, req), 0);
  req.account = "retired";
  EXPECT_EQ(approvals_needed(p, req), 0);
}

TEST(Approvals, StandingCountsOnlyThoseWhoAreApproversNow) {
  const Policy p = test_policy();
  auto req = pending_request();
  req.decisions = {
      {"U0ALICE", true, "", from_epoch(1)},
      {"U0CAROL", true, "", from_epoch(2)},  // was in S0SRE when approving
      {"U0DAVE", true, "", from_epoch(3)},   // never looked up: does not count
      {"U0REQ", true, "", from_epoch(4)},    // the requester never counts
  };
  const std::vector<Identity> now = {{"U0ALICE", {}}, {"U0CAROL", {"S0SRE"}}, {"U0REQ", {"S0SRE"}}};
  EXPECT_EQ(approvals_standing(p, req, now), 2);
  EXPECT_EQ(approvals_standing(p, req, {{"U0ALICE", {}}, {"U0CAROL", {}}}), 1);  // left S0SRE
  req.account = "retired";
  EXPECT_EQ(approvals_standing(p, req, now), 0);
}

// Issue 17: a role that names its own approvers and channel replaces the account's for itself
// only; every approval rule asks approvers_of.
Policy policy_with_role_approvers() {
  Policy p = test_policy();
  RolePolicy& read = p.accounts[0].roles[1];  // prod/read
  read.approvers = {"U0DAVE", "S0READERS"};
  read.owner_channel = "C0READERS";
  return p;
}

TEST(RoleApprovers, ReplaceTheAccountsForThatRoleOnly) {
  const Policy p = policy_with_role_approvers();
  const AccountPolicy& prod = p.accounts[0];
  EXPECT_EQ(approvers_of(prod, prod.roles[1]), (std::vector<std::string>{"U0DAVE", "S0READERS"}));
  EXPECT_EQ(owner_channel_of(prod, prod.roles[1]), "C0READERS");
  EXPECT_EQ(approvers_of(prod, prod.roles[0]), prod.approvers);  // prod/admin: the account's
  EXPECT_EQ(owner_channel_of(prod, prod.roles[0]), "C0PROD");

  auto read = pending_request();
  read.role = "read";
  EXPECT_TRUE(check_approver(p, read, {"U0DAVE", {}}).has_value());
  EXPECT_TRUE(check_approver(p, read, {"U0ERIN", {"S0READERS"}}).has_value());
  // The account's approvers do not approve a role that names its own.
  for (const Identity& account_approver : {Identity{"U0ALICE", {}}, Identity{"U0CAROL", {"S0SRE"}}}) {
    auto r = check_approver(p, read, account_approver);
    ASSERT_FALSE(r.has_value()) << account_approver.user_id;
    EXPECT_EQ(r.error().code, Errc::denied);
    EXPECT_EQ(r.error().message, "you are not an approver for role read on account prod");
  }
  // ...and the role's approvers do not approve the account's other roles.
  auto r = check_approver(p, pending_request(), {"U0DAVE", {"S0READERS"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "you are not an approver for account prod");
  EXPECT_TRUE(check_approver(p, pending_request(), {"U0ALICE", {}}).has_value());
  // The requester never approves, even as one of the role's approvers.
  EXPECT_FALSE(check_approver(p, pending_request("U0DAVE"), {"U0DAVE", {}}).has_value());
}

TEST(RoleApprovers, OnlyTheRolesApproversStandAndARemovedRoleHasNone) {
  const Policy p = policy_with_role_approvers();
  auto read = pending_request();
  read.role = "read";
  read.decisions = {{"U0ALICE", true, "", from_epoch(1)},  // the account's approver: not of this role
                    {"U0DAVE", true, "", from_epoch(2)},
                    {"U0ERIN", true, "", from_epoch(3)}};
  const std::vector<Identity> now = {{"U0ALICE", {}}, {"U0DAVE", {}}, {"U0ERIN", {"S0READERS"}}};
  EXPECT_EQ(approvals_standing(p, read, now), 2);
  EXPECT_EQ(approvals_standing(p, read, {{"U0ALICE", {}}, {"U0DAVE", {}}, {"U0ERIN", {}}}), 1);  // left S0READERS
  // The same approvals on a role that takes the account's approvers: only U0ALICE stands.
  auto admin = read;
  admin.role = "admin";
  EXPECT_EQ(approvals_standing(p, admin, now), 1);
  read.role = "removed";
  EXPECT_EQ(approvals_standing(p, read, now), 0);
  auto r = check_approver(p, read, {"U0DAVE", {}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "role removed is no longer on account prod (policy changed since request req-1 was made); ask again");
}

// Issue 17: escalation approvers decide only once the request is escalated; the requester never.
Policy policy_with_escalation() {
  Policy p = test_policy();
  p.accounts[0].escalation = {.remind_after = minutes{10}, .escalate_after = minutes{20}, .approvers = {"S0LEADS"},
                              .channel = "C0ESC"};
  return p;
}

TEST(Escalation, EscalationApproversDecideOnlyOnceEscalated) {
  const Policy p = policy_with_escalation();
  auto r = pending_request();
  const Identity lead{"U0LEAD", {"S0LEADS"}};
  auto before = check_approver(p, r, lead);
  ASSERT_FALSE(before.has_value());
  EXPECT_EQ(before.error().code, Errc::denied);
  EXPECT_EQ(before.error().message,
            "you are an escalation approver of role admin on account prod: you may decide once nobody else has for "
            "20m and the request is escalated");
  r.escalated_at = from_epoch(1200);
  EXPECT_TRUE(check_approver(p, r, lead).has_value());
  EXPECT_TRUE(check_approver(p, r, {"U0ALICE", {}}).has_value());  // the role's approvers still may
  EXPECT_FALSE(check_approver(p, r, {"U0EVE", {}}).has_value());     // nobody else
  // The requester, even in the escalation group, never.
  auto own = pending_request("U0LEAD");
  own.escalated_at = from_epoch(1200);
  EXPECT_EQ(check_approver(p, own, lead).error().message,
            "you cannot decide on your own request; to withdraw it, cancel it");
}

TEST(Escalation, AnEscalationApproverStandsOnlyWhenTheCallerSaysTheEscalationIsProven) {
  const Policy p = policy_with_escalation();
  auto r = pending_request();
  r.escalated_at = from_epoch(1200);
  r.decisions = {{"U0ALICE", true, "", from_epoch(100)}, {"U0LEAD", true, "", from_epoch(1300)}};
  const std::vector<Identity> now = {{"U0ALICE", {}}, {"U0LEAD", {"S0LEADS"}}};
  EXPECT_EQ(approved_since_escalation(r), (std::vector<std::string>{"U0LEAD"}));
  EXPECT_EQ(approvals_standing(p, r, now), 1);  // not proven: only the role's approver
  EXPECT_EQ(approvals_standing(p, r, now, {"U0LEAD"}), 2);
  EXPECT_EQ(approvals_standing(p, r, {{"U0ALICE", {}}, {"U0LEAD", {}}}, {"U0LEAD"}), 1);  // left S0LEADS
  Policy no_longer = p;
  no_longer.accounts[0].escalation.approvers = {"S0OTHERS"};
  EXPECT_EQ(approvals_standing(no_longer, r, now, {"U0LEAD"}), 1);  // policy now decides too
  r.escalated_at.reset();
  EXPECT_TRUE(approved_since_escalation(r).empty());
}

TEST(Approvals, WindowAndLastApproval) {
  Policy p = test_policy();
  p.approval_window = hours{1};
  EXPECT_FALSE(past_approval_window(p, from_epoch(0), from_epoch(3599)));
  EXPECT_TRUE(past_approval_window(p, from_epoch(0), from_epoch(3600)));
  auto req = pending_request();
  req.created_at = from_epoch(10);
  EXPECT_EQ(last_approval_at(req), from_epoch(10));
  req.decisions = {{"U0ALICE", true, "", from_epoch(30)}, {"U0CAROL", true, "", from_epoch(20)},
                   {"U0DAVE", false, "no", from_epoch(40)}};
  EXPECT_EQ(last_approval_at(req), from_epoch(30));
}

// ---- still allowed under policy as it is now ----

AccessRequest stored_request(std::string requester = "U0REQ") {
  auto r = pending_request(std::move(requester));
  r.account_id = "123456789012";
  r.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-1";
  return r;
}

TEST(CheckStillAllowed, AcceptsARequestPolicyStillAllows) {
  const Policy p = test_policy();
  auto role = check_still_allowed(p, stored_request(), {"U0REQ", {}});
  ASSERT_TRUE(role) << role.error().message;
  EXPECT_EQ((*role)->name, "admin");
  EXPECT_TRUE(check_still_allowed(p, stored_request("U0ERIN"), {"U0ERIN", {"S0DEVS"}}));
}

TEST(CheckStillAllowed, RefusesWhatChangedNamingIt) {
  const Policy p = test_policy();
  const auto refused = [&](const AccessRequest& r, const Identity& who) {
    auto role = check_still_allowed(p, r, who);
    EXPECT_FALSE(role);
    if (role) return std::string();
    EXPECT_EQ(role.error().code, Errc::denied);
    return role.error().message;
  };
  auto r = stored_request();
  r.account = "retired";
  EXPECT_THAT(refused(r, {"U0REQ", {}}), HasSubstr("account retired is no longer in policy"));
  r = stored_request();
  r.role = "renamed";
  EXPECT_THAT(refused(r, {"U0REQ", {}}), HasSubstr("role renamed is no longer on account prod"));
  r = stored_request();
  r.account_id = "999999999999";
  EXPECT_THAT(refused(r, {"U0REQ", {}}), HasSubstr("account id 999999999999"));
  r = stored_request();
  r.permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-other";
  EXPECT_THAT(refused(r, {"U0REQ", {}}), HasSubstr("ps-other"));
  r = stored_request("U0ERIN");
  EXPECT_THAT(refused(r, {"U0ERIN", {}}), HasSubstr("U0ERIN may no longer request role admin"));
}

TEST(Admins, ByUserIdOrGroup) {
  const Policy p = test_policy();
  EXPECT_TRUE(is_admin(p, {"U0ADMIN", {}}));
  EXPECT_TRUE(is_admin(p, {"U0SOMEONE", {"S0OTHERS", "S0SECOPS"}}));
  EXPECT_FALSE(is_admin(p, {"U0ALICE", {"S0SRE"}}));
  EXPECT_FALSE(is_admin(p, {"", {}}));
  EXPECT_FALSE(is_admin(Policy{}, {"U0ADMIN", {}}));
}

TEST(MatchesAny, UserGroupOrStar) {
  EXPECT_TRUE(matches_any({"U0A", {}}, {"U0B", "U0A"}));
  EXPECT_TRUE(matches_any({"U0A", {"S0G"}}, {"S0G"}));
  EXPECT_TRUE(matches_any({"U0A", {}}, {"*"}));
  EXPECT_FALSE(matches_any({"U0A", {"S0H"}}, {"S0G", "U0B"}));
  EXPECT_FALSE(matches_any({"U0A", {}}, {}));
}

TEST(TierName, AllTiers) {
  EXPECT_EQ(tier_name(Tier::standard), "standard");
  EXPECT_EQ(tier_name(Tier::high), "high");
  EXPECT_EQ(tier_name(Tier::break_glass), "break-glass");
}

// "Request more time" pre-fills the time left and as long again, counted from the extension's own
// grant, within the role's maximum and allowed durations; nothing when nothing outlasts the rest.
TEST(MoreTimeDuration, TheTimeLeftAndAsLongAgainWithinWhatTheRoleAllows) {
  using std::chrono::seconds;
  RolePolicy role{.name = "ops", .max_duration = hours{4}};
  EXPECT_EQ(more_time_duration(role, hours{2}, hours{2}), hours{4}) << "clicked at once";
  EXPECT_EQ(more_time_duration(role, hours{1}, minutes{14} + seconds{1}), minutes{75}) << "rounded up to the minute";
  EXPECT_EQ(more_time_duration(role, hours{3}, hours{2}), hours{4}) << "within the maximum";
  EXPECT_EQ(more_time_duration(role, hours{4}, hours{4}), std::nullopt) << "the maximum does not outlast the rest";
  EXPECT_EQ(more_time_duration(role, seconds{15}, seconds{8}), seconds{23}) << "a grant of seconds: seconds";
  EXPECT_EQ(more_time_duration(role, hours{1}, seconds{-5}), hours{1}) << "already past its end";

  role.allowed_durations = {minutes{15}, hours{1}, hours{2}, hours{8}};
  EXPECT_EQ(more_time_duration(role, hours{1}, minutes{10}), hours{2}) << "the shortest allowed that gives as much";
  EXPECT_EQ(more_time_duration(role, hours{2}, minutes{90}), hours{2}) << "else the longest that outlasts the rest";
  EXPECT_EQ(more_time_duration(role, minutes{15}, minutes{5}), hours{1}) << "20m wanted: 15m is not enough";
  EXPECT_EQ(more_time_duration(role, hours{2}, hours{2}), std::nullopt) << "8h is over the maximum";
}

}  // namespace
}  // namespace jit
