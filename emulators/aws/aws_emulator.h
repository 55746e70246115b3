// AwsEmulator: a local stand-in for the AWS APIs JIT Access calls, speaking their real wire
// protocols on 127.0.0.1 so that our own client and awscli can both talk to it.
//
//   sso-admin      JSON 1.1, X-Amz-Target SWBExternalService.*, SigV4 signing name "sso"
//   identitystore  JSON 1.1, X-Amz-Target AWSIdentityStore.*, signing name "identitystore"
//   sts            Query protocol (form POST, XML answer): AssumeRoleWithWebIdentity (unsigned),
//                  AssumeRole (the caller's trust evaluated; README.md, "IAM roles")
//   iam            Query protocol, signing name "iam" (region us-east-1): roles, their trust
//                  policies and inline policies
//   scheduler      rest-json, /schedules/{Name}, signing name "scheduler": EventBridge Scheduler
//                  schedules, whose one-time at() schedules fire on the injected clock
//
// Every signed request is verified with our SigV4 code against the configured key pairs and
// refused as AWS refuses it. Account assignments live in memory; creating and deleting them is
// asynchronous (IN_PROGRESS until `assignment_delay` has passed on the injected clock). A control
// API under /_emulator/ (unsigned JSON) injects faults and shows the state: see README.md.
//
//   jit::emulators::AwsEmulatorOptions options;
//   options.users = {{"dana", "dana@example.com"}};
//   auto emulator = jit::emulators::AwsEmulator::start(options);   // Result<unique_ptr<...>>
//   ... (*emulator)->url() ...                                      // "http://127.0.0.1:PORT"
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/credentials.h"
#include "core/error.h"
#include "net/http.h"
#include "session_policy.h"

namespace jit::emulators {

// The fixed test key pair accepted when AwsEmulatorOptions::credentials is empty (AWS's own
// documentation example; not a real key).
inline constexpr char kEmulatorAccessKeyId[] = "AKIDJITEMULATOR00001";
inline constexpr char kEmulatorSecretAccessKey[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// The emulator's notion of "now", with millisecond resolution (the project's jit::Clock has whole
// seconds, too coarse for a 200 ms provisioning delay). Must be thread-safe.
using EmulatorClock = std::function<std::chrono::system_clock::time_point()>;

// A user of the emulated identity store.
struct EmulatedUser {
  std::string user_name;     // "dana"
  std::string email;         // "dana@example.com": GetUserId by emails.value finds it
  std::string user_id = {};  // empty: generated ("<10 hex>-<uuid>", as AWS's newer stores)
  std::string display_name = {};  // empty: user_name
};

// A permission set seeded into the emulator. A permission set ARN of the instance that is not
// seeded still exists, as {name: its "ps-..." part, SessionDuration PT1H, no inline policy}.
struct EmulatedPermissionSet {
  std::string arn;                        // must match the model's PermissionSetArn pattern
  std::string name = {};                  // empty: the ARN's "ps-..." part
  std::string session_duration = "PT1H";  // ISO-8601, P[nD][T[nH][nM][nS]]
  std::string inline_policy = {};         // empty: none; else a JSON policy (not provisioned yet)
};

// A session opened in an account through a permission set (POST /_emulator/sessions).
struct EmulatedSession {
  std::string id;
  std::chrono::system_clock::time_point issued_at;   // whole seconds, as aws:TokenIssueTime
  std::chrono::system_clock::time_point expires_at;  // issued_at + the permission set's SessionDuration
};

// A caller of the IAM-role path known by its access key (README.md, "IAM roles"): whoever signs
// with this key pair is `principal_arn` to IAM and STS.
struct EmulatedPrincipal {
  std::string access_key_id;
  std::string secret_access_key;
  // "arn:aws:iam::<account>:user/<name>", "arn:aws:iam::<account>:role/<name>" (a session of that
  // role) or "arn:aws:sts::<account>:assumed-role/<role>/<session>".
  std::string principal_arn;
  std::string source_identity = {};  // the session's source identity (role sessions); empty: none
  std::string session_token = {};    // required with the key when set
};

// An IAM role seeded into the emulator.
struct EmulatedRole {
  std::string arn;           // "arn:aws:iam::<account>:role[/path/]<name>"
  std::string trust_policy;  // AssumeRolePolicyDocument, kept byte for byte
  int max_session_duration = 3600;  // seconds, 3600..43200
  std::vector<std::pair<std::string, std::string>> inline_policies = {};  // name -> document
};

struct AwsEmulatorOptions {
  // Must be a loopback address: the control API is unauthenticated.
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port (see AwsEmulator::port)
  std::string region = "us-east-1";
  // Key pairs whose signatures are accepted; a pair with a session_token also requires that
  // X-Amz-Security-Token. Empty: kEmulatorAccessKeyId / kEmulatorSecretAccessKey only.
  std::vector<aws::Credentials> credentials;
  std::string instance_arn = "arn:aws:sso:::instance/ssoins-1111111111111111";
  std::string identity_store_id = "d-1111111111";
  std::vector<EmulatedUser> users;
  // How long a create/delete stays IN_PROGRESS; 0: SUCCEEDED at the first Describe.
  std::chrono::milliseconds assignment_delay{200};
  // How long a delete stays IN_PROGRESS when set (Identity Center takes about a second); unset:
  // assignment_delay.
  std::optional<std::chrono::milliseconds> deletion_delay;
  // Permission sets known from the start (see EmulatedPermissionSet for the unseeded ones).
  std::vector<EmulatedPermissionSet> permission_sets;
  // How long a ProvisionPermissionSet stays IN_PROGRESS before SUCCEEDED or FAILED; 0: done at
  // the first Describe.
  std::chrono::milliseconds provision_delay{1000};
  // Throttling from the start: the initial EmulatorFaults::throttle_per_second (0: off).
  int throttle_per_second = 0;
  // Reads the time for the provisioning delay and for the signature's 15-minute window. Empty:
  // std::chrono::system_clock::now.
  EmulatorClock clock;
  // Threads answering requests (an injected delay blocks one of them per request).
  int threads = 4;
  // Seeds the ids the emulator makes up (request ids, user ids, STS keys); 0: random.
  std::uint64_t seed = 0;

  // --- EventBridge Scheduler (scheduler.h) ---
  // Schedule groups besides "default", which always exists (the product uses "jit-access").
  std::vector<std::string> schedule_groups;
  // How long after its at() time a one-time schedule fires (Scheduler promises within 60 s);
  // 0..60 s.
  std::chrono::milliseconds schedule_fire_delay{0};
  // The account in schedule ARNs (arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>).
  std::string account_id = "123456789012";

  // --- IAM roles and STS AssumeRole (README.md, "IAM roles") ---
  std::vector<EmulatedPrincipal> principals;
  std::vector<EmulatedRole> roles;
  // IAM's "Role trust policy length" quota, non-whitespace characters (LimitExceeded past it).
  int trust_policy_size_limit = 2048;
};

// Fault switches, as POST /_emulator/faults sets them. Every AWS call (not control calls) counts.
struct EmulatorFaults {
  int throttle_every = 0;      // every Nth AWS call gets 400 ThrottlingException "Rate exceeded"
  // More than N calls of one operation within one second (of the emulator's clock) get 400
  // ThrottlingException, as Identity Center's per-API rate limits do; 0: off.
  int throttle_per_second = 0;
  int fail_next = 0;           // the next N AWS calls get `fail_status`
  int fail_status = 500;       // 5xx: InternalServerException (500) / ServiceUnavailableException
  int delay_ms = 0;            // each AWS answer waits this long first
  bool down = false;           // AWS calls get 503 and the connection is closed
  int fail_assignments = 0;    // the next N creations/deletions end FAILED (FailureReason set)
};

class AwsEmulator {
 public:
  // Starts serving before it returns. Errc::invalid for a non-loopback address or bad options,
  // Errc::unavailable when the port cannot be bound.
  static Result<std::unique_ptr<AwsEmulator>> start(AwsEmulatorOptions options);

  ~AwsEmulator();  // stop()
  AwsEmulator(const AwsEmulator&) = delete;
  AwsEmulator& operator=(const AwsEmulator&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT": the --endpoint-url of every service
  net::Endpoint endpoint() const;
  // The key pairs accepted (the default one when none was configured).
  const std::vector<aws::Credentials>& credentials() const;
  const AwsEmulatorOptions& options() const;

  // The control API, in process (same JSON as over HTTP). Thread-safe.
  void set_faults(const EmulatorFaults& faults);
  EmulatorFaults faults() const;
  nlohmann::json assignments() const;  // GET /_emulator/assignments
  nlohmann::json calls() const;        // GET /_emulator/calls
  void reset();                        // POST /_emulator/reset
  nlohmann::json schedules() const;    // GET /_emulator/schedules: schedules and firing history
  // Fires the one-time schedules (and retries) due on the emulator clock now, as the background
  // thread does every 50 ms: for tests with a manual clock. Returns the invocations made.
  int fire_due_schedules();

  // Permission sets and sessions (README.md, "Sessions"). Thread-safe.
  // Opens a session of `principal` (identity-store user id) in `account` through
  // `permission_set_arn`: Errc::conflict (naming why) unless that assignment exists now.
  Result<EmulatedSession> open_session(const std::string& principal, const std::string& account,
                                       const std::string& permission_set_arn);
  // Whether a request in session `id` at `at` (default: the emulator's now) is allowed by the
  // policy provisioned to the session's account. Errc::not_found for an unknown id,
  // Errc::invalid when a Deny statement is outside what the evaluator knows (never an allow).
  Result<SessionVerdict> session_allowed(const std::string& id,
                                         std::optional<std::chrono::system_clock::time_point> at = {});
  // The permission set's inline policy as Put (nullopt: none).
  std::optional<std::string> inline_policy(const std::string& permission_set_arn) const;
  // The copy provisioned to `account` (nullopt: never provisioned there; "": provisioned without
  // an inline policy).
  std::optional<std::string> provisioned_policy(const std::string& permission_set_arn, const std::string& account) const;
  nlohmann::json permission_sets() const;  // GET /_emulator/permission-sets

  // IAM roles (README.md, "IAM roles"). Thread-safe.
  // Adds principals and roles given as the seed JSON ({"principals":[…],"roles":[…]}, as
  // POST /_emulator/iam); Errc::invalid naming the problem (nothing is added then).
  Result<> seed_iam(const nlohmann::json& seed);
  nlohmann::json iam() const;  // GET /_emulator/iam: roles, principals, role sessions
  // Whether a call made with the assumed-role key `access_key_id` at `at` (default: now) is
  // allowed by the role's inline policies' denies. Errc::not_found for an unknown key,
  // Errc::invalid when a Deny is outside what the evaluator knows (never an allow).
  Result<SessionVerdict> role_session_allowed(const std::string& access_key_id,
                                              std::optional<std::chrono::system_clock::time_point> at = {});
  // Moves the emulator's clock (every service's "now", not the signatures' 15-minute window) by
  // `offset` from the configured clock; POST /_emulator/clock.
  void set_clock_offset(std::chrono::milliseconds offset);

  // Stops serving and firing schedules; waits for running requests. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit AwsEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jit::emulators
