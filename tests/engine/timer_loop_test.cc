// The loop of `jit serve` on simulated time: the expiry second, the sweep and reconcile cadence,
// a reload that changes an interval, and run()/stop() on a clock that only moves when told.
#include "engine/timer_loop.h"

#include <thread>

#include "engine/engine_fixture.h"

namespace jit::testing {
namespace {

using std::chrono::seconds;

class TimerLoopTest : public EngineTest {
 protected:
  TimerLoopTest() {
    config->settings.sweep_interval = Seconds{30};
    config->settings.reconcile_interval = Seconds{300};
    engine->set_config(config);
  }

  // A grant of `duration`, approved and active now.
  AccessRequest active_grant(const std::string& duration = "1h") {
    auto r = submit("admin", duration);
    auto approved = engine->approve(r.id, "U0ALICE");
    EXPECT_TRUE(approved && approved->state == State::active);
    return read(r.id);
  }
};

TEST_F(TimerLoopTest, RevokesAtTheExpirySecondNotBefore) {
  TimerLoop loop(*engine, clock);
  loop.start();
  const auto r = active_grant("1h");
  TimePoint deadline = loop.step();
  EXPECT_EQ(deadline, kStart + seconds(30)) << "the next sweep comes before the expiry";
  clock.set(*r.expires_at - seconds(1));
  loop.step();
  EXPECT_EQ(read(r.id).state, State::active) << "one second before expiry the grant holds";
  clock.set(*r.expires_at);
  loop.step();
  const auto after = read(r.id);
  EXPECT_EQ(after.state, State::revoked);
  EXPECT_EQ(after.ended_at, r.expires_at) << "revoked at the expiry second itself";
  EXPECT_FALSE(provider.has(assignment(r)));
}

TEST_F(TimerLoopTest, NextDeadlineIsTheEarliestOfTimerSweepAndReconcile) {
  TimerLoop loop(*engine, clock);
  loop.start();
  EXPECT_EQ(loop.step(), kStart + seconds(30));
  const auto r = active_grant("1h");
  // The requester's warning (5 minutes before expiry) and the expiry are timers now.
  clock.advance(seconds(30));
  EXPECT_EQ(loop.step(), kStart + seconds(60));
  clock.set(*r.expires_at - seconds(310));
  const TimePoint next = loop.step();
  EXPECT_EQ(next, *r.expires_at - seconds(300)) << "the warning timer is the next deadline";
}

TEST_F(TimerLoopTest, SweepsAndReconcilesOnTheirIntervals) {
  TimerLoop loop(*engine, clock);
  loop.start();
  // Standing access that no grant explains: found by the reconcile at start, and again only when
  // the next reconcile_interval has passed.
  provider.add_out_of_band({"p-stray", "123456789012", kAdminPs});
  clock.advance(seconds(299));
  loop.step();
  EXPECT_TRUE(provider.has({"p-stray", "123456789012", kAdminPs})) << "reconciled before its interval";
  clock.advance(seconds(1));
  loop.step();
  EXPECT_FALSE(provider.has({"p-stray", "123456789012", kAdminPs})) << "reconcile_interval passed, stray kept";
}

TEST_F(TimerLoopTest, AReloadThatShortensTheSweepIntervalAppliesAtOnce) {
  TimerLoop loop(*engine, clock);
  loop.start();
  EXPECT_EQ(loop.step(), kStart + seconds(30));
  auto shorter = std::make_shared<Config>(*config);
  shorter->settings.sweep_interval = Seconds{5};
  engine->set_config(shorter);
  EXPECT_EQ(loop.step(), kStart + seconds(5)) << "the loop and the sweeper's look-ahead use the same interval";
}

TEST_F(TimerLoopTest, AFailedReconcileIsRetriedWithinAMinute) {
  TimerLoop loop(*engine, clock);
  loop.start();
  provider.fail_next(MemoryAccessProvider::Op::list, 1, Error::Unavailable("AWS is down"));
  provider.add_out_of_band({"p-stray", "123456789012", kAdminPs});
  clock.advance(seconds(300));
  loop.step();
  EXPECT_TRUE(provider.has({"p-stray", "123456789012", kAdminPs})) << "the reconcile failed";
  clock.advance(seconds(60));
  loop.step();
  EXPECT_FALSE(provider.has({"p-stray", "123456789012", kAdminPs})) << "retried after 60 s, not 300 s";
}

// A provider whose answers throw, as a JSON accessor would on a malformed AWS response.
class ThrowingProvider final : public AccessProvider {
 public:
  explicit ThrowingProvider(MemoryAccessProvider& inner) : inner_(inner) {}
  Result<std::string> resolve_principal(const std::string& email, const std::string& target) override {
    return inner_.resolve_principal(email, target);
  }
  Result<> grant(const Assignment& a, const GrantTerms& terms) override { return inner_.grant(a, terms); }
  Result<> revoke(const Assignment& a) override {
    if (a.principal == throw_revoke_for) throw std::runtime_error("[json.exception.type_error.302] malformed");
    return inner_.revoke(a);
  }
  Result<std::vector<Assignment>> list(const std::string& account, const std::string& ps) override {
    if (throw_lists > 0) {
      --throw_lists;
      throw std::runtime_error("[json.exception.out_of_range.403] key 'AccountAssignments' not found");
    }
    return inner_.list(account, ps);
  }
  std::string throw_revoke_for;
  int throw_lists = 0;

 private:
  MemoryAccessProvider& inner_;
};

// Failed before: the exception left step() and ended `jit serve` (and every revocation with it);
// one throwing timer also cost the timers due after it their turn.
TEST_F(TimerLoopTest, AThrowingProviderEndsNeitherTheLoopNorTheOtherTimers) {
  ThrowingProvider throwing(provider);
  engine = std::make_unique<Engine>(config, store, throwing, chat, directory, clock,
                                    EngineOptions{.instance_id = "i-1", .lease = Seconds{60}});
  TimerLoop loop(*engine, clock);
  throwing.throw_lists = 1000;  // every reconcile throws
  EXPECT_NO_THROW(loop.start());
  throwing.throw_lists = 0;
  const auto first = active_grant("1h");
  auto second_request = submit("admin", "1h", "U0ALICE");
  ASSERT_EQ(engine->approve(second_request.id, "U0BOB")->state, State::active);
  const auto second = read(second_request.id);
  throwing.throw_revoke_for = first.principal;
  clock.set(std::max(*first.expires_at, *second.expires_at));
  EXPECT_NO_THROW(loop.step());
  EXPECT_EQ(read(second.id).state, State::revoked) << "the timer after the throwing one still fired";
  EXPECT_NE(read(first.id).state, State::revoked);
  throwing.throw_revoke_for.clear();
  clock.advance(seconds(30));
  EXPECT_NO_THROW(loop.step());
  EXPECT_EQ(read(first.id).state, State::revoked) << "the sweeper finished it";
  throwing.throw_lists = 1000;
  clock.advance(seconds(300));
  EXPECT_NO_THROW(loop.step()) << "a throwing reconcile is logged, not fatal";
}

TEST_F(TimerLoopTest, RunFiresATimerWhenTheClockReachesItAndStops) {
  TimerLoop loop(*engine, clock);
  std::thread runner([&] { loop.run(); });
  const auto r = active_grant("1h");  // scheduling the timer wakes the loop
  clock.set(*r.expires_at);
  // The loop sees the simulated time reach the expiry: no real time passes beyond a hand-off.
  for (int i = 0; i < 5000 && read(r.id).state != State::revoked; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(read(r.id).state, State::revoked);
  loop.stop();
  runner.join();
}

}  // namespace
}  // namespace jit::testing
