// check_user_standing: who may be given access at all, whatever the role rules say.
#include "core/user_standing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jit {
namespace {

using ::testing::HasSubstr;

UserProfile member() {
  return {.user_id = "U0DEV", .email = "dev@example.com", .email_confirmed = true, .team_id = "T0JIT"};
}

std::string refusal(const UserProfile& p, bool allow_guests = false) {
  auto ok = check_user_standing(p, "T0JIT", allow_guests);
  if (ok) return "";
  EXPECT_EQ(ok.error().code, Errc::denied);
  return ok.error().message;
}

TEST(UserStanding, AConfirmedMemberOfTheTeamIsFine) { EXPECT_EQ(refusal(member()), ""); }

TEST(UserStanding, EachFlagRefusesWithItsReason) {
  auto with = [](auto change) {
    UserProfile p = member();
    change(p);
    return refusal(p);
  };
  EXPECT_THAT(with([](UserProfile& p) { p.deleted = true; }), HasSubstr("deactivated"));
  EXPECT_THAT(with([](UserProfile& p) { p.bot = true; }), HasSubstr("bot or app user"));
  EXPECT_THAT(with([](UserProfile& p) { p.team_id = "T0OTHER"; }), HasSubstr("another workspace (T0OTHER, not T0JIT)"));
  EXPECT_THAT(with([](UserProfile& p) { p.single_channel_guest = true; }), HasSubstr("single-channel guests"));
  EXPECT_THAT(with([](UserProfile& p) { p.multi_channel_guest = true; }), HasSubstr("multi-channel guests"));
  EXPECT_THAT(with([](UserProfile& p) { p.email = ""; }), HasSubstr("no e-mail address"));
  EXPECT_THAT(with([](UserProfile& p) { p.email_confirmed = false; }), HasSubstr("dev@example.com is not confirmed"));
  EXPECT_THAT(with([](UserProfile& p) { p.deleted = true; }), HasSubstr("U0DEV"));
}

TEST(UserStanding, GuestsOnlyWhenThePolicyAdmitsThem) {
  UserProfile guest = member();
  guest.multi_channel_guest = true;
  guest.single_channel_guest = true;
  EXPECT_NE(refusal(guest, false), "");
  EXPECT_EQ(refusal(guest, true), "");
  guest.deleted = true;
  EXPECT_THAT(refusal(guest, true), HasSubstr("deactivated")) << "admitting guests admits nothing else";
}

TEST(UserStanding, AnUnknownOwnTeamIsNotChecked) {
  UserProfile p = member();
  p.team_id = "T0OTHER";
  EXPECT_TRUE(check_user_standing(p, "", false));
}

}  // namespace
}  // namespace jit
