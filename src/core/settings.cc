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
  auto fixed = [&](const char* name, std::string& loaded_value, const std::string& running_value) {
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
  live("ops_channel", next.ops_channel != now.ops_channel);
  live("aws.access_portal_url", next.aws.access_portal_url != now.aws.access_portal_url);
  fixed("store.url", next.store.url, now.store.url);
  fixed("aws.region", next.aws.region, now.aws.region);
  fixed("aws.instance_arn", next.aws.instance_arn, now.aws.instance_arn);
  fixed("aws.identity_store_id", next.aws.identity_store_id, now.aws.identity_store_id);
  fixed_number("aws.revoke_rate", next.aws.revoke_rate, now.aws.revoke_rate);
  fixed_number("aws.revoke_concurrency", next.aws.revoke_concurrency, now.aws.revoke_concurrency);
  fixed_number("announce_queue", next.announce_queue, now.announce_queue);
  return r;
}

}  // namespace jit
