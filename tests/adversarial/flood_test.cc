// One person asking too much (issue 12): a request/cancel loop against the per-person limit, and
// a flood of commands queued ahead of an approver's click. See README.md.
#include <gmock/gmock.h>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "adversarial/adversary.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class Flood : public AdversarialTest {};

constexpr int kBurst = 4;

// Dana requests and cancels 30 times in a row with a burst of 4 (and 1 more an hour): at most 4
// commands are taken, so at most 4 owner-channel posts; every other one is refused in the ack
// itself, with no Web API call.
TEST_F(Flood, RequestCancelLoopPostsAtMostTheBurst) {
  WorldOptions options;
  options.policy_tail = fmt::format("\n[slack]\nuser_rate = \"1/hour\"\nuser_burst = {}\n", kBurst);
  ASSERT_TRUE(own_world(options));
  const std::size_t posted = slack().messages(kProdChannel).size();
  std::string last;
  std::size_t calls_after_burst = 0;
  int refused = 0;
  for (int round = 0; round < 30; ++round) {
    if (round == kBurst / 2) {
      // The burst is spent: wait for everything the last cancel does in Slack (the message updated,
      // a reply in its thread, a DM to dana), then count.
      ASSERT_TRUE(world().wait_state(last, State::cancelled));
      const std::string ts = message_ts(last);
      ASSERT_TRUE(slack().wait_for(
          [&](const emulators::SlackEmulator& s) {
            bool updated = false, threaded = false, told = false;
            for (const auto& c : s.calls()) {
              const json& args = c["args"];
              updated |= c.value("method", "") == "chat.update" && args.value("ts", "") == ts;
              threaded |= args.value("thread_ts", "") == ts;
              told |= args.value("text", "").find("You withdrew") != std::string::npos &&
                      args.value("text", "").find(last) != std::string::npos;
            }
            return updated && threaded && told;
          },
          std::chrono::seconds(10)));
      calls_after_burst = slack().calls().size();
    }
    const std::string asked = command(kDana, "request prod admin 1h loop");
    if (auto id = demo::request_id_in(asked)) last = *id;
    const std::string cancelled = command(kDana, "cancel " + last);
    for (const std::string* reply : {&asked, &cancelled})
      if (reply->find("going faster than JIT Access takes commands") != std::string::npos) ++refused;
  }
  EXPECT_EQ(refused, 60 - kBurst);
  EXPECT_LE(slack().messages(kProdChannel).size() - posted, static_cast<std::size_t>(kBurst));
  EXPECT_EQ(world().store().list_requests({.requester = std::string(kDana)}).value().size(), kBurst / 2u);
  const json calls = slack().calls();
  EXPECT_EQ(calls.size(), calls_after_burst) << "refusals made Web API calls: "
                                             << json(std::vector<json>(calls.begin() + calls_after_burst, calls.end())).dump();
}

// 300 `/jit request` from one person, then one approver's click, delivered at once (Slack holds
// them while the link is down, as after an outage): the click is urgent, so it is decided while
// most of the flood still waits its turn; the service answers afterwards. The per-person limit is
// raised so every command of the flood takes its turn on a handler thread (refused in the ack, it
// would be over too soon to queue anything).
TEST_F(Flood, ApproveClickIsHandledAheadOfAQueuedFlood) {
  WorldOptions options;
  options.policy_tail = "\n[slack]\nuser_rate = \"1000/s\"\nuser_burst = 1000\n";
  ASSERT_TRUE(own_world(options));
  const std::string id = submit(kDana, "prod admin 1h flood ahead");
  const std::string ts = message_ts(id);
  ASSERT_FALSE(ts.empty());
  slack().set_down(true);
  for (int k = 0; k < 300; ++k) slack().slash_command(kEve, "request sandbox developer 1h flood");
  ASSERT_TRUE(click(kBob, id, slack::kApproveAction));
  slack().set_down(false);
  ASSERT_TRUE(world().wait_state(id, State::active)) << world().log(0);
  // Every command of the flood answered (one request, 299 "you already have request").
  auto replies_to_eve = [](const emulators::SlackEmulator& s) {
    std::vector<long long> at;
    for (const auto& c : s.calls())
      if (c["args"].value("user", "") == kEve && c.value("method", "") == "chat.postEphemeral")
        at.push_back(c.value("at_ms", 0LL));
    return at;
  };
  ASSERT_TRUE(slack().wait_for([&](const auto& s) { return replies_to_eve(s).size() >= 299; }, std::chrono::seconds(30)))
      << replies_to_eve(slack()).size() << " replies";
  long long decided = -1;  // the click's decision shown on the message
  for (const auto& c : slack().calls())
    if (decided < 0 && c.value("method", "") == "chat.update" && c["args"].value("ts", "") == ts)
      decided = c.value("at_ms", 0LL);
  ASSERT_GE(decided, 0);
  const auto replies = replies_to_eve(slack());
  const auto after = std::ranges::count_if(replies, [&](long long at) { return at > decided; });
  std::cout << "[ measured ] " << after << " of " << replies.size() << " flood replies came after the click's decision\n";
  EXPECT_GE(after, 150) << "the click waited behind the flood";
  EXPECT_EQ(audit_count(id, "grant_succeeded"), 1);
  EXPECT_EQ(world().store().list_requests({.requester = std::string(kEve)}).value().size(), 1u);
  EXPECT_THAT(command(kEve, "help"), HasSubstr("/jit request"));
}

}  // namespace
}  // namespace jit::testing
