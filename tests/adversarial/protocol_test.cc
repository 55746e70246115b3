// Attacks on the Socket Mode link itself: what arrives on the WebSocket is malformed JSON, an
// oversized frame, an envelope of an unknown type, an Events API envelope, or an envelope with
// fields missing or of the wrong type. Safe outcome: nothing is decided or posted because of it,
// the service stays up (reconnecting when the frame ended the connection) and answers the next
// command; the fixture's checks follow each case.
#include <gmock/gmock.h>

#include <algorithm>

#include "adversarial/adversary.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class Protocol : public AdversarialTest {
 protected:
  // Web API calls the service made so far.
  std::size_t calls() { return slack().calls().size(); }
  // Sends an envelope and waits until it was acked (handling follows the ack: cases then wait for
  // the answer to a command of their own before they look).
  void send_acked(const std::string& type, const json& payload, bool accepts_response_payload = false) {
    const std::string id = slack().send_envelope(type, payload, accepts_response_payload);
    EXPECT_TRUE(wait_acked(id)) << type << " " << payload.dump();
  }
};

TEST_F(Protocol, MalformedJsonFramesAreDroppedAndTheConnectionStays) {
  const int opened = slack().connections_opened();
  for (const char* frame : {"{\"envelope_id\": ", "[]", "42", "null", "\"text\"", "{}",
                            "{\"envelope_id\": 7, \"type\": \"slash_commands\"}"})
    EXPECT_EQ(slack().send_raw(frame), 1) << frame;
  const auto user = fresh_person();
  EXPECT_THAT(command(user, "help"), HasSubstr("/jit request"));
  EXPECT_EQ(slack().connections_opened(), opened) << "the connection was replaced";
  EXPECT_THAT(world().log(0), HasSubstr("socket_mode_bad_message"));
}

TEST_F(Protocol, OversizedFrameEndsThatConnectionOnlyAndTheServiceReconnects) {
  const int opened = slack().connections_opened();
  // 4 MiB + 1 byte, past the client's message limit (net::WebSocketOptions::max_message_bytes).
  const std::string frame = R"({"envelope_id":"big","type":"slash_commands","payload":{"text":")" +
                            std::string(4 * 1024 * 1024, 'x') + R"("}})";
  ASSERT_EQ(slack().send_raw(frame), 1);
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > opened; },
                               std::chrono::seconds(15)))
      << "no new connection after the oversized frame";
  const auto user = fresh_person();
  EXPECT_THAT(command(user, "help"), HasSubstr("/jit request"));
  int closed_too_big = 0;
  for (const auto& c : slack().connections()) closed_too_big += c.value("close_code", 0) == 1009;
  EXPECT_GE(closed_too_big, 1) << slack().connections().dump();
}

TEST_F(Protocol, FrameOfInvalidUtf8EndsThatConnectionAndTheServiceReconnects) {
  // RFC 6455: a text message that is not UTF-8 fails the connection (1007).
  const int opened = slack().connections_opened();
  ASSERT_EQ(slack().send_raw("{\"envelope_id\":\"e\",\"type\":\"slash_commands\",\"payload\":\"\xff\xfe\"}"), 1);
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > opened; },
                               std::chrono::seconds(15)));
  EXPECT_THAT(command(fresh_person(), "help"), HasSubstr("/jit request"));
}

TEST_F(Protocol, UnknownEnvelopeTypeIsAckedAndIgnored) {
  const auto user = fresh_person();
  const std::size_t before = calls();
  send_acked("surprise", {{"user_id", user}, {"text", "request prod admin 1h sneaky"}});
  send_acked("", {{"user_id", user}, {"text", "request prod admin 1h sneaky"}});
  EXPECT_EQ(calls(), before) << slack().calls().dump();
  EXPECT_THAT(command(user, "list"), HasSubstr("no pending requests"));
  EXPECT_TRUE(world().store().list_requests({.requester = user})->empty());
}

TEST_F(Protocol, EventsApiEnvelopeIsAckedAndIgnored) {
  const auto user = fresh_person();
  const std::string id = submit(user, "prod admin 1h the target");
  const std::size_t before = calls();
  send_acked("events_api", {{"type", "event_callback"},
                                 {"event", {{"type", "app_mention"}, {"user", kAlice}, {"text", "<@U0JITBOT> approve " + id}}}});
  EXPECT_EQ(calls(), before) << slack().calls().dump();
  EXPECT_THAT(command(user, "list"), HasSubstr(id));
  EXPECT_EQ(stored(id).state, State::pending);
}

TEST_F(Protocol, SlashCommandWithoutAUserCreatesNothing) {
  const std::size_t before = world().store().list_requests({})->size();
  send_acked("slash_commands", {{"text", "request prod admin 1h who am i"}, {"channel_id", demo::kGeneral}}, true);
  send_acked("slash_commands", {{"user_id", 42}, {"text", "request prod admin 1h a number"}}, true);
  send_acked("slash_commands", {{"user_id", nullptr}, {"text", nullptr}}, true);
  EXPECT_THAT(command(fresh_person(), "list"), HasSubstr("no pending requests"));
  EXPECT_EQ(world().store().list_requests({})->size(), before);
}

TEST_F(Protocol, PayloadsOfTheWrongShapeChangeNothing) {
  const auto user = fresh_person();
  const std::string id = submit(user, "prod admin 1h the target");
  for (const json& payload :
       {json(42), json(nullptr), json("block_actions"), json::array(),
        json{{"type", "block_actions"}},                                              // no user, no actions
        json{{"type", "block_actions"}, {"user", {{"id", kAlice}}}, {"actions", "approve"}},
        json{{"type", "block_actions"}, {"user", {{"id", kAlice}}}, {"actions", json::array()}},
        json{{"type", "block_actions"}, {"user", 7}, {"actions", {{{"action_id", "jit_approve"}, {"value", id}}}}},
        json{{"type", "block_actions"}, {"user", {{"id", kAlice}}}, {"actions", {{{"action_id", "jit_approve"}, {"value", 5}}}}},
        json{{"type", "view_submission"}},                                            // no view
        json{{"type", "view_submission"}, {"user", {{"id", kAlice}}}, {"view", {{"callback_id", "jit_deny"}}}},
        json{{"type", "view_submission"}, {"user", {{"id", kAlice}}},
             {"view", {{"callback_id", "jit_deny"}, {"private_metadata", 12}, {"state", "x"}}}}})
    send_acked("interactive", payload, payload.is_object() && payload.value("type", "") == "view_submission");
  EXPECT_THAT(command(user, "list"), HasSubstr(id));
  EXPECT_EQ(stored(id).state, State::pending);
  EXPECT_TRUE(stored(id).decisions.empty());
}

TEST_F(Protocol, FloodOfCommandsIsAckedAndOthersAreStillAnswered) {
  const auto flooder = fresh_person();
  std::vector<std::string> ids;
  for (int k = 0; k < 200; ++k) ids.push_back(slack().slash_command(flooder, "list"));
  EXPECT_TRUE(slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        std::size_t acked = 0;
        for (const auto& e : s.envelopes())
          acked += e.value("acked", false) && std::find(ids.begin(), ids.end(), e.value("envelope_id", "")) != ids.end();
        return acked == ids.size();
      },
      std::chrono::seconds(20)));
  EXPECT_THAT(command(fresh_person(), "help"), HasSubstr("/jit request"));
}

// Slack says there are too many connections: the service closes that one and opens one more after
// a backoff, never one beside it, and answers on it.
TEST_F(Protocol, TooManyWebsocketsLeavesOneConnectionThatAnswers) {
  auto open = [](const emulators::SlackEmulator& s) {
    int n = 0;
    for (const auto& c : s.connections()) n += c.value("open", false) && c.value("hello_sent", false);
    return n;
  };
  const int opened = slack().connections_opened();
  ASSERT_EQ(open(slack()), 1);
  slack().disconnect("too_many_websockets");
  ASSERT_TRUE(slack().wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > opened; },
                               std::chrono::seconds(20)));
  EXPECT_THAT(command(fresh_person(), "help"), HasSubstr("/jit request"));
  EXPECT_EQ(open(slack()), 1) << slack().connections().dump();
  EXPECT_EQ(slack().connections_opened(), opened + 1) << "one new connection, not several";
}

TEST_F(Protocol, EnvelopeWithoutAnIdIsNeitherAckedNorHandled) {
  const auto user = fresh_person();
  ASSERT_EQ(slack().send_raw(json{{"type", "slash_commands"},
                                  {"payload", {{"user_id", user}, {"text", "request prod admin 1h no id"},
                                               {"channel_id", demo::kGeneral}}}}
                                 .dump()),
            1);
  EXPECT_THAT(command(user, "list"), HasSubstr("no pending requests"));
  EXPECT_TRUE(world().store().list_requests({.requester = user})->empty());
}

}  // namespace
}  // namespace jit::testing
