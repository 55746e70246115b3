// The WebAuthn step-up end to end (issue 15): real `jit serve` with the step-up page on HTTPS, the
// Slack and AWS emulators, and software authenticators (tests/support/soft_authenticator) answering
// the page's JSON endpoints as a browser would. prod's break-glass role needs two approvals, each
// with the approver's security key. The link's expiry: StepUpLinkExpiry, on the real clock with the
// shortest lifetime (30 s), and the service's unit tests (tests/stepup, ManualClock).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/facts.h"
#include "e2e/world.h"
#include "net/https_client.h"
#include "slack/ids.h"
#include "support/soft_authenticator.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// The token in a Slack link to the page: "<https://localhost:P/s/TOKEN|...>".
std::string token_in(const std::string& text) {
  const auto at = text.find("/s/");
  if (at == std::string::npos) return "";
  const auto end = text.find_first_of("|>", at);
  return text.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
}

struct Answer {
  int status = 0;
  json body;
};

class StepUpE2e : public ::testing::Test {
 protected:
  explicit StepUpE2e(WorldOptions options = {.step_up = true}) : world_(std::move(options)) {
    http_ = net::make_http_client({.ca_file = world_.step_up_ca_file()});
    page_ = *net::Endpoint::parse(world_.step_up_origin());
    rp_ = {world_.step_up_origin(), "localhost"};
  }

  void SetUp() override {
    ASSERT_TRUE(World::poll([&] { return world_.log(0).find("step_up_listening") != std::string::npos; },
                            std::chrono::seconds(10)))
        << world_.log(0);
  }

  Answer post(const std::string& path, const json& body) {
    auto answer = http_->send(page_, {"POST", path, {{"Content-Type", "application/json"}}, body.dump()});
    if (!answer) return {0, {{"error", answer.error().message}}};
    return {answer->status, json::parse(answer->body, nullptr, false)};
  }

  // `/jit enroll` by `user`; the link's token from their DM.
  std::string enrollment_token(const std::string& user) {
    const std::size_t before = world_.slack().dm(user).size();
    world_.slack().slash_command(user, "enroll");
    std::string token;
    world_.slack().wait_for(
        [&](const emulators::SlackEmulator& s) {
          const json dm = s.dm(user);
          for (std::size_t k = before; k < dm.size(); ++k)
            if (auto t = token_in(dm[k].value("text", "")); !t.empty()) token = t;
          return !token.empty();
        },
        std::chrono::seconds(10));
    return token;
  }

  // Registers `key` for `user` through the page, as the browser would.
  Answer enroll(const std::string& user, SoftAuthenticator& key) {
    const std::string token = enrollment_token(user);
    if (token.empty()) return {0, {{"error", "no enrolment link in the DM"}}};
    Answer options = post("/api/options", {{"token", token}});
    if (options.status != 200 || !options.body["create"].is_object()) return options;
    auto registration = key.registration(rp_, {}, {.challenge = options.body["create"].value("challenge", "")});
    return post("/api/finish", finish_body(token, registration, user + "'s key"));
  }

  // `approver` clicks Approve; the token of the link in their ephemeral reply ("" and the reply
  // in `reply` when it has none).
  std::string approval_token(const std::string& approver, const std::string& request_id, std::string* reply = nullptr) {
    const std::size_t before = world_.slack().messages(kProdChannel).size();
    if (!world_.click(approver, request_id, slack::kApproveAction)) return "";
    std::string text;
    world_.slack().wait_for(
        [&](const emulators::SlackEmulator& s) {
          const json messages = s.messages(kProdChannel);
          for (std::size_t k = before; k < messages.size(); ++k)
            if (messages[k].value("ephemeral_to", "") == approver) text = messages[k].value("text", "");
          return !text.empty();
        },
        std::chrono::seconds(10));
    if (reply) *reply = text;
    return token_in(text);
  }

  // The assertion the page would send for `token`, made by `key` (`options` breaks it).
  json assertion_body(const std::string& token, SoftAuthenticator& key, SoftAnswerOptions options = {}) {
    Answer answer = post("/api/options", {{"token", token}});
    if (!options.challenge) options.challenge = answer.body.value(json::json_pointer("/get/challenge"), std::string());
    return finish_body(token, key.assertion(rp_, {}, options));
  }

  // Nothing more than alice's approval on the request, and nothing granted.
  void expect_only_alices_approval(const std::string& id, const std::string& what) {
    auto r = world_.read(id);
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->state, State::pending) << what;
    EXPECT_EQ(r->decisions.size(), 1u) << what;
    EXPECT_EQ(world_.assignment_count(), 0u) << what;
  }

  World world_;
  std::unique_ptr<net::HttpClient> http_;
  net::Endpoint page_;
  stepup::RelyingParty rp_;
};

TEST_F(StepUpE2e, TwoApproversWithSecurityKeysGrantBreakGlassAndEveryForgeryIsRefused) {
  SoftAuthenticator alice_key(-7), bob_key(-8, 5), eve_key(-7);
  ASSERT_EQ(enroll(kAlice, alice_key).status, 200);
  const Answer bob_enrolled = enroll(kBob, bob_key);
  ASSERT_EQ(bob_enrolled.status, 200) << bob_enrolled.body.dump();
  ASSERT_EQ(enroll(kEve, eve_key).status, 200);
  // The enrolment link works once.
  {
    const std::string token = enrollment_token(kDana);
    ASSERT_FALSE(token.empty());
    SoftAuthenticator dana_key;
    Answer options = post("/api/options", {{"token", token}});
    ASSERT_EQ(options.status, 200);
    const json body = finish_body(
        token, dana_key.registration(rp_, {}, {.challenge = options.body["create"].value("challenge", "")}));
    EXPECT_EQ(post("/api/finish", body).status, 200);
    EXPECT_GE(post("/api/finish", body).status, 400) << "an enrolment link used twice";
  }

  auto id = world_.request(kDana, "prod break-glass 30m the database is down --ticket INC-42");
  ASSERT_TRUE(id) << world_.log(0);

  // Dana's own click gets no link.
  std::string reply;
  EXPECT_EQ(approval_token(kDana, *id, &reply), "");
  EXPECT_THAT(reply, HasSubstr("your own request"));

  // Alice approves with her key: one of two approvals.
  const std::string alice_token = approval_token(kAlice, *id, &reply);
  ASSERT_FALSE(alice_token.empty()) << reply;
  EXPECT_THAT(reply, HasSubstr("needs your security key"));
  EXPECT_THAT(reply, HasSubstr("break-glass on prod"));
  const json alice_body = assertion_body(alice_token, alice_key);
  const Answer alice_done = post("/api/finish", alice_body);
  ASSERT_EQ(alice_done.status, 200) << alice_done.body.dump();
  expect_only_alices_approval(*id, "after alice");

  // Replay of alice's answer: the link is spent.
  EXPECT_GE(post("/api/finish", alice_body).status, 400);
  expect_only_alices_approval(*id, "replay");

  // Each forgery on one of bob's links: refused, and the link is spent whatever the outcome.
  struct Forgery {
    const char* what;
    SoftAuthenticator* key;
    SoftAnswerOptions options;
  };
  const std::vector<Forgery> forgeries = {
      {"another approver's link (alice's key on bob's link)", &alice_key, {}},
      {"another user's credential (eve's)", &eve_key, {}},
      {"wrong origin", &bob_key, {.origin = "https://evil.example"}},
      {"user verification absent", &bob_key, {.user_verified = false}},
      {"sign count backwards", &bob_key, {.sign_count = 1}},
      {"tampered challenge", &bob_key, {.challenge = std::string(43, 'A')}},
  };
  for (const auto& forgery : forgeries) {
    const std::string token = approval_token(kBob, *id, &reply);
    ASSERT_FALSE(token.empty()) << forgery.what << ": " << reply;
    const json body = assertion_body(token, *forgery.key, forgery.options);
    const Answer refused = post("/api/finish", body);
    EXPECT_GE(refused.status, 400) << forgery.what << ": " << refused.body.dump();
    EXPECT_EQ(refused.body.value("ok", true), false) << forgery.what;
    expect_only_alices_approval(*id, forgery.what);
    // The same link answered properly afterwards: still refused (used once already).
    EXPECT_GE(post("/api/finish", assertion_body(token, bob_key)).status, 400) << forgery.what;
  }

  // Bob approves with his key: the grant is active in the emulated Identity Center.
  const std::string bob_token = approval_token(kBob, *id, &reply);
  ASSERT_FALSE(bob_token.empty()) << reply;
  const Answer bob_done = post("/api/finish", assertion_body(bob_token, bob_key));
  ASSERT_EQ(bob_done.status, 200) << bob_done.body.dump();
  ASSERT_TRUE(world_.wait_state(*id, State::active)) << world_.log(0);
  EXPECT_EQ(world_.assignment_count(), 1u);

  // The audit trail names each approval's credential in its facts, and holds together.
  std::vector<std::pair<std::string, std::string>> approvals;  // approver, credential
  const std::vector<AuditEvent> events = world_.store().audit_events({.request_id = *id}).value();
  for (const auto& e : events) {
    if (!e.action.starts_with("approve")) continue;
    auto proof = audit::facts::step_up_of(json::parse(e.facts, nullptr, false));
    approvals.emplace_back(e.actor, proof ? proof->credential_id : "(no step-up facts)");
    EXPECT_THAT(e.detail, HasSubstr(approvals.back().second));
  }
  EXPECT_EQ(approvals, (std::vector<std::pair<std::string, std::string>>{{kAlice, alice_key.credential_id()},
                                                                          {kBob, bob_key.credential_id()}}));
  auto [code, out] = world_.audit_verify();
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(world_.log(0), ::testing::Not(HasSubstr(alice_token))) << "a link in the log";
}

// Enrolment through Slack: list and remove, and a click with no key enrolled is told what to do.
TEST_F(StepUpE2e, ApproverWithoutAKeyIsToldToEnrolAndListAndRemoveWork) {
  auto id = world_.request(kDana, "prod break-glass 30m disk full --ticket INC-7");
  ASSERT_TRUE(id) << world_.log(0);
  std::string reply;
  EXPECT_EQ(approval_token(kAlice, *id, &reply), "");
  EXPECT_THAT(reply, HasSubstr("/jit enroll"));
  SoftAuthenticator key;
  ASSERT_EQ(enroll(kAlice, key).status, 200);
  world_.slack().slash_command(kAlice, "enroll list");
  auto listed = world_.wait_ephemeral(kAlice, key.credential_id().substr(0, 12));
  ASSERT_TRUE(listed) << world_.log(0);
  EXPECT_THAT(*listed, HasSubstr(std::string(kAlice) + "'s key"));
  world_.slack().slash_command(kAlice, "enroll remove " + key.credential_id().substr(0, 12));
  ASSERT_TRUE(world_.wait_ephemeral(kAlice, "Removed security key")) << world_.log(0);
  EXPECT_EQ(approval_token(kAlice, *id, &reply), "");
  EXPECT_THAT(reply, HasSubstr("/jit enroll"));
  EXPECT_EQ(world_.assignment_count(), 0u);
}

// A link used after its lifetime ([step_up] link_lifetime, 30 s here, the shortest allowed) is
// refused, on the page and at the finish, and nothing is approved; a new click gives a new link.
class StepUpLinkExpiry : public StepUpE2e {
 protected:
  StepUpLinkExpiry() : StepUpE2e({.step_up = true, .link_lifetime = "30s"}) {}
};

TEST_F(StepUpLinkExpiry, AnExpiredLinkIsRefusedAndNothingIsApproved) {
  SoftAuthenticator alice_key;
  ASSERT_EQ(enroll(kAlice, alice_key).status, 200) << world_.log(0);
  auto id = world_.request(kDana, "prod break-glass 30m disk full --ticket INC-8");
  ASSERT_TRUE(id) << world_.log(0);
  const auto issued = std::chrono::steady_clock::now();
  const std::string token = approval_token(kAlice, *id);
  ASSERT_FALSE(token.empty());
  // The answer is made while the link is fresh, and sent once it has expired.
  const json late = assertion_body(token, alice_key);
  ASSERT_TRUE(World::poll([&] { return std::chrono::steady_clock::now() >= issued + std::chrono::seconds(31); },
                          std::chrono::seconds(40)));
  const Answer refused = post("/api/finish", late);
  EXPECT_GE(refused.status, 400) << refused.body.dump();
  EXPECT_EQ(refused.body.value("ok", true), false) << refused.body.dump();
  EXPECT_GE(post("/api/options", {{"token", token}}).status, 400);
  auto r = world_.read(*id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, State::pending);
  EXPECT_TRUE(r->decisions.empty());
  EXPECT_EQ(world_.assignment_count(), 0u);
  // A new click: a new link, which works.
  const std::string fresh = approval_token(kAlice, *id);
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(post("/api/finish", assertion_body(fresh, alice_key)).status, 200);
  ASSERT_TRUE(World::poll([&] { return world_.read(*id)->decisions.size() == 1; }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace jit::testing
