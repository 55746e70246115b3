// The app's Home tab (issue 17), end to end: a real `jit serve` against the Slack and AWS
// emulators. People open their Home (app_home_opened), the service publishes it (views.publish),
// and every change that concerns them publishes it again; its buttons decide, release and cancel.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "e2e/world.h"
#include "emulators/slack/block_kit.h"
#include "slack/ids.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// Each of `people` opens their Home, and it is published.
void open_homes(World& world, std::initializer_list<const char*> people) {
  for (const char* person : people)
    ASSERT_TRUE(world.wait_home(person, [](const json&) { return true; }, true)) << person << "\n" << world.log(0);
}

bool mentions(const json& view, const std::string& text) { return view.dump().find(text) != std::string::npos; }

// dana opens her Home (empty), asks for access (her Home shows it pending, alice's shows it with
// Approve and Deny), alice approves it in her Home (dana's shows it active with the time left and
// Release), dana releases it in her Home (revoked in AWS, and her Home is empty again).
TEST(E2eHome, RequestApproveAndReleaseAllFromTheHomeTab) {
  World world;
  json last;
  auto empty = world.wait_home(kDana, [](const json& v) { return mentions(v, "No pending requests"); }, true, &last);
  ASSERT_TRUE(empty) << last.dump(1) << world.log(0);
  EXPECT_TRUE(mentions(*empty, "No grants"));
  EXPECT_TRUE(emulators::block_kit::message_elements((*empty)["blocks"]).empty()) << "nothing to click yet";
  auto nothing = [](const json& v) { return mentions(v, "Nothing waits for your decision"); };
  ASSERT_TRUE(world.wait_home(kAlice, nothing, true, &last)) << last.dump(1);

  // From here on nobody opens a Home again: every view below is a refresh after a change.
  auto id = world.request(kDana, "prod admin 1h rotate the signing keys <!channel>");
  ASSERT_TRUE(id);
  auto shows = [&](const char* action) {
    return [&, action](const json& v) { return World::has_button(v, action, *id); };
  };
  auto pending = world.wait_home(kDana, shows(slack::kCancelAction), false, &last);
  ASSERT_TRUE(pending) << last.dump(1);
  EXPECT_TRUE(mentions(*pending, "Waiting for approval"));
  EXPECT_FALSE(World::has_button(*pending, slack::kApproveAction, *id)) << "nobody approves their own request";
  auto to_decide = world.wait_home(kAlice, shows(slack::kApproveAction), false, &last);
  ASSERT_TRUE(to_decide) << "alice's Home was not refreshed with the request: " << last.dump(1);
  EXPECT_TRUE(World::has_button(*to_decide, slack::kDenyAction, *id));
  EXPECT_TRUE(mentions(*to_decide, "rotate the signing keys &lt;!channel&gt;"));
  EXPECT_FALSE(mentions(*to_decide, "<!channel>"));
  EXPECT_EQ(world.assignment_count(), 0u);

  ASSERT_TRUE(world.slack().click_home(kAlice, slack::kApproveAction, *id));
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  EXPECT_EQ(world.read(*id)->decisions.at(0).approver, kAlice);
  EXPECT_EQ(world.assignment_count(), 1u);
  auto active = world.wait_home(kDana, shows(slack::kReleaseAction), false, &last);
  ASSERT_TRUE(active) << last.dump(1);
  EXPECT_THAT(active->dump(), ::testing::ContainsRegex("(59m|1h) left"));
  EXPECT_FALSE(World::has_button(*active, slack::kCancelAction, *id));
  ASSERT_TRUE(world.wait_home(kAlice, [&](const json& v) { return !mentions(v, *id) && nothing(v); }, false, &last))
      << "alice's Home still offers to approve a granted request: " << last.dump(1);

  ASSERT_TRUE(world.slack().click_home(kDana, slack::kReleaseAction, *id));
  ASSERT_TRUE(world.wait_state(*id, State::revoked)) << world.log(0);
  EXPECT_TRUE(World::poll([&] { return world.assignment_count() == 0; }, std::chrono::seconds(10)));
  auto after = world.wait_home(kDana, [&](const json& v) { return !mentions(v, *id); }, false, &last);
  ASSERT_TRUE(after) << "dana's Home still shows the released grant: " << last.dump(1);
  EXPECT_TRUE(mentions(*after, "No grants"));
  EXPECT_EQ(world.check_acks(std::chrono::milliseconds(1000)), "");
}

// Cancel in the Home tab withdraws the request; the approver's Home drops it; the Messages tab
// publishes nothing.
TEST(E2eHome, CancelFromTheHomeTabWithdrawsTheRequestAndTheApproversHomeFollows) {
  World world;
  open_homes(world, {kAlice, kDana});
  auto id = world.request(kDana, "prod admin 30m look at the logs");
  ASSERT_TRUE(id);
  ASSERT_TRUE(world.wait_home(kAlice, [&](const json& v) { return World::has_button(v, slack::kApproveAction, *id); }));
  ASSERT_TRUE(world.wait_home(kDana, [&](const json& v) { return World::has_button(v, slack::kCancelAction, *id); }));
  ASSERT_TRUE(world.slack().click_home(kDana, slack::kCancelAction, *id));
  ASSERT_TRUE(world.wait_state(*id, State::cancelled)) << world.log(0);
  ASSERT_TRUE(world.wait_home(kAlice, [&](const json& v) { return !mentions(v, *id); }));
  ASSERT_TRUE(world.wait_home(kDana, [&](const json& v) { return !mentions(v, *id); }));

  const int publishes_before = world.slack().call_counts().value("views.publish", 0);
  world.slack().open_home(kEve, "messages");
  world.slack().open_home(kEve);  // only this one publishes
  ASSERT_TRUE(world.wait_home(kEve, [](const json& v) { return mentions(v, "No pending requests"); }));
  EXPECT_FALSE(mentions(*world.wait_home(kEve, [](const json&) { return true; }), "Waiting for your decision"))
      << "eve approves nothing";
  EXPECT_EQ(world.slack().call_counts().value("views.publish", 0), publishes_before + 1);
}

// Deny in the Home tab opens the same reason form as the channel message's; its submission denies,
// the requester is told why, and both Homes drop the request.
TEST(E2eHome, DenyFromTheHomeTabAsksForAReasonAndDenies) {
  World world;
  open_homes(world, {kAlice, kDana});
  auto id = world.request(kDana, "prod admin 1h poke at production");
  ASSERT_TRUE(id);
  ASSERT_TRUE(world.wait_home(kAlice, [&](const json& v) { return World::has_button(v, slack::kDenyAction, *id); }));
  ASSERT_TRUE(world.slack().click_home(kAlice, slack::kDenyAction, *id));
  std::string form;
  ASSERT_TRUE(world.slack().wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& v : s.views(kAlice))
          if (v["view"].value("private_metadata", "") == *id) form = v.value("id", "");
        return !form.empty();
      },
      std::chrono::seconds(10)))
      << "no deny form";
  ASSERT_TRUE(world.slack().submit_view(kAlice, form, {{slack::kReasonField, "use staging <!here>"}}));
  ASSERT_TRUE(world.wait_state(*id, State::denied)) << world.log(0);
  EXPECT_TRUE(world.wait_dm(kDana, "use staging &lt;!here&gt;"));
  ASSERT_TRUE(world.wait_home(kAlice, [&](const json& v) { return !mentions(v, *id); }));
  ASSERT_TRUE(world.wait_home(kDana, [&](const json& v) { return !mentions(v, *id); }));
  EXPECT_EQ(world.assignment_count(), 0u);
}

// "Request more time" in the Home tab files the extension (the DM's button, the same path): dana's
// Home says it waits instead of offering another, alice approves it in her Home, and the access
// goes on in the same assignment (created once, never deleted); dana's Home then shows the
// extension's grant, with its own Request more time.
TEST(E2eHome, RequestMoreTimeFromTheHomeTabGoesOnWithTheSameAssignment) {
  World world;
  open_homes(world, {kAlice, kDana});
  auto id = world.request(kDana, "prod admin 1h rotate the signing keys");
  ASSERT_TRUE(id);
  ASSERT_TRUE(world.click(kAlice, *id, slack::kApproveAction, demo::kProd));
  ASSERT_TRUE(world.wait_state(*id, State::active)) << world.log(0);
  json last;
  ASSERT_TRUE(world.wait_home(kDana, [&](const json& v) { return World::has_button(v, slack::kExtendAction, *id); },
                              false, &last))
      << last.dump(1);

  ASSERT_TRUE(world.slack().click_home(kDana, slack::kExtendAction, *id));
  const std::string extension = wait_posted_extension(world, *id);
  ASSERT_FALSE(extension.empty()) << world.log(0);
  EXPECT_EQ(world.read(extension)->state, State::pending);
  EXPECT_EQ(world.read(extension)->requester, kDana);
  auto asked = world.wait_home(
      kDana, [&](const json& v) { return mentions(v, fmt::format("More time asked: `{}`", extension)); }, false, &last);
  ASSERT_TRUE(asked) << last.dump(1);
  EXPECT_FALSE(World::has_button(*asked, slack::kExtendAction, *id)) << "one extension at a time";
  EXPECT_TRUE(World::has_button(*asked, slack::kCancelAction, extension));
  EXPECT_FALSE(World::has_button(*asked, slack::kApproveAction, extension)) << "nobody approves their own request";

  ASSERT_TRUE(world.wait_home(kAlice, [&](const json& v) { return World::has_button(v, slack::kApproveAction, extension); },
                              false, &last))
      << last.dump(1);
  ASSERT_TRUE(world.slack().click_home(kAlice, slack::kApproveAction, extension));
  ASSERT_TRUE(world.wait_state(extension, State::active)) << world.log(0);
  ASSERT_TRUE(world.wait_state(*id, State::revoked)) << world.log(0);
  EXPECT_EQ(world.assignment_count(), 1u);
  EXPECT_EQ(ok_calls(world, "sso-admin:CreateAccountAssignment"), 1);
  EXPECT_EQ(ok_calls(world, "sso-admin:DeleteAccountAssignment"), 0);
  auto after = world.wait_home(
      kDana, [&](const json& v) { return World::has_button(v, slack::kExtendAction, extension) && !mentions(v, *id + "`"); },
      false, &last);
  ASSERT_TRUE(after) << last.dump(1);
  EXPECT_TRUE(World::has_button(*after, slack::kReleaseAction, extension));
  const auto [code, verify] = world.audit_verify();
  EXPECT_EQ(code, 0) << verify;

  // The auditor's report links the two rows: the grant ended "extended" by its extension (no
  // revoke), which names the grant it extends.
  const auto [report_code, report] = world.jit_on_store({"audit", "report", "--since", "2020-01-01", "--until",
                                                        "2100-01-01", "--format", "jsonl"});
  ASSERT_EQ(report_code, 0) << report;
  std::map<std::string, json> rows;
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);)
    if (auto row = json::parse(line, nullptr, false); row.is_object() && row.value("type", "") == "grant")
      rows[row.value("request_id", "")] = row;
  ASSERT_TRUE(rows.contains(*id) && rows.contains(extension)) << report;
  EXPECT_EQ(rows[*id]["outcome"], "extended");
  EXPECT_EQ(rows[*id]["extended_by"], extension);
  EXPECT_EQ(rows[extension]["extends"], *id);
  EXPECT_EQ(rows[extension]["outcome"], "active");
}

}  // namespace
}  // namespace jit::testing
