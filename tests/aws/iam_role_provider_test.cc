// IamRoleProvider against a fake IAM (tests/aws/fake_iam.h: every request checked against the
// official IAM model): the grant's trust statement beside the admin's, idempotency, revoke and
// list, the size quota, unreadable documents, concurrent changes, propagation reads on simulated
// time, the cut-off deny in the role's inline policy, error mapping, locks, and configuration.
#include "aws/iam_role_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

#include "aws/cutoff_policy.h"
#include "fake_iam.h"
#include "fakes/manual_clock.h"
#include "fakes/memory_locks.h"

namespace jit::aws {
namespace {
namespace iam_role_provider_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;
using Json = cutoff::Json;
using testing::FakeIam;
using ::testing::HasSubstr;

constexpr char kAccount[] = "111122223333";
constexpr char kRoleName[] = "jit-admin";
constexpr char kRoleArn[] = "arn:aws:iam::111122223333:role/jit-admin";
constexpr char kBase[] = "arn:aws:iam::111122223333:role/okta-engineer";
constexpr char kCutoffs[] = "jit-access-cutoffs";
constexpr char kAlice[] = "alice@example.com";
constexpr char kBob[] = "bob@example.com";
// The admin's own statement, with members in an order a re-serialisation would not choose.
constexpr char kAdminStatement[] =
    R"({"Sid":"BreakGlass","Principal":{"AWS":"arn:aws:iam::111122223333:role/break-glass"},"Effect":"Allow","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}})";

std::string admin_trust() { return fmt::format(R"({{"Version":"2012-10-17","Statement":[{}]}})", kAdminStatement); }
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
Json statements_of(const std::string& document) { return Json::parse(document)["Statement"]; }
std::vector<std::string> sids_of(const std::string& document) {
  std::vector<std::string> out;
  for (const auto& s : statements_of(document)) out.push_back(s.value("Sid", ""));
  return out;
}
AwsError aws_error(int status, std::string code, std::string message, bool retryable = false) {
  return AwsError{status, std::move(code), std::move(message), nullptr, retryable};
}

class IamRoleProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { iam_->add_role(kRoleName, admin_trust()); }

  IamRoleProvider& provider(IamRoleOptions options = {}, Locks* locks = nullptr) {
    IamRoleConfig config;
    config.options = options;
    config.account = [](const std::string& id) -> std::optional<IamRoleAccount> {
      if (id != kAccount) return std::nullopt;
      return IamRoleAccount{kAccount, "arn:aws:iam::111122223333:role/jit-access-management", "jit-7f3a", kBase};
    };
    config.iam_for = [this](const IamRoleAccount& account) -> Result<std::shared_ptr<AwsQueryApi>> {
      EXPECT_EQ(account.account_id, kAccount);
      return std::shared_ptr<AwsQueryApi>(iam_);
    };
    config.locks = locks;
    config.lock_owner = "instance-a";
    provider_ = std::make_unique<IamRoleProvider>(std::move(config), clock_);
    return *provider_;
  }
  Assignment of(std::string who, std::string role = kRoleArn) const { return {std::move(who), kAccount, std::move(role)}; }
  GrantTerms terms(std::string id, Seconds from_now = 3600s) const { return {std::move(id), clock_.now() + from_now}; }
  // The statement a grant must write (the shape of docs and the lead's design), as text.
  static std::string expected_statement(std::string_view sid, std::string_view who, std::string_view until) {
    return fmt::format(
        R"({{"Sid":"{}","Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{{"StringEquals":{{"sts:SourceIdentity":"{}"}},"DateLessThan":{{"aws:CurrentTime":"{}"}}}}}})",
        sid, kBase, who, until);
  }

  std::shared_ptr<FakeIam> iam_ = std::make_shared<FakeIam>();
  ManualClock clock_{*parse_time("2026-12-03T09:00:00Z")};
  std::unique_ptr<IamRoleProvider> provider_;
};

TEST_F(IamRoleProviderTest, GrantWritesTheExactStatementAndKeepsTheAdminsAsWritten) {
  ASSERT_TRUE(provider().grant(of(kAlice), terms("r-1a2b")));

  const std::string trust = iam_->trust(kRoleName);
  const Json list = statements_of(trust);
  ASSERT_EQ(list.size(), 2u) << trust;
  EXPECT_EQ(list[0].dump(), kAdminStatement);  // same members, same order, same values
  EXPECT_EQ(list[1].dump(), expected_statement("JitGrantr1a2b", kAlice, "2026-12-03T10:00:00Z"));
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 1);
  // Reported in effect only after two reads in a row showed it, one poll apart.
  EXPECT_EQ(iam_->count("GetRole"), 3);
  EXPECT_EQ(clock_.slept(), 2000ms);
}

// A '%' in the admin's statement survives both forms of reply: IAM's URL-encoded documents and
// documents sent back as written (moto, emulators), which are never decoded.
TEST_F(IamRoleProviderTest, DocumentsAreReadWhetherURLEncodedOrAsWritten) {
  const std::string admin =
      R"({"Version":"2012-10-17","Statement":[{"Sid":"Odd","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:userid":"100%25+x&y"}}}]})";
  for (const bool encoded : {true, false}) {
    iam_ = std::make_shared<FakeIam>();
    if (!encoded) iam_->send_documents_as_written();
    iam_->add_role(kRoleName, admin);
    ASSERT_TRUE(provider().grant(of(kAlice), terms("r1"))) << encoded;
    const Json list = statements_of(iam_->trust(kRoleName));
    ASSERT_EQ(list.size(), 2u) << encoded;
    EXPECT_EQ(list[0], statements_of(admin)[0]) << encoded;
    EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 1) << encoded;
  }
}

TEST_F(IamRoleProviderTest, GrantAgainWritesNothing) {
  auto& p = provider();
  const GrantTerms same = terms("r1");
  ASSERT_TRUE(p.grant(of(kAlice), same));
  const std::string before = iam_->trust(kRoleName);
  ASSERT_TRUE(p.grant(of(kAlice), same));
  EXPECT_EQ(iam_->trust(kRoleName), before);
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 1);
}

TEST_F(IamRoleProviderTest, GrantAgainWithANewExpiryRewritesTheSameStatement) {
  auto& p = provider();
  ASSERT_TRUE(p.grant(of(kAlice), terms("r1", 3600s)));
  ASSERT_TRUE(p.grant(of(kAlice), terms("r1", 1800s)));
  const Json list = statements_of(iam_->trust(kRoleName));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["Condition"]["DateLessThan"]["aws:CurrentTime"], "2026-12-03T09:30:02Z");
}

TEST_F(IamRoleProviderTest, RevokeRemovesOnlyThatPersonsStatements) {
  auto& p = provider();
  ASSERT_TRUE(p.grant(of(kAlice), terms("r1")));
  ASSERT_TRUE(p.grant(of(kBob), terms("r2")));
  ASSERT_TRUE(p.grant(of(kAlice), terms("r3")));
  ASSERT_EQ(sids_of(iam_->trust(kRoleName)), (std::vector<std::string>{"BreakGlass", "JitGrantr1", "JitGrantr2", "JitGrantr3"}));

  ASSERT_TRUE(p.revoke(of(kAlice)));
  EXPECT_EQ(sids_of(iam_->trust(kRoleName)), (std::vector<std::string>{"BreakGlass", "JitGrantr2"}));
  EXPECT_EQ(statements_of(iam_->trust(kRoleName))[0].dump(), kAdminStatement);

  // Nothing of Alice's left: success without a write.
  const int writes = iam_->count("UpdateAssumeRolePolicy");
  ASSERT_TRUE(p.revoke(of(kAlice)));
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), writes);
}

TEST_F(IamRoleProviderTest, ListShowsTheGrantsWhoseWindowIsOpen) {
  auto& p = provider();
  ASSERT_TRUE(p.grant(of(kAlice), terms("r1", 3600s)));
  ASSERT_TRUE(p.grant(of(kBob), terms("r2", 1800s)));
  auto both = p.list(kAccount, kRoleArn);
  ASSERT_TRUE(both) << both.error().message;
  EXPECT_EQ(*both, (std::vector<Assignment>{of(kAlice), of(kBob)}));

  clock_.advance(1900s);  // Bob's window has closed
  auto open = p.list(kAccount, kRoleArn);
  ASSERT_TRUE(open);
  EXPECT_EQ(*open, std::vector<Assignment>{of(kAlice)});
}

TEST_F(IamRoleProviderTest, AFullTrustPolicyIsRefusedNamingTheRoleTheLiveGrantsAndTheNextClose) {
  // Room for the admin's statement and exactly two grants.
  auto sized = cutoff::parse_policy(admin_trust());
  trust::merge(*sized, {"r1", kBase, kAlice, clock_.now() + 3600s});
  trust::merge(*sized, {"r2", kBase, kBob, clock_.now() + 1800s});
  IamRoleOptions options;
  options.trust_policy_size_limit = cutoff::policy_size(cutoff::render(*sized));
  auto& p = provider(options);
  const TimePoint start = clock_.now();
  ASSERT_TRUE(p.grant(of(kAlice), {"r1", start + 3600s}));
  ASSERT_TRUE(p.grant(of(kBob), {"r2", start + 1800s}));
  const std::string before = iam_->trust(kRoleName);

  constexpr char kCat[] = "cat@example.com";  // as long as Bob's
  auto r = p.grant(of(kCat), terms("r3"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_TRUE(contains(r.error().message, kRoleArn)) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "2 live grants")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "2026-12-03T09:30:00Z")) << r.error().message;  // Bob's window
  EXPECT_EQ(iam_->trust(kRoleName), before);
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 2);

  // Once Bob's window has closed its statement is pruned and Carol's fits.
  clock_.set(start + 1801s);
  ASSERT_TRUE(p.grant(of(kCat), terms("r3")));
  EXPECT_EQ(sids_of(iam_->trust(kRoleName)), (std::vector<std::string>{"BreakGlass", "JitGrantr1", "JitGrantr3"}));
}

// How many grants fit IAM's default quota of 2,048 characters beside one admin statement: the
// provider refuses the next itself, before IAM would (LimitExceeded), and says how many are live.
TEST_F(IamRoleProviderTest, TheDefaultQuotaIsMetByOurRefusalNotByIams) {
  auto& p = provider();
  int granted = 0;
  Result<> r;
  for (; granted < 40; ++granted) {
    // Request ids as the engine makes them ("r" + 8), addresses of a usual length (26 characters).
    r = p.grant(of(fmt::format("first.last{:02}@example.com", granted)), terms(fmt::format("r{:08}", granted)));
    if (!r) break;
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, fmt::format("{} live grants", granted))) << r.error().message;
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), granted);
  EXPECT_GE(granted, 5);
  EXPECT_LE(cutoff::policy_size(iam_->trust(kRoleName)), FakeIam::kTrustLimit);
  std::printf("grants fitting the 2,048-character trust quota beside one admin statement: %d\n", granted);
}

TEST_F(IamRoleProviderTest, AnUnreadableTrustPolicyIsNeverRewritten) {
  iam_->add_role("hand-edited", R"({"Version":"2012-10-17","Statement":"everyone"})");
  auto& p = provider();
  const std::string arn = "arn:aws:iam::111122223333:role/hand-edited";
  auto r = p.grant(of(kAlice, arn), terms("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, arn)) << r.error().message;
  EXPECT_FALSE(p.revoke(of(kAlice, arn)));
  EXPECT_FALSE(p.list(kAccount, arn));
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 0);
  EXPECT_EQ(iam_->trust("hand-edited"), R"({"Version":"2012-10-17","Statement":"everyone"})");
}

// Another writer's change landing right after ours: our statement gone, theirs in.
void someone_else_writes(std::string& document) {
  auto policy = cutoff::parse_policy(document);
  Json kept = Json::array();
  for (auto& s : policy->document["Statement"])
    if (!s.value("Sid", "").starts_with("JitGrant")) kept.push_back(s);
  kept.push_back(Json::parse(fmt::format(
      R"({{"Sid":"Other{}","Effect":"Allow","Principal":{{"Service":"lambda.amazonaws.com"}},"Action":"sts:AssumeRole"}})",
      kept.size())));
  policy->document["Statement"] = kept;
  document = cutoff::render(*policy);
}

TEST_F(IamRoleProviderTest, AChangeUnderUsIsWrittenAgainOnTheNewDocument) {
  iam_->after_write(1, someone_else_writes);
  ASSERT_TRUE(provider().grant(of(kAlice), terms("r1")));
  EXPECT_EQ(sids_of(iam_->trust(kRoleName)), (std::vector<std::string>{"BreakGlass", "Other1", "JitGrantr1"}));
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 2);
}

TEST_F(IamRoleProviderTest, ChangesUnderUsGiveUpAfterMaxRewrites) {
  iam_->after_write(100, someone_else_writes);
  IamRoleOptions options;
  options.max_rewrites = 2;
  auto r = provider(options).grant(of(kAlice), terms("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "changed under us")) << r.error().message;
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 3);  // the write and two more
}

TEST_F(IamRoleProviderTest, TheGrantIsReportedOnlyAfterPropagationReadsSeeIt) {
  iam_->stale_reads(3);  // the next three reads after a write show the old document
  IamRoleOptions options;
  options.propagation_poll = 500ms;
  options.propagation_reads = 3;
  ASSERT_TRUE(provider(options).grant(of(kAlice), terms("r1")));
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 1);  // stale reads are waited out, not rewritten
  EXPECT_EQ(iam_->count("GetRole"), 1 + 3 + 3);
  EXPECT_EQ(clock_.slept(), 6 * 500ms);
}

TEST_F(IamRoleProviderTest, AGrantNotSeenByTheDeadlineIsUnavailable) {
  iam_->stale_reads(1'000'000);
  IamRoleOptions options;
  options.operation_deadline = 10s;
  auto r = provider(options).grant(of(kAlice), terms("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "not seen")) << r.error().message;
  EXPECT_EQ(clock_.slept(), 10s);
}

SessionCutoff cutoff_of(std::string grant, std::string who, TimePoint cut_at) {
  return {std::move(grant), {std::move(who), kAccount, kRoleArn}, cut_at, cut_at + 120s};
}

TEST_F(IamRoleProviderTest, ArmCutoffWritesTheSourceIdentityDenyInTheRolesInlinePolicy) {
  const auto c = cutoff_of("r1", kAlice, clock_.now() + 3600s);
  auto armed = provider().arm_cutoff(c);
  ASSERT_TRUE(armed) << armed.error().message;
  const auto policy = iam_->inline_policy(kRoleName, kCutoffs);
  ASSERT_TRUE(policy);
  const Json list = statements_of(*policy);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0], cutoff::statement_of(c, cutoff::PrincipalKey::source_identity));
  EXPECT_EQ(list[0]["Condition"]["StringEquals"]["aws:SourceIdentity"], kAlice);
  EXPECT_EQ(armed->statements, 1);
  EXPECT_EQ(armed->size, cutoff::policy_size(*policy));
  EXPECT_EQ(armed->size_limit, cutoff::kSizeLimit);
  EXPECT_EQ(armed->provisioning, 2000ms);  // two propagation reads, a second apart
  EXPECT_EQ(iam_->count("PutRolePolicy"), 1);
}

TEST_F(IamRoleProviderTest, PruneDeletesTheInlinePolicyWhenNothingIsLeft) {
  iam_->set_inline_policy(kRoleName, "other", R"({"Version":"2012-10-17","Statement":[]})");
  auto& p = provider();
  ASSERT_TRUE(p.arm_cutoff(cutoff_of("r1", kAlice, clock_.now() + 600s)));
  auto nothing = p.prune_cutoffs(kRoleArn);
  ASSERT_TRUE(nothing);
  EXPECT_EQ(*nothing, 0);  // its sessions may still live

  clock_.advance(600s + 120s + 3600s + 1s);  // sessions_before + MaxSessionDuration has passed
  auto pruned = p.prune_cutoffs(kRoleArn);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 1);
  EXPECT_FALSE(iam_->inline_policy(kRoleName, kCutoffs));
  EXPECT_TRUE(iam_->inline_policy(kRoleName, "other"));
  EXPECT_EQ(iam_->count("DeleteRolePolicy"), 1);
}

TEST_F(IamRoleProviderTest, ArmCutoffLeavesAnUnreadableInlinePolicyAndRefusesAFullOne) {
  iam_->set_inline_policy(kRoleName, kCutoffs, R"(["not", "an", "object"])");
  auto& p = provider();
  auto unreadable = p.arm_cutoff(cutoff_of("r1", kAlice, clock_.now() + 3600s));
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, Errc::invalid);
  EXPECT_EQ(iam_->inline_policy(kRoleName, kCutoffs), R"(["not", "an", "object"])");

  // The admin's own statements in our policy leave no room for a cut-off.
  const std::string padding(cutoff::kSizeLimit - 100, 'x');
  iam_->set_inline_policy(
      kRoleName, kCutoffs,
      fmt::format(R"({{"Version":"2012-10-17","Statement":[{{"Sid":"Admin","Effect":"Deny","Action":"s3:{}","Resource":"*"}}]}})",
                  padding));
  auto full = p.arm_cutoff(cutoff_of("r1", kAlice, clock_.now() + 3600s));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::denied);
  EXPECT_TRUE(contains(full.error().message, kRoleArn)) << full.error().message;
  EXPECT_EQ(iam_->count("PutRolePolicy"), 0);
}

TEST_F(IamRoleProviderTest, AMissingRoleIsNotFoundNamingItsArn) {
  const std::string arn = "arn:aws:iam::111122223333:role/ops/missing";
  auto r = provider().grant(of(kAlice, arn), terms("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_TRUE(contains(r.error().message, arn)) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "NoSuchEntity")) << r.error().message;
}

TEST_F(IamRoleProviderTest, AccessDeniedIsDeniedAndLoggedOnceWithoutTheDocument) {
  iam_->fail_next("UpdateAssumeRolePolicy",
                  aws_error(403, "AccessDenied",
                            "User: arn:aws:sts::111122223333:assumed-role/jit-access-management/jit-access is not "
                            "authorized to perform: iam:UpdateAssumeRolePolicy"));
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  auto r = provider().grant(of(kAlice), terms("r1"));
  spdlog::set_default_logger(previous);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_TRUE(contains(r.error().message, "iam UpdateAssumeRolePolicy: AccessDenied")) << r.error().message;
  const std::string text = log.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_TRUE(contains(text, "event=iam_role_failed")) << text;
  EXPECT_FALSE(contains(text, "sts:SetSourceIdentity")) << text;
}

TEST_F(IamRoleProviderTest, EachIamErrorMapsOntoItsErrc) {
  struct Case {
    const char* action;
    AwsError error;
    Errc expected;
  };
  const Case cases[] = {
      {"GetRole", aws_error(400, "Throttling", "Rate exceeded", true), Errc::unavailable},
      {"GetRole", aws_error(500, "ServiceFailure", "internal"), Errc::unavailable},
      {"UpdateAssumeRolePolicy", aws_error(409, "ConcurrentModification", "try again"), Errc::unavailable},
      {"UpdateAssumeRolePolicy", aws_error(409, "LimitExceeded", "Cannot exceed quota"), Errc::denied},
      {"UpdateAssumeRolePolicy", aws_error(400, "MalformedPolicyDocument", "bad"), Errc::invalid},
      {"GetRole", aws_error(0, "Credentials", "AssumeRole of the management role failed"), Errc::unavailable},
  };
  auto& p = provider();
  for (const auto& c : cases) {
    iam_->fail_next(c.action, c.error);
    auto r = p.grant(of(kAlice), terms("r1"));
    ASSERT_FALSE(r) << c.error.code;
    EXPECT_EQ(r.error().code, c.expected) << c.error.code << ": " << r.error().message;
    EXPECT_TRUE(contains(r.error().message, fmt::format("iam {}: {}", c.action, c.error.code))) << r.error().message;
  }
}

TEST_F(IamRoleProviderTest, TwoThreadsGrantingOnOneRoleBothEndUpPresent) {
  auto& p = provider();
  Result<> a, b;
  std::thread first([&] { a = p.grant(of(kAlice), terms("r1")); });
  std::thread second([&] { b = p.grant(of(kBob), terms("r2")); });
  first.join();
  second.join();
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(sids_of(iam_->trust(kRoleName)), (std::vector<std::string>{"BreakGlass", "JitGrantr1", "JitGrantr2"}));
  EXPECT_EQ(iam_->count("UpdateAssumeRolePolicy"), 2);  // serialised: neither had to write again
}

TEST_F(IamRoleProviderTest, TheRoleLockOfAnotherInstanceIsWaitedForUntilTheDeadline) {
  MemoryLocks locks(clock_);
  ASSERT_TRUE(*locks.try_lock(std::string("iam-role:") + kRoleArn, "instance-b", clock_.now() + 3600s));
  IamRoleOptions options;
  options.operation_deadline = 5s;
  auto r = provider(options, &locks).grant(of(kAlice), terms("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, std::string("iam-role:") + kRoleArn)) << r.error().message;
  EXPECT_EQ(iam_->count("GetRole"), 0);

  ASSERT_TRUE(locks.unlock(std::string("iam-role:") + kRoleArn, "instance-b"));
  ASSERT_TRUE(provider_->grant(of(kAlice), terms("r1")));
  EXPECT_EQ(locks.holder(std::string("iam-role:") + kRoleArn), "");  // let go after the grant
}

TEST_F(IamRoleProviderTest, AnAccountNotInPolicyIsInvalidBeforeAnyCall) {
  auto& p = provider();
  const Assignment elsewhere{kAlice, "999988887777", "arn:aws:iam::999988887777:role/jit-admin"};
  auto r = p.grant(elsewhere, terms("r1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, "999988887777")) << r.error().message;
  // A role ARN of another account than the assignment's.
  auto mismatched = p.grant({kAlice, kAccount, "arn:aws:iam::999988887777:role/jit-admin"}, terms("r1"));
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code, Errc::invalid);
  EXPECT_TRUE(iam_->actions().empty());
}

TEST_F(IamRoleProviderTest, ThePrincipalIsTheEmailWhenItCanBeASourceIdentity) {
  auto& p = provider();
  auto alice = p.resolve_principal(kAlice, kRoleArn);
  ASSERT_TRUE(alice);
  EXPECT_EQ(*alice, kAlice);
  EXPECT_TRUE(p.resolve_principal("first.last+jit=1,x@sub-domain.example.com", kRoleArn));
  // STS's pattern is [\w+=,.@-]: the underscore too (refused before, so first_last@ could not be granted).
  EXPECT_EQ(p.resolve_principal("first_last@example.com", kRoleArn).value_or(""), "first_last@example.com");
  for (const std::string& bad : {std::string("a"), std::string("alice smith@example.com"), std::string("al/ce@example.com"),
                                std::string(65, 'a'), std::string("älice@example.com")}) {
    auto r = p.resolve_principal(bad, kRoleArn);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid) << bad;
  }
  EXPECT_FALSE(p.grant(of("alice smith@example.com"), terms("r1")));
  EXPECT_TRUE(iam_->actions().empty());
}

TEST_F(IamRoleProviderTest, AnAccountOfLocalPartsGetsTheLocalPartAndOthersNothing) {
  IamRoleConfig config;
  config.account = [](const std::string& id) -> std::optional<IamRoleAccount> {
    if (id != kAccount) return std::nullopt;
    return IamRoleAccount{.account_id = kAccount, .management_role_arn = "arn:aws:iam::111122223333:role/m",
                          .external_id = "jit-7f3a", .base_principal_arn = kBase,
                          .source_identity = SourceIdentityForm::email_local_part};
  };
  IamRoleProvider p(std::move(config), clock_);
  EXPECT_EQ(p.resolve_principal("first_last@example.com", kRoleArn).value_or(""), "first_last");
  auto elsewhere = p.resolve_principal("first_last@example.com", "arn:aws:iam::999988887777:role/jit-admin");
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, Errc::invalid);
  EXPECT_THAT(elsewhere.error().message, HasSubstr("999988887777 is not an iam-role account"));
}

TEST_F(IamRoleProviderTest, RoleNameOfTakesTheLastPathSegment) {
  EXPECT_EQ(IamRoleProvider::role_name_of(kRoleArn).value_or(""), "jit-admin");
  EXPECT_EQ(IamRoleProvider::role_name_of("arn:aws:iam::111122223333:role/ops/elevated/db-admin").value_or(""),
            "db-admin");
  EXPECT_EQ(IamRoleProvider::role_name_of("arn:aws-us-gov:iam::111122223333:role/x_y").value_or(""), "x_y");
  for (const char* bad : {"arn:aws:iam::111122223333:user/alice", "arn:aws:sso:::permissionSet/ssoins-1/ps-2",
                          "arn:aws:iam::1111:role/short-account", "arn:aws:iam::111122223333:role/",
                          "jit-admin"}) {
    auto r = IamRoleProvider::role_name_of(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_TRUE(contains(r.error().message, bad));
  }
}

TEST_F(IamRoleProviderTest, InspectReportsSizeRoomGrantsAndSessionDuration) {
  auto& p = provider();
  ASSERT_TRUE(p.grant(of(kAlice), terms("r1")));
  auto report = p.inspect(kAccount, kRoleArn);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->trust_policy_size, cutoff::policy_size(iam_->trust(kRoleName)));
  EXPECT_EQ(report->trust_policy_limit, 2048);
  EXPECT_EQ(report->live_grants, 1);
  EXPECT_GT(report->room, 0);
  EXPECT_EQ(report->max_session_duration, 3600s);
  // No cut-off armed yet: an empty policy, all its room free.
  EXPECT_EQ(report->cutoff_problem, "");
  EXPECT_EQ(report->cutoff.live, 0u);
  const int empty_room = report->cutoff.room, empty_used = report->cutoff.used;
  EXPECT_GT(empty_room, 5);
  EXPECT_EQ(empty_room, (cutoff::kSizeLimit - report->cutoff.used) / report->cutoff.each);

  // One armed: counted live and one less fits; once every session it cuts has expired (its
  // sessions_before + the role's MaxSessionDuration), pruned away as the provider would.
  ASSERT_TRUE(p.arm_cutoff(cutoff_of("r1", kAlice, clock_.now() + 600s)));
  report = p.inspect(kAccount, kRoleArn);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->cutoff.live, 1u);
  EXPECT_GT(report->cutoff.used, empty_used);
  EXPECT_EQ(report->cutoff.room, (cutoff::kSizeLimit - report->cutoff.used) / report->cutoff.each);
  EXPECT_LE(report->cutoff.room, empty_room);
  clock_.advance(600s + 120s + 3600s + 1s);
  report = p.inspect(kAccount, kRoleArn);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->cutoff.live, 0u);
  EXPECT_EQ(report->cutoff.used, empty_used);
  EXPECT_EQ(report->cutoff.room, empty_room);

  // A policy it cannot read is said, not measured.
  iam_->set_inline_policy(kRoleName, kCutoffs, R"(["not", "an", "object"])");
  report = p.inspect(kAccount, kRoleArn);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_THAT(report->cutoff_problem, HasSubstr("inline policy " + std::string(kCutoffs)));
}

// The fake itself refuses what IAM's model refuses, so a provider request it takes is one IAM takes.
TEST(FakeIamTest, RefusesRequestsTheIamModelRefuses) {
  FakeIam iam;
  iam.add_role(kRoleName, admin_trust());
  std::expected<QueryXml, AwsError> r = std::unexpected(AwsError{});
  EXPECT_NONFATAL_FAILURE(r = iam.call("GetRole", {{"RoleName", "jit admin"}}), "IAM model");
  EXPECT_EQ(r.error().code, "ValidationError");
  EXPECT_NONFATAL_FAILURE(r = iam.call("PutRolePolicy", {{"RoleName", kRoleName}, {"PolicyName", kCutoffs}}),
                          "PolicyDocument");
  EXPECT_NONFATAL_FAILURE(r = iam.call("GetRole", {{"RoleName", std::string(65, 'a')}}), "IAM model");
  EXPECT_TRUE(iam.call("GetRole", {{"RoleName", kRoleName}}));
}

}  // namespace iam_role_provider_test
}  // namespace
}  // namespace jit::aws
