// The announcement queue: expiries revoke while Slack is stuck, messages keep their order, a full
// queue sheds the oldest notice first (counted), and shutdown drains until its deadline.
#include "engine/announcer.h"

#include <fmt/format.h>

#include <thread>

#include "engine/engine_fixture.h"
#include "fakes/blocking_chat.h"

namespace jit::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

AccessRequest request_for(const std::string& id) {
  AccessRequest r;
  r.id = id;
  r.requester = "U0DEV";
  r.role = "read";
  r.account = "prod";
  r.chat_channel = "C0PROD";
  r.chat_ts = "1";
  return r;
}

AuditEvent event_for(const std::string& id, const std::string& detail) {
  return AuditEvent{.actor = "system:test", .action = "test", .request_id = id, .detail = detail};
}

std::vector<std::string> texts(const MemoryChat& chat) {
  std::vector<std::string> out;
  for (const auto& line : chat.transcript()) out.push_back(line.text);
  return out;
}

class AnnouncerTest : public EngineTest {
 protected:
  AnnouncerTest() { register_announcer_metrics(metrics); }
  Metrics metrics;
};

// Before the queue, each revocation posted to Slack on the timer thread: with chat stuck, the
// first expiry's chat.update held every other revocation.
TEST_F(AnnouncerTest, HundredExpiriesAllRevokeWhileChatIsBlocked) {
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto r = submit("read", "1h", fmt::format("U0DEV{:03}", i));
    ASSERT_TRUE(engine->approve(r.id, "U0ALICE"));
    ids.push_back(r.id);
  }
  const std::size_t said_before = chat.transcript().size();
  BlockingChat stuck(chat);
  {
    Announcer announcer(stuck, clock, {.capacity = 10'000, .metrics = &metrics});
    auto queued_engine = std::make_unique<Engine>(config, store, provider, announcer, directory, clock,
                                                  EngineOptions{.instance_id = "i-1", .lease = Seconds{60}});
    queued_engine->recover();
    clock.advance(std::chrono::hours{1});
    EXPECT_EQ(queued_engine->fire_due_timers(), 100);
    EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::revoke), 100);
    for (const auto& id : ids) EXPECT_EQ(read(id).state, State::revoked) << id;
    EXPECT_TRUE(stuck.wait_blocked()) << "the worker is stuck in Slack";
    EXPECT_EQ(chat.transcript().size(), said_before) << "nothing got through the blocked chat";
    stuck.release();
    EXPECT_TRUE(announcer.wait_idle(seconds(60)));
  }
  // Every revocation was announced once Slack answered: an update and a notice each (and the
  // warnings of the timers that fired with the expiries).
  int revoked_updates = 0, revoked_notices = 0;
  for (const auto& line : chat.transcript()) {
    if (line.kind == ChatLine::Kind::thread && line.text.find("is now revoked") != std::string::npos) ++revoked_updates;
    if (line.kind == ChatLine::Kind::dm && line.text.ends_with("revoked — expired at 2026-11-24T11:00:00Z"))
      ++revoked_notices;
  }
  EXPECT_EQ(revoked_updates, 100);
  EXPECT_EQ(revoked_notices, 100);
}

TEST_F(AnnouncerTest, MessagesOfARequestKeepTheirOrder) {
  {
    Announcer announcer(chat, clock);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(announcer.update_request(request_for("rA"), event_for("rA", fmt::format("step {}", i))));
      ASSERT_TRUE(announcer.notify_requester(request_for("rB"), Notice::expiring_soon));
    }
  }  // the destructor drains
  std::vector<std::string> a_steps;
  for (const auto& text : texts(chat))
    if (text.starts_with("system:test: rA")) a_steps.push_back(text);
  ASSERT_EQ(a_steps.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_THAT(a_steps[i], ::testing::EndsWith(fmt::format("(step {})", i)));
}

TEST_F(AnnouncerTest, AFullQueueDropsTheOldestNoticeFirstAndCountsIt) {
  BlockingChat stuck(chat);
  Announcer announcer(stuck, clock, {.capacity = 3, .metrics = &metrics});
  ASSERT_TRUE(announcer.alert("first"));
  ASSERT_TRUE(stuck.wait_blocked());  // "first" is being delivered; the queue is empty
  announcer.update_request(request_for("rA"), event_for("rA", "A"));
  announcer.notify_requester(request_for("rB"), Notice::expiring_soon);
  announcer.update_request(request_for("rC"), event_for("rC", "C"));
  EXPECT_EQ(announcer.queued(), 3u);
  announcer.alert("D");  // full: the notice for rB goes
  EXPECT_EQ(metrics.value("jit_announcements_dropped_total", {{"kind", "notice"}}), 1);
  announcer.notify_requester(request_for("rE"), Notice::expiring_soon);  // full of essentials: E goes
  EXPECT_EQ(metrics.value("jit_announcements_dropped_total", {{"kind", "notice"}}), 2);
  announcer.update_request(request_for("rF"), event_for("rF", "F"));  // the oldest essential (A) goes
  EXPECT_EQ(metrics.value("jit_announcements_dropped_total", {{"kind", "update"}}), 1);
  EXPECT_EQ(metrics.value("jit_announcements_queued"), 3);
  stuck.release();
  clock.advance(seconds(1));
  ASSERT_TRUE(announcer.wait_idle(seconds(60)));
  EXPECT_THAT(texts(chat), ::testing::ElementsAre("first", "system:test: rC is now pending (C)", "D",
                                                  "system:test: rF is now pending (F)"));
}

TEST_F(AnnouncerTest, StopDeliversWhatWaitsThenDropsTheRestAtItsDeadline) {
  BlockingChat stuck(chat);
  auto announcer = std::make_unique<Announcer>(stuck, clock, AnnouncerOptions{.capacity = 100, .metrics = &metrics});
  announcer->alert("in flight");
  ASSERT_TRUE(stuck.wait_blocked());
  announcer->alert("waiting 1");
  announcer->alert("waiting 2");
  // The deadline is now: what waits is dropped, the call in flight is let finish.
  std::thread stopper([&] { announcer->stop(milliseconds(0)); });
  while (metrics.value("jit_announcements_dropped_total", {{"kind", "alert"}}) < 2) std::this_thread::yield();
  stuck.release();
  stopper.join();
  EXPECT_THAT(texts(chat), ::testing::ElementsAre("in flight"));
  announcer->alert("after stop");  // refused, counted
  EXPECT_EQ(metrics.value("jit_announcements_dropped_total", {{"kind", "alert"}}), 3);
}

TEST_F(AnnouncerTest, StopWithTimeLeftDeliversEverything) {
  auto announcer = std::make_unique<Announcer>(chat, clock);
  for (int i = 0; i < 20; ++i) announcer->alert(fmt::format("alert {}", i));
  announcer->stop(seconds(30));
  EXPECT_EQ(chat.transcript().size(), 20u);
}

TEST_F(AnnouncerTest, PostRequestPassesThroughAndReturnsWhereItWent) {
  Announcer announcer(chat, clock);
  auto posted = announcer.post_request(request_for("rP"));
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->channel, "C0PROD");
  EXPECT_EQ(chat.transcript().size(), 1u) << "posted before post_request returned";
}

}  // namespace
}  // namespace jit::testing
