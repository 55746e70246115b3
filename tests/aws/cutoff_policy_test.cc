// The pure policy functions of issue 14's session cut-off (aws/cutoff_policy.h): parsing, the
// statement's shape, merge, prune, clamp, size and capacity, ISO-8601 session durations.
#include "aws/cutoff_policy.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "policy_test_support.h"

namespace jit::aws::cutoff {
namespace {

using namespace std::chrono_literals;

constexpr char kUser[] = "9a67c4d8-1071-70d2-e5c2-4f1a2b3c4d5e";  // 36 characters, as Identity Center's
constexpr char kOtherUser[] = "8b67c4d8-1071-70d2-e5c2-4f1a2b3c4d5e";
constexpr char kAccount[] = "123456789012";
constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef";
const TimePoint kT0 = *parse_time("2026-12-03T15:16:29Z");

SessionCutoff cutoff(std::string grant_id, TimePoint cut_at, Seconds margin = 120s, std::string user = kUser,
                     std::string account = kAccount) {
  return {std::move(grant_id), {std::move(user), std::move(account), kPermissionSet}, cut_at, cut_at + margin};
}

using test::parsed;
using test::sids;

const char kAdmin[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"Zeta","Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"},)"
    R"({"Effect":"Deny","Resource":"*","Action":"iam:*"}]})";

TEST(CutoffPolicy, ParsesEmptyAbsentSingleAndListStatements) {
  for (std::string_view empty : {"", "  \n"}) {
    auto p = parsed(empty);
    EXPECT_EQ(render(p), R"({"Version":"2012-10-17","Statement":[]})");
  }
  EXPECT_EQ(render(parsed(R"({"Version":"2012-10-17"})")), R"({"Version":"2012-10-17","Statement":[]})");
  EXPECT_EQ(render(parsed(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})")),
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})");
  EXPECT_EQ(render(parsed(kAdmin)), kAdmin) << "key order and statement order are kept";
}

TEST(CutoffPolicy, RefusesWhatItCannotRewrite) {
  for (std::string_view bad : {"{", "[]", R"("text")", R"({"Statement":"x"})", R"({"Statement":3})"}) {
    auto p = parse_policy(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Errc::invalid);
  }
}

TEST(CutoffPolicy, StatementHasTheAgreedShape) {
  EXPECT_EQ(statement_of(cutoff("rab3k7mnp", kT0)).dump(),
            R"({"Sid":"JitCutoffrab3k7mnp","Effect":"Deny","Action":"*","Resource":"*","Condition":{)"
            R"("StringEquals":{"identitystore:UserId":"9a67c4d8-1071-70d2-e5c2-4f1a2b3c4d5e","aws:PrincipalAccount":"123456789012"},)"
            R"("DateGreaterThan":{"aws:CurrentTime":"2026-12-03T15:16:29Z"},)"
            R"("DateLessThan":{"aws:TokenIssueTime":"2026-12-03T15:18:29Z"}}})");
  EXPECT_EQ(sid_of("r-ab_3.k"), "JitCutoffrab3k");
  auto read = read_statement(statement_of(cutoff("rab3k7mnp", kT0)));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->sid, "JitCutoffrab3k7mnp");
  EXPECT_EQ(read->user_id, kUser);
  EXPECT_EQ(read->account_id, kAccount);
  EXPECT_EQ(read->cut_at, kT0);
  EXPECT_EQ(read->sessions_before, kT0 + 120s);
  EXPECT_FALSE(read_statement(Json{{"Sid", "Zeta"}}));
  EXPECT_FALSE(read_statement(Json{{"Sid", "JitCutoffbroken"}})) << "ours without the shape is not read";
}

TEST(CutoffPolicy, SourceIdentityStatementHasTheAgreedShape) {
  EXPECT_EQ(condition_key(PrincipalKey::identity_store_user), "identitystore:UserId");
  EXPECT_EQ(condition_key(PrincipalKey::source_identity), "aws:SourceIdentity");
  const auto c = cutoff("rab3k7mnp", kT0, 120s, "alice@example.com", "222233334444");
  const Json statement = statement_of(c, PrincipalKey::source_identity);
  EXPECT_EQ(statement.dump(),
            R"({"Sid":"JitCutoffrab3k7mnp","Effect":"Deny","Action":"*","Resource":"*","Condition":{)"
            R"("StringEquals":{"aws:SourceIdentity":"alice@example.com","aws:PrincipalAccount":"222233334444"},)"
            R"("DateGreaterThan":{"aws:CurrentTime":"2026-12-03T15:16:29Z"},)"
            R"("DateLessThan":{"aws:TokenIssueTime":"2026-12-03T15:18:29Z"}}})");
  EXPECT_EQ(read_statement(statement),
            (CutoffStatement{"JitCutoffrab3k7mnp", PrincipalKey::source_identity, "alice@example.com", "222233334444",
                             kT0, kT0 + 120s}));
  EXPECT_EQ(read_statement(statement_of(c))->key, PrincipalKey::identity_store_user) << "the default key";
}

TEST(CutoffPolicy, AStatementNamingBothKeysOrNeitherIsNotOurs) {
  const auto c = cutoff("rab3k7mnp", kT0);
  Json both = statement_of(c);
  both["Condition"]["StringEquals"]["aws:SourceIdentity"] = "alice@example.com";
  EXPECT_FALSE(read_statement(both)) << both.dump();
  Json neither = statement_of(c);
  neither["Condition"]["StringEquals"].erase("identitystore:UserId");
  EXPECT_FALSE(read_statement(neither)) << neither.dump();
  Json empty = statement_of(c, PrincipalKey::source_identity);
  empty["Condition"]["StringEquals"]["aws:SourceIdentity"] = "";
  EXPECT_FALSE(read_statement(empty)) << empty.dump();

  auto p = parsed(kAdmin);
  p.document["Statement"].push_back(both);
  p.document["Statement"].push_back(neither);
  merge(p, statement_of(cutoff("rz", kT0, 120s, "alice@example.com"), PrincipalKey::source_identity));
  ASSERT_EQ(cutoffs_in(p).size(), 1u);
  EXPECT_EQ(cutoffs_in(p)[0].key, PrincipalKey::source_identity);
  EXPECT_EQ(prune(p, kT0 + 100h, 1h), 1);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"Zeta", "", "JitCutoffrab3k7mnp", "JitCutoffrab3k7mnp"}))
      << "the unreadable ones stay, pruned or not";
}

TEST(CutoffPolicy, ClampMovesASourceIdentitysPreviousMargin) {
  auto p = parsed("");
  merge(p, statement_of(cutoff("rsi", kT0, 120s, "alice@example.com"), PrincipalKey::source_identity));
  merge(p, statement_of(cutoff("ruid", kT0, 120s, kUser)));
  EXPECT_EQ(clamp(p, cutoff("rnext", kT0 + 1h, 120s, "alice@example.com"), kT0 + 30s), 1);
  EXPECT_EQ(cutoffs_in(p)[0].sid, "JitCutoffrsi");
  EXPECT_EQ(cutoffs_in(p)[0].sessions_before, kT0 + 30s);
  EXPECT_EQ(cutoffs_in(p)[1].sessions_before, kT0 + 120s);
}

TEST(CutoffPolicy, MergeKeepsTheAdminsStatementsAndSortsOursBySid) {
  auto p = parsed(kAdmin);
  merge(p, statement_of(cutoff("rc", kT0)));
  merge(p, statement_of(cutoff("ra", kT0)));
  merge(p, statement_of(cutoff("rb", kT0)));
  EXPECT_EQ(sids(p), (std::vector<std::string>{"Zeta", "", "JitCutoffra", "JitCutoffrb", "JitCutoffrc"}));
  const std::string before = render(p);
  merge(p, statement_of(cutoff("rb", kT0)));
  EXPECT_EQ(render(p), before) << "merging the same statement again changes nothing";
  merge(p, statement_of(cutoff("rb", kT0 + 1h)));
  EXPECT_EQ(sids(p).size(), 5u) << "replaced by Sid, not added";
  EXPECT_EQ(cutoffs_in(p)[1].cut_at, kT0 + 1h);
  EXPECT_TRUE(render(p).starts_with(std::string(kAdmin).substr(0, std::string(kAdmin).size() - 2)))
      << "the admin's statements are written back as they were";
}

TEST(CutoffPolicy, PruneDropsOnlyOursWhoseSessionsHaveAllExpired) {
  auto p = parsed(kAdmin);
  merge(p, statement_of(cutoff("rold", kT0)));         // sessions_before T0+2m: last session ends T0+1h2m
  merge(p, statement_of(cutoff("rnew", kT0 + 30min)));  // T0+32m: ends T0+1h32m
  p.document["Statement"].push_back(Json{{"Sid", "JitCutoffunreadable"}});
  EXPECT_EQ(prune(p, kT0 + 1h + 2min, 1h), 0) << "at the very second it still holds";
  EXPECT_EQ(prune(p, kT0 + 1h + 2min + 1s, 1h), 1);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"Zeta", "", "JitCutoffrnew", "JitCutoffunreadable"}));
  EXPECT_EQ(prune(p, kT0 + 100h, 12h), 1);
  EXPECT_EQ(sids(p), (std::vector<std::string>{"Zeta", "", "JitCutoffunreadable"})) << "the admin's and unreadable stay";
}

TEST(CutoffPolicy, ClampStopsThePreviousMarginFromCuttingANewGrant) {
  auto p = parsed("");
  merge(p, statement_of(cutoff("rprev", kT0)));  // cutting from T0, sessions before T0+2m
  merge(p, statement_of(cutoff("rother", kT0, 120s, kOtherUser)));
  merge(p, statement_of(cutoff("racct", kT0, 120s, kUser, "210987654321")));
  merge(p, statement_of(cutoff("rlater", kT0 + 1h)));  // not cutting yet
  const TimePoint now = kT0 + 30s;
  const auto armed = cutoff("rnext", now + 1h);
  EXPECT_EQ(clamp(p, armed, now), 1);
  for (const auto& c : cutoffs_in(p)) {
    SCOPED_TRACE(c.sid);
    const TimePoint expected = c.sid == "JitCutoffrprev" ? now : c.cut_at + 120s;
    EXPECT_EQ(c.sessions_before, expected);
  }
  EXPECT_EQ(clamp(p, armed, now), 0) << "now < sessions_before no longer holds";
  EXPECT_EQ(clamp(p, armed, kT0 - 1s), 0) << "a statement not yet cutting is left alone";
}

TEST(CutoffPolicy, SizeCountsNonWhitespaceCharacters) {
  EXPECT_EQ(policy_size(R"({"Version":"2012-10-17","Statement":[]})"), 39);
  EXPECT_EQ(policy_size("{ \"a\" :\n\t\"b c\" }"), 10);
  EXPECT_EQ(policy_size(statement_of(cutoff("rab3k7mnp", kT0)).dump()), 325);
  EXPECT_FALSE(full(kSizeLimit));
  EXPECT_TRUE(full(kSizeLimit + 1));
}

// How many grants' statements (36-character user ids, 9-character grant ids) one permission set
// holds: alone, and beside 2,000 characters of the admin's statements.
int capacity(std::string_view admin) {
  auto p = parsed(admin);
  for (int n = 0;; ++n) {
    merge(p, statement_of(cutoff(fmt::format("r{:08d}", n), kT0 + Seconds(n))));
    if (full(policy_size(render(p)))) return n;
  }
}

TEST(CutoffPolicy, CapacityWithAndWithoutAdminStatements) {
  EXPECT_EQ(capacity(""), 31);
  // One admin statement of exactly 2,000 characters: its Resource padded.
  Json admin = {{"Sid", "Admin"}, {"Effect", "Allow"}, {"Action", "s3:GetObject"}, {"Resource", ""}};
  const int bare = policy_size(admin.dump());
  admin["Resource"] = "arn:aws:s3:::" + std::string(2000 - bare - 13, 'b');
  ASSERT_EQ(policy_size(admin.dump()), 2000);
  const std::string with_admin = Json{{"Version", "2012-10-17"}, {"Statement", Json::array({admin})}}.dump();
  EXPECT_EQ(capacity(with_admin), 25);
}

TEST(CutoffPolicy, SessionDurations) {
  EXPECT_EQ(parse_duration("PT1H"), Seconds{3600});
  EXPECT_EQ(parse_duration("PT12H"), Seconds{12 * 3600});
  EXPECT_EQ(parse_duration("PT1H30M"), Seconds{5400});
  EXPECT_EQ(parse_duration("PT15M"), Seconds{900});
  EXPECT_EQ(parse_duration("PT2H0M30S"), Seconds{7230});
  for (std::string_view bad : {"", "PT", "P1D", "PT1", "PTH", "PT1M1H", "PT1H1H", "1H", "PT0H", "PT1.5H"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
    EXPECT_EQ(session_duration_or_default(bad), 12h) << bad;
  }
  EXPECT_EQ(session_duration_or_default("PT1H"), 1h);
}

}  // namespace
}  // namespace jit::aws::cutoff
