// parse_socket_message: every message off a Socket Mode socket, whatever its shape.
#include <gtest/gtest.h>

#include "slack/socket_mode.h"

namespace jit::slack {
namespace {

TEST(SocketMessage, Envelope) {
  auto m = parse_socket_message(
      R"({"envelope_id":"e1","type":"interactive","payload":{"type":"block_actions"},)"
      R"("accepts_response_payload":true,"retry_attempt":2,"retry_reason":"timeout"})");
  ASSERT_TRUE(m && m->envelope);
  EXPECT_EQ(m->envelope->envelope_id, "e1");
  EXPECT_EQ(m->envelope->type, "interactive");
  EXPECT_EQ(m->envelope->payload["type"], "block_actions");
  EXPECT_TRUE(m->envelope->accepts_response_payload);
  EXPECT_EQ(m->envelope->retry_attempt, 2);
  EXPECT_EQ(m->envelope->retry_reason, "timeout");
}

TEST(SocketMessage, ControlMessages) {
  auto hello = parse_socket_message(R"({"type":"hello","num_connections":3})");
  ASSERT_TRUE(hello);
  EXPECT_FALSE(hello->envelope);
  EXPECT_EQ(hello->type, "hello");
  EXPECT_EQ(hello->num_connections, 3);
  auto disconnect = parse_socket_message(R"({"type":"disconnect","reason":"link_disabled"})");
  ASSERT_TRUE(disconnect);
  EXPECT_EQ(disconnect->reason, "link_disabled");
}

TEST(SocketMessage, NotAnObjectIsNothing) {
  EXPECT_FALSE(parse_socket_message("[1,2]"));
  EXPECT_FALSE(parse_socket_message("{\"envelope_id\":"));
  EXPECT_FALSE(parse_socket_message(""));
}

// Fields of the wrong type threw nlohmann::json::type_error out of the
// socket's message callback (value("accepts_response_payload", false) on a string, value("type")
// on a number), so such an envelope was never acked. They now read as absent.
TEST(SocketMessage, FieldsOfTheWrongTypeReadAsAbsent) {
  auto m = parse_socket_message(
      R"({"envelope_id":"e1","type":7,"accepts_response_payload":"yes","retry_attempt":"1","retry_reason":[]})");
  ASSERT_TRUE(m && m->envelope);
  EXPECT_EQ(m->envelope->type, "");
  EXPECT_FALSE(m->envelope->accepts_response_payload);
  EXPECT_EQ(m->envelope->retry_attempt, 0);
  EXPECT_EQ(m->envelope->retry_reason, "");
  auto control = parse_socket_message(R"({"type":["hello"],"reason":1,"num_connections":"2"})");
  ASSERT_TRUE(control);
  EXPECT_EQ(control->type, "");
  EXPECT_EQ(control->reason, "");
  EXPECT_EQ(control->num_connections, 0);
  auto not_an_envelope = parse_socket_message(R"({"envelope_id":5,"type":"hello"})");
  ASSERT_TRUE(not_an_envelope);
  EXPECT_FALSE(not_an_envelope->envelope);
}

}  // namespace
}  // namespace jit::slack
