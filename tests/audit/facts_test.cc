#include "audit/facts.h"

#include "crypto/digest.h"

#include <gtest/gtest.h>

namespace jit::audit {
namespace {

AccessRequest request() {
  AccessRequest r;
  r.id = "r1";
  r.requester = "U1";
  r.account = "prod";
  r.account_id = "111111111111";
  r.role = "admin";
  r.permission_set_arn = "arn:aws:sso:::permissionSet/ins-1/ps-1";
  r.duration = Seconds{3600};
  r.reason = "fix \"it\"";
  r.requester_email = "a@example.com";
  r.principal = "p-1";
  r.created_at = TimePoint{Seconds{1700000000}};
  return r;
}

TEST(Facts, SubmitFactsAreCanonicalAndReadBack) {
  const auto text1 = facts::of_submit(request());
  EXPECT_EQ(text1, facts::of_submit(request()));
  // Keys in sorted order: the same facts always give the same text.
  EXPECT_LT(text1.find("\"account\""), text1.find("\"requester\""));
  AuditEvent e{.action = "submit", .facts = text1};
  auto read = facts::read(e);
  ASSERT_TRUE(read);
  EXPECT_EQ(facts::text(*read, "reason"), "fix \"it\"");
  EXPECT_EQ(facts::number(*read, "duration_s"), 3600);
  EXPECT_EQ(facts::number(*read, "created_at"), 1700000000);
  EXPECT_EQ(facts::text(*read, "duration_s"), std::nullopt);  // a number is not text
  EXPECT_EQ(facts::number(*read, "missing"), std::nullopt);
}

// Issue 17: a request filed with others for several accounts names its bundle; one on its own
// carries no bundle key at all (its facts are as they were before bundles).
TEST(Facts, ASubmitInABundleNamesItAndOneAloneHasNoBundleKey) {
  EXPECT_EQ(facts::of_submit(request()).find("bundle"), std::string::npos);
  AuditEvent e{.action = "submit", .facts = facts::of_submit(request(), "rFIRST01")};
  EXPECT_EQ(facts::text(facts::read(e).value(), "bundle"), "rFIRST01");
}

TEST(Facts, GrantFactsCarryTheExpiry) {
  auto r = request();
  r.expires_at = TimePoint{Seconds{1700003600}};
  auto begin = facts::read(AuditEvent{.facts = facts::of_begin_grant(r)});
  ASSERT_TRUE(begin);
  EXPECT_EQ(facts::number(*begin, "expires_at"), 1700003600);
  EXPECT_EQ(facts::text(*begin, "principal"), "p-1");
  r.granted_at = TimePoint{Seconds{1700000005}};
  auto done = facts::read(AuditEvent{.facts = facts::of_grant_succeeded(r)});
  ASSERT_TRUE(done);
  EXPECT_EQ(facts::number(*done, "granted_at"), 1700000005);
}

TEST(Facts, AnEventWithoutFactsReadsAsEmptyAndGarbageIsAnError) {
  auto none = facts::read(AuditEvent{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(facts::read(AuditEvent{.facts = "[1,2]"}));
  EXPECT_FALSE(facts::read(AuditEvent{.facts = "{not json"}));
}

TEST(Facts, AnApprovalWithAStepUpCarriesItsCredentialAndAssertion) {
  const Decision d{"UA", true, "", TimePoint{Seconds{1700000060}}};
  const std::string with = facts::of_decision(d, 1, 2, StepUpProof{"credA", "ab12", "tok"});
  EXPECT_EQ(with,
            R"({"approvals":1,"approved":true,"approver":"UA","at":1700000060,"needed":2,"reason":"",)"
            R"("step_up_assertion":"ab12","step_up_credential":"credA"})");
  auto read = facts::read(AuditEvent{.facts = with});
  ASSERT_TRUE(read);
  EXPECT_EQ(facts::step_up_of(*read), (StepUpProof{"credA", "ab12", ""}));
  const std::string without = facts::of_decision(d, 1, 2);
  EXPECT_EQ(without.find("step_up"), std::string::npos);
  EXPECT_EQ(facts::step_up_of(*facts::read(AuditEvent{.facts = without})), std::nullopt);
  // An empty credential is no proof.
  EXPECT_EQ(facts::step_up_of(facts::Json{{"step_up_credential", ""}, {"step_up_assertion", "ab"}}), std::nullopt);
}

TEST(Facts, CredentialEventsKeepTheKeysHashNotTheKey) {
  const std::string enrolled = facts::of_credential_enrolled("credA", -7, "pubkeyB64", "U1");
  EXPECT_EQ(enrolled, R"({"cose_alg":-7,"credential_id":"credA","public_key_sha256":")" +
                          crypto::sha256_hex("pubkeyB64") + R"(","user":"U1"})");
  EXPECT_EQ(facts::of_credential_removed("credA", "U1"), R"({"credential_id":"credA","user":"U1"})");
}

}  // namespace
}  // namespace jit::audit
