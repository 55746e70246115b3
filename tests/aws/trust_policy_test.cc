// The pure trust-policy functions of the IAM-role path (aws/trust_policy.h): the grant statement's
// shape, reading ours back, merge beside the admin's statements, remove, prune at the second, room
// under IAM's size quota, and the admin's standing sts:AssumeRole statements.
#include "aws/trust_policy.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "policy_test_support.h"

#include <type_traits>

namespace jit::aws::trust {
namespace {

using namespace std::chrono_literals;

constexpr char kBase[] = "arn:aws:iam::222233334444:role/okta-engineer";
constexpr char kAlice[] = "alice@example.com";
constexpr char kBob[] = "bob@example.com";
const TimePoint kT = *parse_time("2026-12-03T10:00:00Z");

TrustGrant grant(std::string id, std::string who = kAlice, TimePoint expires_at = kT) {
  return {std::move(id), kBase, std::move(who), expires_at};
}

using test::parsed;
using test::sids;

// An elevated role's trust policy as an admin writes it (indented, members in their own order):
// people come in through Okta (SAML) and EC2 may assume it.
constexpr char kAdminPolicy[] = R"({
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "OktaSaml",
      "Effect": "Allow",
      "Principal": { "Federated": "arn:aws:iam::222233334444:saml-provider/Okta" },
      "Action": [ "sts:AssumeRoleWithSAML", "sts:TagSession" ],
      "Condition": { "StringEquals": { "SAML:aud": "https://signin.aws.amazon.com/saml" } }
    },
    {
      "Principal": { "Service": "ec2.amazonaws.com" },
      "Effect": "Allow",
      "Action": "sts:AssumeRole"
    }
  ]
})";
// Its statements as they are written back: compact, members and statements in the same order.
constexpr char kAdminStatementsCompact[] =
    R"({"Sid":"OktaSaml","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222233334444:saml-provider/Okta"},)"
    R"("Action":["sts:AssumeRoleWithSAML","sts:TagSession"],)"
    R"("Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}},)"
    R"({"Principal":{"Service":"ec2.amazonaws.com"},"Effect":"Allow","Action":"sts:AssumeRole"})";

constexpr char kAliceStatement[] =
    R"({"Sid":"JitGrantrab3k7mnp","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:role/okta-engineer"},)"
    R"("Action":["sts:AssumeRole","sts:SetSourceIdentity"],)"
    R"("Condition":{"StringEquals":{"sts:SourceIdentity":"alice@example.com"},)"
    R"("DateLessThan":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}}})";

TEST(TrustPolicy, StatementHasTheAgreedShape) {
  EXPECT_EQ(statement_of(grant("rab3k7mnp")).dump(), kAliceStatement);
  EXPECT_EQ(sid_of("r-ab_3.k"), "JitGrantrab3k");
}

TEST(TrustPolicy, ReadsItsOwnStatementBack) {
  const TrustGrant g = grant("rab3k7mnp");
  EXPECT_EQ(read_statement(statement_of(g)), g);
  EXPECT_EQ(read_statement(Json::parse(kAliceStatement)), g);
  // The grant id comes back as the Sid keeps it: its letters and digits.
  EXPECT_EQ(read_statement(statement_of(grant("r-ab_3")))->grant_id, "rab3");
  // The same members in another order are still ours (IAM may give the document back reordered).
  Json reordered = Json::parse(kAliceStatement);
  Json shuffled;
  for (const char* key : {"Condition", "Action", "Principal", "Effect", "Sid"}) shuffled[key] = reordered[key];
  EXPECT_EQ(read_statement(shuffled), g);
  const Policy admin_policy = parsed(kAdminPolicy);  // named: a range-for over a temporary's member dangles
  for (const auto& admin : admin_policy.document["Statement"]) EXPECT_FALSE(read_statement(admin)) << admin;
}

// Statements named like ours that an admin edited by hand: each is unreadable, listed by
// unreadable_sids, and survives merge, remove and prune.
std::vector<Json> hand_edited() {
  auto edited = [](auto&& change) {
    Json s = Json::parse(kAliceStatement);
    change(s);
    return s;
  };
  return {
      edited([](Json& s) {
        s["Sid"] = "JitGrantEdit1";
        s["Condition"]["StringEquals"]["aws:PrincipalTag/team"] = "x";
      }),
      edited([](Json& s) { s["Sid"] = "JitGrantEdit2"; s["Effect"] = "Deny"; }),
      edited([](Json& s) { s["Sid"] = "JitGrantEdit3"; s["Principal"]["AWS"] = Json::array({kBase}); }),
      edited([](Json& s) { s["Sid"] = "JitGrantEdit4"; s["Action"] = "sts:AssumeRole"; }),
      edited([](Json& s) { s["Sid"] = "JitGrantEdit5"; s["Condition"].erase("DateLessThan"); }),
      edited([](Json& s) {
        s["Sid"] = "JitGrantEdit6";
        s["Condition"]["DateLessThan"]["aws:CurrentTime"] = "2026-12-03T10:00:00.000Z";
      }),
      edited([](Json& s) { s["Sid"] = "JitGrantEdit7"; s["Resource"] = "*"; }),
      edited([](Json& s) { s["Sid"] = "JitGrant"; }),
      edited([](Json& s) { s["Sid"] = "JitGrant-x"; }),
  };
}

TEST(TrustPolicy, HandEditedStatementsAreUnreadableAndKept) {
  auto p = parsed(kAdminPolicy);
  std::vector<std::string> edited_sids;
  for (const Json& s : hand_edited()) {
    EXPECT_FALSE(read_statement(s)) << s.dump();
    p.document["Statement"].push_back(s);
    edited_sids.push_back(s["Sid"]);
  }
  EXPECT_EQ(unreadable_sids(p), edited_sids);
  EXPECT_TRUE(grants_in(p).empty());
  merge(p, grant("rab3k7mnp"));
  EXPECT_EQ(remove(p, kAlice), 1) << "only the readable one";
  merge(p, grant("rab3k7mnp"));
  EXPECT_EQ(prune(p, kT + 100h), 1);
  auto unreadable = unreadable_sids(p);
  std::sort(unreadable.begin(), unreadable.end());
  std::sort(edited_sids.begin(), edited_sids.end());
  EXPECT_EQ(unreadable, edited_sids);
  EXPECT_EQ(sids(p).size(), 2 + edited_sids.size());
}

TEST(TrustPolicy, MergeKeepsTheAdminsStatementsByteForByteAndOursSortedAfter) {
  auto p = parsed(kAdminPolicy);
  merge(p, grant("rc", kBob));
  merge(p, grant("rab3k7mnp"));
  merge(p, grant("rb"));
  const std::string rendered = cutoff::render(p);
  const std::string head = std::string(R"({"Version":"2012-10-17","Statement":[)") + kAdminStatementsCompact + ",";
  EXPECT_EQ(rendered.substr(0, head.size()), head);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"OktaSaml", "", "JitGrantrab3k7mnp", "JitGrantrb", "JitGrantrc"}));
  EXPECT_EQ(p.document["Statement"][2].dump(), kAliceStatement);
  EXPECT_EQ(grants_in(p), (std::vector<TrustGrant>{grant("rab3k7mnp"), grant("rb"), grant("rc", kBob)}));
  EXPECT_TRUE(unreadable_sids(p).empty());
}

TEST(TrustPolicy, MergeReplacesBySid) {
  auto p = parsed(kAdminPolicy);
  merge(p, grant("rab3k7mnp"));
  const std::string once = cutoff::render(p);
  merge(p, grant("rab3k7mnp"));
  EXPECT_EQ(cutoff::render(p), once) << "the same grant again changes nothing";
  merge(p, grant("rab3k7mnp", kAlice, kT + 1h));
  EXPECT_EQ(sids(p).size(), 3u) << "replaced, not added";
  EXPECT_EQ(grants_in(p), (std::vector<TrustGrant>{grant("rab3k7mnp", kAlice, kT + 1h)}));
}

TEST(TrustPolicy, RemovesBySourceIdentityAndByGrant) {
  auto p = parsed(kAdminPolicy);
  merge(p, grant("ra1"));
  merge(p, grant("ra2"));
  merge(p, grant("rb1", kBob));
  EXPECT_EQ(remove(p, kAlice, "ra-2"), 1) << "the grant id as the Sid keeps it";
  EXPECT_EQ(sids(p), (std::vector<std::string>{"OktaSaml", "", "JitGrantra1", "JitGrantrb1"}));
  EXPECT_EQ(remove(p, kAlice, "rb1"), 0) << "bob's grant is not alice's";
  EXPECT_EQ(remove(p, "ALICE@example.com"), 0) << "source identities compare exactly";
  merge(p, grant("ra3"));
  EXPECT_EQ(remove(p, kAlice), 2);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"OktaSaml", "", "JitGrantrb1"}));
  EXPECT_EQ(remove(p, kAlice), 0);
  EXPECT_EQ(remove(p, kBob), 1);
  EXPECT_EQ(cutoff::render(p),
            std::string(R"({"Version":"2012-10-17","Statement":[)") + kAdminStatementsCompact + "]}");
}

TEST(TrustPolicy, PrunesAtTheSecond) {
  auto p = parsed(kAdminPolicy);
  merge(p, grant("rearly", kAlice, kT));
  merge(p, grant("rlate", kBob, kT + 1h));
  EXPECT_EQ(prune(p, kT - 1s), 0);
  EXPECT_EQ(prune(p, kT), 0) << "the expiry second itself stays one more second";
  EXPECT_EQ(prune(p, kT + 1s), 1);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"OktaSaml", "", "JitGrantrlate"}));
  EXPECT_EQ(prune(p, kT + 1h + 1s), 1);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"OktaSaml", ""}));
}

// Merges grants like `like` (same lengths) while room_for says they fit; checks the last fits and
// one more does not.
int fill(Policy& p, const TrustGrant& like, int limit) {
  const int room = room_for(p, like, limit);
  for (int n = 0; n < room; ++n) merge(p, grant(fmt::format("r{:08d}", n), like.source_identity, like.expires_at));
  EXPECT_LE(cutoff::policy_size(cutoff::render(p)), limit);
  EXPECT_EQ(room_for(p, like, limit), 0);
  Policy over = p;
  merge(over, grant("roverflow", like.source_identity, like.expires_at));
  EXPECT_GT(cutoff::policy_size(cutoff::render(over)), limit) << "one more would not fit";
  return room;
}

TEST(TrustPolicy, RoomForUnderTheDefaultLimit) {
  const TrustGrant like = grant("rab3k7mnp");  // 9-character grant id, as fill's
  ASSERT_EQ(cutoff::policy_size(kAliceStatement), 293);
  auto with_admin = parsed(kAdminPolicy);
  ASSERT_EQ(cutoff::policy_size(cutoff::render(with_admin)), 368);
  // (2,048 - 368) / (293 + 1 comma) = 5.
  EXPECT_EQ(fill(with_admin, like, kDefaultSizeLimit), 5);
  auto empty = parsed("");
  // 2,048 - 39 = 2,009: the first statement 293, then 294 each: 1 + 1,716 / 294 = 6.
  EXPECT_EQ(fill(empty, like, kDefaultSizeLimit), 6);
  EXPECT_EQ(room_for(parsed(""), like, 39 + 292), 0);
  EXPECT_EQ(room_for(parsed(""), like, 39 + 293), 1);
  EXPECT_EQ(room_for(parsed(""), like, 39 + 293 + 293), 1);
  EXPECT_EQ(room_for(parsed(""), like, 39 + 293 + 294), 2);
  EXPECT_EQ(room_for(with_admin, like, 100), 0) << "already over: no room, never negative";
}

TEST(TrustPolicy, ReportsTheAdminsStandingAssumeRoleStatements) {
  const Json standing = Json::parse(R"([
    {"Sid":"Standing","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:role/okta-engineer"},"Action":"sts:AssumeRole"},
    {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222233334444:root"]},"Action":["s3:GetObject","sts:*"]},
    {"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"*"},
    {"Sid":"Case","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"STS:assumerole"},
    {"Sid":"Glob","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"sts:Assume?ole*"},
    {"Sid":"NotAction","Effect":"Allow","Principal":{"AWS":"222233334444"},"NotAction":"s3:*"},
    {"Sid":"StartOnly","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"sts:AssumeRole",
     "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}},
    {"Sid":"Mixed","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"222233334444"},"Action":"sts:AssumeRole"}
  ])");
  const Json not_standing = Json::parse(R"([
    {"Sid":"Ec2","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
    {"Sid":"Deny","Effect":"Deny","Principal":{"AWS":"222233334444"},"Action":"sts:AssumeRole"},
    {"Sid":"Saml","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222233334444:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML"},
    {"Sid":"OtherAction","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":["sts:TagSession","sts:AssumeRoleWithSAML"]},
    {"Sid":"NotActionSts","Effect":"Allow","Principal":{"AWS":"222233334444"},"NotAction":"sts:*"},
    {"Sid":"Windowed","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"sts:AssumeRole",
     "Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}}},
    {"Sid":"WindowedEquals","Effect":"Allow","Principal":{"AWS":"222233334444"},"Action":"sts:AssumeRole",
     "Condition":{"DateLessThanEquals":{"AWS:currenttime":"2026-12-03T10:00:00Z"}}}
  ])");
  auto p = parsed("");
  for (const auto& s : not_standing) p.document["Statement"].push_back(s);
  for (const auto& s : standing) p.document["Statement"].push_back(s);
  merge(p, grant("rab3k7mnp"));
  EXPECT_EQ(standing_assume_statements(p), (std::vector<std::string>{"Standing", "#9", "Anyone", "Case", "Glob",
                                                                      "NotAction", "StartOnly", "Mixed"}));
  EXPECT_TRUE(standing_assume_statements(parsed(kAdminPolicy)).empty())
      << "SAML federation and an EC2 service principal are not standing human access";
}

TEST(TrustPolicy, ExpiryIsWholeSecondsRoundedDown) {
  // TrustGrant holds whole seconds, and a finer time does not convert to it implicitly: whoever
  // builds one rounds, and rounding down is the only one that never lengthens the window.
  static_assert(std::is_same_v<decltype(TrustGrant::expires_at), std::chrono::sys_seconds>);
  static_assert(!std::is_convertible_v<std::chrono::sys_time<std::chrono::milliseconds>, TimePoint>);
  const auto precise = std::chrono::sys_time<std::chrono::milliseconds>(kT) + 59'999ms;
  const Json s = statement_of(grant("r1", kAlice, std::chrono::floor<Seconds>(precise)));
  EXPECT_EQ(s["Condition"]["DateLessThan"]["aws:CurrentTime"], "2026-12-03T10:00:59Z");
  EXPECT_EQ(read_statement(s)->expires_at, kT + 59s);
}

}  // namespace
}  // namespace jit::aws::trust
