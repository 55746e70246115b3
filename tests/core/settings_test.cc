// A reload, planned: the policy and the settings a running service can take change together; the
// ones that need a restart keep their running values and are named.
#include "core/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Config running() {
  Config c;
  c.policy.approval_window = std::chrono::hours{1};
  c.settings.sweep_interval = Seconds{30};
  c.settings.store.url = "dynamodb:jit";
  c.settings.aws = {.region = "eu-west-1", .instance_arn = "arn:aws:sso:::instance/ssoins-1",
                    .identity_store_id = "d-1", .access_portal_url = "https://a.example/start"};
  return c;
}

TEST(PlanReload, NothingChangedNamesNothing) {
  const Reload r = plan_reload(running(), running());
  EXPECT_THAT(r.applied, IsEmpty());
  EXPECT_THAT(r.need_restart, IsEmpty());
}

TEST(PlanReload, PolicyAndLiveSettingsApplyTogether) {
  Config loaded = running();
  loaded.policy.approval_window = std::chrono::minutes{10};
  loaded.settings.sweep_interval = Seconds{5};
  loaded.settings.ops_channel = "C0NEWOPS";
  loaded.settings.expiry_warning = std::chrono::minutes{15};
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.policy.approval_window, std::chrono::minutes{10});
  EXPECT_EQ(r.config.settings.sweep_interval, Seconds{5});
  EXPECT_EQ(r.config.settings.ops_channel, "C0NEWOPS");
  EXPECT_EQ(r.config.settings.expiry_warning, std::chrono::minutes{15});
  EXPECT_THAT(r.applied, ElementsAre("sweep_interval", "expiry_warning", "ops_channel"));
  EXPECT_THAT(r.need_restart, IsEmpty());
}

TEST(PlanReload, SettingsThatNeedARestartKeepTheirRunningValuesAndAreNamed) {
  Config loaded = running();
  loaded.settings.store.url = "sqlite:elsewhere.db";
  loaded.settings.aws.instance_arn = "arn:aws:sso:::instance/ssoins-2";
  loaded.settings.aws.access_portal_url = "https://b.example/start";
  loaded.settings.reconcile_interval = Seconds{60};
  loaded.settings.aws.call_timeout = Seconds{30};  // the lease was checked against the running one
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.aws.call_timeout, Seconds{90});
  EXPECT_EQ(r.config.settings.store.url, "dynamodb:jit");
  EXPECT_EQ(r.config.settings.aws.instance_arn, "arn:aws:sso:::instance/ssoins-1");
  EXPECT_EQ(r.config.settings.aws.access_portal_url, "https://b.example/start");
  EXPECT_EQ(r.config.settings.reconcile_interval, Seconds{60});
  EXPECT_THAT(r.applied, ElementsAre("reconcile_interval", "aws.access_portal_url"));
  EXPECT_THAT(r.need_restart, ElementsAre("store.url", "aws.instance_arn", "aws.call_timeout"));
}

TEST(PlanReload, TheUserRateIsLiveAndTheQueueLimitNeedsARestart) {
  Config loaded = running();
  loaded.settings.slack.user_rate = Rate{1, std::chrono::seconds(1)};
  loaded.settings.slack.user_burst = 3;
  loaded.settings.slack.queue_limit = 5;
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.slack.user_rate, (Rate{1, std::chrono::seconds(1)}));
  EXPECT_EQ(r.config.settings.slack.user_burst, 3);
  EXPECT_EQ(r.config.settings.slack.queue_limit, running().settings.slack.queue_limit);
  EXPECT_THAT(r.applied, ElementsAre("slack.user_rate", "slack.user_burst"));
  EXPECT_THAT(r.need_restart, ElementsAre("slack.queue_limit"));
}

// Issue 14: the margin applies to grants armed from now on; the scheduler's role and group were
// given to the provider at start, and running grants' schedules were made with them.
TEST(PlanReload, TheCutoffMarginIsLiveAndTheSchedulerNeedsARestart) {
  Config loaded = running();
  loaded.settings.aws.cutoff_margin = Seconds{0};
  loaded.settings.aws.scheduler_role_arn = "arn:aws:iam::111111111111:role/jit-scheduler";
  loaded.settings.aws.scheduler_group = "other";
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.aws.cutoff_margin, Seconds{0});
  EXPECT_EQ(r.config.settings.aws.scheduler_role_arn, "");
  EXPECT_EQ(r.config.settings.aws.scheduler_group, "jit-access");
  EXPECT_THAT(r.applied, ElementsAre("aws.cutoff_margin"));
  EXPECT_THAT(r.need_restart, ElementsAre("aws.scheduler_role_arn", "aws.scheduler_group"));
}

TEST(PlanReload, RevocationRateConcurrencyAndQueueNeedARestart) {
  Config loaded = running();
  loaded.settings.aws.revoke_rate = 50;
  loaded.settings.aws.revoke_concurrency = 2;
  loaded.settings.announce_queue = 7;
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.aws.revoke_rate, running().settings.aws.revoke_rate);
  EXPECT_EQ(r.config.settings.aws.revoke_concurrency, running().settings.aws.revoke_concurrency);
  EXPECT_EQ(r.config.settings.announce_queue, running().settings.announce_queue);
  EXPECT_THAT(r.need_restart, ElementsAre("aws.revoke_rate", "aws.revoke_concurrency", "announce_queue"));
}

TEST(PlanReload, TheTrustPolicySizeLimitNeedsARestart) {
  Config loaded = running();
  loaded.settings.aws.trust_policy_size_limit = 4096;
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.aws.trust_policy_size_limit, running().settings.aws.trust_policy_size_limit);
  EXPECT_THAT(r.need_restart, ElementsAre("aws.trust_policy_size_limit"));
}

TEST(PlanReload, CheckpointSettingsNeedARestart) {
  Config loaded = running();
  loaded.settings.audit.checkpoint_key_file = "/run/secrets/checkpoint.pem";
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.audit.checkpoint_key_file, "");
  EXPECT_THAT(r.need_restart, ElementsAre("audit.checkpoint_key_file"));
}

TEST(PlanReload, TheAuditKeyFileNeedsARestart) {
  Config loaded = running();
  loaded.settings.audit.key_file = "/etc/jit/new-keys";
  const Reload r = plan_reload(running(), loaded);
  EXPECT_EQ(r.config.settings.audit.key_file, running().settings.audit.key_file);
  EXPECT_THAT(r.need_restart, ElementsAre("audit.key_file"));
}

// Issue 15: the page is bound at start to its address, certificate and origin (and credentials to
// the RP id); a link's lifetime applies to the links made after the reload.
TEST(PlanReload, TheStepUpPageNeedsARestartAndTheLinkLifetimeIsLive) {
  Config loaded = running();
  loaded.settings.step_up = {.origin = "https://jit.example",
                             .rp_id = "example",
                             .listen = "127.0.0.1:9443",
                             .tls_certificate_file = "/c.pem",
                             .tls_key_file = "/k.pem",
                             .link_lifetime = Seconds{60}};
  const Reload r = plan_reload(running(), loaded);
  StepUpSettings expected;  // the running ones, but the lifetime
  expected.link_lifetime = Seconds{60};
  EXPECT_EQ(r.config.settings.step_up, expected);
  EXPECT_THAT(r.applied, ElementsAre("step_up.link_lifetime"));
  EXPECT_THAT(r.need_restart, ElementsAre("step_up.origin", "step_up.rp_id", "step_up.listen",
                                          "step_up.tls_certificate_file", "step_up.tls_key_file"));
}

}  // namespace
}  // namespace jit
