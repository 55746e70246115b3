// `jit serve` against the Slack emulator and the AWS emulator: everything a requester and an
// approver do in Slack, end to end (SQLite store, Identity Center on the emulator). After every
// test each envelope must have been acked within 100 ms of its delivery.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "net/https_client.h"

#include "core/limits.h"
#include "e2e/world.h"
#include "net/test_certs.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

class SlackServeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (world) {
      EXPECT_EQ(world->check_acks(), "");
      // No token reaches the log.
      EXPECT_THAT(world->log(0), Not(HasSubstr(slack().options().bot_token)));
      EXPECT_THAT(world->log(0), Not(HasSubstr(slack().options().app_token)));
    }
    if (HasFailure() && world) ADD_FAILURE() << "jit serve log:\n" << world->log(0);
  }
  std::unique_ptr<World> world = std::make_unique<World>();
  emulators::SlackEmulator& slack() { return world->slack(); }
};

// The owner-channel message of a request, as it is now.
json owner_message(World& w, const std::string& id) {
  auto ts = w.message_ts(kProdChannel, id);
  for (const auto& m : w.slack().messages(kProdChannel))
    if (ts && m.value("ts", "") == *ts) return m;
  return json::object();
}

bool has_buttons(const json& message) { return message.dump().find("\"jit_approve\"") != std::string::npos; }

TEST_F(SlackServeTest, HelpAndUnknownInputAreAnswered) {
  slack().slash_command(kDana, "help");
  EXPECT_TRUE(world->wait_ephemeral(kDana, "/jit request"));
  slack().slash_command(kDana, "frobnicate");
  EXPECT_TRUE(world->wait_ephemeral(kDana, "frobnicate"));
}

// Slack's advice, and the rate budget approvals need: a reply known at once goes in the ack, so a
// flood of `/jit help` (or of mistyped commands) costs no Web API call at all.
TEST_F(SlackServeTest, HelpAndInputErrorsCostNoWebApiCall) {
  const auto before = slack().calls().size();
  constexpr int kCommands = 50;
  for (int i = 0; i < kCommands; ++i) slack().slash_command(kDana, i % 2 ? "help" : "request prod admin");
  ASSERT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        int answered = 0;
        for (const auto& m : s.messages("C0GENERAL")) answered += m.value("ephemeral_to", "") == kDana;
        return answered == kCommands;
      },
      std::chrono::seconds(10)))
      << slack().messages("C0GENERAL").dump(1);
  json calls = json::array();
  for (std::size_t i = before; i < slack().calls().size(); ++i) calls.push_back(slack().calls()[i]);
  EXPECT_TRUE(calls.empty()) << calls.dump(1);
  for (const auto& e : slack().envelopes()) EXPECT_EQ(e.value("ack_payload_error", ""), "") << e.dump();
}

TEST_F(SlackServeTest, TextRequestApprovedIsGrantedInIdentityCenterAndReleasedEarly) {
  std::string reply;
  auto id = world->request(kDana, "prod admin 1h rotate the signing keys", &reply);
  ASSERT_TRUE(id) << reply;
  EXPECT_THAT(reply, HasSubstr("<#C0PROD>"));
  json message = owner_message(*world, *id);
  EXPECT_TRUE(has_buttons(message)) << message.dump();
  EXPECT_THAT(message.dump(), HasSubstr("rotate the signing keys"));
  EXPECT_TRUE(world->wait_dm(kDana, *id));  // "submitted"

  ASSERT_TRUE(world->click(kAlice, *id, slack::kApproveAction));
  ASSERT_TRUE(world->wait_state(*id, State::active));
  EXPECT_EQ(world->assignment_count(), 1u);
  EXPECT_TRUE(world->wait_dm(kDana, "https://d-1111111111.awsapps.com/start"));
  // The buttons gave way to the outcome, and the thread tells the story.
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator&) { return !has_buttons(owner_message(*world, *id)); },
                               std::chrono::seconds(5)));
  EXPECT_THAT(owner_message(*world, *id).dump(), HasSubstr("<!date^"));
  const std::string ts = owner_message(*world, *id).value("ts", "");
  int replies = 0;
  for (const auto& m : slack().messages(kProdChannel)) replies += m.value("thread_ts", "") == ts;
  EXPECT_GE(replies, 2) << slack().messages(kProdChannel).dump(1);  // approved, active

  slack().slash_command(kDana, "list");
  EXPECT_TRUE(world->wait_ephemeral(kDana, *id));
  slack().slash_command(kDana, "release " + *id);
  EXPECT_TRUE(world->wait_ephemeral(kDana, "released"));
  ASSERT_TRUE(world->wait_state(*id, State::revoked));
  EXPECT_EQ(world->assignment_count(), 0u);
  EXPECT_TRUE(world->wait_dm(kDana, "has ended"));
}

TEST_F(SlackServeTest, ModalRequestWithErrorsOnTheFieldThenSubmitted) {
  slack().slash_command(kDana, "");
  ASSERT_TRUE(slack().wait_for([](const emulators::SlackEmulator& s) { return !s.views(kDana).empty(); },
                               std::chrono::seconds(5)));
  const std::string view_id = slack().views(kDana)[0].value("id", "");
  // Choosing the account, then the role, rebuilds the modal for them (views.update), as a person
  // would: each choice after the modal showed the previous one.
  auto choose = [&](const std::string& field, const std::string& value) {
    const std::string hash = slack().views(kDana)[0].value("hash", "");
    if (!slack().select_in_view(kDana, view_id, field, field, value)) return false;
    return slack().wait_for(
        [&](const emulators::SlackEmulator& s) { return s.views(kDana)[0].value("hash", "") != hash; },
        std::chrono::seconds(5));
  };
  ASSERT_TRUE(choose("account", "prod"));
  EXPECT_THAT(slack().views(kDana)[0].dump(), HasSubstr("break-glass"));
  EXPECT_THAT(slack().views(kDana)[0].dump(), Not(HasSubstr("developer")));  // sandbox's role
  ASSERT_TRUE(choose("role", "break-glass"));
  // break-glass needs an INC- ticket: the modal now asks for one.
  EXPECT_THAT(slack().views(kDana)[0].dump(), HasSubstr("\"ticket\""));
  auto bad = slack().submit_view(kDana, view_id,
                                 {{"account", "prod"}, {"role", "break-glass"}, {"duration", "30m"},
                                  {"reason", "db failover"}, {"ticket", "JIRA-1"}});
  ASSERT_TRUE(bad) << bad.error().message;
  EXPECT_EQ((*bad)["ack_payload"].value("response_action", ""), "errors") << bad->dump();
  EXPECT_TRUE((*bad)["ack_payload"]["errors"].contains("ticket")) << bad->dump();
  EXPECT_FALSE(slack().views(kDana).empty());

  auto good = slack().submit_view(kDana, view_id,
                                  {{"account", "prod"}, {"role", "break-glass"}, {"duration", "30m"},
                                   {"reason", "db failover"}, {"ticket", "INC-77"}});
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_TRUE((*good)["ack_payload"].is_null()) << good->dump();
  auto reply = world->wait_ephemeral(kDana, "is waiting for approval");
  ASSERT_TRUE(reply);
  auto requests = world->store().list_requests({.requester = kDana}).value();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].role, "break-glass");
  EXPECT_EQ(requests[0].ticket, "INC-77");
  // Two approvals needed: the message says how many are left after the first.
  ASSERT_TRUE(world->click(kAlice, requests[0].id, slack::kApproveAction));
  ASSERT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator&) { return owner_message(*world, requests[0].id).dump().find("1 of 2") != std::string::npos; },
      std::chrono::seconds(5)))
      << owner_message(*world, requests[0].id).dump(1);
  ASSERT_TRUE(world->click(kBob, requests[0].id, slack::kApproveAction));
  EXPECT_TRUE(world->wait_state(requests[0].id, State::active));
}

TEST_F(SlackServeTest, DenyWithAReasonReachesTheRequester) {
  auto id = world->request(kDana, "prod admin 1h look at the billing tables");
  ASSERT_TRUE(id);
  ASSERT_TRUE(world->click(kAlice, *id, slack::kDenyAction));
  ASSERT_TRUE(slack().wait_for([](const emulators::SlackEmulator& s) { return !s.views(kAlice).empty(); },
                               std::chrono::seconds(5)));
  const std::string view_id = slack().views(kAlice)[0].value("id", "");
  auto submitted = slack().submit_view(kAlice, view_id, {{"reason", "use the read-only role"}});
  ASSERT_TRUE(submitted) << submitted.error().message;
  ASSERT_TRUE(world->wait_state(*id, State::denied));
  EXPECT_TRUE(world->wait_dm(kDana, "use the read-only role"));
  EXPECT_EQ(world->assignment_count(), 0u);
}

TEST_F(SlackServeTest, SelfApprovalAndNonApproversAreRefusedWithAReason) {
  auto id = world->request(kDana, "prod admin 1h deploy");
  ASSERT_TRUE(id);
  ASSERT_TRUE(world->click(kDana, *id, slack::kApproveAction));
  EXPECT_TRUE(world->wait_ephemeral(kDana, "your own request"));
  ASSERT_TRUE(world->click(kEve, *id, slack::kApproveAction));
  EXPECT_TRUE(world->wait_ephemeral(kEve, "not an approver"));
  EXPECT_EQ(world->read(*id)->state, State::pending);
  EXPECT_EQ(world->assignment_count(), 0u);
}

TEST_F(SlackServeTest, TwoApproversClickingAtOnceGiveOneGrantAndStaleButtonsExplain) {
  auto id = world->request(kDana, "prod admin 1h incident");
  ASSERT_TRUE(id);
  auto ts = world->message_ts(kProdChannel, *id);
  ASSERT_TRUE(ts);
  ASSERT_TRUE(slack().click(kAlice, kProdChannel, *ts, slack::kApproveAction));
  ASSERT_TRUE(slack().click(kBob, kProdChannel, *ts, slack::kApproveAction));
  ASSERT_TRUE(world->wait_state(*id, State::active));
  EXPECT_TRUE(world->wait_ephemeral(kBob, "already approved") || world->wait_ephemeral(kAlice, "already approved"));
  // The buttons are gone from the message, but a client showing the old one may still click: a
  // stale Deny explains and changes nothing.
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator&) { return !has_buttons(owner_message(*world, *id)); },
                               std::chrono::seconds(5)));
  EXPECT_FALSE(slack().click(kEve, kProdChannel, *ts, slack::kDenyAction));  // no such button any more
  EXPECT_EQ(world->read(*id)->state, State::active);
  const json calls = world->aws().calls();
  EXPECT_EQ(calls["operations"]["sso-admin:CreateAccountAssignment"].value("ok", 0), 1) << calls.dump();
  EXPECT_EQ(world->assignment_count(), 1u);
}

TEST_F(SlackServeTest, RefreshRequestedMidFlowLosesNothingAndReconnectsWithinThreeSeconds) {
  auto first = world->request(kDana, "prod admin 1h first");
  ASSERT_TRUE(first);
  const int opened = slack().connections_opened();
  const auto asked = std::chrono::steady_clock::now();
  slack().disconnect("refresh_requested");
  // Work goes on while the connection is replaced.
  ASSERT_TRUE(world->click(kAlice, *first, slack::kApproveAction));
  slack().slash_command(kEve, "request sandbox developer 2h second");
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > opened; },
                               std::chrono::seconds(3)));
  const auto replaced_in = std::chrono::steady_clock::now() - asked;
  EXPECT_LT(replaced_in, std::chrono::seconds(3));
  std::cout << "replacement connection after refresh_requested: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(replaced_in).count() << " ms\n";
  ASSERT_TRUE(world->wait_state(*first, State::active));
  ASSERT_TRUE(world->wait_ephemeral(kEve, "is waiting for approval"));
  // Each envelope was handled once: one request from each, one grant.
  EXPECT_EQ(world->store().list_requests({.requester = kEve}).value().size(), 1u);
  EXPECT_EQ(world->assignment_count(), 1u);
  // And a dropped socket is replaced too.
  const int before_drop = slack().connections_opened();
  slack().drop();
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > before_drop; },
                               std::chrono::seconds(5)));
  slack().slash_command(kDana, "help");
  EXPECT_TRUE(world->wait_ephemeral(kDana, "/jit request"));
}

TEST_F(SlackServeTest, RateLimitStormDeliversEveryMessageInOrder) {
  slack().rate_limit("*", 6, 1);
  std::string reply;
  auto id = world->request(kDana, "prod admin 1h storm", &reply);
  ASSERT_TRUE(id) << reply << "\n" << slack().calls().dump(1);
  ASSERT_TRUE(world->click(kAlice, *id, slack::kApproveAction));
  ASSERT_TRUE(world->wait_state(*id, State::active, std::chrono::seconds(30)));
  slack().rate_limit("chat.postMessage", 3, 1);
  slack().slash_command(kDana, "release " + *id);
  ASSERT_TRUE(world->wait_state(*id, State::revoked, std::chrono::seconds(30)));
  // The thread has every event, in the order they happened.
  const std::string ts = owner_message(*world, *id).value("ts", "");
  ASSERT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        int n = 0;
        for (const auto& m : s.messages(kProdChannel)) n += m.value("thread_ts", "") == ts;
        return n >= 3;
      },
      std::chrono::seconds(30)));
  std::vector<std::string> thread;
  for (const auto& m : slack().messages(kProdChannel))
    if (m.value("thread_ts", "") == ts) thread.push_back(m.value("text", ""));
  auto position = [&](const std::string& word) {
    for (std::size_t k = 0; k < thread.size(); ++k)
      if (thread[k].find(word) != std::string::npos) return static_cast<int>(k);
    return -1;
  };
  EXPECT_GE(position("pproved"), 0) << ::testing::PrintToString(thread);
  EXPECT_LT(position("pproved"), position("ctive")) << ::testing::PrintToString(thread);
  EXPECT_LT(position("ctive"), position("evoked")) << ::testing::PrintToString(thread);
  int limited = 0;
  for (const auto& c : slack().calls()) limited += c.value("error", "") == "ratelimited";
  EXPECT_EQ(limited, 9);
}

// The bare minimum an operator starts with: the example policy, a SQLite file and only the three
// SLACK_* variables (no AWS credentials at all). The service connects and answers /jit help and
// /jit list; readiness names AWS as what is missing.
TEST(SlackServeAlone, OnlySlackEnvironmentAnswersHelpAndList) {
  emulators::SlackEmulatorOptions options;
  options.users = {{"U0DEV", "dev", "dev@example.com"}};
  auto slack = emulators::SlackEmulator::start(options);
  ASSERT_TRUE(slack) << slack.error().message;
  const std::string dir = ::testing::TempDir() + "/jit-slack-alone-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const auto ops = free_port();
  // The example as it is, but for its step-up page's TLS files and address and its PagerDuty
  // token file (the deployment's /run/secrets files and 0.0.0.0:8443): a test CA's certificate on
  // a free loopback port, a token nobody is asked with (no request here reaches PagerDuty).
  std::stringstream example;
  example << std::ifstream(std::string(JIT_SOURCE_DIR) + "/examples/jit.toml").rdbuf();
  std::string config = example.str();
  const TestCa ca;
  const TestCertificate page = ca.issue({"DNS:jit.internal.example"});
  std::ofstream(dir + "/page.crt") << page.certificate_pem;
  std::ofstream(dir + "/page.key") << page.private_key_pem;
  std::ofstream(dir + "/pagerduty-token") << "pd-test-token\n";
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"/run/secrets/jit-step-up.crt", dir + "/page.crt"},
        {"/run/secrets/jit-step-up.key", dir + "/page.key"},
        {"/run/secrets/jit-pagerduty-token", dir + "/pagerduty-token"},
        {"listen = \"0.0.0.0:8443\"", fmt::format("listen = \"127.0.0.1:{}\"", free_port())}}) {
    const auto at = config.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    config.replace(at, from.size(), to);
  }
  std::ofstream(dir + "/jit.toml") << config;
  auto serve = ChildProcess::spawn(
      {"env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir, "SLACK_API_URL=" + (*slack)->api_url(),
       "SLACK_BOT_TOKEN=" + options.bot_token, "SLACK_APP_TOKEN=" + options.app_token, JIT_BINARY, "serve",
       "--config", dir + "/jit.toml", "--store", "sqlite:" + dir + "/jit.db",
       "--ops-address", "127.0.0.1:" + std::to_string(ops)},
      {.output_file = dir + "/serve.log"});
  ASSERT_TRUE(serve) << serve.error().message;
  ASSERT_TRUE((*slack)->wait_for([](const emulators::SlackEmulator& s) { return s.connections_opened() > 0; },
                                 std::chrono::seconds(20)));
  auto reply_to = [&](const std::string& text) {
    (*slack)->slash_command("U0DEV", text);
    return (*slack)->wait_for(
        [](const emulators::SlackEmulator& s) { return !s.messages("C0GENERAL").empty(); }, std::chrono::seconds(10));
  };
  ASSERT_TRUE(reply_to("help"));
  EXPECT_THAT((*slack)->messages("C0GENERAL").dump(), HasSubstr("/jit request"));
  (*slack)->slash_command("U0DEV", "list");
  ASSERT_TRUE((*slack)->wait_for(
      [](const emulators::SlackEmulator& s) { return s.messages("C0GENERAL").size() >= 2; }, std::chrono::seconds(10)));
  EXPECT_THAT((*slack)->messages("C0GENERAL").dump(), HasSubstr("no pending requests"));
  auto http = net::make_http_client();
  auto ready = http->send(*net::Endpoint::parse("http://127.0.0.1:" + std::to_string(ops)),
                          {.method = "GET", .target = "/readyz"});
  ASSERT_TRUE(ready);
  EXPECT_THAT(ready->body, Not(HasSubstr("slack:")));  // Slack is fine
  (*serve)->stop();
  std::filesystem::remove_all(dir);
}

// A bot token Slack refuses stops the service at once with an error naming the variable; Slack
// disabling the Socket Mode link stops it too, saying what to do. Neither prints a token.
TEST(SlackServeAlone, RefusedTokenAndDisabledLinkStopWithAClearError) {
  World world;
  ASSERT_TRUE(world.stop_instance(0) >= 0);
  // The app's link disabled while it runs.
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {}, &why)) << why;
  world.slack().disconnect("link_disabled");
  ASSERT_TRUE(World::poll([&] { return !world.running(0); }, std::chrono::seconds(10))) << world.log(0);
  EXPECT_THAT(world.log(0), HasSubstr("link_disabled"));
  EXPECT_THAT(world.log(0), HasSubstr("Socket Mode"));
  world.slack().set_link_enabled(true);
  // A wrong bot token: exit 1 before connecting.
  auto bad = ChildProcess::spawn({JIT_BINARY, "serve", "--config", world.policy_path(), "--store", world.store_url(),
                                  "--ops-address", "127.0.0.1:0"},
                                 {.env = {{"SLACK_API_URL", world.slack().api_url()},
                                          {"SLACK_BOT_TOKEN", "xoxb-not-the-right-one"},
                                          {"SLACK_APP_TOKEN", world.slack().options().app_token}},
                                  .output_file = world.policy_path() + ".bad.log"});
  ASSERT_TRUE(bad);
  ASSERT_TRUE((*bad)->wait_exit(std::chrono::seconds(10)));
  std::ifstream log(world.policy_path() + ".bad.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("Slack refused SLACK_BOT_TOKEN (invalid_auth)"));
  EXPECT_THAT(text, Not(HasSubstr("not-the-right-one")));
  // A wrong app token: apps.connections.open refuses it and the service stops, exit 1.
  auto bad_app = ChildProcess::spawn({JIT_BINARY, "serve", "--config", world.policy_path(), "--store", world.store_url(),
                                      "--ops-address", "127.0.0.1:0"},
                                     {.env = {{"SLACK_API_URL", world.slack().api_url()},
                                              {"SLACK_BOT_TOKEN", world.slack().options().bot_token},
                                              {"SLACK_APP_TOKEN", "xapp-not-the-right-one"}},
                                      .output_file = world.policy_path() + ".bad-app.log"});
  ASSERT_TRUE(bad_app);
  ASSERT_TRUE((*bad_app)->wait_exit(std::chrono::seconds(10)));
  const int status = (*bad_app)->stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  std::ifstream app_log(world.policy_path() + ".bad-app.log");
  const std::string app_text((std::istreambuf_iterator<char>(app_log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(app_text, HasSubstr("jit: apps.connections.open failed with 'invalid_auth': check that SLACK_APP_TOKEN"));
  EXPECT_THAT(app_text, Not(HasSubstr("not-the-right-one")));
}

}  // namespace
}  // namespace jit::testing

namespace jit::testing {
namespace {

// `jit serve --dry-run` on a policy without Identity Center: the whole flow runs, nothing is
// granted in AWS, and every Slack message and every audit event says it is a dry run.
TEST(SlackServeDryRun, EveryMessageAndAuditEventSaysDryRun) {
  World world({.dry_run = true});
  std::string reply;
  auto id = world.request(kDana, "prod admin 1h rehearse the rotation", &reply);
  ASSERT_TRUE(id) << reply << "\n" << world.log(0);
  ASSERT_TRUE(world.click(kAlice, *id, slack::kApproveAction));
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_TRUE(world.wait_dm(kDana, "Dry run"));
  EXPECT_EQ(world.assignment_count(), 0u) << "a dry run grants nothing in AWS";
  world.slack().slash_command(kDana, "release " + *id);
  ASSERT_TRUE(world.wait_state(*id, State::revoked)) << world.log(0);
  ASSERT_TRUE(world.wait_dm(kDana, "has ended"));

  int seen = 0;
  for (const auto* channel : {kProdChannel, "C0GENERAL"})
    for (const auto& m : world.slack().messages(channel)) {
      ++seen;
      EXPECT_THAT(m.dump(), HasSubstr("Dry run")) << m.dump();
    }
  for (const auto& m : world.slack().dm(kDana)) {
    ++seen;
    EXPECT_THAT(m.dump(), HasSubstr("Dry run")) << m.dump();
  }
  EXPECT_GE(seen, 8) << "request, its thread replies, the replies to dana and her DMs";

  auto events = world.store().audit_events({});
  ASSERT_TRUE(events);
  int of_request = 0;
  for (const auto& e : *events) {
    if (e.request_id != *id) continue;
    ++of_request;
    EXPECT_THAT(e.detail, HasSubstr("dry run")) << e.action;
  }
  EXPECT_GE(of_request, 6);  // submit, posted, approve, begin_grant, grant_succeeded, release, revoke_succeeded
  EXPECT_THAT(world.log(0), HasSubstr("dry_run"));
}

// Slack's limits, end to end: with the largest reason the policy allows, made of the character that
// escapes five-fold, the request is still posted (the emulator refuses what Slack refuses), and a
// deny reason at its own limit still replaces the buttons with the outcome.
TEST(SlackServeLimits, AMaxSizeRequestIsPostedAndALongDenyReplacesItsButtons) {
  World world({.instances = 0});
  std::stringstream policy;
  policy << std::ifstream(world.policy_path()).rdbuf();
  std::ofstream(world.policy_path()) << fmt::format("reason_max_length = {}\n", limits::kMaxReasonLength) << policy.str();
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {}, &why)) << why;

  std::string reply;
  auto id = world.request(kDana, "prod admin 1h " + std::string(limits::kMaxReasonLength, '&'), &reply);
  ASSERT_TRUE(id) << reply << "\n" << world.log(0);
  ASSERT_TRUE(world.message_ts(kProdChannel, *id)) << world.log(0);
  const json posted = owner_message(world, *id);
  EXPECT_TRUE(has_buttons(posted));
  EXPECT_THAT(posted.dump(), HasSubstr("&amp;&amp;&amp;…"));
  EXPECT_EQ(world.read(*id)->reason, std::string(limits::kMaxReasonLength, '&'));  // only the message is cut

  ASSERT_TRUE(world.click(kAlice, *id, slack::kDenyAction));
  ASSERT_TRUE(world.slack().wait_for([](const emulators::SlackEmulator& s) { return !s.views(kAlice).empty(); },
                                     std::chrono::seconds(5)));
  const std::string deny_reason = std::string(limits::kMaxDenyReasonLength - 10, '&') + "<!channel>";
  auto submitted = world.slack().submit_view(kAlice, world.slack().views(kAlice)[0].value("id", ""),
                                             {{"reason", deny_reason}});
  ASSERT_TRUE(submitted) << submitted.error().message;
  ASSERT_TRUE(world.wait_state(*id, State::denied)) << world.log(0);
  ASSERT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator&) { return !has_buttons(owner_message(world, *id)); }, std::chrono::seconds(10)))
      << "the decided request still shows Approve/Deny\n" << world.log(0);
  const std::string decided = owner_message(world, *id).dump();
  EXPECT_THAT(decided, HasSubstr(":x: Denied by <@" + std::string(kAlice) + ">: &amp;&amp;"));
  EXPECT_THAT(decided, Not(HasSubstr("<!channel>")));
  EXPECT_TRUE(world.wait_dm(kDana, "&amp;&lt;!channel&gt;")) << world.log(0);
  EXPECT_THAT(world.log(0), Not(HasSubstr("invalid_blocks")));
  EXPECT_THAT(world.log(0), Not(HasSubstr("msg_too_long")));
  EXPECT_EQ(world.check_acks(), "");
}

}  // namespace
}  // namespace jit::testing
