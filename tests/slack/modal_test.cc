#include "slack/modal.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/bundle.h"
#include "core/limits.h"
#include "core/policy.h"
#include "emulators/slack/block_kit.h"
#include "slack/limits.h"

namespace jit::slack {
namespace {
namespace modal_test {  // its own names: the unity build compiles it beside other files

using ::testing::HasSubstr;
using nlohmann::json;

Policy policy() {
  Policy p;
  AccountPolicy sandbox{.name = "sandbox", .id = "222222222222", .owner_channel = "C0SAND", .approvers = {"U0ALICE"}};
  sandbox.roles.push_back({.name = "poweruser", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-1",
                           .max_duration = std::chrono::hours{4}, .requesters = {"*"}});
  AccountPolicy prod{.name = "prod", .id = "111111111111", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
  prod.roles.push_back({.name = "read", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-2",
                        .max_duration = std::chrono::hours{8},
                        .allowed_durations = {std::chrono::hours{1}, std::chrono::hours{8}}, .requesters = {"*"}});
  prod.roles.push_back({.name = "admin", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-3",
                        .max_duration = std::chrono::hours{2}, .tier = Tier::high, .approvals_required = 2,
                        .requesters = {"S0SRE"}, .ticket_required = true, .ticket_pattern = "^OPS-[0-9]+$",
                        .ticket_regex = Pattern::compile("^OPS-[0-9]+$").value()});
  AccountPolicy secret{.name = "secret", .id = "333333333333", .owner_channel = "C0SEC", .approvers = {"U0ALICE"}};
  secret.roles.push_back({.name = "root", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-4",
                          .max_duration = std::chrono::hours{1}, .requesters = {"U0ROOT"}});
  p.accounts = {sandbox, prod, secret};
  return p;
}

json block(const json& view, const std::string& id) {
  for (const auto& b : view["blocks"])
    if (b.value("block_id", "") == id) return b;
  return nullptr;
}

std::vector<std::string> option_values(const json& b) {
  std::vector<std::string> out;
  for (const auto& o : b["element"]["options"]) out.push_back(o["value"]);
  return out;
}

TEST(SlackModal, OffersOnlyWhatThePersonMayRequest) {
  const Policy p = policy();
  json view = request_modal(p, {"U0DEV", {}}, {});
  EXPECT_EQ(view["callback_id"], kRequestModal);
  EXPECT_THAT(option_values(block(view, "account")), ::testing::ElementsAre("sandbox", "prod"));
  EXPECT_THAT(option_values(block(view, "role")), ::testing::ElementsAre("poweruser"));
  EXPECT_THAT(option_values(block(view, "duration")), ::testing::ElementsAre("15m", "30m", "1h", "2h", "4h"));
  EXPECT_TRUE(block(view, "ticket").is_null());
  EXPECT_TRUE(block(view, "account")["dispatch_action"].get<bool>());

  json prod = request_modal(p, {"U0DEV", {}}, {"prod", ""});
  EXPECT_THAT(option_values(block(prod, "role")), ::testing::ElementsAre("read"));
  EXPECT_THAT(option_values(block(prod, "duration")), ::testing::ElementsAre("1h", "8h"));

  json sre = request_modal(p, {"U0SRE1", {"S0SRE"}}, {"prod", "admin"});
  EXPECT_THAT(option_values(block(sre, "role")), ::testing::ElementsAre("read", "admin"));
  json ticket = block(sre, "ticket");
  ASSERT_FALSE(ticket.is_null());
  EXPECT_FALSE(ticket["optional"].get<bool>());
  EXPECT_THAT(ticket["hint"]["text"].get<std::string>(), HasSubstr("^OPS-[0-9]+$"));
  EXPECT_THAT(sre.dump(), HasSubstr("needs 2 approvals"));
  EXPECT_EQ(choice_of(sre).role, "admin");
}

TEST(SlackModal, NothingToRequestSaysSoWithoutSubmit) {
  Policy p = policy();
  p.accounts = {p.accounts[2]};
  json view = request_modal(p, {"U0DEV", {}}, {});
  EXPECT_FALSE(view.contains("submit"));
  EXPECT_THAT(view.dump(), HasSubstr("no role you may request"));
}

TEST(SlackModal, ChangingTheAccountResetsTheRole) {
  json view = request_modal(policy(), {"U0SRE1", {"S0SRE"}}, {"prod", "admin"});
  view["state"]["values"]["account"]["account"]["selected_option"]["value"] = "sandbox";
  view["state"]["values"]["role"]["role"]["selected_option"] = nullptr;
  ModalChoice c = choice_of(view);
  EXPECT_EQ(c.account, "sandbox");
  EXPECT_EQ(c.role, "");
}

TEST(SlackModal, SubmissionIsReadAndMissingFieldsAreNamed) {
  json view = {{"state",
                {{"values",
                  {{"account", {{"account", {{"selected_option", {{"value", "prod"}}}}}}},
                   {"role", {{"role", {{"selected_option", {{"value", "admin"}}}}}}},
                   {"duration", {{"duration", {{"selected_option", {{"value", "1h"}}}}}}},
                   {"reason", {{"reason", {{"value", "rotate keys"}}}}},
                   {"ticket", {{"ticket", {{"value", "OPS-9"}}}}}}}}}};
  auto ok = read_submission(view);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->account, "prod");
  EXPECT_EQ(ok->duration, "1h");
  EXPECT_EQ(ok->ticket, "OPS-9");
  view["state"]["values"]["reason"]["reason"]["value"] = "   ";
  view["state"]["values"]["duration"]["duration"]["selected_option"] = nullptr;
  auto bad = read_submission(view);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().size(), 2u);
  EXPECT_TRUE(bad.error().contains("reason"));
  EXPECT_TRUE(bad.error().contains("duration"));
}

// Blank means blank in Unicode: a reason of zero-width and no-break spaces says nothing.
TEST(SlackModal, ReasonOfUnicodeSpacesIsBlank) {
  json view = {{"state", {{"values", {{"reason", {{"reason", {{"value", "\u200B\u00A0\u200B"}}}}}}}}}};
  auto bad = read_submission(view);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().at("reason"), "Say why you need this access.");
}

// Issue 12: each field is bounded, by name, before anything else looks at it.
TEST(SlackModal, EveryFieldIsBoundedByName) {
  json view = {{"state",
                {{"values",
                  {{"account", {{"account", {{"selected_option", {{"value", std::string(101, 'a')}}}}}}},
                   {"role", {{"role", {{"selected_option", {{"value", "admin"}}}}}}},
                   {"duration", {{"duration", {{"selected_option", {{"value", "1h"}}}}}}},
                   {"reason", {{"reason", {{"value", std::string(100'000, 'r')}}}}},
                   {"ticket", {{"ticket", {{"value", "INC-" + std::string(40'000, '7')}}}}}}}}}};
  auto bad = read_submission(view);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().size(), 3u);
  EXPECT_EQ(bad.error().at("account"), fmt::format("account is 101 characters long; the limit is {}", limits::kMaxChoiceLength));
  EXPECT_EQ(bad.error().at("reason"), fmt::format("reason is 100000 characters long; the limit is {}", limits::kMaxReasonLength));
  EXPECT_EQ(bad.error().at("ticket"), fmt::format("ticket is 40004 characters long; the limit is {}", limits::kMaxTicketLength));
  view["state"]["values"]["role"]["role"]["selected_option"]["value"] = "\xFF";
  EXPECT_EQ(read_submission(view).error().at("role"), "role is not valid UTF-8 (byte 1): retype it");
}

TEST(SlackModal, DenyReasonIsBounded) {
  const json form = deny_modal("r1");
  EXPECT_EQ(form["blocks"][0]["element"]["max_length"], limits::kMaxDenyReasonLength);
  auto view = [](const std::string& reason) {
    return json{{"state", {{"values", {{"reason", {{"reason", {{"value", reason}}}}}}}}}};
  };
  EXPECT_EQ(read_deny_submission(view("use read")).value(), "use read");
  EXPECT_EQ(read_deny_submission(json::object()).value(), "");  // the reason is optional
  auto bad = read_deny_submission(view(std::string(limits::kMaxDenyReasonLength + 1, 'n')));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().at("reason"), fmt::format("deny reason is {} characters long; the limit is {}",
                                                  limits::kMaxDenyReasonLength + 1, limits::kMaxDenyReasonLength));
}

TEST(SlackModal, PolicyErrorsLandOnTheirField) {
  const Policy p = policy();
  auto err = [&](RequestDraft d) { return field_errors(check_request(p, d).error())["errors"].begin().key(); };
  const Identity sre{"U0SRE1", {"S0SRE"}};
  EXPECT_EQ(err({sre, "nope", "admin", "1h", "r", ""}), "account");
  EXPECT_EQ(err({sre, "prod", "nope", "1h", "r", ""}), "role");
  EXPECT_EQ(err({{"U0DEV", {}}, "prod", "admin", "1h", "r", "OPS-1"}), "role");
  EXPECT_EQ(err({sre, "prod", "admin", "3h", "r", "OPS-1"}), "duration");
  EXPECT_EQ(err({sre, "prod", "admin", "1h", " ", "OPS-1"}), "reason");
  EXPECT_EQ(err({sre, "prod", "admin", "1h", "r", ""}), "ticket");
  EXPECT_EQ(err({sre, "prod", "admin", "1h", "r", "JIRA-1"}), "ticket");
  const json j = field_errors(Error::Conflict("you already have request r1"));
  EXPECT_EQ(j["response_action"], "errors");
  EXPECT_TRUE(j["errors"].contains("role"));
}

TEST(SlackModal, EveryFormFitsSlacksLimitsWhateverThePolicyHolds) {
  namespace kit = emulators::block_kit;
  Policy p = policy();
  p.reason_max_length = 4000;  // past what a plain_text_input takes (the loader refuses it too)
  const std::string long_name = std::string(limits::kMaxChoiceLength - 1, 'n') + "1";
  AccountPolicy wide{.name = long_name, .id = "999999999999", .owner_channel = "C0WIDE", .approvers = {"U0ALICE"}};
  const std::string pattern = "^(" + std::string(3000, 'A') + ")-[0-9]+$";
  wide.roles.push_back({.name = long_name, .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-9",
                        .max_duration = std::chrono::hours{1}, .tier = Tier::break_glass, .approvals_required = 100,
                        .requesters = {"*"}, .ticket_required = true, .ticket_pattern = pattern});
  p.accounts.push_back(wide);
  const json views[] = {request_modal(p, {"U0DEV", {}}, {}), request_modal(p, {"U0DEV", {}}, {long_name, long_name}),
                        deny_modal(std::string(2000, 'r')), request_modal(Policy{}, {"U0DEV", {}}, {})};
  for (const json& view : views) {
    EXPECT_EQ(kit::check_modal(view), std::vector<std::string>{}) << view.dump().substr(0, 300);
    for (const auto& b : view["blocks"])
      if (b.contains("element") && b["element"].contains("max_length")) {
        EXPECT_LE(b["element"]["max_length"].get<std::size_t>(), kTextInputMaxLength);
      }
  }
  // The long account is chosen: its value round-trips whole, only its label is cut.
  const json chosen = block(views[1], "account")["element"]["initial_option"];
  EXPECT_EQ(chosen["value"], long_name);
  EXPECT_TRUE(chosen["text"]["text"].get<std::string>().ends_with("…"));
  EXPECT_EQ(block(views[1], "reason")["element"]["max_length"], kTextInputMaxLength);
}

// Views of any shape (payloads come from outside): a field of the wrong type, or a state that is
// not an object, reads as absent. Each of these threw nlohmann::json::type_error before (value()
// on a number, on an array, on a non-object parent), which fuzz/modal_fuzz reaches at once.
TEST(ReadSubmission, ViewsOfAnyShapeNeverThrow) {
  const json wrong_types = json::parse(R"({
    "private_metadata": "{\"account\": 1, \"role\": [\"x\"]}",
    "state": {"values": {
      "account": {"account": {"selected_option": {"value": 7}}},
      "role": {"role": {"value": {"nested": true}}},
      "reason": {"reason": {"value": ["why"]}}}}})");
  ModalChoice choice;
  ASSERT_NO_THROW(choice = choice_of(wrong_types));
  EXPECT_EQ(choice.account, "");
  EXPECT_EQ(choice.role, "");
  std::expected<ModalValues, std::map<std::string, std::string>> values;
  ASSERT_NO_THROW(values = read_submission(wrong_types));
  ASSERT_FALSE(values);
  EXPECT_TRUE(values.error().contains("account"));
  EXPECT_TRUE(values.error().contains("reason"));
  ASSERT_NO_THROW((void)read_deny_submission(wrong_types));

  for (const char* text : {R"({"state": [1, 2]})", R"({"state": {"values": "x"}})", R"([1])", R"("view")",
                           R"({"state": {"values": {"reason": {"reason": {"value": 5}}}}})"}) {
    const json view = json::parse(text);
    EXPECT_NO_THROW((void)choice_of(view)) << text;
    EXPECT_NO_THROW((void)read_submission(view)) << text;
    EXPECT_NO_THROW((void)read_deny_submission(view)) << text;
  }
  EXPECT_EQ(read_deny_submission(json::parse(R"({"state": {"values": {"reason": {"reason": {"value": 5}}}}})")).value(), "");
}

// --- Issue 17: several accounts in one request ("Also for these accounts"). ---

// "admin" on prod, staging and vault (vault: only U0ROOT may request it), "read" on prod alone.
Policy bundle_policy() {
  Policy p;
  const auto account = [](std::string name, std::string id, std::vector<std::string> requesters) {
    AccountPolicy a{.name = name, .id = id, .owner_channel = "C0" + name, .approvers = {"U0ALICE"}};
    a.roles.push_back({.name = "admin", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-1",
                       .max_duration = std::chrono::hours{2}, .requesters = std::move(requesters)});
    return a;
  };
  p.accounts = {account("prod", "111111111111", {"*"}), account("staging", "222222222222", {"*"}),
                account("vault", "333333333333", {"U0ROOT"})};
  p.accounts[0].roles.push_back({.name = "read", .permission_set_arn = "arn:aws:sso:::permissionSet/x/ps-2",
                                 .max_duration = std::chrono::hours{8}, .requesters = {"*"}});
  return p;
}

// A submitted request form: prod admin 1h, with `also` picked in "Also for these accounts".
json submitted(const std::vector<std::string>& also) {
  json picked = json::array();
  for (const auto& a : also) picked.push_back({{"text", {{"type", "plain_text"}, {"text", a}}}, {"value", a}});
  return {{"state",
           {{"values",
             {{"account", {{"account", {{"selected_option", {{"value", "prod"}}}}}}},
              {"role", {{"role", {{"selected_option", {{"value", "admin"}}}}}}},
              {"duration", {{"duration", {{"selected_option", {{"value", "1h"}}}}}}},
              {"reason", {{"reason", {{"value", "rotate the keys"}}}}},
              {kAlsoAccountsField,
               {{kAlsoAccountsField, {{"type", "multi_static_select"}, {"selected_options", picked}}}}}}}}}};
}

TEST(SlackBundleModal, OffersTheOtherAccountsWhereThePersonMayRequestTheSameRole) {
  const Policy p = bundle_policy();
  const json view = request_modal(p, {"U0DEV", {}}, {"prod", "admin"});
  const json also = block(view, kAlsoAccountsField);
  ASSERT_FALSE(also.is_null()) << view.dump(1);
  EXPECT_EQ(also["element"]["type"], "multi_static_select");
  EXPECT_TRUE(also["optional"].get<bool>());
  EXPECT_EQ(also["element"]["max_selected_items"], limits::kMaxBundleAccounts - 1);
  EXPECT_THAT(option_values(also), ::testing::ElementsAre("staging"));  // not prod itself, not vault (not hers)
  EXPECT_EQ(emulators::block_kit::check_modal(view), std::vector<std::string>{});
  // U0ROOT may request vault's admin too; from staging, prod and vault are the others.
  EXPECT_THAT(option_values(block(request_modal(p, {"U0ROOT", {}}, {"staging", "admin"}), kAlsoAccountsField)),
              ::testing::ElementsAre("prod", "vault"));
  // A role no other account has: no such field.
  EXPECT_TRUE(block(request_modal(p, {"U0DEV", {}}, {"prod", "read"}), kAlsoAccountsField).is_null());
}

TEST(SlackBundleModal, TheSubmissionIsReadAndBoundedBeforeAnyAccountIsLookedAt) {
  auto ok = read_submission(submitted({"staging", "vault"}));
  ASSERT_TRUE(ok);
  EXPECT_THAT(ok->also_accounts, ::testing::ElementsAre("staging", "vault"));
  EXPECT_TRUE(read_submission(submitted({}))->also_accounts.empty());
  // A forged state: more than the bound, a name past its limit, a name that is not one.
  auto many = read_submission(submitted(std::vector<std::string>(limits::kMaxBundleAccounts, "staging")));
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().at(kAlsoAccountsField),
            fmt::format("Choose at most {} more accounts: one request names at most {}.",
                        limits::kMaxBundleAccounts - 1, limits::kMaxBundleAccounts));
  auto long_name = read_submission(submitted({std::string(limits::kMaxChoiceLength + 1, 'a')}));
  ASSERT_FALSE(long_name);
  EXPECT_THAT(long_name.error().at(kAlsoAccountsField), HasSubstr("the limit is 100"));
  json not_a_string = submitted({"staging"});
  not_a_string["state"]["values"][kAlsoAccountsField][kAlsoAccountsField]["selected_options"][0]["value"] = 7;
  EXPECT_FALSE(read_submission(not_a_string));
  json not_an_array = submitted({});
  not_an_array["state"]["values"][kAlsoAccountsField][kAlsoAccountsField]["selected_options"] = "staging";
  EXPECT_TRUE(read_submission(not_an_array)->also_accounts.empty());
}

TEST(SlackBundleModal, ARefusalLandsOnTheFieldOfTheAccountItIsAbout) {
  const Policy p = bundle_policy();
  const RequestDraft draft{{"U0DEV", {}}, "", "admin", "1h", "rotate", ""};
  auto errors = [&](std::vector<std::string> accounts) { return field_errors(check_bundle(p, draft, accounts).error()); };
  EXPECT_EQ(errors({"prod", "vault"})["errors"][kAlsoAccountsField],
            "account vault: you may not request role admin on account vault: ask an admin to add you to its requesters");
  EXPECT_THAT(errors({"prod", "staging", "222222222222"})["errors"][kAlsoAccountsField].get<std::string>(),
              HasSubstr("account staging is named twice"));
  EXPECT_THAT(errors({"prod", "nowhere"})["errors"][kAlsoAccountsField].get<std::string>(),
              HasSubstr("account nowhere: account \"nowhere\" is not in policy"));
  // The first account's own refusal stays on its own field, as for a request on its own.
  EXPECT_TRUE(errors({"nowhere", "prod"})["errors"].contains("account"));
  EXPECT_TRUE(check_bundle(p, draft, {"prod", "staging"}));
}

}  // namespace modal_test
}  // namespace
}  // namespace jit::slack
