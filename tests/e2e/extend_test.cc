// Extension without a gap (issue 17), end to end: a real `jit serve` against the Slack and AWS
// emulators. dana holds a high-tier grant (cut-off deny and schedule armed at grant time), clicks
// "Request more time" in the expiry warning's DM, alice approves the new request in the
// owner channel before the grant ends, and the access goes on: one assignment, created once and
// never deleted until the extension's own expiry, the old grant's cut-off disarmed and schedule
// cancelled, the extension's own at the new end. A denied extension changes nothing (the grant
// ends on time: no silent renewal); one approved after the grant ended is an ordinary grant. A
// `jit serve` killed -9 in the middle of the handover converges on restart.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/load_errors.h"
#include "e2e/world.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;


bool has_schedule(World& world, const std::string& request_id) {
  const json all = world.aws().schedules();  // held: a temporary's member dies before the loop body
  for (const auto& s : all["schedules"])
    if (s.value("name", "") == "jit-" + request_id) return true;
  return false;
}

// dana's grant of sandbox ops for `duration`, approved by alice; its id once active.
std::string grant_ops(World& world, const std::string& duration) {
  std::string reply;
  auto id = world.request(kDana, "sandbox ops " + duration + " rotate the keys", &reply);
  EXPECT_TRUE(id) << reply;
  if (!id) return "";
  EXPECT_TRUE(world.click(kAlice, *id, slack::kApproveAction, demo::kSandbox));
  EXPECT_TRUE(world.wait_state(*id, State::active, 30s)) << world.log(0);
  return *id;
}

// dana clicks "Request more time" in a DM about grant `id`: the one saying it is active, or with
// `warning`, the expiry warning (waited for); the extension's id once it is stored ("" with a test
// failure if not).
std::string click_more_time(World& world, const std::string& id, bool warning = false) {
  std::string ts;
  EXPECT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.dm(kDana))
          if (World::has_button(m, slack::kExtendAction, id) &&
              (!warning || m.value("text", "").find("Need more time?") != std::string::npos))
            ts = m.value("ts", "");
        return !ts.empty();
      },
      30s))
      << "no Request more time button for " << id << ": " << world.slack().dm(kDana).dump(1);
  if (ts.empty()) return "";
  // The button asks for the time left and as long again as the grant was for (counted from the
  // extension's own grant), so it may be clicked at any moment of the grant.
  EXPECT_TRUE(world.slack().click(kDana, kDana, ts, slack::kExtendAction));
  const std::string extension = wait_posted_extension(world, id);
  EXPECT_FALSE(extension.empty()) << world.slack().dm(kDana).dump(1) << world.log(0);
  return extension;
}

class ExtendTest : public ::testing::TestWithParam<bool> {};

// Approved before the grant ends: no gap, no second assignment, no early or late end; AWS's own
// ends move with the access.
TEST_P(ExtendTest, ApprovedBeforeTheEndTheAccessGoesOnWithOneAssignment) {
  World world({.dynamodb = GetParam(), .policy_tail = sandbox_ops_role()});
  // The expiry warning 8 s before the end (live on SIGHUP): dana clicks its button.
  ASSERT_TRUE(world.rewrite_policy(test::replaced(world.policy_text(), "reconcile_interval = \"1h\"\n",
                                                  "reconcile_interval = \"1h\"\nexpiry_warning = \"8s\"\n")))
      << world.log(0);
  const std::string id = grant_ops(world, "15s");
  ASSERT_FALSE(id.empty());
  const TimePoint old_end = world.read(id)->expires_at.value();
  ASSERT_TRUE(has_schedule(world, id)) << world.aws().schedules().dump();
  auto session = world.aws().open_session(demo::person_of(kDana).aws_id, demo::kSandboxAccountId,
                                          demo::kOpsPermissionSet);
  ASSERT_TRUE(session) << session.error().message;

  // Watched from here to the extension's end: the assignment is never missing.
  bool gap = false;
  auto holds = [&] {
    if (!dana_holds_sandbox_ops(world)) gap = true;
    return !gap;
  };

  const std::string ext = click_more_time(world, id, true);
  EXPECT_GE(std::chrono::system_clock::now(), old_end - 9s) << "the warning came too early";
  ASSERT_FALSE(ext.empty());
  EXPECT_TRUE(world.wait_ephemeral(kDana, ext) || world.wait_dm(kDana, ext)) << "dana is told the extension's id";
  auto filed = world.read(ext);
  ASSERT_TRUE(filed);
  EXPECT_EQ(filed->state, State::pending);
  // Pre-filled: the time left when clicked (at most the 8 s of the warning) and the grant's 15 s.
  EXPECT_GT(filed->duration, Seconds{15});
  EXPECT_LE(filed->duration, Seconds{15 + 9}) << "the button pre-fills the time left and the grant's duration";
  EXPECT_THAT(filed->reason, ::testing::HasSubstr("rotate the keys"));
  ASSERT_TRUE(holds());

  // dana may not approve her own extension; alice does, in the owner channel.
  ASSERT_TRUE(world.click(kDana, ext, slack::kApproveAction, demo::kSandbox));
  EXPECT_TRUE(world.wait_ephemeral(kDana, "own request"));
  EXPECT_EQ(world.read(ext)->state, State::pending);
  ASSERT_TRUE(world.click(kAlice, ext, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(World::poll([&] { return holds() && world.read(ext)->state == State::active; }, 15s)) << world.log(0);
  const TimePoint approved_at = std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  ASSERT_LT(approved_at, old_end) << "the test needs the extension granted before the grant's end";

  // The grant ended by handing over; its expiry never moved.
  auto old = world.read(id);
  EXPECT_EQ(old->state, State::revoked);
  EXPECT_EQ(old->end_reason, "extended by " + ext);
  EXPECT_EQ(old->expires_at, old_end);
  const TimePoint new_end = world.read(ext)->expires_at.value();
  EXPECT_GT(new_end, old_end);
  EXPECT_LE(new_end, approved_at + filed->duration + 1s);

  // One assignment: created once, never deleted; the old schedule gone, the extension's there.
  EXPECT_EQ(ok_calls(world, "sso-admin:CreateAccountAssignment"), 1);
  EXPECT_EQ(ok_calls(world, "sso-admin:DeleteAccountAssignment"), 0);
  EXPECT_FALSE(has_schedule(world, id)) << world.aws().schedules().dump();
  EXPECT_TRUE(has_schedule(world, ext)) << world.aws().schedules().dump();
  // The live session is cut at the new end, not the old.
  auto at_old_end = world.aws().session_allowed(session->id, old_end + 1s);
  ASSERT_TRUE(at_old_end) << at_old_end.error().message;
  EXPECT_TRUE(at_old_end->allowed) << at_old_end->reason;
  auto after_new_end = world.aws().session_allowed(session->id, new_end + 1s);
  ASSERT_TRUE(after_new_end) << after_new_end.error().message;
  EXPECT_FALSE(after_new_end->allowed);
  EXPECT_EQ(after_new_end->statement, "JitCutoff" + ext) << after_new_end->reason;
  // dana is told the access goes on, with more time to ask for on the extension.
  EXPECT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.dm(kDana))
          if (World::has_button(m, slack::kExtendAction, ext)) return true;
        return false;
      },
      10s))
      << world.slack().dm(kDana).dump(1);

  // The old grant's end passes with the access kept; the extension's own end revokes it.
  ASSERT_TRUE(World::poll([&] { return !holds() || std::chrono::system_clock::now() > old_end + 2s; }, 30s));
  EXPECT_FALSE(gap) << "the assignment went missing around the old grant's end";
  EXPECT_EQ(world.read(ext)->state, State::active);
  ASSERT_TRUE(world.wait_state(ext, State::revoked, 40s)) << world.log(0);
  EXPECT_TRUE(World::poll([&] { return !dana_holds_sandbox_ops(world); }, 10s));
  const auto ended = world.read(ext)->ended_at.value();
  EXPECT_GE(ended, new_end);
  EXPECT_EQ(ok_calls(world, "sso-admin:CreateAccountAssignment"), 1);
  EXPECT_EQ(ok_calls(world, "sso-admin:DeleteAccountAssignment"), 1);

  auto [code, out] = world.audit_verify();
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(world.check_acks(1000ms), "");
}

INSTANTIATE_TEST_SUITE_P(Stores, ExtendTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "DynamoDB" : "SQLite"; });

// A denied extension changes nothing: the grant ends at its own expiry (no silent renewal).
TEST(ExtendEnds, ADeniedExtensionLeavesTheGrantToEndOnTime) {
  World world({.policy_tail = sandbox_ops_role()});
  const std::string id = grant_ops(world, "10s");
  ASSERT_FALSE(id.empty());
  const TimePoint old_end = world.read(id)->expires_at.value();
  world.slack().slash_command(kDana, fmt::format("extend {} 30m the rotation is slow", id));
  const std::string ext = wait_posted_extension(world, id);
  ASSERT_FALSE(ext.empty()) << world.log(0);
  EXPECT_EQ(world.read(ext)->duration, Seconds{30 * 60});
  ASSERT_TRUE(world.click(kAlice, ext, slack::kDenyAction, demo::kSandbox));
  std::string form;
  ASSERT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& v : s.views(kAlice))
          if (v["view"].value("private_metadata", "") == ext) form = v.value("id", "");
        return !form.empty();
      },
      10s));
  ASSERT_TRUE(world.slack().submit_view(kAlice, form, {{slack::kReasonField, "finish tomorrow"}}));
  ASSERT_TRUE(world.wait_state(ext, State::denied)) << world.log(0);
  EXPECT_EQ(world.read(id)->state, State::active);

  ASSERT_TRUE(world.wait_state(id, State::revoked, 40s)) << world.log(0);
  auto ended = world.read(id);
  EXPECT_GE(ended->ended_at.value(), old_end);
  EXPECT_EQ(ended->expires_at, old_end);
  EXPECT_THAT(ended->end_reason, ::testing::Not(::testing::HasSubstr("extended")));
  EXPECT_TRUE(World::poll([&] { return !dana_holds_sandbox_ops(world); }, 10s));
  EXPECT_EQ(ok_calls(world, "sso-admin:DeleteAccountAssignment"), 1);
  auto [code, out] = world.audit_verify();
  EXPECT_EQ(code, 0) << out;
}

// Approved only after the grant ended: an ordinary grant of its own, with a new assignment.
TEST(ExtendEnds, AnExtensionApprovedAfterTheGrantEndedIsAnOrdinaryGrant) {
  World world({.policy_tail = sandbox_ops_role()});
  const std::string id = grant_ops(world, "10s");
  ASSERT_FALSE(id.empty());
  const std::string ext = click_more_time(world, id);
  ASSERT_FALSE(ext.empty());
  ASSERT_TRUE(world.wait_state(id, State::revoked, 40s)) << world.log(0);
  EXPECT_TRUE(World::poll([&] { return !dana_holds_sandbox_ops(world); }, 10s));
  EXPECT_EQ(world.read(ext)->state, State::pending);

  ASSERT_TRUE(world.click(kAlice, ext, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world.wait_state(ext, State::active, 20s)) << world.log(0);
  const auto granted = world.read(ext);
  EXPECT_EQ(world.read(id)->end_reason.find("extended"), std::string::npos);
  EXPECT_TRUE(dana_holds_sandbox_ops(world));
  EXPECT_EQ(ok_calls(world, "sso-admin:CreateAccountAssignment"), 2);
  EXPECT_LE(*granted->expires_at - *granted->granted_at, 21s) << "the 10 s left when clicked and 10 s more";
  auto [code, out] = world.audit_verify();
  EXPECT_EQ(code, 0) << out;
}

// kill -9 inside the handover (after the old grant's hand_over is written; after its cut-off is
// disarmed): the restarted instance finishes it, the access never has a gap and AWS sees one
// create and no delete.
class HandoverCrash : public ::testing::TestWithParam<const char*> {};

TEST_P(HandoverCrash, KilledInTheHandoverTheRestartFinishesItWithoutAGap) {
  World world({.policy_tail = sandbox_ops_role()});
  const std::string id = grant_ops(world, "20s");
  ASSERT_FALSE(id.empty());
  const std::string ext = click_more_time(world, id);
  ASSERT_FALSE(ext.empty());
  world.stop_instance(0);
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {{"JIT_CRASH_AT", GetParam()}}, &why)) << why;
  bool gap = false;
  ASSERT_TRUE(world.click(kAlice, ext, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(World::poll(
      [&] {
        if (!dana_holds_sandbox_ops(world)) gap = true;
        return !world.running(0);
      },
      20s))
      << "instance 0 did not die at " << GetParam() << "\n" << world.log(0);
  EXPECT_THAT(world.log(0), ::testing::HasSubstr("fault_injection_crash"));
  ASSERT_TRUE(world.start_instance(0, {}, &why)) << why;
  ASSERT_TRUE(World::poll(
      [&] {
        if (!dana_holds_sandbox_ops(world)) gap = true;
        return world.read(ext)->state == State::active;
      },
      20s))
      << world.log(0);
  EXPECT_FALSE(gap);
  EXPECT_EQ(world.read(id)->end_reason, "extended by " + ext);
  EXPECT_EQ(ok_calls(world, "sso-admin:CreateAccountAssignment"), 1);
  EXPECT_EQ(ok_calls(world, "sso-admin:DeleteAccountAssignment"), 0);
  EXPECT_FALSE(has_schedule(world, id)) << world.aws().schedules().dump();
  EXPECT_TRUE(has_schedule(world, ext));
  auto [code, out] = world.audit_verify();
  EXPECT_EQ(code, 0) << out;
}

INSTANTIATE_TEST_SUITE_P(Points, HandoverCrash,
                         ::testing::Values("after_write:hand_over", "after_provider:disarm"),
                         [](const auto& info) { return std::string(info.index == 0 ? "AfterHandOver" : "AfterDisarm"); });

}  // namespace
}  // namespace jit::testing
