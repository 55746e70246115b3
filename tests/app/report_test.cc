#include "app/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/report_trail.h"
#include "audit/credentials.h"
#include "fakes/memory_store.h"

namespace jit::testing {
namespace {

using ::testing::ElementsAre;
using audit_report::Filter;
using audit_report::Outcome;

using std::chrono::hours;
using std::chrono::minutes;

// A whole day around kT0.
const Filter kDay{.since = *parse_time("2026-11-24"), .until = *parse_time("2026-11-25")};

const audit_report::GrantRow* find(const std::vector<audit_report::GrantRow>& rows, const std::string& id) {
  for (const auto& r : rows)
    if (r.request_id == id) return &r;
  return nullptr;
}

TEST(ReportRows, EveryApproverOfAnNofMGrantIsListedWithWhen) {
  ReportTrail trail;
  auto r = trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE", "U0BOB", "U0CAROL"});
  trail.ended(r, "expire", "system:timer", *r.expires_at, "expired");
  const auto rows = audit_report::grant_rows(trail.events(), kDay);
  ASSERT_EQ(rows.size(), 1u);
  const auto& row = rows[0];
  ASSERT_EQ(row.approvals.size(), 3u);
  EXPECT_EQ(row.approvals[0].approver, "U0ALICE");
  EXPECT_EQ(row.approvals[0].at, kT0 + minutes{1});
  EXPECT_EQ(row.approvals[2].approver, "U0CAROL");
  EXPECT_EQ(row.approvals[2].at, kT0 + minutes{3});
  EXPECT_EQ(row.approvals_needed, 3);
  EXPECT_EQ(row.requester, "U0DEV");
  EXPECT_EQ(row.requester_email, "dev@example.com");
  EXPECT_EQ(row.account, "prod");
  EXPECT_EQ(row.account_id, "123456789012");
  EXPECT_EQ(row.role, "admin");
  EXPECT_EQ(row.duration, hours{1});
  EXPECT_EQ(row.reason, "investigating INC-1");
  EXPECT_EQ(row.ticket, "INC-1");
  EXPECT_EQ(row.requested_at, kT0);
  EXPECT_EQ(row.granted_at, kT0 + minutes{3});
  EXPECT_EQ(row.expires_at, kT0 + minutes{63});
  EXPECT_EQ(row.ended_at, kT0 + minutes{63});
  EXPECT_EQ(row.outcome, Outcome::expired);
  EXPECT_EQ(row.ended_by, "");
  EXPECT_EQ(row.permalink, "https://acme.slack.com/archives/C0PROD/p1764000000000100");
  EXPECT_EQ(row.first_seq, 1);
  EXPECT_EQ(row.last_seq, 9);
  EXPECT_TRUE(row.from_request_row.empty());
  EXPECT_FALSE(row.past_the_break);
}

// An extension approved before its grant's end takes the assignment over (hand_over): the grant's
// row ends there as "extended" by the extension, whose own row names the grant it extends; the
// requests of a bundle each name the bundle. Both from the submit and hand_over events' facts.
TEST(ReportRows, AnExtensionAndABundleAreLinkedToTheirRows) {
  ReportTrail trail;
  auto grant = trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE"});
  AccessRequest more = ReportTrail::request("r2", kT0 + minutes{50});
  more.extends = "r1";
  more = trail.granted(more, {"U0BOB"});
  trail.handed_over(grant, "r2", kT0 + minutes{51});
  AccessRequest staging = ReportTrail::request("r3", kT0 + minutes{5}, "staging");
  trail.add("r3", "submit", staging.created_at, "U0DEV", audit::facts::of_submit(staging, "r0"));
  staging.expires_at = staging.created_at + hours{1};
  trail.add("r3", "begin_grant", staging.created_at, "system:engine", audit::facts::of_begin_grant(staging));

  const auto rows = audit_report::grant_rows(trail.events(), kDay);
  ASSERT_EQ(rows.size(), 3u);
  const auto* old = find(rows, "r1");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->outcome, Outcome::extended);
  EXPECT_EQ(audit_report::outcome_name(old->outcome), "extended");
  EXPECT_EQ(old->extended_by, "r2");
  EXPECT_EQ(old->ended_at, kT0 + minutes{51});
  EXPECT_EQ(old->window_end, kT0 + minutes{51});
  EXPECT_EQ(old->end_reason, "extended by r2");
  EXPECT_EQ(old->extends, "");
  const auto* ext = find(rows, "r2");
  ASSERT_TRUE(ext);
  EXPECT_EQ(ext->extends, "r1");
  EXPECT_EQ(ext->outcome, Outcome::active);
  EXPECT_EQ(ext->extended_by, "");
  EXPECT_EQ(find(rows, "r3")->bundle, "r0");
  EXPECT_EQ(old->bundle, "");
  // A window after the hand-over shows the extension only.
  const auto later = audit_report::grant_rows(
      trail.events(), {.since = kT0 + minutes{52}, .until = kT0 + minutes{53}, .account = "prod"});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].request_id, "r2");
}

TEST(ReportRows, AFailedGrantIsARowButARefusalBeforeBeginGrantIsNot) {
  ReportTrail trail;
  AccessRequest failed = ReportTrail::request("r-failed", kT0);
  trail.add("r-failed", "submit", kT0, "U0DEV", audit::facts::of_submit(failed));
  trail.add("r-failed", "approve", kT0 + minutes{1}, "U0ALICE",
            audit::facts::of_decision({"U0ALICE", true, "", kT0 + minutes{1}}, 1, 1));
  failed.expires_at = kT0 + minutes{61};
  trail.add("r-failed", "begin_grant", kT0 + minutes{1}, "system:engine", audit::facts::of_begin_grant(failed));
  failed.ended_at = kT0 + minutes{2};
  failed.end_reason = "grant failed: AccessDeniedException";
  trail.add("r-failed", "grant_failed", kT0 + minutes{2}, "system:engine", audit::facts::of_end(failed));

  AccessRequest refused = ReportTrail::request("r-refused", kT0);
  trail.add("r-refused", "submit", kT0, "U0DEV", audit::facts::of_submit(refused));
  trail.add("r-refused", "approve", kT0 + minutes{1}, "U0ALICE",
            audit::facts::of_decision({"U0ALICE", true, "", kT0 + minutes{1}}, 1, 1));
  refused.ended_at = kT0 + minutes{1};
  refused.end_reason = "no such user in Identity Center";
  trail.add("r-refused", "grant_failed", kT0 + minutes{1}, "system:engine", audit::facts::of_end(refused));

  const auto rows = audit_report::grant_rows(trail.events(), kDay);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].request_id, "r-failed");
  EXPECT_EQ(rows[0].outcome, Outcome::failed);
  EXPECT_EQ(rows[0].granted_at, std::nullopt);
  EXPECT_EQ(rows[0].ended_at, kT0 + minutes{2});
  EXPECT_EQ(rows[0].end_reason, "grant failed: AccessDeniedException");
  EXPECT_EQ(rows[0].window_start, kT0 + minutes{1});  // access may have existed from the provider call
}

TEST(ReportRows, AGrantStillActiveAtUntilIsOpenEnded) {
  ReportTrail trail;
  // Granted the day before the window, for a long time, and never ended.
  auto r = ReportTrail::request("r-long", kT0 - hours{24});
  r.duration = hours{48};
  trail.granted(r, {"U0ALICE"});
  const auto rows = audit_report::grant_rows(trail.events(), kDay);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, Outcome::active);
  EXPECT_EQ(rows[0].ended_at, std::nullopt);
  EXPECT_EQ(rows[0].window_end, std::nullopt);
  EXPECT_EQ(rows[0].expires_at, kT0 - hours{24} + minutes{1} + hours{48});
}

TEST(ReportRows, OnlyGrantsWhoseAccessOverlapsTheWindow) {
  ReportTrail trail;
  // Ended before the window, ended exactly at its start, overlapping its start, inside it,
  // starting exactly at its end, and revoking (not yet confirmed) across its end.
  auto before = trail.granted(ReportTrail::request("r-before", kDay.since - hours{5}), {"U0ALICE"});
  trail.ended(before, "expire", "system:timer", kDay.since - hours{4}, "expired");
  auto at_start = trail.granted(ReportTrail::request("r-at-start", kDay.since - hours{2}), {"U0ALICE"});
  trail.ended(at_start, "release", "U0DEV", kDay.since, "released by U0DEV");
  auto across = trail.granted(ReportTrail::request("r-across", kDay.since - hours{1}), {"U0ALICE"});
  trail.ended(across, "expire", "system:timer", kDay.since + minutes{1}, "expired");
  auto inside = trail.granted(ReportTrail::request("r-inside", kT0), {"U0ALICE"});
  trail.ended(inside, "admin_revoke", "U0ADMIN", kT0 + minutes{30}, "revoked by U0ADMIN: done");
  trail.granted(ReportTrail::request("r-at-end", kDay.until - minutes{1}), {"U0ALICE"});
  auto revoking = trail.granted(ReportTrail::request("r-revoking", kDay.until - hours{1}), {"U0ALICE"});
  revoking.end_reason = "expired";
  trail.add("r-revoking", "expire", kDay.until - minutes{1}, "system:timer", audit::facts::of_end(revoking));

  const auto rows = audit_report::grant_rows(trail.events(), kDay);
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.request_id);
  EXPECT_THAT(ids, ElementsAre("r-across", "r-inside", "r-revoking"));
  const auto* inside_row = find(rows, "r-inside");
  ASSERT_NE(inside_row, nullptr);
  EXPECT_EQ(inside_row->outcome, Outcome::revoked);
  EXPECT_EQ(inside_row->ended_by, "U0ADMIN");
  EXPECT_EQ(inside_row->end_reason, "revoked by U0ADMIN: done");
  const auto* revoking_row = find(rows, "r-revoking");
  ASSERT_NE(revoking_row, nullptr);
  EXPECT_EQ(revoking_row->outcome, Outcome::revoking);
  EXPECT_EQ(revoking_row->ended_at, std::nullopt);

  // The released one, in a window that includes it.
  const auto wider = audit_report::grant_rows(trail.events(), {.since = kDay.since - hours{3}, .until = kDay.until});
  const auto* released = find(wider, "r-at-start");
  ASSERT_NE(released, nullptr);
  EXPECT_EQ(released->outcome, Outcome::released);
  EXPECT_EQ(released->ended_by, "U0DEV");
}

TEST(ReportRows, TheAccountFilterKeepsOneAccount) {
  ReportTrail trail;
  trail.granted(ReportTrail::request("r-prod", kT0, "prod"), {"U0ALICE"});
  trail.granted(ReportTrail::request("r-stage", kT0 + minutes{5}, "staging"), {"U0ALICE"});
  Filter f = kDay;
  f.account = "staging";
  const auto rows = audit_report::grant_rows(trail.events(), f);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].request_id, "r-stage");
  f.account = "nowhere";
  EXPECT_TRUE(audit_report::grant_rows(trail.events(), f).empty());
  EXPECT_EQ(audit_report::grant_rows(trail.events(), kDay).size(), 2u);
}

TEST(ReportRows, FactsTheChainLacksComeFromTheRequestRowAndAreNamed) {
  ReportTrail trail;
  // Events written before facts were kept: the event fields only.
  trail.add("r-old", "submit", kT0, "U0DEV", "");
  trail.add("r-old", "approve", kT0 + minutes{1}, "U0ALICE", "");
  // A begin_grant with its facts (what was assigned), on a trail whose submit has none.
  AccessRequest assigned = ReportTrail::request("r-old", kT0);
  assigned.expires_at = kT0 + minutes{61};
  trail.add("r-old", "begin_grant", kT0 + minutes{1}, "system:engine", audit::facts::of_begin_grant(assigned));
  trail.add("r-old", "grant_succeeded", kT0 + minutes{1}, "system:engine", "");
  AccessRequest row = ReportTrail::request("r-old", kT0);
  row.requester = "U0SOMEONE-ELSE";  // the row was edited: the chain wins where it says anything
  row.account_id = "999999999999";
  row.expires_at = kT0 + hours{24};

  // Without a reader: blank, but what the events themselves prove is there.
  const auto bare = audit_report::grant_rows(trail.events(), kDay);
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_EQ(bare[0].requester, "U0DEV");
  EXPECT_EQ(bare[0].reason, "");
  EXPECT_EQ(bare[0].granted_at, kT0 + minutes{1});
  ASSERT_EQ(bare[0].approvals.size(), 1u);
  EXPECT_EQ(bare[0].approvals[0].approver, "U0ALICE");

  const auto rows = audit_report::grant_rows(trail.events(), kDay, 0, [&](const std::string& id) -> std::optional<AccessRequest> {
    return id == "r-old" ? std::optional(row) : std::nullopt;
  });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].requester, "U0DEV");
  EXPECT_EQ(rows[0].reason, "investigating INC-1");
  EXPECT_EQ(rows[0].account, "prod");
  EXPECT_EQ(rows[0].account_id, "123456789012");      // begin_grant's facts, not the edited row
  EXPECT_EQ(rows[0].expires_at, kT0 + minutes{61});  // likewise
  EXPECT_THAT(rows[0].from_request_row,
              ElementsAre("requester_email", "account", "role", "reason", "ticket", "duration"));
}

TEST(ReportRows, ABrokenChainIsStatedAndItsLaterRowsMarked) {
  ReportTrail trail;
  trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE"});
  trail.granted(ReportTrail::request("r2", kT0 + hours{1}), {"U0ALICE"});
  EXPECT_TRUE(audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed()).verified);
  EXPECT_EQ(audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed()).verified_to, 10);

  trail.events()[6].detail = "edited";  // r2's posted event (seq 7)
  const auto status = audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed());
  EXPECT_FALSE(status.verified);
  EXPECT_EQ(status.verified_to, 6);
  EXPECT_FALSE(status.problem.empty());
  const auto rows = audit_report::grant_rows(trail.events(), kDay, status.verified_to + 1);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(find(rows, "r1")->past_the_break);
  EXPECT_TRUE(find(rows, "r2")->past_the_break);
}

TEST(ReportRows, FactsThatAreNotAnObjectCountAsNone) {
  ReportTrail trail;
  trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE"});
  trail.events()[0].facts = "[not json";
  const auto rows = audit_report::grant_rows(trail.events(), kDay);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].requester, "U0DEV");  // the submit event's actor
  EXPECT_EQ(rows[0].reason, "");
}

TEST(ReportBuild, RefusesAnEmptyWindowNamingBothFlags) {
  MemoryStore store;
  auto built = audit_report::build(store, audit::Keyring::unkeyed(), {.since = kT0, .until = kT0}, kT0);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code, Errc::invalid);
  EXPECT_THAT(built.error().message, ::testing::HasSubstr("--until"));
  EXPECT_THAT(built.error().message, ::testing::HasSubstr("--since"));
}

TEST(ReportBuild, ReadsTheStoreAndVerifiesTheWholeTrail) {
  MemoryStore store;
  ReportTrail trail;
  trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE", "U0BOB"});
  for (const auto& e : trail.events()) ASSERT_TRUE(store.import_audit(e));
  auto built = audit_report::build(store, audit::Keyring::unkeyed(), kDay, kT0 + hours{2});
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_TRUE(built->chain.verified);
  EXPECT_EQ(built->chain.events, 6);
  EXPECT_EQ(built->chain.verified_to, 6);
  EXPECT_FALSE(built->chain.checkpoint.checked);
  EXPECT_EQ(built->generated_at, kT0 + hours{2});
  ASSERT_EQ(built->rows.size(), 1u);
  EXPECT_EQ(built->rows[0].approvals.size(), 2u);
}

// Issue 15: a security key's events sit in the same trail under a "cred-" id; the trail still
// verifies and the report's rows are the same as without them.
TEST(ReportRows, CredentialEventsAreNotGrantsAndTheTrailStillVerifies) {
  const auto rows_of = [](bool with_credentials) {
    ReportTrail trail;
    const std::string cred = audit::credential_trail_id("Y3JlZA");
    if (with_credentials)
      trail.add(cred, "credential_enrolled", kT0 - minutes{5}, "U0ALICE",
                audit::facts::of_credential_enrolled("Y3JlZA", -7, "a2V5", "U0ALICE"),
                "security key \"yubikey\" enrolled by U0ALICE");
    auto r = trail.granted(ReportTrail::request("r1", kT0), {"U0ALICE"});
    if (with_credentials)
      trail.add(cred, "credential_removed", kT0 + minutes{10}, "U0ADMIN",
                audit::facts::of_credential_removed("Y3JlZA", "U0ALICE"));
    trail.ended(r, "expire", "system:timer", *r.expires_at, "expired");
    EXPECT_TRUE(audit_report::chain_status(trail.events(), trail.head(), audit::Keyring::unkeyed()).verified);
    return audit_report::grant_rows(trail.events(), kDay);
  };
  const auto plain = rows_of(false), with = rows_of(true);
  ASSERT_EQ(with.size(), 1u);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(with[0].request_id, "r1");
  EXPECT_EQ(with[0].approvals.size(), plain[0].approvals.size());
  EXPECT_EQ(with[0].outcome, plain[0].outcome);
  EXPECT_EQ(with[0].granted_at, plain[0].granted_at);
  EXPECT_EQ(with[0].ended_at, plain[0].ended_at);
}

}  // namespace
}  // namespace jit::testing
