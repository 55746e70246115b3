// The world `jit demo` plays in: the Slack emulator and the AWS emulator (their executables, as
// child processes), and the real `jit serve` as a child process pointed at them, all on 127.0.0.1
// (nothing leaves the machine). It acts as the people of the demo workspace (world.h) through the
// emulators' control APIs and reports, one line each, what appeared in Slack and in the emulated
// IAM Identity Center.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/model.h"
#include "demo/emulator_process.h"
#include "demo/world.h"
#include "platform/child_process.h"
#include "ports/store.h"

namespace jit::demo {

// How long the emulated Identity Center takes to provision a permission set's policy to an account.
inline constexpr std::chrono::milliseconds kProvisionDelay{1000};

// Something seen in Slack or AWS, for the timeline.
struct Happening {
  std::chrono::system_clock::time_point at;
  std::string text;  // one line, Slack markup made readable
};

class DemoWorld {
 public:
  // Starts both emulators (logs in `dir`/slack-emulator.log, aws-emulator.log), writes the demo
  // policy to `dir`/jit.toml and starts `jit serve` (this very binary) on `store_url` with its log
  // in `dir`/serve.log; returns once serve holds a Socket Mode connection. The error says what did
  // not start (and which log to read). `step_up`: the policy also has prod's break-glass role (two
  // approvals, alice and bob, each with a security key) and a [step_up] page on
  // https://localhost:PORT with a self-signed certificate made in `dir`.
  static Result<std::unique_ptr<DemoWorld>> start(const EmulatorPrograms& programs, const std::string& dir,
                                                  const std::string& store_url, bool step_up = false);

  ~DemoWorld();  // stop()
  DemoWorld(const DemoWorld&) = delete;
  DemoWorld& operator=(const DemoWorld&) = delete;

  // SIGTERM to serve (SIGKILL after 10 s), reaped, then the emulators stop. Idempotent. Returns
  // serve's exit code (-1 when it was killed by a signal or already gone).
  int stop();
  pid_t serve_pid() const { return serve_->pid(); }

  // SIGKILL to serve, as a crash or a lost host ends it, and reaped; the emulators keep running
  // (the AWS emulator's Scheduler still fires). Nothing of the service runs until start_serve().
  void stop_serve();
  // Starts `jit serve` again on the same policy and store, its log in `dir`/serve-N.log (log_path()
  // and ops_port() then name this run's), and returns once it has opened a Socket Mode connection
  // of its own. Errc::conflict while serve runs; Errc::unavailable naming its log when it does not
  // come up within 20 s.
  Result<> start_serve();
  bool serve_running();

  const EmulatorProcess& slack() const { return *slack_; }
  const EmulatorProcess& aws() const { return *aws_; }
  Store& store() { return *store_; }
  const std::string& log_path() const { return log_path_; }  // the current run of serve's
  const std::string& policy_path() const { return policy_path_; }
  // The keys this demo made in `dir` for its serve: the audit trail's HMAC key file and the
  // checkpoint signing key (PEM), both readable by their owner only.
  const std::string& audit_key_path() const { return audit_key_path_; }
  const std::string& checkpoint_key_path() const { return checkpoint_key_path_; }
  std::uint16_t ops_port() const { return ops_port_; }
  const std::string& dir() const { return dir_; }
  // With step_up: the page's origin, and the pin of its certificate's key (base64 SHA-256 of the
  // SubjectPublicKeyInfo) a browser is told to trust.
  const std::string& step_up_origin() const { return step_up_origin_; }
  const std::string& step_up_pin() const { return step_up_pin_; }

  // ---- Acting as people in Slack (each waits, bounded, for what it needs) ----
  // Each action starts a new turn: wait_reply only sees what Slack showed after it.
  void slash(const std::string& user, const std::string& text);
  // Submits the open modal with these values; the emulator's answer ({"envelope_id", "acked",
  // "ack_payload"}: POST /_emulator/submit).
  Result<nlohmann::json> submit(const std::string& user, const std::string& view_id,
                                const std::map<std::string, std::string>& values);
  // The id of the modal open for `user`, once there is one.
  std::optional<std::string> wait_view(const std::string& user);
  // Picks `value` in the select `field` of the open modal, as a person does, and waits until the
  // app has rebuilt the modal for that choice.
  bool choose(const std::string& user, const std::string& view_id, const std::string& field, const std::string& value);
  // The ts of the request's message in its owner channel, once posted.
  std::optional<std::string> message_ts(const std::string& channel, const std::string& request_id);
  // Clicks a button of the request's message in its owner channel.
  bool click(const std::string& user, const std::string& channel, const std::string& request_id,
             const std::string& action_id);
  // `user` opens the app's Home tab: their Home as published (the view), once `shows` holds of it;
  // nullopt after the wait.
  std::optional<nlohmann::json> open_home(const std::string& user,
                                          const std::function<bool(const nlohmann::json&)>& shows);
  // Clicks the button `action_id` whose value is `value` in `user`'s Home as last published.
  bool click_home(const std::string& user, const std::string& action_id, const std::string& value);
  // Successful calls of `operation` ("sso-admin:DeleteAccountAssignment") on the AWS emulator.
  int aws_calls(const std::string& operation) const;
  // The first reply to `user` (ephemeral, or in their DM) containing `text`, since the last action.
  std::optional<std::string> wait_reply(const std::string& user, const std::string& text);
  // The request id in the first reply to `user` since the last action saying their request is
  // waiting for approval in `channel`.
  std::optional<std::string> wait_request_id(const std::string& user, const std::string& channel);

  // ---- Reading the outcome ----
  // The request, once it is in `state` (nullopt after 15 s).
  std::optional<AccessRequest> wait_state(const std::string& request_id, State state);
  // "dana: admin on prod" for each assignment in the emulated Identity Center.
  std::set<std::string> assignments() const;
  // What happened in Slack (posts, edits, thread replies, ephemerals, DMs, modals opened) and in
  // AWS (assignments made or removed, permission sets provisioned, schedules created, fired or
  // deleted, IAM policy statements added or removed, role sessions opened) since the last call,
  // oldest first.
  std::vector<Happening> take_new();

 private:
  DemoWorld() = default;
  Result<> spawn_serve(const std::string& store_url);
  int connections_opened() const;  // Socket Mode connections that got their hello, ever
  Result<> write_keys();
  std::string readable(std::string text) const;
  // take_new's AWS part: assignments, provisionings ended, schedules created, fired and deleted.
  void take_aws(std::chrono::system_clock::time_point now, std::vector<Happening>& out);
  // take_aws's IAM part: statements added to or removed from roles' policies, role sessions opened.
  void take_iam(std::chrono::system_clock::time_point now, std::vector<Happening>& out);

  std::unique_ptr<EmulatorProcess> slack_;
  std::unique_ptr<EmulatorProcess> aws_;
  std::unique_ptr<ChildProcess> serve_;
  std::unique_ptr<Store> store_;
  std::string dir_, store_url_, policy_path_, log_path_, audit_key_path_, checkpoint_key_path_;
  std::string step_up_origin_, step_up_pin_;
  int serve_runs_ = 0;
  std::uint16_t ops_port_ = 0;
  std::chrono::system_clock::time_point turn_;  // when the last action began
  // take_new: what was already reported.
  std::map<std::string, std::string> seen_messages_;  // channel/ts -> its JSON
  std::set<std::string> seen_views_;
  std::set<std::string> seen_assignments_;
  std::set<std::string> seen_provisionings_;  // request ids of ended provisionings
  std::set<std::string> seen_schedules_;      // "group/name"
  std::size_t seen_firings_ = 0;
  bool seen_iam_read_ = false;
  std::set<std::string> seen_statements_;     // "<role>'s trust policy: <Sid>", "<role>'s inline policy P: <Sid>"
  std::set<std::string> seen_role_sessions_;  // access key ids
};

}  // namespace jit::demo
