#include "contract/step_up_store_contract.h"

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

namespace jit {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = from_epoch(1'800'000'000);

StepUpChallenge challenge(std::string id, TimePoint created = kT0) {
  return {.id = std::move(id),
          .purpose = StepUpPurpose::approve,
          .user_id = "U1",
          .request_id = "req-1",
          .action = "approve",
          .nonce = "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9u",
          .created_at = created,
          .expires_at = created + minutes(5)};
}

WebAuthnCredential credential(std::string id, std::string user, TimePoint created = kT0) {
  return {.credential_id = std::move(id),
          .user_id = std::move(user),
          .cose_alg = -7,
          .public_key = "pQECAyYgASFYIA",
          .sign_count = 0,
          .name = "security key",
          .created_at = created};
}

// "ok" or the error's code: readable in a failure.
template <typename T>
std::string outcome(const Result<T>& r) {
  if (r) return "ok";
  switch (r.error().code) {
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::denied: return "denied";
    default: return "error: " + r.error().message;
  }
}

std::vector<std::string> ids(const Result<std::vector<WebAuthnCredential>>& listed) {
  std::vector<std::string> out;
  if (!listed) {
    ADD_FAILURE() << listed.error().message;
    return out;
  }
  for (const auto& c : *listed) out.push_back(c.credential_id);
  return out;
}

TEST_P(StepUpStoreContract, AChallengeReadsBackAsStoredUnicodeIncluded) {
  StepUpChallenge c = challenge("tok-1");
  c.purpose = StepUpPurpose::enroll;
  c.user_id = "U-ünïcødé-用户";
  c.request_id = "";
  c.action = "enroll ✓ «step» 🔑";
  ASSERT_EQ(outcome(store().put_challenge(c)), "ok");
  auto read = store().get_challenge("tok-1");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, c);
  EXPECT_FALSE(read->used_at);
  auto other = another_handle();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->get_challenge("tok-1").value_or(StepUpChallenge{}), c);
  EXPECT_EQ(outcome(store().get_challenge("tok-unknown")), "not_found");
}

TEST_P(StepUpStoreContract, ADuplicateChallengeIdIsAConflictAndKeepsTheFirst) {
  const StepUpChallenge first = challenge("tok-1");
  ASSERT_EQ(outcome(store().put_challenge(first)), "ok");
  StepUpChallenge second = challenge("tok-1");
  second.user_id = "U2";
  EXPECT_EQ(outcome(store().put_challenge(second)), "conflict");
  EXPECT_EQ(store().get_challenge("tok-1").value_or(StepUpChallenge{}), first);
}

TEST_P(StepUpStoreContract, AChallengeIsConsumedOnceAndAReplayIsAConflict) {
  ASSERT_EQ(outcome(store().put_challenge(challenge("tok-1"))), "ok");
  const TimePoint now = kT0 + minutes(1);
  auto consumed = store().consume_challenge("tok-1", now);
  ASSERT_TRUE(consumed) << consumed.error().message;
  StepUpChallenge expected = challenge("tok-1");
  expected.used_at = now;
  EXPECT_EQ(*consumed, expected);
  EXPECT_EQ(store().get_challenge("tok-1").value_or(StepUpChallenge{}), expected);
  EXPECT_EQ(outcome(store().consume_challenge("tok-1", now + seconds(1))), "conflict");
  auto other = another_handle();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(outcome(other->consume_challenge("tok-1", now)), "conflict");
  // A used challenge stays used, also once it has expired.
  EXPECT_EQ(outcome(store().consume_challenge("tok-1", kT0 + minutes(10))), "conflict");
  EXPECT_EQ(store().get_challenge("tok-1").value_or(StepUpChallenge{}), expected);
}

TEST_P(StepUpStoreContract, AnExpiredChallengeIsDeniedAndNothingChanges) {
  const StepUpChallenge c = challenge("tok-1");
  ASSERT_EQ(outcome(store().put_challenge(c)), "ok");
  EXPECT_EQ(outcome(store().consume_challenge("tok-1", c.expires_at)), "denied");  // at expires_at: over
  EXPECT_EQ(outcome(store().consume_challenge("tok-1", c.expires_at + minutes(1))), "denied");
  EXPECT_EQ(store().get_challenge("tok-1").value_or(StepUpChallenge{}), c);
  // The second before, it still worked.
  EXPECT_EQ(outcome(store().consume_challenge("tok-1", c.expires_at - seconds(1))), "ok");
}

TEST_P(StepUpStoreContract, ConsumingAnUnknownChallengeIsNotFound) {
  EXPECT_EQ(outcome(store().consume_challenge("tok-unknown", kT0)), "not_found");
  EXPECT_EQ(outcome(store().get_challenge("tok-unknown")), "not_found");
}

// Several handles (as several processes) consume the same challenge at once, round after round:
// exactly one wins each time, and every other sees a conflict.
TEST_P(StepUpStoreContract, OfRacingHandlesExactlyOneConsumes) {
  constexpr int kRacers = 6, kRounds = 4;
  std::vector<std::shared_ptr<StepUpStore>> handles;
  for (int i = 0; i < kRacers; ++i) {
    handles.push_back(another_handle());
    ASSERT_NE(handles.back(), nullptr);
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = "tok-race-" + std::to_string(round);
    ASSERT_EQ(outcome(store().put_challenge(challenge(id))), "ok");
    std::atomic<int> winners = 0, conflicts = 0, others = 0;
    std::barrier start(kRacers);
    std::vector<std::thread> racers;
    for (int i = 0; i < kRacers; ++i)
      racers.emplace_back([&, i] {
        start.arrive_and_wait();
        const std::string got = outcome(handles[i]->consume_challenge(id, kT0 + seconds(i)));
        if (got == "ok") ++winners;
        else if (got == "conflict") ++conflicts;
        else ++others;
      });
    for (auto& t : racers) t.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kRacers - 1) << "round " << round;
    EXPECT_EQ(others.load(), 0) << "round " << round;
    auto stored = store().get_challenge(id);
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->used_at) << "round " << round;
  }
}

TEST_P(StepUpStoreContract, ACredentialReadsBackAsStoredUnicodeIncluded) {
  WebAuthnCredential c = credential("cred-1", "U1");
  c.name = "Clé de sécurité «bleue» 🔐 鍵";
  c.cose_alg = -8;
  c.sign_count = 7;
  c.last_used_at = kT0 + minutes(2);
  ASSERT_EQ(outcome(store().add_credential(c)), "ok");
  EXPECT_EQ(store().find_credential("cred-1").value_or(WebAuthnCredential{}), c);
  auto listed = store().credentials_of("U1");
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), c);
  EXPECT_EQ(outcome(store().find_credential("cred-unknown")), "not_found");
}

TEST_P(StepUpStoreContract, ACredentialIdIsUniqueAcrossUsers) {
  const WebAuthnCredential first = credential("cred-1", "U1");
  ASSERT_EQ(outcome(store().add_credential(first)), "ok");
  EXPECT_EQ(outcome(store().add_credential(credential("cred-1", "U2"))), "conflict");
  WebAuthnCredential again = credential("cred-1", "U1");
  again.name = "renamed";
  EXPECT_EQ(outcome(store().add_credential(again)), "conflict");
  EXPECT_EQ(store().find_credential("cred-1").value_or(WebAuthnCredential{}), first);
  EXPECT_TRUE(ids(store().credentials_of("U2")).empty());
  EXPECT_EQ(ids(store().credentials_of("U1")), std::vector<std::string>{"cred-1"});
}

TEST_P(StepUpStoreContract, CredentialsOfListsTheUsersOwnOldestFirst) {
  ASSERT_EQ(outcome(store().add_credential(credential("cred-c", "U1", kT0 + minutes(2)))), "ok");
  ASSERT_EQ(outcome(store().add_credential(credential("cred-b", "U1", kT0))), "ok");
  ASSERT_EQ(outcome(store().add_credential(credential("cred-other", "U2", kT0 - minutes(1)))), "ok");
  ASSERT_EQ(outcome(store().add_credential(credential("cred-a", "U1", kT0))), "ok");  // same second: by id
  ASSERT_EQ(outcome(store().add_credential(credential("cred-z", "U1", kT0 - minutes(5)))), "ok");
  EXPECT_EQ(ids(store().credentials_of("U1")), (std::vector<std::string>{"cred-z", "cred-a", "cred-b", "cred-c"}));
  EXPECT_EQ(ids(store().credentials_of("U2")), std::vector<std::string>{"cred-other"});
  EXPECT_TRUE(ids(store().credentials_of("U3")).empty());
  auto other = another_handle();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(ids(other->credentials_of("U1")).size(), 4u);
}

TEST_P(StepUpStoreContract, OnlyTheOwnerRemovesACredential) {
  ASSERT_EQ(outcome(store().add_credential(credential("cred-1", "U1"))), "ok");
  ASSERT_EQ(outcome(store().add_credential(credential("cred-2", "U1", kT0 + seconds(1)))), "ok");
  EXPECT_EQ(outcome(store().remove_credential("U2", "cred-1")), "not_found");
  EXPECT_EQ(outcome(store().find_credential("cred-1")), "ok");
  EXPECT_EQ(ids(store().credentials_of("U1")), (std::vector<std::string>{"cred-1", "cred-2"}));

  EXPECT_EQ(outcome(store().remove_credential("U1", "cred-1")), "ok");
  EXPECT_EQ(outcome(store().find_credential("cred-1")), "not_found");
  EXPECT_EQ(ids(store().credentials_of("U1")), std::vector<std::string>{"cred-2"});
  EXPECT_EQ(outcome(store().remove_credential("U1", "cred-1")), "not_found");  // twice
  EXPECT_EQ(outcome(store().remove_credential("U1", "cred-unknown")), "not_found");
  // Once removed, the id may be enrolled again, by anyone.
  EXPECT_EQ(outcome(store().add_credential(credential("cred-1", "U2"))), "ok");
  EXPECT_EQ(ids(store().credentials_of("U2")), std::vector<std::string>{"cred-1"});
}

TEST_P(StepUpStoreContract, TheSignCountAdvancesOnlyFromTheExpectedValue) {
  ASSERT_EQ(outcome(store().add_credential(credential("cred-1", "U1"))), "ok");
  const TimePoint used = kT0 + minutes(3);
  EXPECT_EQ(outcome(store().advance_sign_count("cred-1", 0, 5, used)), "ok");
  WebAuthnCredential expected = credential("cred-1", "U1");
  expected.sign_count = 5;
  expected.last_used_at = used;
  EXPECT_EQ(store().find_credential("cred-1").value_or(WebAuthnCredential{}), expected);

  // A stale expectation (another assertion won meanwhile) changes nothing.
  EXPECT_EQ(outcome(store().advance_sign_count("cred-1", 0, 6, used + minutes(1))), "conflict");
  EXPECT_EQ(store().find_credential("cred-1").value_or(WebAuthnCredential{}), expected);
  EXPECT_EQ(ids(store().credentials_of("U1")), std::vector<std::string>{"cred-1"});
  EXPECT_EQ(store().credentials_of("U1").value().at(0), expected);

  EXPECT_EQ(outcome(store().advance_sign_count("cred-1", 5, 9, used + minutes(2))), "ok");
  EXPECT_EQ(store().find_credential("cred-1").value_or(WebAuthnCredential{}).sign_count, 9u);
  EXPECT_EQ(outcome(store().advance_sign_count("cred-unknown", 0, 1, used)), "not_found");

  // An authenticator without a counter: 0 to 0 records the use.
  ASSERT_EQ(outcome(store().add_credential(credential("cred-2", "U1"))), "ok");
  EXPECT_EQ(outcome(store().advance_sign_count("cred-2", 0, 0, used)), "ok");
  EXPECT_EQ(store().find_credential("cred-2").value_or(WebAuthnCredential{}).last_used_at, std::optional(used));
}

// Handles racing to advance the same count from the same value: exactly one wins.
TEST_P(StepUpStoreContract, OfRacingSignCountAdvancesExactlyOneWins) {
  constexpr int kRacers = 4;
  ASSERT_EQ(outcome(store().add_credential(credential("cred-1", "U1"))), "ok");
  std::vector<std::shared_ptr<StepUpStore>> handles;
  for (int i = 0; i < kRacers; ++i) {
    handles.push_back(another_handle());
    ASSERT_NE(handles.back(), nullptr);
  }
  std::atomic<int> winners = 0, conflicts = 0;
  std::barrier start(kRacers);
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i)
    racers.emplace_back([&, i] {
      start.arrive_and_wait();
      const std::string got = outcome(handles[i]->advance_sign_count("cred-1", 0, 10 + i, kT0));
      winners += got == "ok";
      conflicts += got == "conflict";
    });
  for (auto& t : racers) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(conflicts.load(), kRacers - 1);
  const auto stored = store().find_credential("cred-1");
  ASSERT_TRUE(stored);
  EXPECT_GE(stored->sign_count, 10u);
}

}  // namespace
}  // namespace jit
