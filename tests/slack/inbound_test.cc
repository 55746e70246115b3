// Slack envelopes in, engine calls and Slack replies out (the Web API answered by a fake).
#include "slack/inbound.h"

#include "engine/engine_fixture.h"
#include "slack/fake_slack_http.h"
#include "slack/modal.h"
#include "slack/ids.h"
#include "slack/step_up_links.h"
#include "slack/home_tab.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <tuple>

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class InboundHandlerTest : public EngineTest {
 protected:
  InboundHandlerTest() { http.answers["conversations.open"] = R"({"ok":true,"channel":{"id":"D0X"}})"; }

  slack::Envelope command(const std::string& user, const std::string& text) {
    return {.envelope_id = "e1", .type = "slash_commands",
            .payload = {{"command", "/jit"}, {"text", text}, {"user_id", user}, {"channel_id", "C0HERE"},
                        {"trigger_id", "t1"}}};
  }
  slack::Envelope click(const std::string& user, const std::string& action, const std::string& value) {
    return {.envelope_id = "e2", .type = "interactive",
            .payload = {{"type", "block_actions"}, {"user", {{"id", user}}}, {"trigger_id", "t2"},
                        {"container", {{"channel_id", "C0PROD"}}},
                        {"actions", json::array({{{"action_id", action}, {"value", value}}})}}};
  }
  std::string ephemeral_text() { return http.last("chat.postEphemeral").value("text", ""); }
  // U0DEV submits the request form for prod admin: `duration`, `reason`, and the options picked in
  // each multi-select of `multi` (block id -> [{"value": …}, …]).
  slack::Envelope form_submission(const std::string& duration, const std::string& reason,
                                  const json& multi = json::object()) {
    auto select = [](const std::string& block, const std::string& value) {
      return json{{block, {{"selected_option", {{"value", value}}}}}};
    };
    json values = {{"account", select("account", "prod")},
                   {"role", select("role", "admin")},
                   {"duration", select("duration", duration)},
                   {"reason", {{"reason", {{"value", reason}}}}}};
    for (const auto& [block, picked] : multi.items()) values[block] = {{block, {{"selected_options", picked}}}};
    slack::Envelope e{.envelope_id = "e4", .type = "interactive"};
    e.payload = {{"type", "view_submission"},
                 {"user", {{"id", "U0DEV"}}},
                 {"view", {{"callback_id", slack::kRequestModal}, {"state", {{"values", values}}}}}};
    e.accepts_response_payload = true;
    return e;
  }

  slack::testing::FakeSlackHttp http;
  slack::WebApi api{http, *net::Endpoint::parse("http://127.0.0.1:9/api/"), "xoxb-test", clock};
  slack::InboundHandler app{*engine, api, directory, clock};
};

TEST_F(InboundHandlerTest, HelpAndUnknownInputGetEphemeralReplies) {
  app.handle(command("U0DEV", "help"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("/jit request <account>"));
  EXPECT_EQ(http.last("chat.postEphemeral")["user"], "U0DEV");
  app.handle(command("U0DEV", "gimme"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("I don't know `gimme`"));
}

TEST_F(InboundHandlerTest, HelpListAndInputErrorsAreAnsweredInTheAckWithoutAWebApiCall) {
  auto answer = [&](const std::string& text) {
    auto e = command("U0DEV", text);
    e.accepts_response_payload = true;
    auto payload = app.ack_payload(e);
    e.answered_in_ack = payload.has_value();
    app.handle(e);  // what SocketModeClient does next: nothing is left to do
    return payload;
  };
  auto help = answer("help");
  ASSERT_TRUE(help);
  EXPECT_EQ((*help)["response_type"], "ephemeral");
  EXPECT_THAT((*help)["text"].get<std::string>(), HasSubstr("/jit request <account>"));
  auto unknown = answer("gimme");
  ASSERT_TRUE(unknown);
  EXPECT_THAT((*unknown)["text"].get<std::string>(), HasSubstr("I don't know `gimme`"));
  auto bad_duration = answer("request prod admin forever rotate keys");
  ASSERT_TRUE(bad_duration);
  EXPECT_THAT((*bad_duration)["text"].get<std::string>(), HasSubstr(":warning:"));
  auto no_reason = answer("request prod admin 30m");
  ASSERT_TRUE(no_reason);
  EXPECT_THAT((*no_reason)["text"].get<std::string>(), HasSubstr("Say why"));
  AccessRequest mine = submit();
  auto list = answer("list");
  ASSERT_TRUE(list);
  EXPECT_THAT((*list)["text"].get<std::string>(), HasSubstr(mine.id));
  EXPECT_TRUE(http.calls.empty()) << http.calls.size() << " Web API calls, the first " << http.calls.at(0).first;
  EXPECT_EQ(store.list_requests({.requester = "U0DEV"}).value().size(), 1u);  // nothing submitted by the errors
  // Work for the engine is not answered in the ack: handle() does it.
  EXPECT_EQ(app.ack_payload(command("U0DEV", "request prod admin 30m rotate keys")), std::nullopt);
  EXPECT_EQ(app.ack_payload(command("U0DEV", "cancel " + mine.id)), std::nullopt);
}

// A request/cancel loop posts to the owner channel at most as often as the limit lets it through;
// the refusal is in the ack (no Web API call) and approve clicks are never counted.
TEST_F(InboundHandlerTest, CommandsBeyondThePersonalLimitAreRefusedInTheAckAndPostNothing) {
  config->settings.slack.user_rate = Rate{2, std::chrono::minutes(1)};
  config->settings.slack.user_burst = 4;
  int refused = 0;
  std::string refusal;
  auto run = [&](const std::string& user, const std::string& text) {
    auto e = command(user, text);
    e.accepts_response_payload = true;
    auto payload = app.ack_payload(e);
    e.answered_in_ack = payload.has_value();
    if (payload && (*payload)["text"].get<std::string>().find("going faster") != std::string::npos) {
      ++refused;
      refusal = (*payload)["text"];
    }
    app.handle(e);
  };
  for (int i = 0; i < 20; ++i) {
    run("U0DEV", "request prod admin 30m loop");
    auto mine = store.list_requests({.requester = "U0DEV", .states = {State::pending}}).value();
    run("U0DEV", "cancel " + (mine.empty() ? std::string("none") : mine[0].id));
  }
  int posted = 0;
  for (const auto& line : chat.transcript()) posted += line.kind == ChatLine::Kind::post;
  EXPECT_EQ(posted, 2);  // 4 tokens: request, cancel, request, cancel
  EXPECT_EQ(refused, 36);
  EXPECT_THAT(refusal, HasSubstr("try again in 30 s"));
  EXPECT_EQ(http.count("chat.postEphemeral"), 4);  // only the commands let through are answered by a call
  run("U0DEV", "help");  // help costs nothing and is never refused
  EXPECT_EQ(refused, 36);
  clock.advance(std::chrono::seconds(30));  // one token back
  run("U0DEV", "request prod admin 30m after a pause");
  EXPECT_EQ(refused, 36);
  run("U0DEV", "list");
  EXPECT_EQ(refused, 37);
  // The request form over the limit stays open with the refusal on it.
  slack::Envelope form{.envelope_id = "e5", .type = "interactive", .accepts_response_payload = true};
  form.payload = {{"type", "view_submission"}, {"user", {{"id", "U0DEV"}}},
                  {"view", {{"callback_id", slack::kRequestModal}, {"state", {{"values", json::object()}}}}}};
  auto on_form = app.ack_payload(form);
  ASSERT_TRUE(on_form);
  EXPECT_EQ((*on_form)["response_action"], "errors");
  EXPECT_THAT((*on_form)["errors"][slack::kReasonField].get<std::string>(), HasSubstr("going faster"));
  // An approver over their own limit still approves: clicks are not counted.
  for (int i = 0; i < 10; ++i) run("U0ALICE", "list");
  auto pending = store.list_requests({.requester = "U0DEV", .states = {State::pending}}).value();
  ASSERT_EQ(pending.size(), 1u);
  app.handle(click("U0ALICE", slack::kApproveAction, pending[0].id));
  EXPECT_EQ(read(pending[0].id).state, State::active);
}

TEST_F(InboundHandlerTest, ApproveDenyAndSubmissionsAreUrgentCommandsAreNot) {
  using slack::Priority;
  EXPECT_EQ(slack::InboundHandler::priority(click("U0ALICE", slack::kApproveAction, "r1")), Priority::urgent);
  EXPECT_EQ(slack::InboundHandler::priority(click("U0ALICE", slack::kDenyAction, "r1")), Priority::urgent);
  EXPECT_EQ(slack::InboundHandler::priority(click("U0DEV", slack::kAccountField, "prod")), Priority::normal);
  EXPECT_EQ(slack::InboundHandler::priority(command("U0DEV", "help")), Priority::low);
  slack::Envelope submission{.envelope_id = "e6", .type = "interactive", .payload = {{"type", "view_submission"}}};
  EXPECT_EQ(slack::InboundHandler::priority(submission), Priority::urgent);
}

TEST_F(InboundHandlerTest, TextRequestThenApproveButtonGrants) {
  app.handle(command("U0DEV", "request prod admin 30m rotate keys"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("is waiting for approval in <#C0PROD>"));
  auto mine = store.list_requests({.requester = "U0DEV"}).value();
  ASSERT_EQ(mine.size(), 1u);
  app.handle(click("U0DEV", slack::kApproveAction, mine[0].id));
  EXPECT_THAT(ephemeral_text(), HasSubstr("your own request"));
  EXPECT_EQ(read(mine[0].id).state, State::pending);
  app.handle(click("U0ALICE", slack::kApproveAction, mine[0].id));
  EXPECT_EQ(read(mine[0].id).state, State::active);
  app.handle(click("U0BOB", slack::kApproveAction, mine[0].id));  // a stale button
  EXPECT_THAT(ephemeral_text(), HasSubstr("already approved by U0ALICE"));
  app.handle(command("U0DEV", "list"));
  EXPECT_THAT(ephemeral_text(), HasSubstr(mine[0].id));
  app.handle(command("U0DEV", "release " + mine[0].id));
  EXPECT_THAT(ephemeral_text(), HasSubstr("released"));
  EXPECT_EQ(read(mine[0].id).state, State::revoked);
}

// Issue 17: "Request more time" in the DM, and /jit extend, file an extension an approver decides.
TEST_F(InboundHandlerTest, TheMoreTimeButtonAndExtendFileAnExtensionAnApproverDecides) {
  AccessRequest grant = submit("admin", "1h");
  ASSERT_TRUE(engine->approve(grant.id, "U0ALICE"));
  clock.advance(std::chrono::minutes{45});
  app.handle(click("U0ALICE", slack::kExtendAction, grant.id));  // not hers
  EXPECT_THAT(ephemeral_text(), HasSubstr("only U0DEV can ask for more time"));
  app.handle(click("U0DEV", slack::kExtendAction, grant.id));
  EXPECT_THAT(ephemeral_text(), HasSubstr("for more time on grant `" + grant.id + "` (1h15m from when it is granted) is "
                                          "waiting for approval in <#C0PROD>"));
  auto mine = store.list_requests({.requester = "U0DEV", .states = {State::pending}}).value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].extends, grant.id);
  EXPECT_EQ(mine[0].duration, std::chrono::minutes{75});  // pre-filled: the 15m left and as long again
  EXPECT_THAT(mine[0].reason, HasSubstr("more time for " + grant.id + ": investigating INC-1"));
  app.handle(command("U0DEV", "extend " + grant.id + " 1h30m longer"));  // one at a time
  EXPECT_THAT(ephemeral_text(), HasSubstr(mine[0].id));
  app.handle(click("U0DEV", slack::kApproveAction, mine[0].id));
  EXPECT_THAT(ephemeral_text(), HasSubstr("your own request"));
  app.handle(click("U0ALICE", slack::kApproveAction, mine[0].id));
  EXPECT_EQ(read(mine[0].id).state, State::active);
  EXPECT_EQ(read(grant.id).end_reason, "extended by " + mine[0].id);
  EXPECT_EQ(provider.created(), 1);
  EXPECT_EQ(provider.deleted(), 0);
  app.handle(command("U0DEV", "extend " + mine[0].id + " 2h once more"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("is waiting for approval"));
}

TEST_F(InboundHandlerTest, ApprovalWhileAwsIsDownTellsTheApproverItIsRetried) {
  AccessRequest r = submit();
  provider.fail_next(MemoryAccessProvider::Op::grant, 1, Error::Unavailable("no AWS credentials"));
  app.handle(click("U0ALICE", slack::kApproveAction, r.id));
  EXPECT_THAT(ephemeral_text(), HasSubstr("retried automatically"));
  EXPECT_EQ(read(r.id).state, State::granting);
  EXPECT_EQ(engine->sweep().resumed, 1);
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST_F(InboundHandlerTest, StaleOrForbiddenDenyIsExplainedWithoutAForm) {
  AccessRequest r = submit();
  app.handle(click("U0DEV", slack::kDenyAction, r.id));  // the requester's own request
  EXPECT_THAT(ephemeral_text(), HasSubstr("your own request"));
  app.handle(click("U0ALICE", slack::kApproveAction, r.id));
  app.handle(click("U0BOB", slack::kDenyAction, r.id));  // a stale button
  EXPECT_THAT(ephemeral_text(), HasSubstr("already approved by U0ALICE"));
  EXPECT_EQ(http.count("views.open"), 0);
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST_F(InboundHandlerTest, DenyOpensAReasonModalAndItsSubmissionDenies) {
  AccessRequest r = submit();
  app.handle(click("U0BOB", slack::kDenyAction, r.id));
  const json view = http.last("views.open")["view"];
  EXPECT_EQ(view["callback_id"], slack::kDenyModal);
  EXPECT_EQ(view["private_metadata"], r.id);
  slack::Envelope submitted{.envelope_id = "e3", .type = "interactive",
                            .payload = {{"type", "view_submission"}, {"user", {{"id", "U0BOB"}}},
                                        {"view", {{"callback_id", slack::kDenyModal}, {"private_metadata", r.id},
                                                  {"state", {{"values", {{"reason", {{"reason", {{"value", "use read"}}}}}}}}}}}}};
  EXPECT_EQ(app.ack_payload(submitted), std::nullopt);
  app.handle(submitted);
  EXPECT_EQ(read(r.id).state, State::denied);
  EXPECT_THAT(read(r.id).end_reason, HasSubstr("use read"));
}

TEST_F(InboundHandlerTest, ADenyReasonOverTheLimitIsShownOnTheFormAndDeniesNothing) {
  AccessRequest r = submit();
  slack::Envelope submitted{.envelope_id = "e4", .type = "interactive",
                            .payload = {{"type", "view_submission"}, {"user", {{"id", "U0BOB"}}},
                                        {"view", {{"callback_id", slack::kDenyModal}, {"private_metadata", r.id},
                                                  {"state", {{"values", {{"reason", {{"reason", {{"value", std::string(100'000, 'n')}}}}}}}}}}}}};
  auto ack = app.ack_payload(submitted);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ((*ack)["response_action"], "errors");
  EXPECT_THAT((*ack)["errors"]["reason"].get<std::string>(), HasSubstr("deny reason is 100000 characters long; the limit is 500"));
  app.handle(submitted);
  EXPECT_EQ(read(r.id).state, State::pending);
}

TEST_F(InboundHandlerTest, ACommandOverTheLimitIsRefusedByName) {
  app.handle(command("U0DEV", "request sandbox read 1h " + std::string(100'000, 'x')));
  EXPECT_THAT(ephemeral_text(), HasSubstr("bytes long; the limit is 5000 bytes"));
}

TEST_F(InboundHandlerTest, ModalOpensAndItsSubmissionIsValidatedThenSubmitted) {
  app.handle(command("U0DEV", ""));
  const json view = http.last("views.open")["view"];
  EXPECT_EQ(view["callback_id"], slack::kRequestModal);
  auto too_long = app.ack_payload(form_submission("3h", "why"));
  ASSERT_TRUE(too_long);
  EXPECT_EQ((*too_long)["response_action"], "errors");
  EXPECT_THAT((*too_long)["errors"]["duration"].get<std::string>(), HasSubstr("maximum 2h"));
  auto ok = form_submission("1h", "deploy");
  EXPECT_EQ(app.ack_payload(ok), std::nullopt);
  app.handle(ok);
  auto mine = store.list_requests({.requester = "U0DEV"}).value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].duration, std::chrono::hours{1});
  // The confirmation is the engine's "submitted" DM (naming the channel); no second one from here.
  EXPECT_EQ(chat.notices_for("U0DEV").back(), Notice::submitted);
  EXPECT_EQ(http.count("chat.postMessage"), 0);
}

// Issue 17: several accounts in one request, from the form and the command. A forged account is
// refused in the ack on its field and files nothing; a valid bundle files each account through the
// engine, and the engine's one DM lists them.
TEST_F(InboundHandlerTest, MoreAccountsAreEachTheirOwnRequestAndAForgedOneFilesNothing) {
  auto more = std::make_shared<Config>(*config);
  for (const auto& [name, id, requesters] : {std::tuple{"staging", "222222222222", "U0DEV"},
                                            std::tuple{"vault", "333333333333", "U0ALICE"}}) {
    AccountPolicy a{.name = name, .id = id, .owner_channel = std::string("C0") + name, .approvers = {"U0CAROL"}};
    a.roles.push_back({.name = "admin", .permission_set_arn = kAdminPs, .max_duration = std::chrono::hours{2},
                       .requesters = {requesters}});
    more->policy.accounts.push_back(a);
  }
  engine->set_config(more);
  app.handle(command("U0DEV", "request prod,vault admin 1h deploy"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("account vault: you may not request role admin on account vault"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("nothing was filed"));
  const auto submission = [&](const std::vector<std::string>& also) {
    json picked = json::array();
    for (const auto& a : also) picked.push_back({{"value", a}});
    return form_submission("1h", "deploy", {{slack::kAlsoAccountsField, picked}});
  };
  auto forged = app.ack_payload(submission({"staging", "vault"}));
  ASSERT_TRUE(forged);
  EXPECT_EQ((*forged)["errors"][slack::kAlsoAccountsField],
            "account vault: you may not request role admin on account vault: ask an admin to add you to its "
            "requesters");
  EXPECT_TRUE(store.list_requests({.requester = "U0DEV"}).value().empty());

  auto ok = submission({"staging"});
  EXPECT_EQ(app.ack_payload(ok), std::nullopt);
  app.handle(ok);
  auto mine = store.list_requests({.requester = "U0DEV"}).value();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_TRUE(chat.notices_for("U0DEV").empty());  // no per-request "submitted": the bundle's one DM
  const auto lines = chat.transcript();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().kind, ChatLine::Kind::dm);
  EXPECT_THAT(lines.back().text, HasSubstr("(prod, pending)"));
  EXPECT_THAT(lines.back().text, HasSubstr("(staging, pending)"));
}

// --- Issue 15: the WebAuthn step-up seen from Slack. ---

// Answers the step-up's questions from a table; records what it was asked.
class FakeStepUpLinks final : public slack::StepUpLinks {
 public:
  Result<stepup::Link> enrollment_link(const std::string& user_id) override {
    asked.push_back("enroll " + user_id);
    return link;
  }
  Result<stepup::Link> approval_link(const std::string& request_id, const std::string& approver) override {
    asked.push_back("approve " + request_id + " " + approver);
    return link;
  }
  Result<std::vector<WebAuthnCredential>> credentials_of(const std::string& user_id) override {
    asked.push_back("list " + user_id);
    return credentials;
  }
  Result<WebAuthnCredential> remove_credential(const std::string& actor, const std::string& owner,
                                               const std::string& prefix) override {
    asked.push_back("remove " + actor + " " + owner + " " + prefix);
    return removed;
  }
  Result<stepup::Link> link = stepup::Link{"https://jit.example/s/TOKEN0123456789abcdefghijklmnopq", kStart + std::chrono::minutes(5)};
  Result<std::vector<WebAuthnCredential>> credentials = std::vector<WebAuthnCredential>{};
  Result<WebAuthnCredential> removed = WebAuthnCredential{};
  std::vector<std::string> asked;
};

class InboundStepUpTest : public InboundHandlerTest {
 protected:
  InboundStepUpTest() { config->policy.accounts[0].roles[2].step_up = true; }  // prod glass
  FakeStepUpLinks links;
  slack::InboundHandler with_step_up{*engine, api, directory, clock, false, &links};
};

TEST_F(InboundStepUpTest, EnrollSendsTheSingleUseLinkByDmOnly) {
  with_step_up.handle(command("U0ALICE", "enroll"));
  EXPECT_EQ(links.asked, std::vector<std::string>{"enroll U0ALICE"});
  EXPECT_EQ(http.last("conversations.open")["users"], "U0ALICE");
  const std::string dm = http.last("chat.postMessage").value("text", "");
  EXPECT_EQ(http.last("chat.postMessage")["channel"], "D0X");
  EXPECT_THAT(dm, HasSubstr("<https://jit.example/s/TOKEN0123456789abcdefghijklmnopq|open the enrolment page>"));
  EXPECT_THAT(dm, HasSubstr("works once, until 10:05 UTC"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("single-use enrolment link by DM"));
  EXPECT_THAT(ephemeral_text(), ::testing::Not(HasSubstr("https://")));  // the channel never sees it
  links.link = fail(Error::Unavailable("the store did not answer"));
  with_step_up.handle(command("U0ALICE", "enroll"));
  EXPECT_THAT(ephemeral_text(), HasSubstr(":warning: the store did not answer"));
}

TEST_F(InboundStepUpTest, WithoutStepUpEnrollSaysItIsNotConfigured) {
  app.handle(command("U0ALICE", "enroll"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("Step-up is not configured"));
  app.handle(command("U0ALICE", "enroll list"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("Step-up is not configured"));
  EXPECT_EQ(http.count("chat.postMessage"), 0);
}

TEST_F(InboundStepUpTest, ListShowsEscapedNamesShortIdsAndUse) {
  with_step_up.handle(command("U0ALICE", "enroll list"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("no security keys enrolled"));
  links.credentials = std::vector<WebAuthnCredential>{
      {.credential_id = "AAAABBBBCCCCDDDDEEEE", .user_id = "U0ALICE", .name = "yubi <!channel>", .created_at = kStart},
      {.credential_id = "ZZZZYYYYXXXXWWWW", .user_id = "U0ALICE", .name = "laptop", .created_at = kStart,
       .last_used_at = kStart + std::chrono::hours(1)}};
  with_step_up.handle(command("U0ALICE", "enroll list"));
  const std::string text = ephemeral_text();
  EXPECT_THAT(text, HasSubstr("yubi &lt;!channel&gt; `AAAABBBBCCCC` enrolled <!date^"));
  EXPECT_THAT(text, HasSubstr("never used"));
  EXPECT_THAT(text, HasSubstr("laptop `ZZZZYYYYXXXX`"));
  EXPECT_THAT(text, HasSubstr("last used <!date^"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("DDDD")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("<!channel>")));
}

TEST_F(InboundStepUpTest, RemoveNamesTheOwnerAndEscapesRefusals) {
  links.removed = WebAuthnCredential{.credential_id = "AAAABBBBCCCCDDDD", .user_id = "U0ALICE", .name = "yubi"};
  with_step_up.handle(command("U0ALICE", "enroll remove AAAABBBB"));
  EXPECT_EQ(links.asked.back(), "remove U0ALICE U0ALICE AAAABBBB");
  EXPECT_THAT(ephemeral_text(), HasSubstr("Removed security key yubi `AAAABBBBCCCC`."));
  with_step_up.handle(command("U0ADMIN", "enroll remove AAAABBBB <@U0ALICE|alice>"));
  EXPECT_EQ(links.asked.back(), "remove U0ADMIN U0ALICE AAAABBBB");
  EXPECT_THAT(ephemeral_text(), HasSubstr("of <@U0ALICE>"));
  links.removed = fail(Error::Denied("only a jit admin may remove <@U0ALICE>'s keys"));
  with_step_up.handle(command("U0BOB", "enroll remove AAAABBBB <@U0ALICE>"));
  EXPECT_THAT(ephemeral_text(), HasSubstr(":no_entry: only a jit admin may remove &lt;@U0ALICE&gt;'s keys"));
}

TEST_F(InboundStepUpTest, ApproveOnAStepUpRoleAnswersWithTheLinkAndApprovesNothing) {
  AccessRequest r = submit("glass");
  with_step_up.handle(click("U0ALICE", slack::kApproveAction, r.id));
  EXPECT_EQ(links.asked, std::vector<std::string>{"approve " + r.id + " U0ALICE"});
  EXPECT_EQ(http.last("chat.postEphemeral")["user"], "U0ALICE");
  EXPECT_EQ(ephemeral_text(),
            fmt::format("Approving `{}` (glass on prod) needs your security key: "
                        "<https://jit.example/s/TOKEN0123456789abcdefghijklmnopq|open the step-up page>, valid until "
                        "10:05 UTC, once.",
                        r.id));
  EXPECT_EQ(read(r.id).state, State::pending);
  EXPECT_TRUE(read(r.id).decisions.empty());
  // The service's refusals (no credential, self-approval, not an approver) are shown as they are.
  links.link = fail(Error::Invalid("enrol first: /jit enroll"));
  with_step_up.handle(click("U0BOB", slack::kApproveAction, r.id));
  EXPECT_EQ(ephemeral_text(), ":no_entry: enrol first: /jit enroll");
  // A role without step_up is approved by the click, as before, without asking for a link.
  AccessRequest plain = submit("admin");
  const std::size_t asked = links.asked.size();
  with_step_up.handle(click("U0ALICE", slack::kApproveAction, plain.id));
  EXPECT_EQ(read(plain.id).state, State::active);
  EXPECT_EQ(links.asked.size(), asked);
  // Deny is unchanged: the form opens.
  with_step_up.handle(click("U0BOB", slack::kDenyAction, r.id));
  EXPECT_EQ(http.last("views.open")["view"]["callback_id"], slack::kDenyModal);
}

// The Home tab's Approve is the same button: on a step-up role it answers with the link (by DM:
// a Home has no channel to reply in) and approves nothing.
TEST_F(InboundStepUpTest, ApproveFromTheHomeTabOnAStepUpRoleStillNeedsTheSecurityKey) {
  AccessRequest r = submit("glass");
  slack::Envelope from_home = click("U0ALICE", slack::kApproveAction, r.id);
  from_home.payload["container"] = {{"type", "view"}, {"view_id", "V0HOME"}};
  with_step_up.handle(from_home);
  EXPECT_EQ(links.asked, std::vector<std::string>{"approve " + r.id + " U0ALICE"});
  EXPECT_EQ(http.count("chat.postEphemeral"), 0);
  EXPECT_EQ(http.last("conversations.open")["users"], "U0ALICE");
  EXPECT_THAT(http.last("chat.postMessage").value("text", ""), HasSubstr("needs your security key"));
  EXPECT_EQ(read(r.id).state, State::pending);
  EXPECT_TRUE(read(r.id).decisions.empty());
}

TEST_F(InboundStepUpTest, ApproveOnAStepUpRoleWithoutTheServiceIsRefusedByName) {
  AccessRequest r = submit("glass");
  app.handle(click("U0ALICE", slack::kApproveAction, r.id));
  EXPECT_THAT(ephemeral_text(), HasSubstr("needs a security-key step-up"));
  EXPECT_THAT(ephemeral_text(), HasSubstr("[step_up]"));
  EXPECT_EQ(read(r.id).state, State::pending);
}

// The Home tab (issue 17): app_home_opened publishes the person's Home; changes republish the
// requester's and the approver viewers' Homes; Release and Cancel act on the clicker's own only.
class InboundHomeTest : public InboundHandlerTest {
 protected:
  static slack::Envelope home_opened(const std::string& user, const std::string& tab = "home") {
    return {.envelope_id = "e9", .type = "events_api",
            .payload = {{"type", "event_callback"},
                        {"event", {{"type", "app_home_opened"}, {"user", user}, {"channel", "D0X"}, {"tab", tab}}}}};
  }
  // The views.publish calls so far for `user`, and the last view published for them.
  int publishes(const std::string& user) {
    std::lock_guard lock(http.mu);
    return static_cast<int>(std::count_if(http.calls.begin(), http.calls.end(), [&](const auto& c) {
      return c.first == "views.publish" && c.second.value("user_id", "") == user;
    }));
  }
  json home_of(const std::string& user) {
    std::lock_guard lock(http.mu);
    for (auto it = http.calls.rbegin(); it != http.calls.rend(); ++it)
      if (it->first == "views.publish" && it->second.value("user_id", "") == user) return it->second["view"];
    return nullptr;
  }
  void settle() { ASSERT_TRUE(home.wait_idle(std::chrono::seconds(10))); }

  slack::HomeTab home{*engine, api, directory, clock};
  slack::InboundHandler with_home{*engine, api, directory, clock, false, nullptr, &home};
};

TEST_F(InboundHomeTest, OpeningTheHomeTabPublishesThatPersonsHome) {
  AccessRequest r = submit();
  settle();
  const int before = publishes("U0ALICE");
  with_home.handle(home_opened("U0ALICE"));
  settle();
  ASSERT_EQ(publishes("U0ALICE"), before + 1);
  const std::string alice = home_of("U0ALICE").dump();
  EXPECT_EQ(home_of("U0ALICE")["type"], "home");
  EXPECT_THAT(alice, HasSubstr(fmt::format(R"("action_id":"{}")", slack::kApproveAction)));
  EXPECT_THAT(alice, HasSubstr(fmt::format(R"("value":"{}")", r.id)));
  EXPECT_THAT(alice, HasSubstr("Waiting for your decision"));
  with_home.handle(home_opened("U0DEV"));
  settle();
  const std::string dev = home_of("U0DEV").dump();
  EXPECT_THAT(dev, HasSubstr(slack::kCancelAction));
  EXPECT_THAT(dev, ::testing::Not(HasSubstr(slack::kApproveAction))) << "nobody approves their own";
  EXPECT_THAT(dev, ::testing::Not(HasSubstr("Waiting for your decision"))) << "U0DEV approves nothing";
}

TEST_F(InboundHomeTest, TheMessagesTabAndBadUserIdsPublishNothing) {
  with_home.handle(home_opened("U0ALICE", "messages"));
  with_home.handle(home_opened("<!channel>"));
  with_home.handle(home_opened(std::string(100, 'U')));
  slack::Envelope odd{.envelope_id = "e10", .type = "events_api", .payload = {{"event", "not an object"}}};
  with_home.handle(odd);
  settle();
  EXPECT_EQ(http.count("views.publish"), 0);
  // Without a Home tab configured, app_home_opened is ignored.
  app.handle(home_opened("U0ALICE"));
  settle();
  EXPECT_EQ(http.count("views.publish"), 0);
}

TEST_F(InboundHomeTest, EveryChangeRepublishesTheRequesterAndTheApproversWhoOpenedIt) {
  with_home.handle(home_opened("U0ALICE"));
  with_home.handle(home_opened("U0EVE"));  // approves nothing
  AccessRequest other = submit("read", "1h", "U0CAROL");  // carol never opened her Home
  ASSERT_TRUE(engine->cancel(other.id, "U0CAROL"));
  settle();
  EXPECT_EQ(publishes("U0CAROL"), 0) << "someone who never opened their Home costs no views.publish";
  with_home.handle(home_opened("U0DEV"));
  settle();
  const int alice = publishes("U0ALICE"), eve = publishes("U0EVE");
  AccessRequest r = submit();
  settle();
  EXPECT_EQ(publishes("U0DEV"), 2) << "the requester's Home follows their request";
  EXPECT_EQ(publishes("U0ALICE"), alice + 1) << "an approver who opened it sees the new request";
  EXPECT_EQ(publishes("U0EVE"), eve) << "someone who may not decide is not bothered";
  EXPECT_THAT(home_of("U0ALICE").dump(), HasSubstr(r.id));
  with_home.handle(click("U0ALICE", slack::kApproveAction, r.id));
  settle();
  ASSERT_EQ(read(r.id).state, State::active);
  const std::string dev = home_of("U0DEV").dump();
  EXPECT_THAT(dev, HasSubstr(slack::kReleaseAction));
  EXPECT_THAT(dev, HasSubstr("1h left"));
  EXPECT_THAT(home_of("U0ALICE").dump(), HasSubstr("Nothing waits for your decision"));
}

TEST_F(InboundHomeTest, ReleaseAndCancelActOnTheClickersOwnOnly) {
  AccessRequest granted = submit();
  ASSERT_TRUE(engine->approve(granted.id, "U0ALICE"));
  AccessRequest pending = submit("read");
  with_home.handle(click("U0ALICE", slack::kReleaseAction, granted.id));
  with_home.handle(click("U0ALICE", slack::kCancelAction, pending.id));
  EXPECT_EQ(read(granted.id).state, State::active);
  EXPECT_EQ(read(pending.id).state, State::pending);
  EXPECT_EQ(http.count("chat.postEphemeral"), 2) << "each refusal is said to the clicker";
  with_home.handle(click("U0DEV", slack::kCancelAction, pending.id));
  EXPECT_EQ(read(pending.id).state, State::cancelled);
  with_home.handle(click("U0DEV", slack::kReleaseAction, granted.id));
  EXPECT_EQ(read(granted.id).state, State::revoked);
  EXPECT_EQ(http.count("chat.postEphemeral"), 2) << "the engine's DM says it; no extra reply";
  with_home.handle(click("U0DEV", slack::kReleaseAction, std::string(500, 'r')));
  EXPECT_THAT(ephemeral_text(), HasSubstr("request id"));
}

// Holds every call until opened, then passes it to `inner`: a Slack that is slow to answer.
class GatedHttp final : public net::HttpClient {
 public:
  explicit GatedHttp(net::HttpClient& inner) : inner_(inner) {}
  Result<net::HttpResponse> send(const net::Endpoint& endpoint, const net::HttpRequest& request) override {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    lock.unlock();
    return inner_.send(endpoint, request);
  }
  bool wait_for_a_call() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_ > 0; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  net::HttpClient& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

// While Slack is slow, forty changes concerning the same two people cost each of them one more
// publish, built from the store as it is when it goes.
TEST_F(InboundHomeTest, ChangesWhileAPublishIsUnderwayCoalesceIntoOnePublishPerPerson) {
  GatedHttp gated(http);
  slack::WebApi slow_api{gated, *net::Endpoint::parse("http://127.0.0.1:9/api/"), "xoxb-test", clock};
  slack::HomeTab slow{*engine, slow_api, directory, clock};  // now the engine's listener
  struct OpenOnExit {  // whatever happens, the worker is let go before `slow` joins it
    GatedHttp& gate;
    ~OpenOnExit() { gate.open(); }
  } open_on_exit{gated};
  slow.opened("U0ALICE");
  ASSERT_TRUE(gated.wait_for_a_call());  // the worker is inside views.publish for alice
  slow.opened("U0DEV");                  // waits: its publish will show what the changes did
  for (int i = 0; i < 20; ++i) {
    AccessRequest r = submit("read", "1h");
    ASSERT_TRUE(engine->cancel(r.id, "U0DEV"));
  }
  gated.open();
  ASSERT_TRUE(slow.wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(publishes("U0ALICE"), 2) << "her opening, then one for all forty changes";
  EXPECT_EQ(publishes("U0DEV"), 1) << "the opening still to publish serves the changes too";
  EXPECT_THAT(home_of("U0DEV").dump(), HasSubstr("No pending requests"));
}

TEST_F(InboundHomeTest, OpeningTheHomeTabIsNormalPriority) {
  EXPECT_EQ(slack::InboundHandler::priority(home_opened("U0ALICE")), slack::Priority::normal);
  slack::Envelope other{.envelope_id = "e11", .type = "events_api", .payload = {{"event", {{"type", "message"}}}}};
  EXPECT_EQ(slack::InboundHandler::priority(other), slack::Priority::low);
}

}  // namespace
}  // namespace jit::testing
