#include "contract/locks_contract.h"

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

namespace jit {
namespace {

using std::chrono::seconds;

// "taken", "refused", or the error: readable in a failure.
std::string outcome(const Result<bool>& r) {
  if (!r) return "error: " + r.error().message;
  return *r ? "taken" : "refused";
}

TEST_P(LocksContract, AFreeLockIsTaken) {
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(60))), "taken");
}

TEST_P(LocksContract, ALockHeldByAnotherOwnerIsRefusedOnEveryHandle) {
  ASSERT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(60))), "taken");
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(60))), "refused");
  auto other = another_handle();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(outcome(other->try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(60))), "refused");
  // Other names are other locks.
  EXPECT_EQ(outcome(other->try_lock("lock#ps-2", "instance-b", clock_.now() + seconds(60))), "taken");
}

TEST_P(LocksContract, ALapsedLockIsTakenAndItsFormerHolderRefused) {
  ASSERT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(10))), "taken");
  clock_.advance(seconds(10));  // at `until`: still held
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(10))), "refused");
  clock_.advance(seconds(1));  // past it: lapsed
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(10))), "taken");
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(10))), "refused");
}

TEST_P(LocksContract, TheSameOwnerExtendsItsLock) {
  ASSERT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(10))), "taken");
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(100))), "taken");
  clock_.advance(seconds(50));  // past the first `until`, within the second
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(10))), "refused");
  clock_.advance(seconds(51));
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(10))), "taken");
}

TEST_P(LocksContract, UnlockByAnotherOwnerLeavesTheLock) {
  ASSERT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(60))), "taken");
  EXPECT_TRUE(locks().unlock("lock#ps-1", "instance-b").has_value());
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(60))), "refused");
  EXPECT_TRUE(locks().unlock("lock#ps-1", "instance-a").has_value());
  EXPECT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-b", clock_.now() + seconds(60))), "taken");
}

TEST_P(LocksContract, UnlockingWhatNobodyHoldsIsFine) {
  EXPECT_TRUE(locks().unlock("lock#never", "instance-a").has_value());
  ASSERT_EQ(outcome(locks().try_lock("lock#ps-1", "instance-a", clock_.now() + seconds(1))), "taken");
  EXPECT_TRUE(locks().unlock("lock#ps-1", "instance-a").has_value());
  EXPECT_TRUE(locks().unlock("lock#ps-1", "instance-a").has_value());  // twice
}

// Several handles (as several processes) race for the same free lock, then for the same lapsed
// one: each time exactly one wins.
TEST_P(LocksContract, OfRacingHandlesExactlyOneWins) {
  constexpr int kRacers = 6, kRounds = 4;
  std::vector<std::unique_ptr<Locks>> handles;
  for (int i = 0; i < kRacers; ++i) {
    handles.push_back(another_handle());
    ASSERT_NE(handles.back(), nullptr);
  }
  for (int round = 0; round < kRounds; ++round) {
    // Rounds 0 and 1 race for a free lock; 2 and 3 for the one the round before took, lapsed by then.
    const std::string name = round < 2 ? "lock#race-" + std::to_string(round) : "lock#race-1";
    if (round >= 2) clock_.advance(seconds(61));
    std::atomic<int> winners = 0, failures = 0;
    std::barrier start(kRacers);
    std::vector<std::thread> racers;
    for (int i = 0; i < kRacers; ++i)
      racers.emplace_back([&, i] {
        start.arrive_and_wait();
        auto took = handles[i]->try_lock(name, "racer-" + std::to_string(round) + "-" + std::to_string(i),
                                         clock_.now() + seconds(60));
        if (!took) ++failures;
        else if (*took) ++winners;
      });
    for (auto& t : racers) t.join();
    EXPECT_EQ(failures.load(), 0) << "round " << round;
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

}  // namespace
}  // namespace jit
