// The fixture of the adversarial suite: a real `jit serve` against the Slack and AWS emulators
// (tests/e2e/world.h), attacked through the emulator as members of the workspace would, and then
// checked for the safe outcome. One World serves every case of a suite (its start-up is the
// expensive part); each case takes people of its own (fresh_person), so no case sees another's
// requests. Cases that change the service itself (policy reloads, a second instance) start their
// own World with own_world().
//
// After every case, whatever it did: the instance still runs and answers `/jit help`, every
// envelope delivered to it was acked, and `jit audit verify` finds the audit chain intact.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {

// Where in Slack a person's replies can appear, and how many had arrived at one moment: replies
// after that moment are the answer to what was done next.
struct Mark {
  std::string user;
  std::map<std::string, std::size_t> seen;  // channel (or "dm") -> messages then
};

class AdversarialTest : public ::testing::Test {
 public:
  // The shared World: the demo workspace, people of their own for the cases (all prod approvers
  // through S0LEADS), and a sandbox role only alice may request ("restricted").
  static WorldOptions shared_options();
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void TearDown() override;

  // The World of this case: its own when own_world() made one, else the suite's.
  World& world();
  emulators::SlackEmulator& slack() { return world().slack(); }
  // Starts a World for this case alone (policy reloads, several instances); false with a failure
  // when it did not start.
  bool own_world(WorldOptions options);

  // A person no other case of the suite uses, in the shared World (not in own_world ones): in Slack
  // and Identity Center, a prod approver.
  static std::string fresh_person();

  // `/jit <text>` by `user` in C0GENERAL; the reply shown to them there ("(no reply)" after
  // 10 s): an ephemeral message, or the text of the ack's response payload.
  std::string command(const std::string& user, const std::string& text);
  // `/jit request <text>` by `user`: the new request's id, or "" with a test failure.
  std::string submit(const std::string& user, const std::string& text);

  Mark mark(const std::string& user);
  // The first reply to mark.user after the mark containing `containing` (nullopt after `timeout`).
  std::optional<std::string> reply_after(const Mark& mark, const std::string& containing,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // The owner-channel message of request `id` (its ts; "" with a failure when never posted).
  std::string message_ts(const std::string& id, const std::string& channel = kProdChannel);
  // Clicks the real button; false when the message no longer shows it.
  bool click(const std::string& user, const std::string& id, const std::string& action,
             const std::string& channel = kProdChannel);
  // A click on the request's message with any value (a stale client or a forgery). Its envelope id.
  std::string forged_click(const std::string& user, const std::string& id, const std::string& action,
                           const std::string& value, const std::string& channel = kProdChannel);
  // `approver` clicks Deny and gets the deny form: its view id ("" with a failure).
  std::string open_deny_form(const std::string& approver, const std::string& id,
                             const std::string& channel = kProdChannel);

  // Submits `user`'s open view `view_id` as a modified client could: the view as the app last
  // showed it, with `state.values` replaced by `values` (block id -> its element's state, e.g.
  // {"reason": {"reason": {"type": "plain_text_input", "value": "..."}}}), whatever the form's
  // own limits. Waits for the ack: its response payload (null: a plain ack, which closes the form).
  nlohmann::json submit_form(const std::string& user, const std::string& view_id, const nlohmann::json& values);
  // The state of a request-form submission: selects for account, role and duration, text for the
  // rest (an empty ticket is left out).
  static nlohmann::json form_values(const std::string& account, const std::string& role, const std::string& duration,
                                    const std::string& reason, const std::string& ticket = "");
  // `/jit` alone: the request form opens for `user`; its view id ("" with a failure).
  std::string open_request_form(const std::string& user);

  // The request as stored now (a failure when it does not exist).
  AccessRequest stored(const std::string& id);
  // Audit events of request `id` whose action is `action` (e.g. "approve").
  int audit_count(const std::string& id, const std::string& action);
  // Successful CreateAccountAssignment calls on the AWS emulator so far.
  int grants_made();
  // The envelope record of `envelope_id` in the emulator (null when unknown).
  nlohmann::json envelope(const std::string& envelope_id);
  // Waits until envelope `envelope_id` was acked `acks` times.
  bool wait_acked(const std::string& envelope_id, int acks = 1);

 private:
  // The id of a view opened for `user` beyond the `before` they had ("" after 10 s).
  std::string wait_new_view(const std::string& user, std::size_t before);

  std::unique_ptr<World> own_;
  static std::unique_ptr<World> shared_;
  static int next_person_;
};

// An attack value for value-parameterized cases, with a name for CTest (values hold control
// characters, spaces and non-ASCII that make poor test names).
struct Named {
  const char* name;
  const char* value;
};
inline void PrintTo(const Named& named, std::ostream* os) { *os << named.name; }
inline std::string name_of(const ::testing::TestParamInfo<Named>& info) { return info.param.name; }

// Channels a reply to a person may appear in, besides their DM.
inline constexpr const char* kReplyChannels[] = {demo::kGeneral, kProdChannel, demo::kSandbox, demo::kLegacy};

}  // namespace jit::testing
