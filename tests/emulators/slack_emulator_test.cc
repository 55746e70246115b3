// The Slack emulator in process, driven by our own Slack pieces (slack::WebApi and
// slack::SocketModeClient over net::make_http_client): tokens, every Web API method and its
// errors, form and JSON bodies, 429 + Retry-After, Socket Mode hello/envelopes/acks/retries,
// refresh, round-robin, outages, and the control API over HTTP. Waits use the emulator's
// wait_for (a condition variable), never sleeps.
#include "emulators/slack/slack_emulator.h"
#include "emulators/slack/block_kit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fakes/manual_clock.h"
#include "net/https_client.h"
#include "net/websocket.h"
#include "slack/socket_mode.h"
#include "slack/web_api.h"

namespace jit::emulators {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
constexpr auto kWait = 5s;

// What a SocketModeClient handed to the application.
struct Inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<slack::Envelope> envelopes;
  std::optional<json> next_ack_payload;  // for view submissions

  slack::SocketModeHandlers handlers() {
    return {.on_envelope = [this](const slack::Envelope& e) {
              {
                std::lock_guard lock(mutex);
                envelopes.push_back(e);
              }
              cv.notify_all();
            },
            .ack_payload = [this](const slack::Envelope&) -> std::optional<json> {
              std::lock_guard lock(mutex);
              return std::exchange(next_ack_payload, std::nullopt);
            }};
  }
  bool wait_count(std::size_t n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, kWait, [&] { return envelopes.size() >= n; });
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return envelopes.size();
  }
};

class SlackEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(std::function<void(SlackEmulatorOptions&)> customize) {
    clients_.clear();
    emulator_.reset();
    SlackEmulatorOptions options;
    options.users = {{"U0DANA", "dana", "dana@example.com"}, {"U0ERIN", "erin", "erin@example.com"}};
    options.usergroups = {{"S0ONCALL", {"U0DANA", "U0ERIN"}}};
    options.ping_interval = 200ms;
    options.retry_unacked_after = 150ms;
    if (customize) customize(options);
    auto started = SlackEmulator::start(options);
    ASSERT_TRUE(started) << started.error().message;
    emulator_ = std::move(*started);
    endpoint_ = *net::Endpoint::parse(emulator_->api_url());
    bot_ = std::make_unique<slack::WebApi>(*http_, endpoint_, options.bot_token, clock_, no_retries());
    app_ = std::make_unique<slack::WebApi>(*http_, endpoint_, options.app_token, clock_, no_retries());
  }

  static slack::WebApiOptions no_retries() {
    return {.max_attempts = 1, .max_rate_limited_wait = std::chrono::seconds(0)};
  }

  slack::SocketModeClient& connect(Inbox& inbox) {
    slack::SocketModeOptions options;
    options.reconnect = {.max_attempts = 0, .base_delay = 20ms, .max_delay = 100ms};
    options.websocket.client.proxy = net::ProxySettings{};
    auto& client = clients_.emplace_back(std::make_unique<slack::SocketModeClient>(*app_, clock_, options, inbox.handlers()));
    client->start();
    EXPECT_TRUE(client->wait_connected(kWait));
    return *client;
  }

  std::string error_of(slack::WebApi& api, std::string_view method, const json& args) {
    auto r = api.call(method, args);
    return r ? "ok" : r.error().error;
  }

  net::HttpResponse raw(std::string method, std::string target, std::string body = "", net::Headers headers = {}) {
    auto response = http_->send(endpoint_, {std::move(method), std::move(target), std::move(headers), std::move(body)});
    EXPECT_TRUE(response) << response.error().message;
    return response ? *response : net::HttpResponse{};
  }

  bool wait(std::function<bool(const SlackEmulator&)> predicate) { return emulator_->wait_for(std::move(predicate), kWait); }

  std::string post(const std::string& channel, const json& extra = json::object()) {
    json args{{"channel", channel}, {"text", "hello"}};
    args.update(extra);
    auto r = bot_->call("chat.postMessage", args);
    EXPECT_TRUE(r) << r.error().error << " " << r.error().detail;
    return r ? r->value("ts", "") : "";
  }

  // A trigger id, as a slash command carries it (no client connected: read from the queue).
  std::string trigger() {
    emulator_->slash_command("U0DANA", "");
    return emulator_->envelopes().back()["payload"]["trigger_id"];
  }

  static json modal(std::string title = "Request AWS access") {
    return {{"type", "modal"},
            {"callback_id", "request"},
            {"title", {{"type", "plain_text"}, {"text", title}}},
            {"submit", {{"type", "plain_text"}, {"text", "Request"}}},
            {"private_metadata", "meta"},
            {"blocks",
             json::array({{{"type", "input"},
                           {"block_id", "account"},
                           {"dispatch_action", true},
                           {"label", {{"type", "plain_text"}, {"text", "Account"}}},
                           {"element", {{"type", "static_select"},
                                        {"action_id", "account"},
                                        {"options", json::array({{{"text", {{"type", "plain_text"}, {"text", "Prod"}}}, {"value", "prod"}},
                                                                 {{"text", {{"type", "plain_text"}, {"text", "Dev"}}}, {"value", "dev"}}})}}}},
                          {{"type", "input"},
                           {"block_id", "reason"},
                           {"label", {{"type", "plain_text"}, {"text", "Reason"}}},
                           {"element", {{"type", "plain_text_input"}, {"action_id", "reason"}}}}})}};
  }

  std::string open_modal(const std::string& trigger_id) {
    auto opened = bot_->call("views.open", {{"trigger_id", trigger_id}, {"view", modal()}});
    EXPECT_TRUE(opened) << opened.error().error << " " << opened.error().detail;
    return opened ? (*opened)["view"].value("id", "") : "";
  }

  // Inboxes live as long as the fixture, declared before clients_ so that the clients (whose
  // handler threads write into them) are stopped and destroyed first.
  Inbox& inbox_for_test() { return inboxes_.emplace_back(); }
  std::deque<Inbox> inboxes_;
  SystemClock clock_;  // the emulator is real sockets and threads: real time
  std::unique_ptr<net::HttpClient> http_ = net::make_http_client({.proxy = net::ProxySettings{}});
  std::unique_ptr<SlackEmulator> emulator_;
  net::Endpoint endpoint_;
  std::unique_ptr<slack::WebApi> bot_, app_;
  std::vector<std::unique_ptr<slack::SocketModeClient>> clients_;
};

// ---- Web API ----

TEST_F(SlackEmulatorTest, AuthTestAndTokens) {
  auto auth = bot_->call("auth.test", json::object());
  ASSERT_TRUE(auth);
  EXPECT_EQ((*auth)["user_id"], "U0JITBOT");
  EXPECT_EQ((*auth)["team_id"], "T0JIT");
  EXPECT_TRUE(auth->contains("bot_id"));
  EXPECT_EQ(emulator_->api_url(), emulator_->url() + "/api/");

  slack::WebApi wrong(*http_, endpoint_, "xoxb-wrong", clock_, no_retries());
  EXPECT_EQ(error_of(wrong, "auth.test", json::object()), "invalid_auth");
  auto missing = raw("POST", "/api/auth.test", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(json::parse(missing.body)["error"], "not_authed");
  EXPECT_EQ(error_of(*app_, "chat.postMessage", {{"channel", "C1"}, {"text", "x"}}), "not_allowed_token_type");
  auto by_bot = bot_->call_form("apps.connections.open", {});
  EXPECT_EQ(by_bot ? "ok" : by_bot.error().error, "not_allowed_token_type");
  EXPECT_EQ(error_of(*bot_, "chat.delete", json::object()), "unknown_method");
  auto opened = app_->call_form("apps.connections.open", {});
  ASSERT_TRUE(opened);
  EXPECT_TRUE((*opened)["url"].get<std::string>().starts_with("ws://127.0.0.1:")) << *opened;
  EXPECT_NE((*opened)["url"].get<std::string>().find("/link/?ticket="), std::string::npos);
}

TEST_F(SlackEmulatorTest, FormBodiesWithTokenFieldAndJsonStringBlocks) {
  const std::string blocks = R"([{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}])";
  auto response = raw("POST", "/api/chat.postMessage",
                      "token=xoxb-emulator-bot&channel=C0FORM&text=a+b%21&blocks=" +
                          std::string("%5B%7B%22type%22%3A%22section%22%2C%22text%22%3A%7B%22type%22%3A%22mrkdwn%22%2C%22text%22%3A%22*hi*%22%7D%7D%5D"),
                      {{"Content-Type", "application/x-www-form-urlencoded"}});
  const json body = json::parse(response.body);
  ASSERT_TRUE(body.value("ok", false)) << response.body;
  const json messages = emulator_->messages("C0FORM");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["text"], "a b!");
  EXPECT_EQ(messages[0]["blocks"], json::parse(blocks));
  EXPECT_FALSE(emulator_->calls().back()["args"].contains("token"));

  auto form = bot_->call_form("chat.postMessage", {{"channel", "C0FORM"}, {"text", "via WebApi form"}});
  ASSERT_TRUE(form) << form.error().error;
  post("C0FORM", {{"text", "via JSON"}});
  EXPECT_EQ(emulator_->messages("C0FORM").size(), 3u);
}

TEST_F(SlackEmulatorTest, ChatMethodsAndTheirErrors) {
  const std::string ts = post("C0APPROVALS");
  EXPECT_EQ(ts.size(), 17u) << ts;  // "1732500000.000100"
  EXPECT_EQ(error_of(*bot_, "chat.postMessage", {{"channel", "C0APPROVALS"}}), "no_text");
  EXPECT_EQ(error_of(*bot_, "chat.postMessage", {{"channel", "X0WHAT"}, {"text", "x"}}), "channel_not_found");
  EXPECT_EQ(error_of(*bot_, "chat.postMessage", {{"channel", "D0NEVER"}, {"text", "x"}}), "channel_not_found");
  EXPECT_EQ(error_of(*bot_, "chat.postMessage", {{"channel", "C1"}, {"blocks", json::array({{{"type", "carousel"}}})}}),
            "invalid_blocks");
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"type", "divider"}});
  EXPECT_EQ(error_of(*bot_, "chat.postMessage", {{"channel", "C1"}, {"blocks", many}}), "invalid_blocks");

  post("C0APPROVALS", {{"thread_ts", ts}, {"text", "a reply"}});
  EXPECT_EQ(error_of(*bot_, "chat.postMessage", {{"channel", "C0APPROVALS"}, {"thread_ts", "1.000001"}, {"text", "x"}}),
            "thread_not_found");
  auto updated = bot_->call("chat.update", {{"channel", "C0APPROVALS"}, {"ts", ts}, {"text", "changed"}});
  ASSERT_TRUE(updated);
  EXPECT_EQ((*updated)["ts"], ts);
  EXPECT_EQ(error_of(*bot_, "chat.update", {{"channel", "C0APPROVALS"}, {"ts", "1.000002"}, {"text", "x"}}),
            "message_not_found");
  auto ephemeral = bot_->call("chat.postEphemeral", {{"channel", "C0APPROVALS"}, {"user", "U0DANA"}, {"text", "psst"}});
  ASSERT_TRUE(ephemeral);
  EXPECT_TRUE(ephemeral->contains("message_ts"));
  EXPECT_EQ(error_of(*bot_, "chat.postEphemeral", {{"channel", "C0APPROVALS"}, {"user", "U0NOBODY"}, {"text", "x"}}),
            "user_not_found");

  const json messages = emulator_->messages("C0APPROVALS");
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["text"], "changed");
  EXPECT_EQ(messages[0]["edited"], true);
  EXPECT_EQ(messages[1]["thread_ts"], ts);
  EXPECT_EQ(messages[2]["ephemeral_to"], "U0DANA");
}

TEST_F(SlackEmulatorTest, TextsPastSlacksLimitsAreRefusedAsSlackRefusesThem) {
  const auto section = [](std::size_t n) {
    return json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::string(n, 'x')}}}}});
  };
  post("C0APPROVALS", {{"blocks", section(block_kit::kMaxSectionText)}});
  auto refused = bot_->call("chat.postMessage", {{"channel", "C0APPROVALS"}, {"text", "t"},
                                                 {"blocks", section(block_kit::kMaxSectionText + 1)}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error, "invalid_blocks");
  EXPECT_NE(refused.error().detail.find("must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
            std::string::npos)
      << refused.error().detail;
  const std::string ts = post("C0APPROVALS");
  EXPECT_EQ(error_of(*bot_, "chat.update", {{"channel", "C0APPROVALS"}, {"ts", ts}, {"blocks", section(3001)}}),
            "invalid_blocks");
  EXPECT_EQ(error_of(*bot_, "chat.postEphemeral",
                     {{"channel", "C0APPROVALS"}, {"user", "U0DANA"}, {"blocks", section(3001)}}),
            "invalid_blocks");
  post("C0APPROVALS", {{"text", std::string(block_kit::kMaxMessageText, 'y')}});
  EXPECT_EQ(error_of(*bot_, "chat.postMessage",
                     {{"channel", "C0APPROVALS"}, {"text", std::string(block_kit::kMaxMessageText + 1, 'y')}}),
            "msg_too_long");
  EXPECT_EQ(error_of(*bot_, "chat.update",
                     {{"channel", "C0APPROVALS"}, {"ts", ts}, {"text", std::string(block_kit::kMaxMessageText + 1, 'y')}}),
            "msg_too_long");

  json view = modal();
  view["blocks"].push_back({{"type", "input"},
                            {"block_id", "why"},
                            {"label", {{"type", "plain_text"}, {"text", "Reason"}}},
                            {"element", {{"type", "plain_text_input"}, {"action_id", "reason"}, {"max_length", 4000}}}});
  auto opened = bot_->call("views.open", {{"trigger_id", trigger()}, {"view", view}});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().error, "invalid_arguments");
  EXPECT_NE(opened.error().detail.find("/element/max_length"), std::string::npos) << opened.error().detail;
  view["blocks"].back()["element"]["max_length"] = block_kit::kMaxInputLength;
  auto fits = bot_->call("views.open", {{"trigger_id", trigger()}, {"view", view}});
  EXPECT_TRUE(fits) << fits.error().error << " " << fits.error().detail;
}

TEST_F(SlackEmulatorTest, DirectMessages) {
  auto opened = bot_->call("conversations.open", {{"users", "U0DANA"}});
  ASSERT_TRUE(opened);
  const std::string channel = (*opened)["channel"]["id"];
  EXPECT_TRUE(channel.starts_with("D"));
  auto again = bot_->call("conversations.open", {{"users", "U0DANA"}});
  EXPECT_EQ((*again)["channel"]["id"], channel);
  EXPECT_EQ(error_of(*bot_, "conversations.open", {{"users", "U0NOBODY"}}), "user_not_found");
  post(channel, {{"text", "by D id"}});
  post("U0DANA", {{"text", "by user id"}});
  const json dm = emulator_->dm("U0DANA");
  ASSERT_EQ(dm.size(), 2u);
  EXPECT_EQ(dm[1]["text"], "by user id");
  EXPECT_EQ(emulator_->messages(channel), dm);
}

TEST_F(SlackEmulatorTest, UsersAndUsergroups) {
  auto info = bot_->call("users.info", {{"user", "U0ERIN"}});
  ASSERT_TRUE(info);
  EXPECT_EQ((*info)["user"]["profile"]["email"], "erin@example.com");
  EXPECT_EQ(error_of(*bot_, "users.info", {{"user", "U0NOBODY"}}), "user_not_found");
  auto members = bot_->call("usergroups.users.list", {{"usergroup", "S0ONCALL"}});
  ASSERT_TRUE(members);
  EXPECT_EQ((*members)["users"], json({"U0DANA", "U0ERIN"}));
  EXPECT_EQ(error_of(*bot_, "usergroups.users.list", {{"usergroup", "S0NONE"}}), "no_such_subteam");
}

TEST_F(SlackEmulatorTest, UsersInfoShowsTheFlagsAnAdminChanges) {
  auto before = bot_->call("users.info", {{"user", "U0DANA"}});
  ASSERT_TRUE(before);
  EXPECT_EQ((*before)["user"]["team_id"], "T0JIT");
  EXPECT_EQ((*before)["user"]["is_email_confirmed"], true);
  EXPECT_EQ((*before)["user"]["deleted"], false);
  EXPECT_EQ((*before)["user"]["is_ultra_restricted"], false);

  ASSERT_TRUE(emulator_->update_user("U0DANA", {{"email", "mallory@example.com"},
                                                {"deleted", true},
                                                {"is_bot", true},
                                                {"is_app_user", true},
                                                {"is_restricted", true},
                                                {"is_ultra_restricted", true},
                                                {"is_email_confirmed", false},
                                                {"team_id", "T0OTHER"}}));
  auto after = bot_->call("users.info", {{"user", "U0DANA"}});
  ASSERT_TRUE(after);
  const json& u = (*after)["user"];
  EXPECT_EQ(u["profile"]["email"], "mallory@example.com");
  EXPECT_EQ(u["team_id"], "T0OTHER");
  for (const char* flag : {"deleted", "is_bot", "is_app_user", "is_restricted", "is_ultra_restricted"})
    EXPECT_EQ(u[flag], true) << flag;
  EXPECT_EQ(u["is_email_confirmed"], false);

  EXPECT_EQ(emulator_->update_user("U0NOBODY", {{"deleted", true}}).error().code, Errc::not_found);
  auto wrong = emulator_->update_user("U0ERIN", {{"email", "x@example.com"}, {"deleted", "yes"}});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("'deleted'"), std::string::npos) << wrong.error().message;
  EXPECT_EQ(emulator_->update_user("U0ERIN", {{"is_admin", true}}).error().code, Errc::invalid);
  EXPECT_EQ((*bot_->call("users.info", {{"user", "U0ERIN"}}))["user"]["profile"]["email"], "erin@example.com")
      << "a refused change changes nothing";
}

TEST_F(SlackEmulatorTest, DisabledAndDeletedUsergroupsAreNoSuchSubteam) {
  ASSERT_TRUE(emulator_->set_usergroup_enabled("S0ONCALL", false));
  EXPECT_EQ(error_of(*bot_, "usergroups.users.list", {{"usergroup", "S0ONCALL"}}), "no_such_subteam");
  auto disabled = bot_->call("usergroups.users.list", {{"usergroup", "S0ONCALL"}, {"include_disabled", true}});
  ASSERT_TRUE(disabled);
  EXPECT_EQ((*disabled)["users"], json({"U0DANA", "U0ERIN"}));
  ASSERT_TRUE(emulator_->set_usergroup_enabled("S0ONCALL", true));
  EXPECT_EQ(error_of(*bot_, "usergroups.users.list", {{"usergroup", "S0ONCALL"}}), "ok");
  ASSERT_TRUE(emulator_->delete_usergroup("S0ONCALL"));
  EXPECT_EQ(error_of(*bot_, "usergroups.users.list", {{"usergroup", "S0ONCALL"}, {"include_disabled", true}}),
            "no_such_subteam");
  EXPECT_EQ(emulator_->delete_usergroup("S0ONCALL").error().code, Errc::not_found);
  EXPECT_EQ(emulator_->set_usergroup_enabled("S0NONE", false).error().code, Errc::not_found);
}

TEST_F(SlackEmulatorTest, ViewsOpenNeedsAFreshTriggerAndAValidModal) {
  EXPECT_EQ(error_of(*bot_, "views.open", {{"trigger_id", "123.456.abc"}, {"view", modal()}}), "invalid_trigger_id");
  const std::string t = trigger();
  EXPECT_EQ(error_of(*bot_, "views.open", {{"trigger_id", t}, {"view", modal("A title that is far too long")}}),
            "invalid_arguments");
  auto opened = bot_->call("views.open", {{"trigger_id", t}, {"view", modal()}});
  ASSERT_TRUE(opened) << opened.error().error << " " << opened.error().detail;
  const json& view = (*opened)["view"];
  EXPECT_TRUE(view["id"].get<std::string>().starts_with("V"));
  EXPECT_FALSE(view["hash"].get<std::string>().empty());
  EXPECT_EQ(view["state"]["values"], json::object());
  EXPECT_EQ(error_of(*bot_, "views.open", {{"trigger_id", t}, {"view", modal()}}), "invalid_trigger_id");  // single-use
  const json views = emulator_->views("U0DANA");
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0]["id"], view["id"]);

  start([](SlackEmulatorOptions& o) { o.trigger_ttl = 1ms; });
  const std::string stale = trigger();
  // Let the 1 ms trigger_ttl pass (nothing changes state: this only waits out the timeout).
  EXPECT_FALSE(emulator_->wait_for([](const SlackEmulator&) { return false; }, 5ms));
  EXPECT_EQ(error_of(*bot_, "views.open", {{"trigger_id", stale}, {"view", modal()}}), "expired_trigger_id");
}

TEST_F(SlackEmulatorTest, ViewsUpdateChecksTheHash) {
  const std::string id = open_modal(trigger());
  const std::string hash = emulator_->views("U0DANA")[0]["hash"];
  json next = modal();
  next["external_id"] = "req-form-1";
  auto updated = bot_->call("views.update", {{"view_id", id}, {"hash", hash}, {"view", next}});
  ASSERT_TRUE(updated);
  EXPECT_NE((*updated)["view"]["hash"], hash);
  EXPECT_EQ(error_of(*bot_, "views.update", {{"view_id", id}, {"hash", hash}, {"view", modal()}}), "hash_conflict");
  EXPECT_TRUE(bot_->call("views.update", {{"external_id", "req-form-1"}, {"view", modal()}}));
  EXPECT_EQ(error_of(*bot_, "views.update", {{"view_id", "V404"}, {"view", modal()}}), "not_found");
}

// A multi_static_select (the request form's "Also for these accounts", issue 17): option values
// entered comma-separated, at most max_selected_items, each an option of the element; its state is
// {type, selected_options}, and an optional one left empty does not block the submission.
TEST_F(SlackEmulatorTest, AMultiSelectTakesSeveralOptionsWithinItsMaximum) {
  json view = modal();
  view["blocks"].push_back(
      {{"type", "input"},
       {"block_id", "more"},
       {"optional", true},
       {"label", {{"type", "plain_text"}, {"text", "Also"}}},
       {"element", {{"type", "multi_static_select"},
                    {"action_id", "more"},
                    {"max_selected_items", 2},
                    {"options", json::array({{{"text", {{"type", "plain_text"}, {"text", "A"}}}, {"value", "a"}},
                                             {{"text", {{"type", "plain_text"}, {"text", "B"}}}, {"value", "b"}},
                                             {{"text", {{"type", "plain_text"}, {"text", "C"}}}, {"value", "c"}}})}}}});
  auto opened = bot_->call("views.open", {{"trigger_id", trigger()}, {"view", view}});
  ASSERT_TRUE(opened) << opened.error().error;
  const std::string id = (*opened)["view"].value("id", "");
  EXPECT_EQ(emulator_->views("U0DANA")[0]["view"]["state"]["values"]["more"]["more"]["selected_options"], json::array());
  EXPECT_EQ(emulator_->select_in_view("U0DANA", id, "more", "more", "a,d").error().code, Errc::not_found);
  EXPECT_EQ(emulator_->select_in_view("U0DANA", id, "more", "more", "a,b,c").error().code, Errc::invalid);
  auto picked = emulator_->select_in_view("U0DANA", id, "more", "more", "c,a");
  ASSERT_TRUE(picked) << picked.error().message;
  EXPECT_EQ(*picked, "");  // not dispatched: only the state changed
  const json state = emulator_->views("U0DANA")[0]["view"]["state"]["values"]["more"]["more"];
  EXPECT_EQ(state["type"], "multi_static_select");
  ASSERT_EQ(state["selected_options"].size(), 2u);
  EXPECT_EQ(state["selected_options"][0]["value"], "c");
  EXPECT_EQ(state["selected_options"][1]["value"], "a");
  ASSERT_TRUE(emulator_->select_in_view("U0DANA", id, "more", "more", ""));
  EXPECT_EQ(emulator_->views("U0DANA")[0]["view"]["state"]["values"]["more"]["more"]["selected_options"], json::array());
}

TEST_F(SlackEmulatorTest, RateLimitIsA429WithRetryAfterThatWebApiHonours) {
  ManualClock waits;  // the Retry-After waits pass at once
  slack::WebApi patient(*http_, endpoint_, "xoxb-emulator-bot", waits, {.max_attempts = 3});
  emulator_->rate_limit("chat.postMessage", 2, 4);
  auto posted = patient.call("chat.postMessage", {{"channel", "C1"}, {"text", "after the limit"}});
  ASSERT_TRUE(posted) << posted.error().error;
  EXPECT_EQ(patient.rate_limited("chat.postMessage"), 2);
  const auto slept = waits.sleeps();
  ASSERT_EQ(slept.size(), 2u);
  EXPECT_GE(slept[0], 3900ms);
  const json calls = emulator_->calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0]["http_status"], 429);
  EXPECT_EQ(calls[0]["error"], "ratelimited");
  EXPECT_EQ(calls[2]["ok"], true);

  emulator_->rate_limit("*", 1);
  auto limited = bot_->call("users.info", {{"user", "U0DANA"}});
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().error, "ratelimited");
  EXPECT_EQ(limited.error().http_status, 429);
}

// ---- Socket Mode ----

TEST_F(SlackEmulatorTest, HelloEnvelopesAndAcksWithOurClient) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  json connections = emulator_->connections();
  ASSERT_EQ(connections.size(), 1u);
  EXPECT_EQ(connections[0]["hello_sent"], true);
  EXPECT_EQ(emulator_->connections_opened(), 1);

  const std::string id = emulator_->slash_command("U0DANA", "request prod admin 1h because", "C0GENERAL");
  ASSERT_TRUE(inbox.wait_count(1));
  const slack::Envelope e = inbox.envelopes[0];
  EXPECT_EQ(e.envelope_id, id);
  EXPECT_EQ(e.type, "slash_commands");
  for (const char* field : {"token", "team_id", "channel_id", "user_id", "user_name", "command", "text", "trigger_id",
                            "api_app_id", "response_url"})
    EXPECT_TRUE(e.payload.contains(field)) << field;
  EXPECT_EQ(e.payload["user_name"], "dana");
  EXPECT_EQ(e.payload["command"], "/jit");
  ASSERT_TRUE(wait([&](const SlackEmulator& s) { return s.envelopes()[0]["acked"] == true; }));
  const json record = emulator_->envelopes()[0];
  EXPECT_EQ(record["connection"], 1);
  EXPECT_TRUE(record["ack_latency_ms"].is_number());
  EXPECT_LT(record["ack_latency_ms"].get<long long>(), 1000);
  EXPECT_EQ(record["retry_attempt"], 0);
}

TEST_F(SlackEmulatorTest, ClickSelectAndSubmitAModal) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  const std::string ts = post("C0APPROVALS", {{"blocks", json::array({{{"type", "actions"}, {"block_id", "decision"},
      {"elements", json::array({{{"type", "button"}, {"action_id", "jit_approve"}, {"value", "req-1"},
                                 {"text", {{"type", "plain_text"}, {"text", "Approve"}}}}})}}})}});
  EXPECT_EQ(emulator_->click("U0ERIN", "C0APPROVALS", ts, "nope").error().code, Errc::not_found);
  EXPECT_EQ(emulator_->click("U0ERIN", "C0APPROVALS", "1.000003", "jit_approve").error().code, Errc::not_found);
  ASSERT_TRUE(emulator_->click("U0ERIN", "C0APPROVALS", ts, "jit_approve"));
  ASSERT_TRUE(inbox.wait_count(1));
  const json click = inbox.envelopes[0].payload;
  EXPECT_EQ(click["type"], "block_actions");
  EXPECT_EQ(click["user"]["id"], "U0ERIN");
  EXPECT_EQ(click["container"], json({{"type", "message"}, {"message_ts", ts}, {"channel_id", "C0APPROVALS"},
                                      {"is_ephemeral", false}}));
  EXPECT_EQ(click["actions"][0]["value"], "req-1");
  EXPECT_EQ(click["actions"][0]["block_id"], "decision");
  EXPECT_EQ(click["message"]["ts"], ts);

  const std::string view = open_modal(click["trigger_id"]);
  ASSERT_FALSE(view.empty());
  ASSERT_TRUE(emulator_->select_in_view("U0ERIN", view, "account", "account", "dev"));
  ASSERT_TRUE(inbox.wait_count(2));
  const json select = inbox.envelopes[1].payload;
  EXPECT_EQ(select["container"], json({{"type", "view"}, {"view_id", view}}));
  EXPECT_EQ(select["actions"][0]["selected_option"]["value"], "dev");
  EXPECT_EQ(select["view"]["state"]["values"]["account"]["account"]["selected_option"]["value"], "dev");
  EXPECT_EQ(emulator_->select_in_view("U0ERIN", view, "account", "account", "nope").error().code, Errc::not_found);
  // Slack's client does not submit a modal with an empty required input.
  EXPECT_EQ(emulator_->submit_view("U0ERIN", view, {}).error().code, Errc::invalid);

  // The reason input does not dispatch block actions: only the state changes.
  auto typed = emulator_->select_in_view("U0ERIN", view, "reason", "reason", "typing");
  ASSERT_TRUE(typed);
  EXPECT_EQ(*typed, "");
  EXPECT_EQ(emulator_->views("U0ERIN")[0]["view"]["state"]["values"]["reason"]["reason"]["value"], "typing");
  EXPECT_EQ(emulator_->envelopes().size(), 2u);

  inbox.next_ack_payload = json{{"response_action", "errors"}, {"errors", {{"reason", "Say why."}}}};
  auto refused = emulator_->submit_view("U0ERIN", view, {{"reason", " "}});
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ((*refused)["acked"], true);
  EXPECT_EQ((*refused)["ack_payload"]["response_action"], "errors");
  EXPECT_EQ(emulator_->views("U0ERIN").size(), 1u);

  auto accepted = emulator_->submit_view("U0ERIN", view, {{"reason", "incident 42"}});
  ASSERT_TRUE(accepted);
  EXPECT_EQ((*accepted)["acked"], true);
  ASSERT_TRUE(inbox.wait_count(4));
  // Both submissions are handed over (the refused one after its ack too), by whichever handler
  // thread is free: find the accepted one by its reason.
  const auto accepted_envelope = std::find_if(inbox.envelopes.begin(), inbox.envelopes.end(), [](const auto& e) {
    return e.payload.value("type", "") == "view_submission" &&
           e.payload["view"]["state"]["values"]["reason"]["reason"].value("value", "") == "incident 42";
  });
  ASSERT_NE(accepted_envelope, inbox.envelopes.end());
  const json submission = accepted_envelope->payload;
  EXPECT_EQ(submission["type"], "view_submission");
  EXPECT_EQ(submission["view"]["private_metadata"], "meta");
  EXPECT_EQ(submission["view"]["callback_id"], "request");
  EXPECT_EQ(submission["view"]["state"]["values"]["reason"]["reason"]["value"], "incident 42");
  EXPECT_EQ(submission["view"]["state"]["values"]["account"]["account"]["selected_option"]["value"], "dev");
  EXPECT_TRUE(accepted_envelope->accepts_response_payload);
  EXPECT_TRUE(emulator_->views("U0ERIN").empty());
}

TEST_F(SlackEmulatorTest, UnackedEnvelopesAreRetriedThreeTimes) {
  auto opened = app_->call_form("apps.connections.open", {});
  ASSERT_TRUE(opened);
  net::WebSocketOptions options;
  options.client.proxy = net::ProxySettings{};
  auto socket = net::WebSocket::connect((*opened)["url"].get<std::string>(), options, {});
  ASSERT_TRUE(socket) << socket.error().message;
  const auto hello = json::parse((*socket)->receive(kWait).value_or("{}"));
  EXPECT_EQ(hello["type"], "hello");
  EXPECT_EQ(hello["num_connections"], 1);
  EXPECT_EQ(hello["connection_info"]["app_id"], "A0JIT");
  // The ticket was single-use.
  EXPECT_FALSE(net::WebSocket::connect((*opened)["url"].get<std::string>(), options, {}));

  const std::string id = emulator_->slash_command("U0DANA", "list");
  for (int attempt = 0; attempt <= 3; ++attempt) {
    const auto message = json::parse((*socket)->receive(kWait).value_or("{}"));
    EXPECT_EQ(message["envelope_id"], id);
    EXPECT_EQ(message["retry_attempt"], attempt);
    EXPECT_EQ(message["retry_reason"], attempt ? "timeout" : "");
  }
  ASSERT_TRUE((*socket)->send_text(json{{"envelope_id", id}}.dump()));
  ASSERT_TRUE(wait([&](const SlackEmulator& s) { return s.envelopes()[0]["acked"] == true; }));
  EXPECT_EQ(emulator_->envelopes()[0]["retry_attempt"], 3);
}

TEST_F(SlackEmulatorTest, RefreshRequestedOurClientOpensTheNewConnectionBeforeTheOldCloses) {
  Inbox& inbox = inbox_for_test();
  auto& client = connect(inbox);
  emulator_->disconnect("refresh_requested");
  ASSERT_TRUE(wait([](const SlackEmulator& s) {
    const json c = s.connections();
    return c.size() == 2 && c[1]["hello_sent"] == true && c[0]["open"] == false;
  }));
  const json c = emulator_->connections();
  EXPECT_EQ(c[0]["disconnect_sent"], "refresh_requested");
  EXPECT_LE(c[1]["opened_at_ms"].get<long long>(), c[0]["closed_at_ms"].get<long long>());
  emulator_->slash_command("U0DANA", "list");
  ASSERT_TRUE(inbox.wait_count(1));
  EXPECT_EQ(emulator_->envelopes()[0]["connection"], 2);
  EXPECT_EQ(client.stats().connections_opened, 2);
}

TEST_F(SlackEmulatorTest, EnvelopesGoRoundRobinAcrossConnections) {
  Inbox& first = inbox_for_test();
  Inbox& second = inbox_for_test();
  connect(first);
  connect(second);
  for (int i = 0; i < 4; ++i) emulator_->slash_command("U0DANA", "list");
  ASSERT_TRUE(first.wait_count(2));
  ASSERT_TRUE(second.wait_count(2));
  const json envelopes = emulator_->envelopes();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(envelopes[i]["connection"], 1 + i % 2) << i;
}

TEST_F(SlackEmulatorTest, DownQueuesEnvelopesAndUpDeliversThem) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  emulator_->set_down(true);
  auto refused = bot_->call("auth.test", json::object());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().http_status, 503);
  ASSERT_TRUE(wait([](const SlackEmulator& s) { return s.connections()[0]["open"] == false; }));
  emulator_->slash_command("U0DANA", "list");
  EXPECT_TRUE(emulator_->envelopes()[0]["connection"].is_null());
  emulator_->set_down(false);
  ASSERT_TRUE(inbox.wait_count(1));
  EXPECT_EQ(emulator_->envelopes()[0]["connection"], 2);
}

TEST_F(SlackEmulatorTest, LinkDisabledStopsOurClientAndRefusesNewLinks) {
  Inbox& inbox = inbox_for_test();
  auto& client = connect(inbox);
  emulator_->disconnect("link_disabled");
  EXPECT_TRUE(client.wait_stopped(kWait));
  EXPECT_EQ(error_of(*app_, "apps.connections.open", json::object()), "link_disabled");
  emulator_->set_link_enabled(true);
  EXPECT_TRUE(app_->call_form("apps.connections.open", {}));
}

TEST_F(SlackEmulatorTest, DropEndsTheConnectionAndOurClientReconnects) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  emulator_->drop();
  ASSERT_TRUE(wait([](const SlackEmulator& s) { return s.connections_opened() == 2; }));
  EXPECT_EQ(emulator_->connections()[0]["close_code"], 1006);  // no close frame: the TCP connection just ended
  // The new connection works (and our client has read its hello before the test ends).
  emulator_->slash_command("U0DANA", "list");
  ASSERT_TRUE(inbox.wait_count(1));
  EXPECT_EQ(emulator_->envelopes()[0]["connection"], 2);
}

// Beyond max_connections Slack answers a new WebSocket with too_many_websockets: a second client
// (as from a second instance) is refused and backs off, and the first one keeps working.
// Both ends close at once here (the emulator refuses, our client closes too): under ASan this once
// hit two Beast 1.74 faults in the WebSocket layer (src/net/websocket.cc, Session::pump and start).
TEST_F(SlackEmulatorTest, TooManyWebsocketsRefusesTheExtraConnectionAndOurClientBacksOff) {
  start([](SlackEmulatorOptions& o) { o.max_connections = 1; });
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  Inbox extra_inbox;
  slack::SocketModeOptions options;
  options.reconnect = {.max_attempts = 0, .base_delay = 20ms, .max_delay = 100ms};
  options.websocket.client.proxy = net::ProxySettings{};
  slack::SocketModeClient extra(*app_, clock_, options, extra_inbox.handlers());
  extra.start();
  ASSERT_TRUE(wait([](const SlackEmulator& s) { return s.connections().size() >= 3; }));  // refused twice
  extra.stop();
  const json connections = emulator_->connections();
  for (std::size_t i = 1; i < connections.size(); ++i) {
    EXPECT_EQ(connections[i].value("disconnect_sent", ""), "too_many_websockets") << connections.dump();
    EXPECT_FALSE(connections[i]["hello_sent"].get<bool>());
  }
  EXPECT_EQ(extra.stats().connections_opened, 0);
  EXPECT_TRUE(connections[0]["open"].get<bool>());
  emulator_->slash_command("U0DANA", "list");
  ASSERT_TRUE(inbox.wait_count(1));
  // The fault on demand: closed at once, and our client opens its next connection after a backoff.
  emulator_->disconnect("too_many_websockets", 1);
  ASSERT_TRUE(wait([](const SlackEmulator& s) { return s.connections_opened() == 2; }));
  EXPECT_FALSE(emulator_->connections()[0]["open"].get<bool>());
}

// ---- Control API ----

TEST_F(SlackEmulatorTest, ControlApiOverHttp) {
  auto control = [&](std::string method, std::string path, json body = nullptr) {
    return raw(std::move(method), "/_emulator/" + std::move(path), body.is_null() ? "" : body.dump(),
               {{"Content-Type", "application/json"}});
  };
  const std::string ts = post("C0APPROVALS");
  auto slash = control("POST", "slash", {{"user", "U0DANA"}, {"text", "list"}});
  EXPECT_EQ(slash.status, 200) << slash.body;
  EXPECT_EQ(json::parse(slash.body)["envelope_id"], emulator_->envelopes()[0]["envelope_id"]);

  auto bad = control("POST", "slash", {{"text", "list"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'user'"), std::string::npos) << bad.body;
  EXPECT_EQ(control("POST", "click", {{"user", "U0DANA"}, {"channel", "C0APPROVALS"}, {"ts", ts}, {"action_id", "x"}}).status, 404);
  EXPECT_EQ(control("POST", "ratelimit", {{"method", "auth.test"}}).status, 400);
  EXPECT_EQ(control("POST", "down", {{"down", "yes"}}).status, 400);
  EXPECT_EQ(control("GET", "messages").status, 400);

  auto messages = control("GET", "messages?channel=C0APPROVALS");
  ASSERT_EQ(messages.status, 200);
  EXPECT_EQ(json::parse(messages.body)[0]["ts"], ts);
  EXPECT_EQ(json::parse(control("GET", "calls").body)[0]["method"], "chat.postMessage");
  EXPECT_TRUE(json::parse(control("GET", "connections").body).empty());
  EXPECT_EQ(control("POST", "ratelimit", {{"method", "auth.test"}, {"count", 1}, {"retry_after", 2}}).status, 200);
  EXPECT_EQ(error_of(*bot_, "auth.test", json::object()), "ratelimited");
  EXPECT_EQ(control("GET", "nothing").status, 404);

  const std::string view = open_modal(trigger());
  auto selected = control("POST", "select", {{"user", "U0DANA"}, {"view_id", view}, {"block_id", "account"},
                                             {"action_id", "account"}, {"value", "dev"}});
  EXPECT_EQ(selected.status, 200) << selected.body;
  EXPECT_FALSE(json::parse(selected.body)["envelope_id"].get<std::string>().empty());
  EXPECT_EQ(json::parse(control("GET", "views?user=U0DANA").body)[0]["id"], view);
  auto submitted = control("POST", "submit", {{"user", "U0DANA"}, {"view_id", view}, {"values", {{"reason", "x"}}},
                                              {"wait_ms", 0}});
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(json::parse(submitted.body)["acked"], false);  // nobody is connected to ack it
  EXPECT_EQ(control("POST", "submit", {{"user", "U0DANA"}, {"view_id", view}, {"values", {{"reason", 1}}}}).status, 400);

  EXPECT_EQ(control("POST", "user", {{"user", "U0ERIN"}, {"email", "eve@example.com"}, {"is_restricted", true}}).status,
            200);
  EXPECT_EQ((*bot_->call("users.info", {{"user", "U0ERIN"}}))["user"]["profile"]["email"], "eve@example.com");
  EXPECT_EQ(control("POST", "user", {{"user", "U0ERIN"}, {"deleted", 1}}).status, 400);
  EXPECT_EQ(control("POST", "user", {{"user", "U0NOBODY"}, {"deleted", true}}).status, 404);
  EXPECT_EQ(control("POST", "usergroup", {{"usergroup", "S0ONCALL"}}).status, 400);  // neither enabled nor deleted
  EXPECT_EQ(control("POST", "usergroup", {{"usergroup", "S0ONCALL"}, {"enabled", false}}).status, 200);
  EXPECT_EQ(error_of(*bot_, "usergroups.users.list", {{"usergroup", "S0ONCALL"}}), "no_such_subteam");
  EXPECT_EQ(control("POST", "usergroup", {{"usergroup", "S0ONCALL"}, {"deleted", true}}).status, 200);
  EXPECT_EQ(control("POST", "usergroup", {{"usergroup", "S0ONCALL"}, {"deleted", true}}).status, 404);
}

TEST_F(SlackEmulatorTest, ControlApiWaitAnswersOnTheNextChange) {
  auto wait = [&](const std::string& query) { return raw("GET", "/_emulator/wait" + query, "", {}); };
  auto first = wait("");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::uint64_t seen = json::parse(first.body)["version"];
  EXPECT_EQ(seen, emulator_->version());

  // No change: the answer comes after timeout_ms with the same version.
  auto unchanged = wait(fmt::format("?version={}&timeout_ms=20", seen));
  ASSERT_EQ(unchanged.status, 200) << unchanged.body;
  EXPECT_EQ(json::parse(unchanged.body)["version"], seen);

  // A change while the request waits ends the wait, and the change is there to be read.
  std::optional<net::HttpResponse> woken;
  std::thread waiter([&] { woken = wait(fmt::format("?version={}&timeout_ms=30000", seen)); });
  const std::string ts = post("C0APPROVALS");
  waiter.join();
  ASSERT_TRUE(woken && woken->status == 200) << (woken ? woken->body : "no answer");
  EXPECT_GT(json::parse(woken->body)["version"].get<std::uint64_t>(), seen);
  EXPECT_EQ(emulator_->messages("C0APPROVALS").back()["ts"], ts);

  // A version older than the current one answers at once.
  EXPECT_EQ(json::parse(wait(fmt::format("?version={}&timeout_ms=30000", seen)).body)["version"], emulator_->version());
  EXPECT_EQ(wait("?version=abc").status, 400);
  EXPECT_EQ(wait(fmt::format("?version={}&timeout_ms=600000", seen)).status, 400);
}

}  // namespace
}  // namespace jit::emulators

namespace jit::emulators {
namespace {

// ---- Attacks (tests/adversarial drives these against jit serve) ----

TEST_F(SlackEmulatorTest, StaleClicksRawEnvelopesAndRedeliveryReachTheClientAsSent) {
  Inbox& inbox = inbox_for_test();
  auto& client = connect(inbox);
  const std::string ts = post("C0APPROVALS");  // a message with no buttons at all
  const std::string stale = emulator_->click_with_value("U0ERIN", "C0APPROVALS", ts, "jit_approve", "req-9");
  ASSERT_TRUE(inbox.wait_count(1));
  EXPECT_EQ(inbox.envelopes[0].envelope_id, stale);
  EXPECT_EQ(inbox.envelopes[0].payload["actions"][0]["value"], "req-9");
  EXPECT_EQ(inbox.envelopes[0].payload["message"]["ts"], ts);

  // Any type, any payload.
  const std::string odd = emulator_->send_envelope("events_api", 42, false);
  ASSERT_TRUE(inbox.wait_count(2));
  EXPECT_EQ(inbox.envelopes[1].type, "events_api");
  EXPECT_EQ(inbox.envelopes[1].payload, json(42));

  // A replay of the same id: the client acks it again but does not hand it over twice.
  ASSERT_TRUE(wait([&](const SlackEmulator& s) { return s.envelopes()[1]["acks"] == 1; }));
  ASSERT_TRUE(emulator_->redeliver(odd));
  ASSERT_TRUE(wait([&](const SlackEmulator& s) { return s.envelopes()[1]["acks"] == 2; }));
  EXPECT_EQ(client.stats().duplicates, 1);
  EXPECT_EQ(inbox.count(), 2u);
  EXPECT_EQ(emulator_->redeliver("no-such-envelope").error().code, Errc::not_found);

  // Raw text goes out as it is: malformed JSON is dropped by the client, which stays connected.
  EXPECT_EQ(emulator_->send_raw("{not json"), 1);
  emulator_->slash_command("U0DANA", "after");
  ASSERT_TRUE(inbox.wait_count(3));
  EXPECT_EQ(inbox.envelopes[2].payload["text"], "after");
  EXPECT_EQ(emulator_->connections_opened(), 1);
}

TEST_F(SlackEmulatorTest, ATamperedViewSubmitsItsNewPrivateMetadata) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  const std::string view = open_modal(trigger());
  ASSERT_TRUE(inbox.wait_count(1));  // the slash command behind the trigger
  EXPECT_EQ(emulator_->tamper_view("U0ERIN", view, "x").error().code, Errc::not_found);  // not erin's view
  ASSERT_TRUE(emulator_->tamper_view("U0DANA", view, "{\"forged\":"));
  ASSERT_TRUE(emulator_->submit_view("U0DANA", view, {{"account", "prod"}, {"reason", "r"}}));
  ASSERT_TRUE(inbox.wait_count(2));
  EXPECT_EQ(inbox.envelopes[1].payload["view"]["private_metadata"], "{\"forged\":");
}

TEST_F(SlackEmulatorTest, ControlApiAttackEndpoints) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  auto control = [&](std::string path, json body) {
    return raw("POST", "/_emulator/" + std::move(path), body.dump(), {{"Content-Type", "application/json"}});
  };
  auto clicked = control("click", {{"user", "U0DANA"}, {"channel", "C0NONE"}, {"ts", "1.2"}, {"action_id", "jit_deny"},
                                   {"value", "forged"}});
  ASSERT_EQ(clicked.status, 200) << clicked.body;
  EXPECT_EQ(control("click", {{"user", "U0DANA"}, {"channel", "C0NONE"}, {"ts", "1.2"}, {"action_id", "a"}, {"value", 7}}).status, 400);
  auto sent = control("envelope", {{"type", "interactive"}, {"payload", {{"type", "view_submission"}}},
                                   {"accepts_response_payload", true}});
  ASSERT_EQ(sent.status, 200) << sent.body;
  ASSERT_TRUE(inbox.wait_count(2));
  EXPECT_EQ(inbox.envelopes[0].payload["actions"][0]["value"], "forged");
  EXPECT_TRUE(inbox.envelopes[1].accepts_response_payload);
  EXPECT_EQ(control("redeliver", {{"envelope_id", json::parse(sent.body)["envelope_id"]}}).status, 200);
  EXPECT_EQ(control("redeliver", {{"envelope_id", "nope"}}).status, 404);
  auto raw_sent = control("raw", {{"text", "ab"}, {"repeat", 3}});
  ASSERT_EQ(raw_sent.status, 200) << raw_sent.body;
  EXPECT_EQ(json::parse(raw_sent.body)["sent"], 1);
  EXPECT_EQ(control("raw", {{"text", "a"}, {"repeat", 0}}).status, 400);
  EXPECT_EQ(control("tamper_view", {{"user", "U0DANA"}, {"view_id", "V0NONE"}, {"private_metadata", "x"}}).status, 404);
}

// ---- The app's Home tab ----

json home_view(int sections = 1) {
  json blocks = json::array();
  for (int i = 0; i < sections; ++i)
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", fmt::format("line {}", i)}}}});
  blocks.push_back({{"type", "actions"}, {"block_id", "decision:r1"},
                    {"elements", json::array({{{"type", "button"}, {"action_id", "jit_approve"}, {"value", "r1"},
                                               {"text", {{"type", "plain_text"}, {"text", "Approve"}}}},
                                              {{"type", "button"}, {"action_id", "jit_approve"}, {"value", "r2"},
                                               {"text", {{"type", "plain_text"}, {"text", "Approve"}}}}})}});
  return {{"type", "home"}, {"blocks", blocks}};
}

TEST_F(SlackEmulatorTest, ViewsPublishKeepsOneHomePerUserAsSlackChecksIt) {
  EXPECT_TRUE(emulator_->home("U0DANA").is_null());
  auto first = bot_->call("views.publish", {{"user_id", "U0DANA"}, {"view", home_view()}});
  ASSERT_TRUE(first) << first.error().error << " " << first.error().detail;
  EXPECT_EQ((*first)["view"]["type"], "home");
  const std::string id = (*first)["view"]["id"], hash = (*first)["view"]["hash"];
  EXPECT_EQ(emulator_->home("U0DANA")["id"], id);
  EXPECT_EQ(emulator_->home("U0DANA")["view"]["blocks"][0]["text"]["text"], "line 0");
  EXPECT_TRUE(emulator_->views("U0DANA").empty()) << "a Home is not an open modal";
  auto second = bot_->call("views.publish", {{"user_id", "U0DANA"}, {"view", home_view(2)}, {"hash", hash}});
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["view"]["id"], id) << "the user's Home keeps its id";
  EXPECT_NE((*second)["view"]["hash"], hash);
  EXPECT_EQ(emulator_->home("U0DANA")["view"]["blocks"].size(), 3u);
  EXPECT_EQ(error_of(*bot_, "views.publish", {{"user_id", "U0DANA"}, {"view", home_view()}, {"hash", hash}}),
            "hash_conflict");
  EXPECT_EQ(error_of(*bot_, "views.publish", {{"user_id", "U0NOBODY"}, {"view", home_view()}}), "invalid_arguments");
  EXPECT_EQ(error_of(*bot_, "views.publish", {{"view", home_view()}}), "invalid_arguments");
  EXPECT_EQ(error_of(*bot_, "views.publish", {{"user_id", "U0DANA"}, {"view", modal()}}), "invalid_arguments");
  EXPECT_TRUE(bot_->call("views.publish", {{"user_id", "U0ERIN"}, {"view", home_view(99)}}));
  EXPECT_EQ(error_of(*bot_, "views.publish", {{"user_id", "U0ERIN"}, {"view", home_view(100)}}), "invalid_arguments")
      << "101 blocks";
  EXPECT_EQ(error_of(*app_, "views.publish", {{"user_id", "U0DANA"}, {"view", home_view()}}), "not_allowed_token_type");
}

TEST_F(SlackEmulatorTest, OpeningTheHomeTabAndClickingInItReachTheClient) {
  Inbox& inbox = inbox_for_test();
  connect(inbox);
  emulator_->open_home("U0DANA");
  ASSERT_TRUE(inbox.wait_count(1));
  const slack::Envelope opened = inbox.envelopes[0];
  EXPECT_EQ(opened.type, "events_api");
  EXPECT_EQ(opened.payload["type"], "event_callback");
  EXPECT_EQ(opened.payload["event"]["type"], "app_home_opened");
  EXPECT_EQ(opened.payload["event"]["user"], "U0DANA");
  EXPECT_EQ(opened.payload["event"]["tab"], "home");
  EXPECT_FALSE(opened.payload["event"].contains("view")) << "nothing published yet";
  EXPECT_EQ(emulator_->click_home("U0DANA", "jit_approve", "r1").error().code, Errc::not_found);

  ASSERT_TRUE(bot_->call("views.publish", {{"user_id", "U0DANA"}, {"view", home_view()}}));
  emulator_->open_home("U0DANA", "messages");
  ASSERT_TRUE(inbox.wait_count(2));
  EXPECT_EQ(inbox.envelopes[1].payload["event"]["tab"], "messages");
  emulator_->open_home("U0DANA");
  ASSERT_TRUE(inbox.wait_count(3));
  EXPECT_EQ(inbox.envelopes[2].payload["event"]["view"]["id"], emulator_->home("U0DANA")["id"]);

  EXPECT_EQ(emulator_->click_home("U0DANA", "jit_approve", "r9").error().code, Errc::not_found);
  ASSERT_TRUE(emulator_->click_home("U0DANA", "jit_approve", "r2"));
  ASSERT_TRUE(inbox.wait_count(4));
  const json click = inbox.envelopes[3].payload;
  EXPECT_EQ(click["type"], "block_actions");
  EXPECT_EQ(click["container"], json({{"type", "view"}, {"view_id", emulator_->home("U0DANA")["id"]}}));
  EXPECT_EQ(click["view"]["type"], "home");
  EXPECT_EQ(click["actions"][0]["action_id"], "jit_approve");
  EXPECT_EQ(click["actions"][0]["value"], "r2");
  EXPECT_EQ(click["actions"][0]["block_id"], "decision:r1");
  EXPECT_FALSE(click.value("trigger_id", "").empty());
  // A forged click carries whatever value it is given.
  emulator_->click_home_with_value("U0ERIN", "jit_approve", "r-forged");
  ASSERT_TRUE(inbox.wait_count(5));
  EXPECT_EQ(inbox.envelopes[4].payload["actions"][0]["value"], "r-forged");
  EXPECT_EQ(inbox.envelopes[4].payload["container"]["type"], "view");
}

TEST_F(SlackEmulatorTest, ControlApiHomeEndpoints) {
  auto control = [&](std::string method, std::string path, json body = nullptr) {
    return raw(std::move(method), "/_emulator/" + std::move(path), body.is_null() ? "" : body.dump(),
               {{"Content-Type", "application/json"}});
  };
  EXPECT_EQ(json::parse(control("GET", "home?user=U0DANA").body), json(nullptr));
  EXPECT_EQ(control("GET", "home").status, 400);
  ASSERT_TRUE(bot_->call("views.publish", {{"user_id", "U0DANA"}, {"view", home_view()}}));
  EXPECT_EQ(json::parse(control("GET", "home?user=U0DANA").body)["view"]["type"], "home");
  auto opened = control("POST", "home_opened", {{"user", "U0DANA"}});
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(emulator_->envelopes().back()["payload"]["event"]["type"], "app_home_opened");
  EXPECT_EQ(control("POST", "home_opened", {{"user", "U0DANA"}, {"tab", "files"}}).status, 400);
  EXPECT_EQ(control("POST", "home_click", {{"user", "U0DANA"}, {"action_id", "jit_approve"}, {"value", "r1"}}).status,
            200);
  EXPECT_EQ(control("POST", "home_click", {{"user", "U0DANA"}, {"action_id", "jit_deny"}, {"value", "r1"}}).status,
            404);
  auto forged =
      control("POST", "home_click", {{"user", "U0DANA"}, {"action_id", "jit_deny"}, {"value", "rX"}, {"forge", true}});
  ASSERT_EQ(forged.status, 200) << forged.body;
  EXPECT_EQ(emulator_->envelopes().back()["payload"]["actions"][0]["value"], "rX");
}

}  // namespace
}  // namespace jit::emulators
