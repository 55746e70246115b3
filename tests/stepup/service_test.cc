// The step-up service end to end below the page: links, options, finish, over a real Engine, the
// memory step-up store and software authenticators. Every refusal leaves nothing granted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "audit/credentials.h"
#include "audit/facts.h"
#include "crypto/digest.h"
#include "crypto/ed25519.h"
#include "stepup/credential_trail.h"
#include "stepup/stepup_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

class StepUpServiceTest : public StepUpTest {
 protected:
  // alice and bob, approvers of prod, each with one enrolled key.
  void enrol_approvers() {
    ASSERT_EQ(enrol("U0ALICE", alice_key).status, 200);
    ASSERT_EQ(enrol("U0BOB", bob_key).status, 200);
  }

  // `key` registered for `user` straight into the step-up store (as someone with database access
  // could), with no enrolment in the audit trail.
  WebAuthnCredential plant(const std::string& user, SoftAuthenticator& key) {
    const StepUpChallenge forged{.id = std::string(32, 'A'), .purpose = StepUpPurpose::enroll, .user_id = user,
                                 .action = "enroll", .nonce = "n", .created_at = kStart,
                                 .expires_at = kStart + Seconds{60}};
    auto made = stepup::verify_registration(kRp, forged, key.registration(kRp, forged));
    EXPECT_TRUE(made) << made.error().message;
    if (!made) return {};
    const WebAuthnCredential planted{.credential_id = made->credential_id, .user_id = user, .cose_alg = made->cose_alg,
                                     .public_key = made->public_key, .sign_count = made->sign_count,
                                     .name = "planted", .created_at = kStart};
    EXPECT_TRUE(links.add_credential(planted));
    return planted;
  }

  // The audit events of a credential (one query, as the service reads them).
  std::vector<AuditEvent> trail_of(const std::string& credential_id) {
    AuditQuery query;
    query.request_id = audit::credential_trail_id(credential_id);
    return store.audit_events(query).value();
  }

  SoftAuthenticator alice_key{-7, 1};
  SoftAuthenticator bob_key{-8, 0};
  SoftAuthenticator carol_key{-7, 1};
};

TEST_F(StepUpServiceTest, EnrolThenTwoStepUpApprovalsGrantTheBreakGlassRole) {
  enrol_approvers();
  const std::string id = submit_glass();

  auto first = approve(id, "U0ALICE", alice_key);
  ASSERT_EQ(first.status, 200) << first.body.dump();
  EXPECT_EQ(first.body["ok"], true);
  EXPECT_THAT(first.body["message"].get<std::string>(), HasSubstr("approval 1 of 2"));
  EXPECT_EQ(read(id).state, State::pending);

  auto second = approve(id, "U0BOB", bob_key);
  ASSERT_EQ(second.status, 200) << second.body.dump();
  EXPECT_THAT(second.body["message"].get<std::string>(), HasSubstr("Approved"));
  EXPECT_EQ(read(id).state, State::active);
  EXPECT_EQ(provider.assignments().size(), 1u);

  // The approvals' audit events carry the step-up proofs; the enrolments have their own trail.
  std::vector<std::string> provers;
  const auto events = store.audit_events({}).value();
  for (const auto& e : events) {
    if (e.request_id != id || (e.action != "approve" && e.action != "approve_partial")) continue;
    const auto proof = audit::facts::step_up_of(audit::facts::read(e).value());
    ASSERT_TRUE(proof) << e.facts;
    EXPECT_EQ(proof->assertion_sha256.size(), 64u);
    provers.push_back(proof->credential_id);
  }
  EXPECT_THAT(provers, ::testing::ElementsAre(alice_key.credential_id(), bob_key.credential_id()));
  const auto enrolled = trail_of(alice_key.credential_id());
  ASSERT_EQ(enrolled.size(), 1u);
  EXPECT_EQ(enrolled[0].action, "credential_enrolled");
  EXPECT_EQ(enrolled[0].actor, "U0ALICE");
}

TEST_F(StepUpServiceTest, TheEngineRefusesAStepUpRoleWithoutTheProof) {
  enrol_approvers();
  const std::string id = submit_glass();
  auto plain = engine->approve(id, "U0ALICE");
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, Errc::denied);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, AnExpiredLinkIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  const auto body = approval_body(id, "U0ALICE", alice_key);
  clock.advance(kDefaultStepUpLinkLifetime + Seconds{1});
  auto out = service.finish(body);
  EXPECT_EQ(out.status, 410);
  EXPECT_EQ(out.body["ok"], false);
  EXPECT_THAT(out.body["error"].get<std::string>(), HasSubstr("expired"));
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, TheLinkLifetimeIsReadFromSettingsAtEachLink) {
  auto shorter = step_up_config();
  shorter->settings.step_up.link_lifetime = Seconds{60};
  engine->set_config(shorter);
  auto link = service.enrollment_link("U0ALICE");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->expires_at, kStart + Seconds{60});
  EXPECT_TRUE(link->url.starts_with(kOrigin + "/s/")) << link->url;
  EXPECT_EQ(token_of(*link).size(), 32u);
}

TEST_F(StepUpServiceTest, AReplayedFinishIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  const auto body = approval_body(id, "U0ALICE", alice_key);
  ASSERT_EQ(service.finish(body).status, 200);
  auto replay = service.finish(body);
  EXPECT_EQ(replay.status, 410);
  EXPECT_THAT(replay.body["error"].get<std::string>(), HasSubstr("used already"));
  EXPECT_EQ(read(id).decisions.size(), 1u);
  EXPECT_EQ(read(id).state, State::pending);
}

TEST_F(StepUpServiceTest, AFailedAttemptUsesTheLinkUp) {
  enrol_approvers();
  const std::string id = submit_glass();
  auto link = service.approval_link(id, "U0ALICE");
  ASSERT_TRUE(link);
  const std::string token = token_of(*link);
  SoftAnswerOptions no_uv;
  no_uv.user_verified = false;
  EXPECT_EQ(service.finish(finish_body(token, alice_key.assertion(kRp, challenge_of(token), no_uv))).status, 403);
  // The same link with a good answer now: used up.
  EXPECT_EQ(service.finish(finish_body(token, alice_key.assertion(kRp, challenge_of(token)))).status, 410);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, AnotherApproversCredentialCannotSignALink) {
  enrol_approvers();
  const std::string id = submit_glass();
  auto out = approve(id, "U0ALICE", bob_key);  // alice's link, bob's key
  EXPECT_EQ(out.status, 403) << out.body.dump();
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, TheRequesterGetsNoLinkForTheirOwnRequest) {
  enrol_approvers();
  const std::string id = submit_glass("U0ALICE");
  auto link = service.approval_link(id, "U0ALICE");
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, Errc::denied) << link.error().message;
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, NoLinkWithoutAnEnrolledKeyOrForARoleWithoutStepUp) {
  ASSERT_EQ(enrol("U0ALICE", alice_key).status, 200);
  const std::string glass = submit_glass();
  auto none = service.approval_link(glass, "U0BOB");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::invalid);
  EXPECT_THAT(none.error().message, HasSubstr("/jit enroll"));

  auto admin = engine->submit({"U0DEV", "prod", "admin", "1h", "deploy", ""});
  ASSERT_TRUE(admin);
  auto plain = service.approval_link(admin->id, "U0ALICE");
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code, Errc::invalid);
  EXPECT_FALSE(service.approval_link("r-nope", "U0ALICE"));
  EXPECT_FALSE(service.approval_link(std::string(200, 'r'), "U0ALICE"));
}

TEST_F(StepUpServiceTest, AWrongOriginIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  SoftAnswerOptions evil;
  evil.origin = "https://jit.test.evil.example";
  EXPECT_EQ(approve(id, "U0ALICE", alice_key, evil).status, 403);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, AnAssertionWithoutUserVerificationIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  SoftAnswerOptions no_uv;
  no_uv.user_verified = false;
  EXPECT_EQ(approve(id, "U0ALICE", alice_key, no_uv).status, 403);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, ASignCountThatDoesNotAdvanceIsRefused) {
  enrol_approvers();
  const std::string first = submit_glass();
  ASSERT_EQ(approve(first, "U0ALICE", alice_key).status, 200);
  const auto stored = links.find_credential(alice_key.credential_id()).value();
  ASSERT_GT(stored.sign_count, 0u);
  EXPECT_TRUE(stored.last_used_at.has_value());

  const std::string second = submit_glass("U0CAROL");
  SoftAnswerOptions cloned;
  cloned.sign_count = stored.sign_count;  // a clone of the key, replaying its counter
  EXPECT_EQ(approve(second, "U0ALICE", alice_key, cloned).status, 403);
  cloned.sign_count = stored.sign_count - 1;
  EXPECT_EQ(approve(second, "U0ALICE", alice_key, cloned).status, 403);
  expect_untouched(second);
}

TEST_F(StepUpServiceTest, TheSignCountMovedMeanwhileIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  const auto body = approval_body(id, "U0ALICE", alice_key);  // signed with the next count
  // Another assertion of the same key lands first, with a higher count.
  const auto stored = links.find_credential(alice_key.credential_id()).value();
  ASSERT_TRUE(links.advance_sign_count(stored.credential_id, stored.sign_count, stored.sign_count + 50, kStart));
  EXPECT_EQ(service.finish(body).status, 403);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, AnotherUsersCredentialCannotStepUpAnEnrolment) {
  enrol_approvers();
  SoftAuthenticator second{-7, 0};
  auto out = enrol("U0ALICE", second, &bob_key);
  EXPECT_EQ(out.status, 403) << out.body.dump();
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 1u);
}

TEST_F(StepUpServiceTest, ATamperedChallengeIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  SoftAnswerOptions tampered;
  tampered.challenge = crypto::base64url(crypto::sha256("another challenge"));
  EXPECT_EQ(approve(id, "U0ALICE", alice_key, tampered).status, 403);

  // A signature over another link's challenge (for another request) does not verify this one.
  const std::string other = submit_glass("U0CAROL");
  auto mine = service.approval_link(id, "U0ALICE");
  auto theirs = service.approval_link(other, "U0ALICE");
  ASSERT_TRUE(mine && theirs);
  auto body = finish_body(token_of(*mine), alice_key.assertion(kRp, challenge_of(token_of(*theirs))));
  EXPECT_EQ(service.finish(body).status, 403);
  expect_untouched(id);
  expect_untouched(other);
}

// A credential written into the step-up store without its enrolment in the audit trail (someone
// with database access) is never used.
TEST_F(StepUpServiceTest, ACredentialTheAuditTrailDoesNotKnowIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  const auto planted = plant("U0ALICE", carol_key);
  auto out = approve(id, "U0ALICE", carol_key);
  EXPECT_EQ(out.status, 403) << out.body.dump();
  expect_untouched(id);

  // Nor does the same planted key make a link for someone with no enrolled key.
  ASSERT_TRUE(links.add_credential({.credential_id = "planted-for-carol", .user_id = "U0CAROL",
                                    .public_key = planted.public_key, .name = "planted", .created_at = kStart}));
  EXPECT_FALSE(service.approval_link(id, "U0CAROL"));
}

// Nor when an enrolment event for it was slipped into the trail without the audit key's seal.
TEST_F(StepUpServiceTest, AnEnrolmentEventThatWasNotSealedIsNotTrusted) {
  enrol_approvers();
  const std::string id = submit_glass();
  const auto planted = plant("U0CAROL", carol_key);
  const auto head = store.audit_head().value();
  AuditEvent event = stepup::enrolled_event(planted, kStart);
  event.seq = head.seq + 1;
  event.prev_hash = head.hash;
  event.hash = std::string(64, 'f');
  ASSERT_TRUE(store.import_audit(event));
  auto link = service.approval_link(id, "U0CAROL");
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, Errc::invalid);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, ARemovedCredentialIsRefused) {
  enrol_approvers();
  const std::string id = submit_glass();
  const auto body = approval_body(id, "U0ALICE", alice_key);  // link issued before the removal
  const auto stored = links.find_credential(alice_key.credential_id()).value();
  auto removed = service.remove_credential("U0ALICE", "U0ALICE", "security key");
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(removed->credential_id, alice_key.credential_id());
  EXPECT_EQ(service.finish(body).status, 403);
  expect_untouched(id);

  // Put back into the store alone, it stays removed: the trail has the removal.
  ASSERT_TRUE(links.add_credential(stored));
  auto link = service.approval_link(id, "U0ALICE");
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, Errc::invalid);
}

TEST_F(StepUpServiceTest, ASecondDeviceNeedsTheFirstOnesAssertion) {
  ASSERT_EQ(enrol("U0ALICE", alice_key).status, 200);
  SoftAuthenticator second{-8, 0};

  auto link = service.enrollment_link("U0ALICE");
  ASSERT_TRUE(link);
  auto options = service.options(token_body(token_of(*link)));
  ASSERT_EQ(options.status, 200);
  ASSERT_TRUE(options.body["get"].is_object());
  EXPECT_EQ(options.body["get"]["allowCredentials"][0]["id"], alice_key.credential_id());
  EXPECT_EQ(options.body["create"]["excludeCredentials"][0]["id"], alice_key.credential_id());
  const std::string token = token_of(*link);
  auto alone = service.finish(finish_body(token, second.registration(kRp, challenge_of(token))));
  EXPECT_EQ(alone.status, 403) << alone.body.dump();
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 1u);

  auto stepped_up = enrol("U0ALICE", second, &alice_key, "backup key");
  EXPECT_EQ(stepped_up.status, 200) << stepped_up.body.dump();
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 2u);
  EXPECT_EQ(links.find_credential(second.credential_id()).value().name, "backup key");
}

TEST_F(StepUpServiceTest, AKeyEnrolledTwiceIsAConflict) {
  ASSERT_EQ(enrol("U0ALICE", alice_key).status, 200);
  EXPECT_EQ(enrol("U0ALICE", alice_key, &alice_key).status, 409);
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 1u);
}

TEST_F(StepUpServiceTest, TheKeysNameIsBoundedPlainText) {
  EXPECT_EQ(enrol("U0ALICE", alice_key, nullptr, std::string(65, 'k')).status, 400);
  EXPECT_EQ(enrol("U0ALICE", alice_key, nullptr, "key\x1b[31m").status, 400);
  EXPECT_EQ(enrol("U0ALICE", alice_key, nullptr, "key\xe2\x80\xae").status, 400);  // U+202E
  EXPECT_TRUE(links.credentials_of("U0ALICE").value().empty());
  const std::string longest = "\xc3\xa9" + std::string(63, 'k');  // 64 code points, 65 bytes
  EXPECT_EQ(enrol("U0ALICE", alice_key, nullptr, longest).status, 200);
  EXPECT_EQ(links.credentials_of("U0ALICE").value().at(0).name, longest);
}

TEST_F(StepUpServiceTest, OptionsDescribeTheApproval) {
  enrol_approvers();
  const std::string id = submit_glass();
  auto link = service.approval_link(id, "U0ALICE");
  ASSERT_TRUE(link);
  auto out = service.options(token_body(token_of(*link)));
  ASSERT_EQ(out.status, 200) << out.body.dump();
  EXPECT_EQ(out.body["purpose"], "approve");
  EXPECT_EQ(out.body["user"], "U0ALICE");
  EXPECT_EQ(out.body["summary"]["requester"], "U0DEV");
  EXPECT_EQ(out.body["summary"]["role"], "glass");
  EXPECT_EQ(out.body["summary"]["request_id"], id);
  EXPECT_TRUE(out.body["create"].is_null());
  const auto& get = out.body["get"];
  EXPECT_EQ(get["rpId"], "jit.test");
  EXPECT_EQ(get["userVerification"], "required");
  EXPECT_EQ(get["challenge"], crypto::base64url(stepup::challenge_bytes(challenge_of(token_of(*link)))));
  ASSERT_EQ(get["allowCredentials"].size(), 1u);
  EXPECT_EQ(get["allowCredentials"][0]["id"], alice_key.credential_id());
}

TEST_F(StepUpServiceTest, OptionsOfAFirstEnrolment) {
  auto link = service.enrollment_link("U0ALICE");
  ASSERT_TRUE(link);
  auto out = service.options(token_body(token_of(*link)));
  ASSERT_EQ(out.status, 200);
  EXPECT_EQ(out.body["purpose"], "enroll");
  EXPECT_TRUE(out.body["get"].is_null());
  const auto& create = out.body["create"];
  EXPECT_EQ(create["rp"]["id"], "jit.test");
  EXPECT_EQ(create["user"]["name"], "U0ALICE");
  EXPECT_EQ(create["user"]["id"], crypto::base64url(crypto::sha256("U0ALICE").substr(0, 16)));
  EXPECT_EQ(create["attestation"], "none");
  EXPECT_EQ(create["pubKeyCredParams"].size(), 2u);
}

TEST_F(StepUpServiceTest, OptionsOfUnknownUsedOrExpiredLinks) {
  EXPECT_EQ(service.options(token_body(std::string(32, 'x'))).status, 404);
  EXPECT_EQ(service.options(token_body("short")).status, 400);
  EXPECT_EQ(service.options(token_body(std::string(31, 'x') + "!")).status, 400);
  EXPECT_EQ(service.options(nlohmann::json::array()).status, 400);
  EXPECT_EQ(service.options({{"token", 7}}).status, 400);

  auto link = service.enrollment_link("U0ALICE");
  ASSERT_TRUE(link);
  const std::string token = token_of(*link);
  ASSERT_EQ(service.finish(finish_body(token, alice_key.registration(kRp, challenge_of(token)))).status, 200);
  EXPECT_EQ(service.options(token_body(token)).status, 410);
  auto later = service.enrollment_link("U0ALICE");
  ASSERT_TRUE(later);
  clock.advance(kDefaultStepUpLinkLifetime);
  EXPECT_EQ(service.options(token_body(token_of(*later))).status, 410);
}

TEST_F(StepUpServiceTest, FinishBodiesOfWrongTypesAreRefusedWithoutUsingTheLink) {
  enrol_approvers();
  const std::string id = submit_glass();
  auto body = approval_body(id, "U0ALICE", alice_key);
  for (const char* key : {"assertion", "registration"}) {
    for (const auto& wrong : {nlohmann::json(1), nlohmann::json("x"), nlohmann::json::array(),
                              nlohmann::json{{"id", 5}}, nlohmann::json{{"id", nullptr}}}) {
      auto bad = body;
      bad[key] = wrong;
      EXPECT_EQ(service.finish(bad).status, 400) << key << " " << wrong.dump();
    }
  }
  auto huge = body;
  huge["assertion"]["signature"] = std::string(100000, 'A');
  EXPECT_EQ(service.finish(huge).status, 400);
  EXPECT_EQ(service.finish({{"token", nullptr}}).status, 400);
  EXPECT_EQ(service.finish(nlohmann::json("string")).status, 400);
  // None of it used the link up.
  EXPECT_EQ(service.finish(body).status, 200);
}

TEST_F(StepUpServiceTest, AnApprovalLinkCannotEnrolAndAnEnrolmentLinkCannotApprove) {
  enrol_approvers();
  const std::string id = submit_glass();
  auto approval = service.approval_link(id, "U0ALICE");
  ASSERT_TRUE(approval);
  const std::string token = token_of(*approval);
  EXPECT_EQ(service.finish(finish_body(token, carol_key.registration(kRp, challenge_of(token)))).status, 400);
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 1u);

  auto enrolment = service.enrollment_link("U0ALICE");
  ASSERT_TRUE(enrolment);
  const std::string enrol_token = token_of(*enrolment);
  EXPECT_NE(service.finish(finish_body(enrol_token, alice_key.assertion(kRp, challenge_of(enrol_token)))).status, 200);
  expect_untouched(id);
}

TEST_F(StepUpServiceTest, RemovingAKeyNeedsItsOwnerOrAnAdmin) {
  enrol_approvers();
  const std::string prefix = alice_key.credential_id().substr(0, 8);
  auto by_bob = service.remove_credential("U0BOB", "U0ALICE", prefix);
  ASSERT_FALSE(by_bob);
  EXPECT_EQ(by_bob.error().code, Errc::denied);
  auto too_short = service.remove_credential("U0ALICE", "U0ALICE", prefix.substr(0, 7));
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().code, Errc::not_found);
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 1u);

  auto by_admin = service.remove_credential("U0ADMIN", "U0ALICE", prefix);
  ASSERT_TRUE(by_admin) << by_admin.error().message;
  EXPECT_TRUE(links.credentials_of("U0ALICE").value().empty());
  const auto events = trail_of(alice_key.credential_id());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].action, "credential_removed");
  EXPECT_EQ(events[1].actor, "U0ADMIN");
}

TEST_F(StepUpServiceTest, AnAmbiguousNameRemovesNothing) {
  ASSERT_EQ(enrol("U0ALICE", alice_key).status, 200);
  ASSERT_EQ(enrol("U0ALICE", carol_key, &alice_key).status, 200);  // both "security key"
  auto out = service.remove_credential("U0ALICE", "U0ALICE", "security key");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::invalid);
  EXPECT_EQ(links.credentials_of("U0ALICE").value().size(), 2u);
}

// The log says which links were issued and why a finish was refused, never the token (whoever
// reads the log must not be able to use a link).
TEST_F(StepUpServiceTest, TheLogNamesLinksAndRefusalsButNeverTheToken) {
  enrol_approvers();
  const std::string id = submit_glass();
  std::ostringstream out;
  struct Capture {
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    explicit Capture(std::ostringstream& out) {
      spdlog::set_default_logger(
          std::make_shared<spdlog::logger>("stepup-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out)));
      spdlog::set_level(spdlog::level::info);
    }
    ~Capture() {
      spdlog::set_default_logger(previous);
      spdlog::set_level(spdlog::level::off);
    }
  };
  std::string token;
  {
    Capture capture(out);
    auto link = service.approval_link(id, "U0ALICE");
    ASSERT_TRUE(link);
    token = token_of(*link);
    const auto body = finish_body(token, alice_key.assertion(kRp, challenge_of(token)));
    ASSERT_EQ(service.finish(body).status, 200);
    ASSERT_EQ(service.finish(body).status, 410);
  }
  const std::string log = out.str();
  EXPECT_THAT(log, HasSubstr("event=step_up_link purpose=approve user=U0ALICE request=" + id));
  EXPECT_THAT(log, HasSubstr("event=step_up_approved user=U0ALICE request=" + id));
  EXPECT_THAT(log, HasSubstr("event=step_up_refused reason=link_used"));
  EXPECT_EQ(log.find(token), std::string::npos) << log;
}

}  // namespace
}  // namespace jit::testing
