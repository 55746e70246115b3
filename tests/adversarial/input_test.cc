// Attacks with what people type: durations at and past every edge, reasons that are blank only
// in Unicode, text past every limit (a ticket of 40,000 digits against the admin's ticket_pattern
// above all), and requests outside policy. Safe outcome: a clear refusal naming what is wrong, no
// request stored, and the service answering the next command.
#include <fmt/format.h>
#include <gmock/gmock.h>

#include "adversarial/adversary.h"
#include "core/limits.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

// The requests `user` has, in any state.
std::size_t requests_of(World& w, const std::string& user) {
  auto rows = w.store().list_requests({.requester = user});
  return rows ? rows->size() : 0;
}

// ---- Durations ----

class Durations : public AdversarialTest, public ::testing::WithParamInterface<Named> {};

TEST_P(Durations, AreRefusedByTheCommand) {
  const auto user = fresh_person();
  const std::string reply = command(user, fmt::format("request prod admin {} edge of time", GetParam().value));
  EXPECT_THAT(reply, HasSubstr("duration")) << GetParam().value;
  EXPECT_THAT(reply, HasSubstr(":warning:"));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_P(Durations, AreRefusedInAForgedForm) {
  // The form offers only allowed durations; a modified client sends any text.
  const auto user = fresh_person();
  const auto view = open_request_form(user);
  const json ack = submit_form(user, view, form_values("prod", "admin", GetParam().value, "edge of time"));
  EXPECT_EQ(ack.value("response_action", ""), "errors") << ack.dump();
  EXPECT_TRUE(ack.contains("errors") && ack["errors"].contains("duration")) << ack.dump();
  EXPECT_EQ(requests_of(world(), user), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Edges, Durations,
    ::testing::Values(Named{"Zero", "0"}, Named{"ZeroHours", "0h"}, Named{"ZeroSeconds", "0s"},
                      Named{"Negative", "-1h"}, Named{"PlusSign", "+1h"}, Named{"AboveTheRoleMax", "3h"},
                      Named{"HugeHours", "99999999999h"}, Named{"Uint64Overflow", "18446744073709551617s"},
                      Named{"Int64Max", "9223372036854775807s"}, Named{"UnknownUnit", "1x"}, Named{"UnitOnly", "h"},
                      Named{"Fraction", "1.5h"}, Named{"Exponent", "1e3s"}, Named{"UnitTwice", "1h1h"},
                      Named{"UnitsOutOfOrder", "30m1h"}, Named{"FullwidthDigit", "\xEF\xBC\x91h"},
                      Named{"ArabicIndicDigit", "\xD9\xA3h"}, Named{"NoBreakSpaceFirst", "\xC2\xA0" "1h"},
                      Named{"ZeroWidthSpaceAfter", "1h\xE2\x80\x8B"}),
    name_of);

// ---- Reasons blank in Unicode ----

class BlankReasons : public AdversarialTest, public ::testing::WithParamInterface<Named> {};

TEST_P(BlankReasons, AreRefusedByTheCommand) {
  const auto user = fresh_person();
  const std::string reply = command(user, fmt::format("request prod admin 1h {}", GetParam().value));
  EXPECT_THAT(reply, HasSubstr("reason is required"));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_P(BlankReasons, AreRefusedByTheForm) {
  const auto user = fresh_person();
  const auto view = open_request_form(user);
  const json ack = submit_form(user, view, form_values("prod", "admin", "1h", GetParam().value));
  EXPECT_TRUE(ack.contains("errors") && ack["errors"].contains("reason")) << ack.dump();
  EXPECT_EQ(requests_of(world(), user), 0u);
}

INSTANTIATE_TEST_SUITE_P(Unicode, BlankReasons,
                         ::testing::Values(Named{"ZeroWidthSpaces", "\xE2\x80\x8B\xE2\x80\x8B"},
                                           Named{"NoBreakSpaces", "\xC2\xA0\xC2\xA0"},
                                           Named{"IdeographicSpace", "\xE3\x80\x80"},
                                           Named{"ByteOrderMark", "\xEF\xBB\xBF"},
                                           Named{"LineSeparatorAndNarrowNoBreakSpace", "\xE2\x80\xA8\xE2\x80\xAF"}),
                         name_of);

// ---- Text past its limits ----

class Oversized : public AdversarialTest {};

TEST_F(Oversized, ReasonPastThePolicyLimitByCommand) {
  const auto user = fresh_person();
  const std::string reply = command(user, "request prod admin 1h " + std::string(4000, 'a'));
  EXPECT_THAT(reply, HasSubstr("reason is 4000 characters long; the limit is 500"));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(Oversized, ReasonPastTheLimitInTheForm) {
  const auto user = fresh_person();
  const auto view = open_request_form(user);
  const json ack = submit_form(user, view, form_values("prod", "admin", "1h", std::string(100000, '&')));
  EXPECT_TRUE(ack.contains("errors") && ack["errors"].contains("reason")) << ack.dump().substr(0, 500);
  EXPECT_LT(ack.dump().size(), 3000u) << "the error echoes the reason";
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(Oversized, CommandPastItsByteLimit) {
  const auto user = fresh_person();
  const std::string reply = command(user, "request prod admin 1h " + std::string(limits::kMaxCommandBytes, 'x'));
  EXPECT_THAT(reply, HasSubstr(fmt::format("the limit is {} bytes", limits::kMaxCommandBytes)));
  EXPECT_LT(reply.size(), 3000u);
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(Oversized, TicketPastItsLimitByCommand) {
  const auto user = fresh_person();
  const std::string reply =
      command(user, "request prod break-glass 30m db down --ticket INC-" + std::string(limits::kMaxTicketLength, '7'));
  EXPECT_THAT(reply, HasSubstr(fmt::format("the limit is {}", limits::kMaxTicketLength)));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(Oversized, FortyThousandDigitTicketAgainstTheTicketPatternByCommand) {
  const auto user = fresh_person();
  const std::string reply = command(user, "request prod break-glass 30m db down --ticket INC-" + std::string(40000, '1'));
  EXPECT_THAT(reply, HasSubstr("limit"));
  EXPECT_EQ(requests_of(world(), user), 0u);
  EXPECT_THAT(command(user, "list"), HasSubstr("no pending requests"));  // and it answers the next command
}

TEST_F(Oversized, FortyThousandDigitTicketAgainstTheTicketPatternInTheForm) {
  const auto user = fresh_person();
  const auto view = open_request_form(user);
  const json ack = submit_form(user, view, form_values("prod", "break-glass", "30m", "db down", "INC-" + std::string(40000, '1')));
  EXPECT_TRUE(ack.contains("errors") && ack["errors"].contains("ticket")) << ack.dump().substr(0, 500);
  EXPECT_EQ(requests_of(world(), user), 0u);
  EXPECT_THAT(command(user, "list"), HasSubstr("no pending requests"));
  ASSERT_TRUE(world().running(0));
}

TEST_F(Oversized, DenyReasonPastItsLimit) {
  const auto requester = fresh_person();
  const auto id = submit(requester, "prod admin 1h deny with a long reason");
  const auto view = open_deny_form(kAlice, id);
  const json ack = submit_form(kAlice, view,
                               {{slack::kReasonField, {{slack::kReasonField, {{"type", "plain_text_input"},
                                                                              {"value", std::string(5000, 'n')}}}}}});
  EXPECT_TRUE(ack.contains("errors") && ack["errors"].contains("reason")) << ack.dump().substr(0, 500);
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(Oversized, FormFieldStateOfTheWrongTypeIsRefused) {
  // A forged form whose state is not even an object: no crash, no request.
  const auto user = fresh_person();
  const auto view = open_request_form(user);
  submit_form(user, view, json::array({1, 2, 3}));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

// ---- What is echoed cannot ping a channel ----

TEST_F(Oversized, UnknownCommandEchoIsEscaped) {
  const auto user = fresh_person();
  const std::string reply = command(user, "<!channel> <!here> <@U0ALICE> frobnicate");
  EXPECT_THAT(reply, HasSubstr("frobnicate"));
  EXPECT_THAT(reply, Not(HasSubstr("<!channel>")));
  EXPECT_THAT(reply, Not(HasSubstr("<!here>")));
}

// ---- Outside policy ----

class OutsidePolicy : public AdversarialTest {};

TEST_F(OutsidePolicy, AccountNotInPolicy) {
  const auto user = fresh_person();
  EXPECT_THAT(command(user, "request billing admin 1h not ours"), HasSubstr("account \"billing\" is not in policy"));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(OutsidePolicy, RoleNotInPolicy) {
  const auto user = fresh_person();
  EXPECT_THAT(command(user, "request prod root 1h not ours"), HasSubstr("role \"root\" does not exist"));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(OutsidePolicy, RequesterNotInTheRolesRequesters) {
  const auto user = fresh_person();  // "restricted" on sandbox admits alice only
  EXPECT_THAT(command(user, "request sandbox restricted 1h let me in"), HasSubstr("you may not request role restricted"));
  EXPECT_EQ(requests_of(world(), user), 0u);
}

TEST_F(OutsidePolicy, RequesterNotInTheRolesRequestersInAForgedForm) {
  const auto user = fresh_person();
  const auto view = open_request_form(user);
  const json ack = submit_form(user, view, form_values("sandbox", "restricted", "1h", "the form did not offer it"));
  EXPECT_EQ(ack.value("response_action", ""), "errors") << ack.dump();
  EXPECT_EQ(requests_of(world(), user), 0u);
}

}  // namespace
}  // namespace jit::testing
