#include "adversarial/adversary.h"

#include <fmt/format.h>
#include <gmock/gmock.h>

namespace jit::testing {

using nlohmann::json;

std::unique_ptr<World> AdversarialTest::shared_;
int AdversarialTest::next_person_ = 0;

namespace {

constexpr int kPeople = 80;  // more than the cases of any one suite take

std::string text_of(const json& message) { return message.value("text", std::string()); }

}  // namespace

WorldOptions AdversarialTest::shared_options() {
  WorldOptions options;
  options.extra_people = kPeople;
  options.policy_tail = R"toml(
  [[accounts.roles]]
  name = "restricted"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = ["U0ALICE"]
)toml";
  return options;
}

void AdversarialTest::SetUpTestSuite() {
  shared_ = std::make_unique<World>(shared_options());
  next_person_ = 0;  // a new World: its people are all unused
}
void AdversarialTest::TearDownTestSuite() { shared_.reset(); }

World& AdversarialTest::world() { return own_ ? *own_ : *shared_; }

bool AdversarialTest::own_world(WorldOptions options) {
  try {
    own_ = std::make_unique<World>(std::move(options));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "World did not start: " << e.what();
    return false;
  }
  return true;
}

std::string AdversarialTest::fresh_person() {
  if (next_person_ >= kPeople) ADD_FAILURE() << "more than " << kPeople << " people taken: raise kPeople";
  return extra_person(next_person_++ % kPeople);
}

void AdversarialTest::TearDown() {
  World& w = world();
  // The safe outcome of every attack includes these: the service is still up and answering...
  EXPECT_TRUE(w.running(0)) << "jit serve exited";
  if (w.running(0)) {
    EXPECT_THAT(command(kEve, "help"), ::testing::HasSubstr("/jit request"));
  }
  // ...acked everything Slack delivered to it...
  EXPECT_EQ(w.check_acks(std::chrono::seconds(10)), "");
  // ...and the audit chain is intact.
  const auto [code, out] = w.audit_verify();
  EXPECT_EQ(code, 0) << out;
  if (HasFailure()) ADD_FAILURE() << "jit serve log:\n" << w.log(0);
}

Mark AdversarialTest::mark(const std::string& user) {
  Mark m{user, {}};
  for (const char* channel : kReplyChannels) m.seen[channel] = slack().messages(channel).size();
  m.seen["dm"] = slack().dm(user).size();
  return m;
}

namespace {

// The first reply to m.user after the mark containing `containing`.
std::optional<std::string> find_reply(const emulators::SlackEmulator& s, const Mark& m, const std::string& containing) {
  for (const char* channel : kReplyChannels) {
    const json messages = s.messages(channel);
    for (std::size_t k = m.seen.at(channel); k < messages.size(); ++k)
      if (messages[k].value("ephemeral_to", "") == m.user && text_of(messages[k]).find(containing) != std::string::npos)
        return text_of(messages[k]);
  }
  const json dm = s.dm(m.user);
  for (std::size_t k = m.seen.at("dm"); k < dm.size(); ++k)
    if (text_of(dm[k]).find(containing) != std::string::npos) return text_of(dm[k]);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> AdversarialTest::reply_after(const Mark& m, const std::string& containing,
                                                       std::chrono::milliseconds timeout) {
  std::optional<std::string> found;
  slack().wait_for([&](const emulators::SlackEmulator& s) { return (found = find_reply(s, m, containing)).has_value(); },
                   timeout);
  return found;
}

std::string AdversarialTest::command(const std::string& user, const std::string& text) {
  const Mark m = mark(user);
  const std::string id = slack().slash_command(user, text);
  std::optional<std::string> answer;
  slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& e : s.envelopes())
          if (e.value("envelope_id", "") == id && e["ack_payload"].is_object() && e["ack_payload"].contains("text")) {
            answer = e["ack_payload"].value("text", "");
            return true;
          }
        // An ephemeral reply where the command was typed (the DMs the engine sends are notices).
        const json messages = s.messages(demo::kGeneral);
        for (std::size_t k = m.seen.at(demo::kGeneral); k < messages.size(); ++k)
          if (messages[k].value("ephemeral_to", "") == user) {
            answer = text_of(messages[k]);
            return true;
          }
        return false;
      },
      std::chrono::seconds(10));
  return answer.value_or("(no reply)");
}

std::string AdversarialTest::submit(const std::string& user, const std::string& text) {
  const std::string reply = command(user, "request " + text);
  auto id = demo::request_id_in(reply);
  if (!id) ADD_FAILURE() << "no request id in the reply to /jit request " << text << ": " << reply;
  // The requester's DM goes out through the announcement queue, after the reply: wait for it, so
  // a case that counts Web API calls from here on sees only what the attack caused.
  if (id && !world().wait_dm(user, "waiting for approval"))
    ADD_FAILURE() << "request " << *id << ": the requester was never told it is waiting for approval";
  return id.value_or("");
}

std::string AdversarialTest::message_ts(const std::string& id, const std::string& channel) {
  auto ts = world().message_ts(channel, id);
  if (!ts) ADD_FAILURE() << "request " << id << " was never posted in " << channel;
  return ts.value_or("");
}

bool AdversarialTest::click(const std::string& user, const std::string& id, const std::string& action,
                            const std::string& channel) {
  return slack().click(user, channel, message_ts(id, channel), action).has_value();
}

std::string AdversarialTest::forged_click(const std::string& user, const std::string& id, const std::string& action,
                                          const std::string& value, const std::string& channel) {
  return slack().click_with_value(user, channel, message_ts(id, channel), action, value);
}

std::string AdversarialTest::wait_new_view(const std::string& user, std::size_t before) {
  std::string view;
  slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        const json views = s.views(user);
        if (views.size() <= before) return false;
        view = views.back().value("id", "");
        return true;
      },
      std::chrono::seconds(10));
  return view;
}

std::string AdversarialTest::open_deny_form(const std::string& approver, const std::string& id,
                                            const std::string& channel) {
  const std::size_t before = slack().views(approver).size();
  if (!click(approver, id, slack::kDenyAction, channel)) {
    ADD_FAILURE() << "request " << id << " shows no Deny button";
    return "";
  }
  const std::string view = wait_new_view(approver, before);
  if (view.empty()) ADD_FAILURE() << approver << " got no deny form for " << id;
  return view;
}

json AdversarialTest::submit_form(const std::string& user, const std::string& view_id, const json& values) {
  json view;
  for (const auto& v : slack().views(user))
    if (v.value("id", "") == view_id) view = v["view"];
  if (!view.is_object()) {
    ADD_FAILURE() << user << " has no open view " << view_id;
    return nullptr;
  }
  view["id"] = view_id;
  view["state"] = {{"values", values}};
  const json payload{{"type", "view_submission"},
                     {"team", {{"id", slack().options().team_id}}},
                     {"user", {{"id", user}, {"team_id", slack().options().team_id}}},
                     {"api_app_id", slack().options().app_id},
                     {"view", view}};
  const std::string id = slack().send_envelope("interactive", payload, true);
  if (!wait_acked(id)) ADD_FAILURE() << "the form submission was never acked";
  return envelope(id)["ack_payload"];
}

json AdversarialTest::form_values(const std::string& account, const std::string& role, const std::string& duration,
                                  const std::string& reason, const std::string& ticket) {
  auto select = [](const std::string& value) {
    return json{{"type", "static_select"}, {"selected_option", {{"value", value}}}};
  };
  auto text = [](const std::string& value) { return json{{"type", "plain_text_input"}, {"value", value}}; };
  json values{{slack::kAccountField, {{slack::kAccountField, select(account)}}},
              {slack::kRoleField, {{slack::kRoleField, select(role)}}},
              {slack::kDurationField, {{slack::kDurationField, select(duration)}}},
              {slack::kReasonField, {{slack::kReasonField, text(reason)}}}};
  if (!ticket.empty()) values[slack::kTicketField] = {{slack::kTicketField, text(ticket)}};
  return values;
}

std::string AdversarialTest::open_request_form(const std::string& user) {
  const std::size_t before = slack().views(user).size();
  slack().slash_command(user, "");
  const std::string view = wait_new_view(user, before);
  if (view.empty()) ADD_FAILURE() << "no request form opened for " << user;
  return view;
}

AccessRequest AdversarialTest::stored(const std::string& id) {
  auto r = world().read(id);
  if (!r) {
    ADD_FAILURE() << "request " << id << " is not in the store";
    return {};
  }
  return *r;
}

int AdversarialTest::audit_count(const std::string& id, const std::string& action) {
  auto events = world().store().audit_events({});
  if (!events) {
    ADD_FAILURE() << events.error().message;
    return -1;
  }
  int n = 0;
  for (const auto& e : *events) n += e.request_id == id && e.action == action;
  return n;
}

int AdversarialTest::grants_made() {
  return world().aws().calls().value(json::json_pointer("/operations/sso-admin:CreateAccountAssignment/ok"), 0);
}

json AdversarialTest::envelope(const std::string& envelope_id) {
  for (const auto& e : slack().envelopes())
    if (e.value("envelope_id", "") == envelope_id) return e;
  return nullptr;
}

bool AdversarialTest::wait_acked(const std::string& envelope_id, int acks) {
  return slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& e : s.envelopes())
          if (e.value("envelope_id", "") == envelope_id) return e.value("acks", 0) >= acks;
        return false;
      },
      std::chrono::seconds(10));
}

}  // namespace jit::testing
