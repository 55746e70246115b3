// How the service runs, as opposed to the policy (who may do what): intervals, where alerts go,
// where state is kept, and which AWS account and Identity Center instance it works on. Both come
// from the same TOML file; a reload (SIGHUP) applies the policy and every setting that can change
// under a running service, and names the ones that need a restart.
#pragma once

#include <string>
#include <vector>

#include "core/policy.h"
#include "core/rate.h"
#include "core/time.h"

namespace jit {

struct StoreSettings {
  std::string url = "sqlite:jit.db";  // sqlite:PATH or dynamodb:TABLE
};

// Bounds of [aws].call_timeout.
inline constexpr Seconds kMinCallTimeout{1};
inline constexpr Seconds kMaxCallTimeout{900};
// Bounds and default of [aws].cutoff_margin.
inline constexpr Seconds kMaxCutoffMargin{15 * 60};
inline constexpr Seconds kDefaultCutoffMargin{2 * 60};
// The default [aws].scheduler_group.
inline constexpr const char* kDefaultSchedulerGroup = "jit-access";

struct AwsSettings {
  std::string region;              // "" = from the environment
  std::string instance_arn;        // IAM Identity Center instance
  std::string identity_store_id;
  std::string access_portal_url;   // shown to requesters once access is active
  // The longest one grant or revoke in Identity Center may take, its status polling included,
  // before it fails to be retried later. Every lease must exceed it (jit serve --lease).
  Seconds call_timeout{90};
  // Revocations started per second at most (Identity Center throttles), and how many may be under
  // way at once (each waits ~1 s for the asynchronous deletion). Restart to change.
  int revoke_rate = 10;
  int revoke_concurrency = 16;
  // Issue 14. The IAM role EventBridge Scheduler assumes to delete an assignment at a grant's
  // expiry (roles with scheduled_revoke); "" = none, and then no role may have scheduled_revoke
  // while instance_arn is set. The schedule group its schedules go in (1..64 of [0-9a-zA-Z-_.]).
  // Both need a restart: a running grant's schedule was made with the old ones.
  std::string scheduler_role_arn;
  std::string scheduler_group = kDefaultSchedulerGroup;
  // Session cut-off (roles with session_cutoff): sessions issued up to this long after a grant's
  // expiry are cut too, covering the moments between the expiry second and the assignment being
  // gone. 0 to 15m. Live on reload (applies to grants armed from then on).
  Seconds cutoff_margin = kDefaultCutoffMargin;
  // Issue 16, the IAM-role path: IAM's quota "Role trust policy length" in this organisation
  // (2,048 by default; raise the quota first, then this). A grant whose statement would not fit is
  // refused, naming the role and when room frees. 1 to 8,192. Restart to change.
  int trust_policy_size_limit = 2048;
};

// [slack]: how much one person may ask of the service, and how much inbound work may wait.
struct SlackSettings {
  // Slash commands (other than help and unreadable ones) and request-form submissions per
  // person: a token bucket of `user_burst` refilled at `user_rate`. Beyond it, a polite refusal
  // in the ack (no Web API call, nothing posted). Live on reload.
  Rate user_rate{10, std::chrono::minutes(1)};
  int user_burst = 10;
  // Envelopes acked but not yet handled, at most (beyond it, the lowest priority ones are shed).
  // Needs a restart.
  int queue_limit = 1000;
};

// [audit]: the keys that seal the audit trail (audit/keyring.h has the file's form; they may also
// come from the environment, JIT_AUDIT_KEY: see app/audit_keys.h) and the signed checkpoints of
// its head, published outside the store. Loaded once at start: restart to change.
struct AuditSettings {
  std::string key_file;  // "" = none
  // PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`); "" = no checkpoints.
  std::string checkpoint_key_file;
  // How often the current head is published (also after every grant).
  Seconds checkpoint_interval{900};
  bool operator==(const AuditSettings&) const = default;
};

// Bounds and default of [step_up].link_lifetime.
inline constexpr Seconds kDefaultStepUpLinkLifetime{5 * 60};
inline constexpr Seconds kMinStepUpLinkLifetime{30};
inline constexpr Seconds kMaxStepUpLinkLifetime{30 * 60};

// [step_up]: the WebAuthn step-up page (issue 15). It listens only when a role has step_up; the
// loader then requires origin. The TLS identity is the two files, or the JIT_STEP_UP_TLS_CERTIFICATE
// and JIT_STEP_UP_TLS_KEY variables (app/step_up_tls.h: the loader cannot see the environment).
// Origin, RP id, listen address and TLS files need a restart; link_lifetime is live on reload.
struct StepUpSettings {
  // The page's origin exactly as browsers show it: "https://jit.internal.example" (https; a port
  // when not 443; no path). Links in Slack are origin + "/s/<token>".
  std::string origin;
  // The WebAuthn relying party id: the origin's host (the default, when "") or a registrable
  // suffix of it. Credentials are bound to it: changing it orphans every enrolled credential.
  std::string rp_id;
  // Where the page listens: "ADDRESS:PORT" (IPv6 as "[::]:8443"). An internal address only
  // (internal load balancer, VPN): never the internet.
  std::string listen = "0.0.0.0:8443";
  std::string tls_certificate_file;  // PEM chain, leaf first ("": from the variables)
  std::string tls_key_file;          // PEM private key ("": from the variables)
  // How long a link sent in Slack may be used (once).
  Seconds link_lifetime = kDefaultStepUpLinkLifetime;
  bool operator==(const StepUpSettings&) const = default;
};

// Bounds and default of [pagerduty].timeout.
inline constexpr Seconds kDefaultPagerDutyTimeout{5};
inline constexpr Seconds kMaxPagerDutyTimeout{30};

// [pagerduty]: where on-call auto-approval (RolePolicy::on_call_schedule, issue 17) asks who is on
// call. Used only when a role names a schedule. The token is the JIT_PAGERDUTY_TOKEN variable or
// the file (app/pagerduty_token.h: the loader cannot see the environment). Restart to change.
struct PagerDutySettings {
  std::string api_url = "https://api.pagerduty.com";  // https (plain http to loopback only)
  std::string token_file;                             // "" = the variable only
  // How long one question may take, every attempt and wait included; past it (or PagerDuty not
  // answering) the request waits for people. 1s to 30s.
  Seconds timeout = kDefaultPagerDutyTimeout;
  bool operator==(const PagerDutySettings&) const = default;
};

struct Settings {
  Seconds sweep_interval{30};
  Seconds reconcile_interval{300};
  // How long before a grant expires its requester is told (a DM, issue 17); at most 1 day.
  // Applies to grants whose timers are set after a reload.
  Seconds expiry_warning{300};
  std::string ops_channel;  // alerts ("" = none)
  StoreSettings store;      // needs a restart to change
  AwsSettings aws;          // region, instance and identity store need a restart; the portal URL does not
  SlackSettings slack;
  AuditSettings audit;      // needs a restart to change
  StepUpSettings step_up;   // the step-up page (issue 15)
  PagerDutySettings pagerduty;  // on-call auto-approval (issue 17); restart to change
  // Slack announcements (owner-channel updates, notices, alerts) that may wait to be sent; past
  // it the oldest notice is dropped. Restart to change.
  int announce_queue = 10'000;
};

// What one configuration file holds.
struct Config {
  Policy policy;
  Settings settings;
};

// A reload, worked out: the configuration to run with from now on (the new policy and every
// setting that can change at once; settings that need a restart keep their running values), and
// the names of the settings that changed, by whether they took effect.
struct Reload {
  Config config;
  std::vector<std::string> applied;       // e.g. "sweep_interval"
  std::vector<std::string> need_restart;  // e.g. "store.url"
};
Reload plan_reload(const Config& running, const Config& loaded);

}  // namespace jit
