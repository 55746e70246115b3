// The checkpoint publisher: what it logs and posts, when it does not post again, a failed post
// retried at the next turn, and its thread woken by a grant through EngineOptions::on_granted.
#include "engine/checkpoint_publisher.h"

#include "engine/engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

crypto::Ed25519PrivateKey test_key() { return *crypto::Ed25519PrivateKey::from_raw(std::string(32, 'c')); }

// A Chat that tells a waiting test when an alert arrives.
class SignallingChat final : public Chat {
 public:
  Result<MessageRef> post_request(const AccessRequest& r) override { return inner.post_request(r); }
  Result<> update_request(const AccessRequest& r, const AuditEvent& e) override { return inner.update_request(r, e); }
  Result<> post_escalation(const AccessRequest& r, const std::string& c, const std::vector<std::string>& a) override {
    return inner.post_escalation(r, c, a);
  }
  Result<> notify_requester(const AccessRequest& r, Notice n) override { return inner.notify_requester(r, n); }
  Result<> alert(const std::string& text) override {
    auto sent = inner.alert(text);
    {
      std::lock_guard lock(mu);
      texts.push_back(text);
    }
    cv.notify_all();
    return sent;
  }
  // Waits (at most 10 s of real time, a bound for a broken build, not a timer) until `done`.
  bool wait_for(const std::function<bool(const std::vector<std::string>&)>& done) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return done(texts); });
  }
  MemoryChat inner;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> texts;
};

class CheckpointPublisherTest : public EngineTest {
 protected:
  std::vector<audit::Checkpoint> posted() {
    std::vector<audit::Checkpoint> out;
    for (const auto& line : ops.inner.transcript()) {
      auto found = audit::scan_checkpoints(line.text).found;
      out.insert(out.end(), found.begin(), found.end());
    }
    return out;
  }
  SignallingChat ops;
  CheckpointPublisher publisher{store, ops, clock, test_key(), Seconds{900}};
};

TEST_F(CheckpointPublisherTest, PostsEachNewHeadOnceSignedAndReadableBack) {
  auto nothing = publisher.publish_once();
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing) << "an empty trail has no checkpoint";
  submit();
  auto first = publisher.publish_once();
  ASSERT_TRUE(first && *first);
  const AuditHead head = store.audit_head().value();
  EXPECT_EQ((*first)->seq, head.seq);
  EXPECT_EQ((*first)->head, head.hash);
  EXPECT_EQ((*first)->at, kStart);
  ASSERT_THAT(posted(), SizeIs(1));
  EXPECT_EQ(posted()[0], **first);
  EXPECT_TRUE(audit::signature_valid(posted()[0], test_key().public_key()));
  EXPECT_THAT(ops.inner.transcript()[0].text, HasSubstr("jit audit verify --checkpoints"));
  // Nothing new: nothing posted.
  auto again = publisher.publish_once();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_THAT(posted(), SizeIs(1));
  submit("read");
  clock.advance(Seconds{5});
  auto next = publisher.publish_once();
  ASSERT_TRUE(next && *next);
  EXPECT_EQ((*next)->seq, store.audit_head().value().seq);
  EXPECT_EQ((*next)->at, kStart + Seconds{5});
  EXPECT_THAT(posted(), SizeIs(2));
}

TEST_F(CheckpointPublisherTest, FailedPostIsPostedAgainAtTheNextTurn) {
  submit();
  ops.inner.fail_next(1);
  auto failed = publisher.publish_once();
  ASSERT_FALSE(failed);
  EXPECT_THAT(posted(), SizeIs(0));
  auto retried = publisher.publish_once();
  ASSERT_TRUE(retried && *retried);
  ASSERT_THAT(posted(), SizeIs(1));
  EXPECT_EQ(posted()[0].seq, store.audit_head().value().seq);
}

TEST_F(CheckpointPublisherTest, AGrantWakesThePublisherThread) {
  int grants = 0;
  EngineOptions o;
  o.instance_id = "i-1";
  o.lease = Seconds{60};
  o.on_granted = [&] {
    ++grants;
    publisher.request();
  };
  engine = std::make_unique<Engine>(config, store, provider, chat, directory, clock, o);
  publisher.start();  // its first turn finds an empty trail; the next waits 15 minutes of clock time
  AccessRequest r = submit();
  ASSERT_TRUE(engine->deny(submit("read").id, "U0ALICE", "no"));
  EXPECT_EQ(grants, 0);
  auto granted = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(granted && granted->state == State::active);
  EXPECT_EQ(grants, 1);
  const AuditHead head = store.audit_head().value();
  ASSERT_TRUE(ops.wait_for([&](const std::vector<std::string>& texts) {
    for (const auto& t : texts)
      for (const auto& c : audit::scan_checkpoints(t).found)
        if (c.seq == head.seq && c.head == head.hash) return true;
    return false;
  })) << "no checkpoint of the head after the grant";
  publisher.stop();
  EXPECT_EQ(store.audit_events({}).value().back().action, "grant_succeeded");
}

TEST_F(CheckpointPublisherTest, EachIntervalPublishesTheHeadIfItMoved) {
  submit();
  publisher.start();  // its first turn: the head as it is at start
  const AuditHead first = store.audit_head().value();
  auto has_head = [&](const AuditHead& head) {
    return [&, head](const std::vector<std::string>& texts) {
      for (const auto& t : texts)
        for (const auto& c : audit::scan_checkpoints(t).found)
          if (c.seq == head.seq && c.head == head.hash) return true;
      return false;
    };
  };
  ASSERT_TRUE(ops.wait_for(has_head(first)));
  submit("read");  // not a grant: it waits for the interval
  const AuditHead moved = store.audit_head().value();
  clock.advance(Seconds{900});
  ASSERT_TRUE(ops.wait_for(has_head(moved)));
  publisher.stop();
  ASSERT_THAT(posted(), SizeIs(2));
  EXPECT_EQ(posted()[1].at, kStart + Seconds{900});
}

}  // namespace
}  // namespace jit::testing
