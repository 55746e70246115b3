// IdentityCenterProvider against scripted fakes of sso-admin and identitystore: status polling
// and its backoff (sleeps on a manual clock, never slept), the deadline, idempotency of grant and revoke,
// pagination, error mapping and the principal cache. Every request is checked against the
// official models.
#include "fakes/manual_clock.h"
#include "aws/identity_center.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "scripted_api.h"
#include "support/aws_model_check.h"

namespace jit::aws {
namespace {
namespace identity_center_test {  // its own names: the unity build compiles it beside other files

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::ScriptedApi;
using namespace testing::ids;

constexpr char kOtherUser[] = "b1b2c3d4-1111-2222-3333-444455556666";

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

json status(std::string_view state, std::string reason = "") {
  json s = {{"Status", state}, {"RequestId", kRequestId}, {"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"},
            {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"}, {"PrincipalId", kUser}};
  if (!reason.empty()) s["FailureReason"] = reason;
  return s;
}
json created(std::string_view state, std::string reason = "") {
  return {{"AccountAssignmentCreationStatus", status(state, std::move(reason))}};
}
json deleted(std::string_view state, std::string reason = "") {
  return {{"AccountAssignmentDeletionStatus", status(state, std::move(reason))}};
}
json page(std::vector<std::pair<std::string, std::string>> principals, std::string next = "") {
  json list = json::array();
  for (const auto& [id, type] : principals)
    list.push_back({{"AccountId", kAccount}, {"PermissionSetArn", kPermissionSet}, {"PrincipalType", type},
                    {"PrincipalId", id}});
  json out = {{"AccountAssignments", list}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}
AwsError aws_error(int status, std::string code, std::string message, bool retryable = false) {
  return AwsError{status, std::move(code), std::move(message), json::object(), retryable};
}

class IdentityCenterTest : public ::testing::Test {
 protected:
  // Without jitter, so the polling schedule can be compared exactly (the jitter has a test of its own).
  IdentityCenterProvider& provider(IdentityCenterOptions options = {.poll_jitter = 0}) {
    provider_ = std::make_unique<IdentityCenterProvider>(IdentityCenterConfig{kInstance, kStore, options}, sso_,
                                                         identitystore_, hooked_clock_);
    return *provider_;
  }
  std::vector<std::string> operations() const {
    std::vector<std::string> out;
    for (const auto& [op, input] : sso_.calls()) out.push_back(op);
    return out;
  }
  void TearDown() override { EXPECT_EQ(sso_.left(), 0u) << "sso-admin script not used up"; }

  const Assignment assignment_{kUser, kAccount, kPermissionSet};
  ScriptedApi sso_{"sso-admin/2020-07-20"};
  ScriptedApi identitystore_{"identitystore/2020-06-15"};
  ManualClock clock_{from_epoch(1'800'000'000)};
  std::function<void(std::chrono::milliseconds)> on_sleep_;
  SleepHookClock hooked_clock_{clock_, [this](std::chrono::milliseconds d) {
                                 if (on_sleep_) on_sleep_(d);
                               }};
  std::unique_ptr<IdentityCenterProvider> provider_;
};

TEST_F(IdentityCenterTest, GrantPollsWithBackoffUntilSucceeded) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("IN_PROGRESS"));
  for (int i = 0; i < 5; ++i) sso_.then("DescribeAccountAssignmentCreationStatus", created("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentCreationStatus", created("SUCCEEDED"));

  auto r = provider().grant(assignment_, {});
  ASSERT_TRUE(r) << r.error().message;

  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{100ms, 1400ms, 2800ms, 5000ms, 5000ms, 5000ms}));
  const auto calls = sso_.calls();
  ASSERT_EQ(calls.size(), 8u);
  EXPECT_EQ(calls[1].second, (json{{"InstanceArn", kInstance}, {"TargetId", kAccount}, {"TargetType", "AWS_ACCOUNT"},
                                   {"PermissionSetArn", kPermissionSet}, {"PrincipalType", "USER"},
                                   {"PrincipalId", kUser}}));
  EXPECT_EQ(calls[2].second, (json{{"InstanceArn", kInstance}, {"AccountAssignmentCreationRequestId", kRequestId}}));
}

TEST_F(IdentityCenterTest, GrantOfAnExistingAssignmentOnlyLists) {
  sso_.then("ListAccountAssignments", page({{kOtherUser, "USER"}, {kUser, "USER"}}));
  ASSERT_TRUE(provider().grant(assignment_, {}));
  EXPECT_EQ(operations(), std::vector<std::string>{"ListAccountAssignments"});
}

TEST_F(IdentityCenterTest, GrantSucceededAtOnceDoesNotPoll) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("SUCCEEDED"));
  ASSERT_TRUE(provider().grant(assignment_, {}));
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(IdentityCenterTest, CreateAnswerWithoutStatusIsPolled) {
  // The model does not promise a Status: an answer with only a RequestId is followed.
  json answer = created("IN_PROGRESS");
  answer["AccountAssignmentCreationStatus"].erase("Status");
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", answer);
  sso_.then("DescribeAccountAssignmentCreationStatus", created("SUCCEEDED"));
  ASSERT_TRUE(provider().grant(assignment_, {}));
  EXPECT_EQ(clock_.sleeps().size(), 1u);
}

TEST_F(IdentityCenterTest, FailedGrantIsPermanentAndCarriesTheReason) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentCreationStatus",
            created("FAILED", "Received a 403 status error: Not authorized to create role"));
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  auto r = provider().grant(assignment_, {});
  spdlog::set_default_logger(previous);

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid);
  EXPECT_TRUE(contains(r.error().message, "sso-admin CreateAccountAssignment")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "Not authorized to create role")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, kRequestId)) << r.error().message;
  // One line for the failure, naming it.
  const std::string text = log.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_TRUE(contains(text, "event=identity_center_failed")) << text;
}

TEST_F(IdentityCenterTest, FailedBecauseItAlreadyExistsIsSuccess) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("FAILED", "The account assignment already exists"));
  EXPECT_TRUE(provider().grant(assignment_, {}));
}

TEST_F(IdentityCenterTest, FailedWithAConflictIsRetryable) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("FAILED", "Another operation is in progress on this target"));
  auto r = provider().grant(assignment_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
}

TEST_F(IdentityCenterTest, GrantStillInProgressAtTheDeadlineIsUnavailable) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentCreationStatus", created("IN_PROGRESS"));
  sso_.repeat_last();
  auto r = provider({.poll_jitter = 0, .operation_deadline = 10s}).grant(assignment_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_TRUE(contains(r.error().message, "still IN_PROGRESS")) << r.error().message;
  // 100 + 1400 + 2800 + 5000 = 9300; the last wait is cut to the 700 left.
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{100ms, 1400ms, 2800ms, 5000ms, 700ms}));
  EXPECT_EQ(sso_.calls().size(), 2u + 5u);
}

TEST_F(IdentityCenterTest, TheDeadlineCountsTimeOnTheClockToo) {
  // Slow AWS answers: each poll costs a minute of clock time, so 120 s pass after two polls.
  on_sleep_ = [this](std::chrono::milliseconds) { clock_.advance(60s); };
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentCreationStatus", created("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentCreationStatus", created("IN_PROGRESS"));
  auto r = provider().grant(assignment_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(IdentityCenterTest, ATransientPollErrorKeepsPolling) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then("CreateAccountAssignment", created("IN_PROGRESS"));
  sso_.then_error("DescribeAccountAssignmentCreationStatus",
                  aws_error(400, "ThrottlingException", "Rate exceeded", /*retryable=*/true));
  sso_.then("DescribeAccountAssignmentCreationStatus", created("SUCCEEDED"));
  ASSERT_TRUE(provider().grant(assignment_, {}));
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{100ms, 1400ms}));
}

TEST_F(IdentityCenterTest, ConflictOnCreateIsRetryable) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then_error("CreateAccountAssignment",
                  aws_error(400, "ConflictException", "An operation is already in progress on this target"));
  auto r = provider().grant(assignment_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_EQ(r.error().message,
            "sso-admin CreateAccountAssignment: ConflictException: An operation is already in progress on this "
            "target (HTTP 400)");
}

TEST_F(IdentityCenterTest, AccessDeniedOnCreateIsPermanent) {
  sso_.then("ListAccountAssignments", page({}));
  sso_.then_error("CreateAccountAssignment", aws_error(400, "AccessDeniedException", "User is not authorized"));
  auto r = provider().grant(assignment_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_TRUE(contains(r.error().message, "sso-admin CreateAccountAssignment: AccessDeniedException: User is not "
                                          "authorized"))
      << r.error().message;
}

TEST_F(IdentityCenterTest, AwsErrorsMapOntoErrc) {
  EXPECT_EQ(error_from_aws("x", aws_error(400, "ValidationException", "bad")).code, Errc::invalid);
  EXPECT_EQ(error_from_aws("x", aws_error(400, "ResourceNotFoundException", "no ps")).code, Errc::invalid);
  EXPECT_EQ(error_from_aws("x", aws_error(400, "AccessDeniedException", "no")).code, Errc::denied);
  EXPECT_EQ(error_from_aws("x", aws_error(400, "ServiceQuotaExceededException", "full")).code, Errc::denied);
  EXPECT_EQ(error_from_aws("x", aws_error(400, "ThrottlingException", "slow", true)).code, Errc::unavailable);
  EXPECT_EQ(error_from_aws("x", aws_error(500, "InternalServerException", "oops", true)).code, Errc::unavailable);
  EXPECT_EQ(error_from_aws("x", aws_error(503, "ServiceUnavailable", "")).code, Errc::unavailable);
  EXPECT_EQ(error_from_aws("x", aws_error(0, "Transport", "connection refused", true)).code, Errc::unavailable);
  EXPECT_EQ(error_from_aws("x", aws_error(0, "Credentials", "no credentials: tried env")).code, Errc::unavailable);
  EXPECT_EQ(error_from_aws("x", aws_error(0, "Transport", "bad CA file", false)).code, Errc::invalid);
  EXPECT_EQ(error_from_aws("sso-admin ListAccountAssignments", aws_error(400, "ValidationException", "bad")).message,
            "sso-admin ListAccountAssignments: ValidationException: bad (HTTP 400)");
}

TEST_F(IdentityCenterTest, RevokePollsUntilSucceeded) {
  sso_.then("DeleteAccountAssignment", deleted("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentDeletionStatus", deleted("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentDeletionStatus", deleted("SUCCEEDED"));
  ASSERT_TRUE(provider().revoke(assignment_));
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{100ms, 1400ms}));
  const auto calls = sso_.calls();
  EXPECT_EQ(calls[0].second["PrincipalId"], kUser);
  EXPECT_EQ(calls[1].second, (json{{"InstanceArn", kInstance}, {"AccountAssignmentDeletionRequestId", kRequestId}}));
}

TEST_F(IdentityCenterTest, ADeletionDoneAtOnceIsSeenAtTheFirstPollWithin100Ms) {
  sso_.then("DeleteAccountAssignment", deleted("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentDeletionStatus", deleted("SUCCEEDED"));
  ASSERT_TRUE(provider(IdentityCenterOptions{}).revoke(assignment_));  // the defaults, jitter and all
  ASSERT_EQ(clock_.sleeps().size(), 1u);
  EXPECT_GE(clock_.sleeps()[0], 80ms);
  EXPECT_LE(clock_.sleeps()[0], 100ms);
}

TEST_F(IdentityCenterTest, PollWaitsAreJitteredWithinTheirSchedule) {
  // Twenty revocations polled six times each, on the clock's seeded random source: every wait
  // lies in [0.8 w, w] of its scheduled w, and they are not all the same.
  const std::vector<std::chrono::milliseconds> schedule = {100ms, 1400ms, 2800ms, 5000ms, 5000ms, 5000ms};
  auto& p = provider(IdentityCenterOptions{});
  for (int r = 0; r < 20; ++r) {
    sso_.then("DeleteAccountAssignment", deleted("IN_PROGRESS"));
    for (std::size_t i = 0; i + 1 < schedule.size(); ++i)
      sso_.then("DescribeAccountAssignmentDeletionStatus", deleted("IN_PROGRESS"));
    sso_.then("DescribeAccountAssignmentDeletionStatus", deleted("SUCCEEDED"));
  }
  for (int r = 0; r < 20; ++r) ASSERT_TRUE(p.revoke(assignment_));
  const auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 20 * schedule.size());
  std::set<std::chrono::milliseconds::rep> first_waits;
  for (std::size_t i = 0; i < sleeps.size(); ++i) {
    const auto w = schedule[i % schedule.size()];
    EXPECT_LE(sleeps[i], w) << i;
    EXPECT_GE(sleeps[i].count() * 10, w.count() * 8) << i;
    if (i % schedule.size() == 0) first_waits.insert(sleeps[i].count());
  }
  EXPECT_GE(first_waits.size(), 5u);  // spread, not in step
}

TEST_F(IdentityCenterTest, RevokeOfAnAssignmentAlreadyGoneIsSuccess) {
  sso_.then_error("DeleteAccountAssignment", aws_error(400, "ResourceNotFoundException", ""));
  EXPECT_TRUE(provider().revoke(assignment_));
  sso_.then("DeleteAccountAssignment", deleted("IN_PROGRESS"));
  sso_.then("DescribeAccountAssignmentDeletionStatus", deleted("FAILED", "The account assignment does not exist"));
  EXPECT_TRUE(provider_->revoke(assignment_));
}

TEST_F(IdentityCenterTest, RevokeErrorsAreMapped) {
  sso_.then_error("DeleteAccountAssignment", aws_error(400, "AccessDeniedException", "not allowed"));
  auto denied = provider().revoke(assignment_);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::denied);
  EXPECT_TRUE(contains(denied.error().message, "sso-admin DeleteAccountAssignment: AccessDeniedException"));
  sso_.then("DeleteAccountAssignment", deleted("FAILED", "Received a 500 status error: role is being modified"));
  auto failed = provider_->revoke(assignment_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::invalid);
}

TEST_F(IdentityCenterTest, ListWalksEveryPageAndKeepsOnlyUsers) {
  sso_.then("ListAccountAssignments", page({{kUser, "USER"}, {"g-1", "GROUP"}}, "token-1"));
  sso_.then("ListAccountAssignments", page({}, "token-2"));
  sso_.then("ListAccountAssignments", page({{kOtherUser, "USER"}}));
  auto listed = provider().list(kAccount, kPermissionSet);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, (std::vector<Assignment>{{kUser, kAccount, kPermissionSet},  //
                                               {kOtherUser, kAccount, kPermissionSet}}));
  const auto calls = sso_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_FALSE(calls[0].second.contains("NextToken"));
  EXPECT_EQ(calls[0].second["MaxResults"], 100);
  EXPECT_EQ(calls[1].second["NextToken"], "token-1");
  EXPECT_EQ(calls[2].second["NextToken"], "token-2");
}

TEST_F(IdentityCenterTest, ListStopsOnARepeatedToken) {
  sso_.then("ListAccountAssignments", page({}, "same"));
  sso_.then("ListAccountAssignments", page({}, "same"));
  auto listed = provider().list(kAccount, kPermissionSet);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, Errc::unavailable);
}

TEST_F(IdentityCenterTest, ListErrorsAreMapped) {
  sso_.then_error("ListAccountAssignments", aws_error(400, "ValidationException", "bad account"));
  auto listed = provider().list(kAccount, kPermissionSet);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, Errc::invalid);
  EXPECT_TRUE(contains(listed.error().message, "sso-admin ListAccountAssignments: ValidationException: bad account"));
}

TEST_F(IdentityCenterTest, ResolvePrincipalAsksByEmailAndCachesUntilTheTtl) {
  identitystore_.then("GetUserId", {{"UserId", kUser}, {"IdentityStoreId", kStore}});
  identitystore_.then("GetUserId", {{"UserId", kOtherUser}, {"IdentityStoreId", kStore}});
  auto& p = provider({.principal_cache_ttl = 600s});

  ASSERT_EQ(p.resolve_principal("alice@example.com", kPermissionSet), kUser);
  const json by_email = {{"AttributePath", "emails.value"}, {"AttributeValue", "alice@example.com"}};
  EXPECT_EQ(identitystore_.calls()[0].second,
            (json{{"IdentityStoreId", kStore}, {"AlternateIdentifier", {{"UniqueAttribute", by_email}}}}));
  clock_.advance(599s);
  EXPECT_EQ(p.resolve_principal("alice@example.com", kPermissionSet), kUser);
  EXPECT_EQ(identitystore_.calls().size(), 1u);
  clock_.advance(1s);
  EXPECT_EQ(p.resolve_principal("alice@example.com", kPermissionSet), kOtherUser);
  EXPECT_EQ(identitystore_.calls().size(), 2u);
}

TEST_F(IdentityCenterTest, UnknownEmailIsNotFoundAndNotCached) {
  identitystore_.then_error("GetUserId", aws_error(400, "ResourceNotFoundException", "USER not found."));
  identitystore_.then("GetUserId", {{"UserId", kUser}, {"IdentityStoreId", kStore}});
  auto& p = provider();
  auto r = p.resolve_principal("nobody@example.com", kPermissionSet);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_TRUE(contains(r.error().message, "no Identity Center user has e-mail nobody@example.com"))
      << r.error().message;
  EXPECT_EQ(p.resolve_principal("nobody@example.com", kPermissionSet), kUser);  // created since: asked again
}

TEST_F(IdentityCenterTest, ResolvePrincipalErrorsAreMapped) {
  identitystore_.then_error("GetUserId", aws_error(400, "AccessDeniedException", "no"));
  auto r = provider().resolve_principal("alice@example.com", kPermissionSet);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_TRUE(contains(r.error().message, "identitystore GetUserId: AccessDeniedException"));
  EXPECT_EQ(provider_->resolve_principal("", kPermissionSet).error().code, Errc::invalid);
}

TEST_F(IdentityCenterTest, ResolvePrincipalIsThreadSafe) {
  identitystore_.then("GetUserId", {{"UserId", kUser}, {"IdentityStoreId", kStore}});
  identitystore_.repeat_last();
  auto& p = provider();
  std::vector<std::thread> threads;
  std::atomic<int> ok = 0;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        if (p.resolve_principal(fmt::format("user{}@example.com", (t + i) % 5), kPermissionSet) == kUser) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8 * 50);
  EXPECT_LE(identitystore_.calls().size(), 8u * 5u);
}

}  // namespace identity_center_test
}  // namespace
}  // namespace jit::aws
