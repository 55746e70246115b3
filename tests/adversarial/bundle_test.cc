// Several accounts in one request (issue 17): a bundle never grants what a request on its own
// would have refused. Forged form submissions and commands that name an account the person may not
// request, an unknown one, one twice, more than the bound, or leave out what one account's role
// asks for, file nothing; a valid bundle leaves each account's rules (its approvers, its approval
// count, no self-approval) exactly as they are for a request on its own, and a replayed one files
// nothing more.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adversarial/adversary.h"
#include "core/limits.h"

namespace jit::testing {
namespace {
namespace bundle_attack {  // its own names: the unity build compiles it beside other files

using ::testing::HasSubstr;
using nlohmann::json;

// admin on prod (alice and S0LEADS decide), on sandbox with two approvals (alice, bob, dana), on
// "vault" only alice may request, and on "tickets" with a ticket required.
const std::string kPolicyTail =
    role_toml("admin", {"*"}, fmt::format("approvals_required = 2\napprovers = {}", demo::toml_list({kAlice, kBob, kDana}))) +
    account_toml("vault", "777788889999", "C0VAULT", {kAlice}) + role_toml("admin", {kAlice}) +
    account_toml("tickets", "121212121212", "C0TICKETS", {kAlice}) +
    role_toml("admin", {"*"}, "ticket_required = true\nticket_pattern = \"^INC-[0-9]+$\"");

class BundleAttack : public AdversarialTest {
 protected:
  // The form's state for prod admin 30m with `also` picked in "Also for these accounts".
  static json with_also(const std::vector<std::string>& also) {
    json values = form_values("prod", "admin", "30m", "rotate the keys");
    json picked = json::array();
    for (const auto& a : also) picked.push_back({{"text", {{"type", "plain_text"}, {"text", a}}}, {"value", a}});
    values[slack::kAlsoAccountsField] = {
        {slack::kAlsoAccountsField, {{"type", "multi_static_select"}, {"selected_options", picked}}}};
    return values;
  }

  // The error the form shows on "Also for these accounts" for a forged submission ("" when none).
  std::string also_error(const std::string& user, const std::string& view, const std::vector<std::string>& also) {
    const json ack = submit_form(user, view, with_also(also));
    if (!ack.is_object() || ack.value("response_action", "") != "errors") return "";
    return ack["errors"].value(slack::kAlsoAccountsField, "");
  }

  std::size_t requests_of(const std::string& user) {
    return world().store().list_requests({.requester = user}).value().size();
  }
};

TEST_F(BundleAttack, ForgedSubmissionsAndCommandsFileNothing) {
  ASSERT_TRUE(own_world({.extra_people = 1, .policy_tail = kPolicyTail}));
  const std::string view = open_request_form(kEve);
  ASSERT_FALSE(view.empty());
  // An account she may not request, named in a forged state (the form never offered it).
  EXPECT_EQ(also_error(kEve, view, {"sandbox", "vault"}),
            "account vault: you may not request role admin on account vault: ask an admin to add you to its "
            "requesters");
  // An account not in policy, one named twice (by name or id, or the account above), more than the bound.
  EXPECT_THAT(also_error(kEve, view, {"nowhere"}), HasSubstr("account nowhere: account \"nowhere\" is not in policy"));
  EXPECT_THAT(also_error(kEve, view, {"sandbox", "sandbox"}), HasSubstr("account sandbox is named twice"));
  EXPECT_THAT(also_error(kEve, view, {"prod"}), HasSubstr("account prod is named twice"));
  EXPECT_THAT(also_error(kEve, view, {"sandbox", demo::kSandboxAccountId}), HasSubstr("account sandbox is named twice"));
  EXPECT_THAT(also_error(kEve, view, std::vector<std::string>(limits::kMaxBundleAccounts, "sandbox")),
              HasSubstr(fmt::format("Choose at most {} more accounts", limits::kMaxBundleAccounts - 1)));
  EXPECT_THAT(also_error(kEve, view, {std::string(5000, 'v')}), HasSubstr("the limit is 100"));
  // One account's rule: tickets wants an INC- ticket, and the form gave none.
  EXPECT_THAT(also_error(kEve, view, {"tickets"}), HasSubstr("account tickets: ticket is required for role admin"));
  // The same through the command, by someone else (one person's commands are rate-limited).
  const std::string typist = extra_person(0);
  EXPECT_THAT(command(typist, "request prod,vault admin 30m rotate"),
              HasSubstr("account vault: you may not request role admin on account vault"));
  EXPECT_THAT(command(typist, "request prod,prod admin 30m rotate"), HasSubstr("account prod is named twice"));
  EXPECT_THAT(command(typist, "request prod,tickets admin 30m rotate --ticket JIRA-1"),
              HasSubstr("account tickets: ticket \"JIRA-1\" does not match"));
  std::string too_many = "prod";
  for (std::size_t i = 1; i <= limits::kMaxBundleAccounts; ++i) too_many += ",sandbox";
  EXPECT_THAT(command(typist, "request " + too_many + " admin 30m rotate"), HasSubstr("at most 10 accounts"));
  EXPECT_EQ(requests_of(kEve), 0u);
  EXPECT_EQ(requests_of(typist), 0u);
  EXPECT_EQ(grants_made(), 0);
}

TEST_F(BundleAttack, EachAccountKeepsItsOwnApproversApprovalCountAndNoSelfApproval) {
  ASSERT_TRUE(own_world({.policy_tail = kPolicyTail}));
  // dana, an approver of sandbox's admin, asks for admin on prod and sandbox at once.
  const std::string view = open_request_form(kDana);
  ASSERT_FALSE(view.empty());
  EXPECT_TRUE(submit_form(kDana, view, with_also({"sandbox"})).is_null());
  ASSERT_TRUE(World::poll([&] { return requests_of(kDana) == 2; }, std::chrono::seconds(15))) << world().log(0);
  std::string prod, sandbox;
  const auto requests = world().store().list_requests({.requester = kDana}).value();
  for (const auto& r : requests)
    (r.account == "prod" ? prod : sandbox) = r.id;
  ASSERT_FALSE(prod.empty());
  ASSERT_FALSE(sandbox.empty());
  message_ts(sandbox, demo::kSandbox);
  // The same submission replayed (a new envelope): both already open, so nothing more is filed.
  const Mark replay = mark(kDana);
  EXPECT_TRUE(submit_form(kDana, view, with_also({"sandbox"})).is_null());
  EXPECT_TRUE(reply_after(replay, "nothing was filed"));
  EXPECT_EQ(requests_of(kDana), 2u);

  // Her own sandbox request is not hers to approve, bundle or not.
  const Mark own = mark(kDana);
  click(kDana, sandbox, slack::kApproveAction, demo::kSandbox);
  EXPECT_TRUE(reply_after(own, "your own request"));
  // sandbox still needs its two approvals; one does not grant, nor does it touch prod.
  ASSERT_TRUE(click(kAlice, sandbox, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(World::poll([&] { return stored(sandbox).decisions.size() == 1; }, std::chrono::seconds(10)));
  EXPECT_EQ(stored(sandbox).state, State::pending);
  EXPECT_EQ(stored(prod).state, State::pending);
  EXPECT_TRUE(stored(prod).decisions.empty());
  EXPECT_EQ(grants_made(), 0);
  // eve approves nothing anywhere: her click on prod is refused as on any request.
  const Mark eve = mark(kEve);
  click(kEve, prod, slack::kApproveAction);
  EXPECT_TRUE(reply_after(eve, "not an approver"));
  // bob's is sandbox's second approval: granted, and prod is still waiting for its own.
  ASSERT_TRUE(click(kBob, sandbox, slack::kApproveAction, demo::kSandbox));
  ASSERT_TRUE(world().wait_state(sandbox, State::active)) << world().log(0);
  EXPECT_EQ(grants_made(), 1);
  EXPECT_EQ(stored(prod).state, State::pending);
  EXPECT_EQ(audit_count(prod, "approve"), 0);
}

}  // namespace bundle_attack
}  // namespace
}  // namespace jit::testing
