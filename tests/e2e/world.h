// The whole product on one machine, for end-to-end tests: the Slack emulator and the AWS emulator
// in this process, seeded with the workspace of `jit demo` (src/demo/world.h: people, policy,
// serve's environment), and one or more `jit serve` processes pointed at them (SQLite, or DynamoDB
// on moto_server shared by every instance). Tests act as Slack users through the emulator and read
// what happened in Slack, in the emulated Identity Center and in the store.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/world.h"
#include "emulators/aws/aws_emulator.h"
#include "emulators/pagerduty/pagerduty_emulator.h"
#include "emulators/slack/slack_emulator.h"
#include "net/http_server.h"
#include "ports/clock.h"
#include "net/https_client.h"
#include "ports/store.h"
#include "support/moto.h"
#include "platform/child_process.h"
#include "support/free_port.h"

namespace jit {
class AwsServices;
}

namespace jit::testing {

// The people and channels of the demo workspace (src/demo/world.h), the same as in `jit demo`:
// dana requests, alice approves prod and sandbox, bob approves prod (group S0LEADS), eve nothing.
using demo::kAlice;
using demo::kBob;
using demo::kDana;
using demo::kEve;
inline constexpr const char* kProdChannel = demo::kProd;
inline constexpr const char* kOpsChannel = demo::kOps;

struct WorldOptions {
  int instances = 1;
  bool dynamodb = false;          // false: one SQLite file
  std::string sweep_interval = "1s";
  // Extra environment for every instance, e.g. {"JIT_CRASH_AT", "..."} (see also start_instance).
  std::vector<std::pair<std::string, std::string>> env;
  // The AWS emulator's provisioning delay.
  std::chrono::milliseconds assignment_delay{50};
  // How late the emulated EventBridge Scheduler fires a schedule (AWS: within a minute).
  std::chrono::milliseconds schedule_fire_delay{0};
  // serve --lease: how soon another instance may take over a dead one's in-flight step.
  std::string lease = "3s";
  // serve --dry-run, with no Identity Center instance in the policy.
  bool dry_run = false;
  // More people beside the demo's, each in Slack and in Identity Center with the same e-mail, all
  // members of S0LEADS (so approvers of prod): extra_person(0), extra_person(1), ... Tests that
  // share one World give each case people of its own.
  int extra_people = 0;
  // TOML appended to the policy file: it lands in the last [[accounts]] (sandbox), e.g. one more
  // [[accounts.roles]].
  std::string policy_tail;
  // Issue 15: prod's break-glass role needs a WebAuthn step-up to approve, and [step_up] serves the
  // page at step_up_origin() (https://localhost:<free port>, RP id localhost) with a certificate
  // from a CA made for this World (step_up_ca_file()). Links work once, for link_lifetime.
  bool step_up = false;
  std::string link_lifetime = "5m";
  // Issue 16: the "legacy" account on the IAM-role path (demo::PolicyOptions::iam_role), its roles
  // and the people's base-role sessions seeded in the AWS emulator (demo::legacy_iam_seed). It is
  // then the last [[accounts]] (policy_tail lands in it). With trust_policy_size_limit > 0, the
  // policy's [aws] trust_policy_size_limit.
  bool iam_role = false;
  int trust_policy_size_limit = 0;
  // Issue 17: the PagerDuty emulator runs in this process with the demo's people as PagerDuty
  // users (pagerduty_user_id), nobody on call; the policy's [pagerduty] points at it with
  // pagerduty_timeout, and the instances get its token in JIT_PAGERDUTY_TOKEN.
  bool pagerduty = false;
  std::string pagerduty_timeout = "2s";
};

// The PagerDuty user id the World gives a Slack user id (WorldOptions::pagerduty): "PD" + the id.
std::string pagerduty_user_id(const std::string& slack_user_id);

// Policy TOML for WorldOptions::policy_tail: a role `name` on the emulators' permission set
// ps-0000000000000004, max_duration 1h, `requesters`, and `extra` lines (each "key = value\n").
std::string role_toml(const std::string& name, const std::vector<std::string>& requesters,
                      const std::string& extra = "");
// One more [[accounts]] table (role_toml texts after it land in it).
std::string account_toml(const std::string& name, const std::string& id, const std::string& owner_channel,
                         const std::vector<std::string>& approvers);

// The Slack id of extra person k (WorldOptions::extra_people): "U0P000", "U0P001", ...
std::string extra_person(int k);

class World {
 public:
  explicit World(WorldOptions options = {});
  ~World();

  // Starts (or restarts) instance i as "i-<i>"; waits until it is connected to Slack. `env` adds to
  // the options' environment. False (with the log in `why`) when it did not come up.
  bool start_instance(int i, std::vector<std::pair<std::string, std::string>> env = {}, std::string* why = nullptr);
  void kill_instance(int i);                       // SIGKILL, reaped
  int stop_instance(int i);                        // SIGTERM; the wait status
  bool running(int i);                             // false once it exited (e.g. a crash point)
  std::string log(int i) const;                    // its stderr so far
  std::uint16_t ops_port(int i) const;

  emulators::SlackEmulator& slack() { return *slack_; }
  emulators::AwsEmulator& aws() { return *aws_; }
  emulators::PagerDutyEmulator& pagerduty() { return *pagerduty_; }  // WorldOptions::pagerduty
  Store& store() { return *store_; }
  const std::string& store_url() const { return store_url_; }
  const std::string& policy_path() const { return policy_path_; }

  // The policy file as it is now; rewrite_policy replaces it and sends instance i SIGHUP, then
  // waits until it logged the outcome (true: reloaded; false: rejected or no answer, see log(i)).
  std::string policy_text() const;
  bool rewrite_policy(const std::string& text, int i = 0);

  // The step-up page (WorldOptions::step_up): its origin, "https://localhost:PORT", and the PEM
  // file of the CA its certificate chains to (for net::ClientOptions::ca_file). "" without step-up.
  std::string step_up_origin() const;
  const std::string& step_up_ca_file() const { return step_up_ca_file_; }

  // `jit audit verify` on the store: its exit code and output (0: the hash chain is intact).
  std::pair<int, std::string> audit_verify();
  // `jit <args…> --store <the World's store>` with the services' environment: its exit code and
  // output (stdout and stderr); {-1, why} when it could not run or took over 30 s.
  std::pair<int, std::string> jit_on_store(const std::vector<std::string>& args);

  // ---- Acting as users ----
  // `/jit request ...` by `user`; the request id from the reply (nullopt: the reply, in `reply`).
  std::optional<std::string> request(const std::string& user, const std::string& text, std::string* reply = nullptr);
  // A request by `user` approved by alice; its id once active ("" with a test failure if not).
  std::string grant(const std::string& user, const std::string& text);
  // The owner-channel message of a request (its ts), once posted.
  std::optional<std::string> message_ts(const std::string& channel, const std::string& request_id);
  // Clicks a button of the request's owner-channel message.
  bool click(const std::string& user, const std::string& request_id, const std::string& action_id,
             const std::string& channel = kProdChannel);
  // Whether an ephemeral reply to `user` in `channel` (any channel, e.g. a role's own owner
  // channel) contains `text`, waiting up to `timeout`.
  bool wait_ephemeral_in(const std::string& channel, const std::string& user, const std::string& text,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The newest ephemeral text shown to `user` since `since` messages (count across channels).
  std::optional<std::string> wait_ephemeral(const std::string& user, const std::string& containing,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for a DM to `user` containing `text`.
  bool wait_dm(const std::string& user, const std::string& containing,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // `user` opens the app's Home tab (app_home_opened) when `open`, then waits until the Home
  // published for them satisfies `done` (given the view). The view, or nullopt after `timeout`
  // (then `last`, when given, holds the last Home seen: {id, view, hash} or null).
  std::optional<nlohmann::json> wait_home(const std::string& user, const std::function<bool(const nlohmann::json&)>& done,
                                          bool open = false, nlohmann::json* last = nullptr,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Whether a published view (a Home) shows a button `action_id` whose value is `value`.
  static bool has_button(const nlohmann::json& view, const std::string& action_id, const std::string& value);

  // Polls `done` every 10 ms up to `timeout`: for conditions outside the Slack emulator (the store,
  // processes, HTTP). (SlackEmulator::wait_for re-checks only when the emulator's state changes.)
  static bool poll(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // ---- Reading the outcome ----
  std::optional<AccessRequest> read(const std::string& request_id);
  // Waits until the request is in `state`.
  bool wait_state(const std::string& request_id, State state,
                  std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Assignments in the emulated Identity Center for the requester's principal ("" = all).
  std::size_t assignment_count();
  // Every envelope the emulator delivered was acked within `limit` (message names the first that
  // was not). The default is a third of Slack's 3 s: the service acks before it works, so any ack
  // that waited for the work is far later; how fast acks are is bench/slack_ack_bench's figure, not
  // a pass mark here (under ASan and a loaded machine a burst's ack took 101 ms).
  std::string check_acks(std::chrono::milliseconds limit = std::chrono::milliseconds(1000)) const;
  // GET /metrics of instance i.
  std::string metrics(int i);

 private:
  WorldOptions options_;
  std::string dir_;
  std::string policy_path_;
  std::string store_url_;
  std::uint16_t step_up_port_ = 0;
  std::string step_up_ca_file_;
  std::optional<MotoServer> moto_;
  // moto_server answers requests on several threads and its TransactWriteItems is not atomic
  // across them (two conditional transactions can both succeed), unlike DynamoDB. The instances
  // reach it through this one-thread proxy, so each transaction runs alone, as DynamoDB
  // guarantees; conditional-write races are still decided by the conditions.
  std::unique_ptr<net::HttpServer> moto_proxy_;
  std::unique_ptr<net::HttpClient> moto_client_;
  std::unique_ptr<emulators::SlackEmulator> slack_;
  std::unique_ptr<emulators::AwsEmulator> aws_;
  std::unique_ptr<emulators::PagerDutyEmulator> pagerduty_;
  SystemClock clock_;
  std::shared_ptr<AwsServices> aws_clients_;  // the test's own clients of the shared DynamoDB table
  std::unique_ptr<Store> store_;
  struct Instance {
    std::unique_ptr<ChildProcess> process;
    std::uint16_t ops_port = 0;
    std::string log_file;
  };
  std::vector<Instance> instances_;
};

// A tier-high role "ops" on sandbox (demo::kOpsPermissionSet: session cut-off and schedule armed at
// grant time), any duration up to 1h, requested by anyone: for WorldOptions::policy_tail. (The
// demo's own high_role allows only its short grant, 30m and 1h.)
std::string sandbox_ops_role();
// Whether dana holds sandbox ops in the emulated Identity Center now.
bool dana_holds_sandbox_ops(World& world);
// The extension of grant `grant_id` (issue 17) once it is stored and posted in its owner channel;
// "" after 10 s.
std::string wait_posted_extension(World& world, const std::string& grant_id);
// Successful calls of `operation` ("sso-admin:CreateAccountAssignment") on the AWS emulator so far.
int ok_calls(World& world, const std::string& operation);

}  // namespace jit::testing
