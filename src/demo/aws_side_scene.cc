#include "demo/aws_side_scene.h"

#include <fmt/format.h>

#include <optional>
#include <thread>

#include "core/time.h"
#include "demo/session_watch.h"
#include "slack/ids.h"

namespace jit::demo {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kPoll{20};  // how often the scene looks at AWS and the store while it waits
constexpr char kHeld[] = "dana's ops on sandbox";

SystemTime now() { return std::chrono::system_clock::now(); }

// The statement `sid` in ops's policy as sandbox's sessions are judged on (its provisioned copy).
std::optional<json> provisioned_statement(const DemoWorld& world, const std::string& sid) {
  auto sets = world.aws().get("permission-sets");
  for (const auto& set : sets ? sets->value("permission_sets", json::array()) : json::array())
    if (set.value("PermissionSetArn", "") == kOpsPermissionSet)
      return statement_of(set.value(json::json_pointer("/Provisioned/" + std::string(kSandboxAccountId)), std::string()),
                          sid);
  return std::nullopt;
}

// The latest provisioning of ops to sandbox: {CreatedDate (epoch seconds), Status}.
std::optional<json> ops_provisioning(const DemoWorld& world) {
  auto sets = world.aws().get("permission-sets");
  std::optional<json> latest;
  for (const auto& p : sets ? sets->value("provisioning", json::array()) : json::array())
    if (p.value("PermissionSetArn", "") == kOpsPermissionSet && p.value("AccountId", "") == kSandboxAccountId)
      latest = p;
  return latest;
}

std::optional<json> schedule_named(const DemoWorld& world, const std::string& name) {
  auto answer = world.aws().get("schedules");
  for (const auto& s : answer ? answer->value("schedules", json::array()) : json::array())
    if (s.value("name", "") == name) return s;
  return std::nullopt;
}

bool schedule_fired(const DemoWorld& world, const std::string& name) {
  auto answer = world.aws().get("schedules");
  for (const auto& f : answer ? answer->value("firings", json::array()) : json::array())
    if (f.value("name", "") == name && f.value("outcome", "") == "succeeded") return true;
  return false;
}

class AwsSideScene {
 public:
  AwsSideScene(Timeline& timeline, DemoWorld& world) : t_(timeline), world_(world) {}

  void play() {
    if (!request() || !approve() || !sign_in()) return;
    crash();
    watch_expiry();
    restart();
  }

 private:
  bool request() {
    t_.act("dana",
           fmt::format("types /jit request sandbox ops {} rotate the KMS keys   (ops is of tier high)", kGrantSeconds));
    world_.slash(kDana, fmt::format("request sandbox ops {} rotate the KMS keys", kGrantSeconds));
    auto id = world_.wait_request_id(kDana, kSandbox);
    if (!t_.check(id.has_value(), "the request waits for approval in #sandbox")) return false;
    id_ = *id;
    return true;
  }

  // Watches, every kPoll, the cut-off's provisioning and the request's state from the click until
  // the grant is active.
  bool approve() {
    t_.act("alice", "clicks Approve; serve arms the cut-off and the schedule before it reports the grant active");
    const SystemTime clicked = now();
    const bool sent = world_.click(kAlice, kSandbox, id_, slack::kApproveAction);
    std::optional<SystemTime> provisioned, activated;
    std::optional<json> provisioning;
    const auto deadline = SteadyClock::now() + seconds(15);
    while (sent && !activated && SteadyClock::now() < deadline) {
      if (!provisioned) {
        provisioning = ops_provisioning(world_);
        // Judged SUCCEEDED by the emulator before this time: an upper bound of when it was done.
        if (provisioning && provisioning->value("Status", "") == "SUCCEEDED") provisioned = now();
      }
      if (auto r = world_.store().get_request(id_); r && r->state == State::active) {
        active_ = *r;
        activated = now();
      } else {
        std::this_thread::sleep_for(kPoll);
      }
    }
    if (provisioning && provisioned) {
      const SystemTime started(std::chrono::duration_cast<SystemTime::duration>(
          std::chrono::duration<double>(provisioning->value("CreatedDate", 0.0))));
      t_.note(*provisioned, fmt::format("AWS Identity Center: the policy with the cut-off provisioned to sandbox: "
                                        "started {}, done by {} ({} ms; the emulator takes {} ms)",
                                        clock_time(started, true), clock_time(*provisioned, true),
                                        ms_between(started, *provisioned), kProvisionDelay.count()));
    }
    if (!t_.check(activated.has_value(),
                  activated ? fmt::format("the grant is active, {} ms after the click (the arming included)",
                                          ms_between(clicked, *activated))
                            : "the grant is active"))
      return false;
    expiry_ = *active_->expires_at;
    t_.check(provisioned && *provisioned <= *activated,
             "the cut-off was provisioned before the grant was reported active (click to active includes it)");

    const std::string sid = "JitCutoff" + id_;
    auto statement = provisioned_statement(world_, sid);
    auto condition = [&](const char* pointer) {
      return statement ? statement->value(json::json_pointer(pointer), std::string()) : std::string();
    };
    const std::string cut_at = condition("/Condition/DateGreaterThan/aws:CurrentTime");
    const std::string before = condition("/Condition/DateLessThan/aws:TokenIssueTime");
    t_.check(statement && statement->value("Effect", "") == "Deny" && cut_at == format_time(expiry_),
             fmt::format("ops's policy in sandbox denies: {} (Deny *, dana's sessions issued before {}, from {})", sid,
                         before.empty() ? "?" : before.substr(11, 8), cut_at.empty() ? "?" : cut_at.substr(11, 8)));
    auto schedule = schedule_named(world_, "jit-" + id_);
    const std::string expression = schedule ? schedule->value("expression", "") : "";
    t_.check(expression == fmt::format("at({})", format_time(expiry_).substr(0, 19)),
             fmt::format("EventBridge Scheduler holds jit-{}: {} UTC, deleteAccountAssignment (nothing of ours runs)",
                         id_, expression));
    t_.check(world_.assignments().contains(kHeld), std::string("AWS Identity Center holds the assignment: ") + kHeld);
    t_.check(world_.wait_reply(kDana, "Your access is active").has_value(),
             fmt::format("dana's DM says it is active until {}", clock_time(expiry_)));
    return true;
  }

  bool sign_in() {
    t_.act("dana", "signs in through the AWS access portal: a console session of ops on sandbox");
    auto session = world_.aws().post("sessions", {{"principal", aws_id_of(kDana)},
                                                  {"account", kSandboxAccountId},
                                                  {"permission_set", kOpsPermissionSet}});
    session_ = session ? session->value("id", "") : "";
    return t_.check(!session_.empty(),
                    session ? fmt::format("dana's session is open: issued {}, good until {} by the permission set's "
                                          "1-hour session duration, whatever happens to the assignment",
                                          session->value("issued_at", "").substr(11, 8),
                                          session->value("expires_at", "").substr(11, 8))
                            : "dana's session is open: " + session.error().message);
  }

  void crash() {
    t_.act("the host of jit serve", fmt::format("dies: serve (pid {}) gets SIGKILL; no instance of the service runs",
                                                world_.serve_pid()));
    world_.stop_serve();
    t_.check(!world_.serve_running() && world_.assignments().contains(kHeld),
             "serve is gone; the emulators run on and dana still holds the assignment");
  }

  // The session, judged at given times, then tried live around the second; the assignment watched
  // until the schedule deletes it (AWS promises within the minute).
  void watch_expiry() {
    const SystemTime expiry(expiry_);
    const std::string path = "sessions/" + session_;
    check_judged_ahead(t_, world_, path, expiry, "JitCutoff" + id_, "dana's session");
    const auto seen = watch_session_at_expiry(
        t_, world_, path, expiry, [&] { return !world_.assignments().contains(kHeld); }, expiry + seconds(60),
        "dana's session", "the live session is cut at the expiry second, with serve down");
    const auto& gone = seen.ended;
    if (gone)
      t_.note(*gone, fmt::format("AWS Identity Center: dana's ops on sandbox is gone at {}", clock_time(*gone, true)));
    t_.check(gone && *gone >= expiry && *gone - expiry < seconds(60) && schedule_fired(world_, "jit-" + id_),
             gone ? fmt::format("the schedule deleted the assignment {} ms after the expiry (AWS promises within "
                                "the minute; the emulator fires at the second)", ms_between(expiry, *gone))
                  : "the schedule deleted the assignment within the minute");
  }

  void restart() {
    t_.act("the operator", "starts jit serve again");
    auto up = world_.start_serve();
    if (!t_.check(up.has_value(), up ? fmt::format("jit serve is back (pid {}), connected over Socket Mode",
                                                   world_.serve_pid())
                                     : "jit serve starts again: " + up.error().message))
      return;
    t_.check(world_.wait_state(id_, State::revoked) && world_.wait_reply(kDana, "has ended"),
             "serve finds the grant expired and records it revoked (AWS had ended it), and dana is told");
    auto owner_says_ended = [&] {
      for (const auto& m : world_.slack().list("messages?channel=" + std::string(kSandbox)))
        if (!m.contains("thread_ts") && m.dump().find(id_) != std::string::npos &&
            m.value("text", "").find("(revoked)") != std::string::npos)
          return true;
      return false;
    };
    t_.check(world_.slack().wait_for(owner_says_ended, seconds(10)), "the request in #sandbox says it ended");
  }

  Timeline& t_;
  DemoWorld& world_;
  std::string id_;       // the request
  std::optional<AccessRequest> active_;
  TimePoint expiry_{};
  std::string session_;  // dana's session in the emulated AWS
};

}  // namespace

void play_aws_ends_access(Timeline& timeline, DemoWorld& world) { AwsSideScene(timeline, world).play(); }

}  // namespace jit::demo
