#include "core/settings.h"

namespace jit {

Reload plan_reload(const Config& running, const Config& loaded) {
  Reload r{loaded, {}, {}};
  Settings& next = r.config.settings;
  const Settings& now = running.settings;
  auto live = [&](const char* name, bool changed) {
    if (changed) r.applied.emplace_back(name);
  };
  // Settings a running service cannot change: keep the running value and say so.
  auto fixed = [&]<class T>(const char* name, T& loaded_value, const T& running_value) {
    if (loaded_value == running_value) return;
    r.need_restart.emplace_back(name);
    loaded_value = running_value;
  };
  auto fixed_number = [&](const char* name, int& loaded_value, int running_value) {
    if (loaded_value == running_value) return;
    r.need_restart.emplace_back(name);
    loaded_value = running_value;
  };
  live("sweep_interval", next.sweep_interval != now.sweep_interval);
  live("reconcile_interval", next.reconcile_interval != now.reconcile_interval);
  live("expiry_warning", next.expiry_warning != now.expiry_warning);
  live("ops_channel", next.ops_channel != now.ops_channel);
  live("aws.access_portal_url", next.aws.access_portal_url != now.aws.access_portal_url);
  live("aws.cutoff_margin", next.aws.cutoff_margin != now.aws.cutoff_margin);
  live("slack.user_rate", next.slack.user_rate != now.slack.user_rate);
  live("slack.user_burst", next.slack.user_burst != now.slack.user_burst);
  fixed("store.url", next.store.url, now.store.url);
  fixed("audit.key_file", next.audit.key_file, now.audit.key_file);
  fixed("slack.queue_limit", next.slack.queue_limit, now.slack.queue_limit);
  fixed("aws.region", next.aws.region, now.aws.region);
  fixed("aws.instance_arn", next.aws.instance_arn, now.aws.instance_arn);
  fixed("aws.identity_store_id", next.aws.identity_store_id, now.aws.identity_store_id);
  // The provider's deadline is fixed at start (the lease was checked against it).
  if (next.aws.call_timeout != now.aws.call_timeout) {
    r.need_restart.emplace_back("aws.call_timeout");
    next.aws.call_timeout = now.aws.call_timeout;
  }
  // The provider that makes schedules is built at start with the role and the group.
  fixed("aws.scheduler_role_arn", next.aws.scheduler_role_arn, now.aws.scheduler_role_arn);
  fixed("aws.scheduler_group", next.aws.scheduler_group, now.aws.scheduler_group);
  fixed_number("aws.revoke_rate", next.aws.revoke_rate, now.aws.revoke_rate);
  fixed_number("aws.revoke_concurrency", next.aws.revoke_concurrency, now.aws.revoke_concurrency);
  // The IAM-role provider is built at start with the quota it checks grants against.
  fixed_number("aws.trust_policy_size_limit", next.aws.trust_policy_size_limit, now.aws.trust_policy_size_limit);
  fixed("audit.checkpoint_key_file", next.audit.checkpoint_key_file, now.audit.checkpoint_key_file);
  fixed("audit.checkpoint_interval", next.audit.checkpoint_interval, now.audit.checkpoint_interval);
  fixed_number("announce_queue", next.announce_queue, now.announce_queue);
  // The step-up page (issue 15) is bound at start to its address, certificate and origin; the
  // links' lifetime applies to links made from now on.
  live("step_up.link_lifetime", next.step_up.link_lifetime != now.step_up.link_lifetime);
  fixed("step_up.origin", next.step_up.origin, now.step_up.origin);
  fixed("step_up.rp_id", next.step_up.rp_id, now.step_up.rp_id);
  fixed("step_up.listen", next.step_up.listen, now.step_up.listen);
  fixed("step_up.tls_certificate_file", next.step_up.tls_certificate_file, now.step_up.tls_certificate_file);
  fixed("step_up.tls_key_file", next.step_up.tls_key_file, now.step_up.tls_key_file);
  // The PagerDuty client (issue 17) is built at start with its address, token and deadline.
  fixed("pagerduty", next.pagerduty, now.pagerduty);
  return r;
}

}  // namespace jit
