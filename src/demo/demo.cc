// `jit demo`: the real `jit serve` against the Slack and AWS emulators, all on 127.0.0.1, driven
// through a scripted story by people typing and clicking in the emulated Slack. Prints the story
// as a timeline and exits 0 only if every check passed. --keep-running leaves it all up to play
// with by hand.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include "app/exit_codes.h"
#include "demo/aws_side_scene.h"
#include "demo/demo.h"
#include "demo/demo_world.h"
#include "demo/iam_role_scene.h"
#include "demo/step_up_scene.h"
#include "demo/timeline.h"
#include "slack/ids.h"
#include "app/migrate.h"
#include "app/render.h"
#include "app/store_url.h"
#include "app/report.h"
#include "app/report_render.h"
#include "audit/anchors.h"
#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "crypto/ed25519.h"
#include "platform/signals.h"

namespace jit::demo {

namespace {

using demo::kAlice;
using demo::kDana;
using demo::kProd;
using demo::kSandbox;
using std::chrono::milliseconds;

constexpr auto kTimeLimit = std::chrono::seconds(60);

// The keys the demo sealed its trail with (unkeyed if the file cannot be read: verify then fails).
audit::Keyring read_keys(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  auto keys = audit::Keyring::parse_file(text.str(), path);
  return keys ? *keys : audit::Keyring::unkeyed();
}

// Whether a published Home shows a button `action_id` whose value is `value` (a section's
// accessory or an actions block's element).
bool shows_button(const nlohmann::json& view, const std::string& action_id, const std::string& value) {
  auto is = [&](const nlohmann::json& e) {
    return e.is_object() && e.value("action_id", "") == action_id && e.value("value", "") == value;
  };
  for (const auto& block : view.value("blocks", nlohmann::json::array())) {
    if (block.contains("accessory") && is(block["accessory"])) return true;
    for (const auto& e : block.value("elements", nlohmann::json::array()))
      if (is(e)) return true;
  }
  return false;
}

class Story : private Timeline {
 public:
  // `step_up_browser`: the step-up scene's browser script ("": no such scene).
  Story(demo::DemoWorld& world, std::string store_url, SystemTime started, std::string step_up_browser)
      : Timeline(world, started), world_(world), store_url_(std::move(store_url)), started_(started),
        keys_(read_keys(world.audit_key_path())), step_up_browser_(std::move(step_up_browser)) {}

  // Plays every scene, then prints "N/N checks passed"; true when every check passed.
  bool run() {
    world_.take_new();  // the start-up is not part of the story
    scene("1. dana asks for prod admin through the /jit form");
    auto first = request_through_modal();
    scene("2. alice approves; the grant appears in AWS");
    std::optional<AccessRequest> active;
    if (first) active = approve(*first, kProd);
    scene("3. the grant expires and is revoked at its expiry second");
    if (active) expire(*active);
    scene("4. alice denies a second request, with a reason");
    deny();
    scene("5. dana tries to approve her own request");
    auto third = self_approval();
    scene("6. alice approves it; dana asks for more time in her Home tab, alice approves, and the access goes on "
          "without a gap; dana releases it early with /jit release");
    if (third && approve(*third, kSandbox)) {
      list_mine(*third);
      const auto more = more_time(*third);
      release(more.value_or(*third));
    }
    scene("7. a role of tier high: AWS itself ends the access at the second, with jit serve down");
    play_aws_ends_access(*this, world_);
    scene("8. the audit trail, checked as `jit audit verify` does");
    verify_audit();
    scene("9. the trail against serve's latest signed checkpoint, and the auditor's report");
    report_and_checkpoint();
    scene("10. the legacy account, on the IAM-role path: a grant is a window in an IAM role's trust policy, and AWS "
          "ends it");
    play_iam_role_path(*this, world_);
    if (!step_up_browser_.empty()) {
      scene("11. break-glass confirmed with security keys: alice and bob each approve on the step-up page (WebAuthn)");
      play_step_up(*this, world_, step_up_browser_);
    }
    const double took = elapsed(std::chrono::system_clock::now());
    fmt::print("\n");
    check(took < std::chrono::duration<double>(kTimeLimit).count(),
          fmt::format("the demo ran for {:.1f} s so far (limit {} s)", took, kTimeLimit.count()));
    fmt::print("\n{}/{} checks passed{}\n", checks() - failures(), checks(), failures() ? " (see FAILED above)" : "");
    std::fflush(stdout);
    return failures() == 0;
  }

 private:
  std::optional<std::string> request_through_modal() {
    act("dana", "types /jit");
    world_.slash(kDana, "");
    auto view = world_.wait_view(kDana);
    if (!check(view.has_value(), "the request form opens for dana")) return std::nullopt;
    act("dana", fmt::format("picks account prod, role admin, duration {}, writes a reason and clicks Request",
                            demo::kGrantSeconds));
    const bool chosen = world_.choose(kDana, *view, "account", "prod") && world_.choose(kDana, *view, "role", "admin");
    auto submitted = world_.submit(kDana, *view,
                                   {{"account", "prod"}, {"role", "admin"}, {"duration", demo::kGrantSeconds},
                                    {"reason", "deploy the hotfix for INC-4312"}});
    if (!check(chosen && submitted && (*submitted)["ack_payload"].is_null(), "the form is accepted and closes"))
      return std::nullopt;
    auto id = world_.wait_request_id(kDana, kProd);
    if (!check(id.has_value(), "dana is told her request id")) return std::nullopt;
    check(world_.wait_state(*id, State::pending) && world_.message_ts(kProd, *id),
          "the request is posted in #prod for alice to decide");
    return id;
  }

  std::optional<AccessRequest> approve(const std::string& id, const char* channel) {
    act("alice", "clicks Approve");
    const SystemTime clicked_at = std::chrono::system_clock::now();
    const bool clicked = world_.click(kAlice, channel, id, slack::kApproveAction);
    auto active = clicked ? world_.wait_state(id, State::active) : std::nullopt;
    const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now() - clicked_at);
    if (!check(active.has_value(), fmt::format("the grant is active, {} ms after the click", took.count())))
      return std::nullopt;
    const std::string held = fmt::format("dana's {} on {}", active->role, active->account);
    check(world_.assignments().contains(held), "AWS Identity Center holds the assignment: " + held);
    check(world_.wait_reply(kDana, "Your access is active").has_value(),
          fmt::format("dana's DM says it is active until {}", clock_time(*active->expires_at)));
    return active;
  }

  void expire(const AccessRequest& active) {
    const std::string held = fmt::format("dana's {} on {}", active.role, active.account);
    const SystemTime expiry = *active.expires_at;
    const double in = std::chrono::duration<double>(expiry - std::chrono::system_clock::now()).count();
    act("everyone", fmt::format("waits: the grant expires at {} (in {:.1f} s); AWS is checked every 50 ms",
                                clock_time(expiry), in));
    show();
    std::optional<SystemTime> gone;
    while (std::chrono::system_clock::now() < expiry + std::chrono::seconds(10)) {
      if (!world_.assignments().contains(held)) {
        gone = std::chrono::system_clock::now();
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    if (!check(gone.has_value(), "the assignment is deleted in AWS")) return;
    const auto lag = std::chrono::duration_cast<milliseconds>(*gone - expiry).count();
    check(*gone >= expiry, fmt::format("it was held until the expiry second {}", clock_time(expiry)));
    check(lag < 1000, fmt::format("revoked at the expiry second: gone at {}, {} ms after {}", clock_time(*gone, true),
                                  lag, clock_time(expiry)));
    check(world_.wait_state(active.id, State::revoked).has_value() && world_.wait_reply(kDana, "has ended"),
          "the request is revoked and dana is told");
  }

  void deny() {
    act("dana", "types /jit request prod admin 1h look at the billing tables");
    world_.slash(kDana, "request prod admin 1h look at the billing tables");
    auto id = world_.wait_request_id(kDana, kProd);
    if (!check(id.has_value(), "the request waits for approval in #prod")) return;
    act("alice", "clicks Deny, and gives a reason in the form that opens: use the read-only role");
    auto view = world_.click(kAlice, kProd, *id, slack::kDenyAction) ? world_.wait_view(kAlice) : std::nullopt;
    auto submitted = view ? world_.submit(kAlice, *view, {{"reason", "use the read-only role"}})
                          : fail(Error::NotFound("no deny form"));
    check(submitted && world_.wait_state(*id, State::denied), "the request is denied");
    check(world_.wait_reply(kDana, "use the read-only role").has_value(), "dana's DM gives alice's reason");
  }

  std::optional<std::string> self_approval() {
    act("dana", "types /jit request sandbox developer 2h try the new VPC layout");
    world_.slash(kDana, "request sandbox developer 2h try the new VPC layout");
    auto id = world_.wait_request_id(kDana, kSandbox);
    if (!check(id.has_value(), "the request waits for approval in #sandbox")) return std::nullopt;
    act("dana", "(an approver of sandbox) clicks Approve on her own request");
    const bool clicked = world_.click(kDana, kSandbox, *id, slack::kApproveAction);
    check(clicked && world_.wait_reply(kDana, "your own request"), "refused, with the reason shown only to dana");
    auto still = world_.store().get_request(*id);
    check(still && still->state == State::pending && world_.assignments().empty(), "nothing changed: still pending");
    return id;
  }

  void list_mine(const std::string& id) {
    act("dana", "types /jit list");
    world_.slash(kDana, "list");
    check(world_.wait_reply(kDana, "Active `" + id + "`").has_value(), "dana's list shows the active grant");
  }

  // dana's Home tab shows her grant; its "Request more time" files an extension, alice approves it,
  // and it takes the assignment over: nothing deleted, nothing created. The extension's id.
  std::optional<std::string> more_time(const std::string& id) {
    act("dana", "opens JIT Access's Home tab in Slack");
    auto home = world_.open_home(kDana, [&](const nlohmann::json& v) { return shows_button(v, slack::kExtendAction, id); });
    if (!check(home.has_value() && shows_button(*home, slack::kReleaseAction, id),
               "her Home shows the grant with its time left, Release and Request more time"))
      return std::nullopt;
    const std::set<std::string> held = world_.assignments();
    const int creates = world_.aws_calls("sso-admin:CreateAccountAssignment");
    const int deletes = world_.aws_calls("sso-admin:DeleteAccountAssignment");
    act("dana", "clicks Request more time");
    world_.click_home(kDana, slack::kExtendAction, id);
    // "Request `r…` for more time on grant `<id>` (… from when it is granted) is waiting …"
    const auto told = world_.wait_reply(kDana, "for more time on grant `" + id + "`");
    std::optional<std::string> extension;
    if (told && told->starts_with("Request `") && told->find('`', 9) != std::string::npos)
      extension = told->substr(9, told->find('`', 9) - 9);
    if (!check(extension.has_value() && world_.message_ts(kSandbox, *extension).has_value(),
               "a new request for more time waits for approval in #sandbox, linked to the grant"))
      return std::nullopt;
    act("alice", "clicks Approve on it in #sandbox");
    world_.click(kAlice, kSandbox, *extension, slack::kApproveAction);
    auto active = world_.wait_state(*extension, State::active);
    auto old = world_.wait_state(id, State::revoked);
    if (!check(active && old && active->extends == id, "the extension is active, and the grant handed over to it"))
      return std::nullopt;
    check(world_.assignments() == held && world_.aws_calls("sso-admin:CreateAccountAssignment") == creates &&
              world_.aws_calls("sso-admin:DeleteAccountAssignment") == deletes,
          fmt::format("the access went on in the same assignment, not deleted or created again; it now ends at {}",
                      clock_time(*active->expires_at)));
    return extension;
  }

  void release(const std::string& id) {
    act("dana", "types /jit release " + id);
    world_.slash(kDana, "release " + id);
    check(world_.wait_reply(kDana, "released").has_value(), "dana is told the grant is released");
    check(world_.wait_state(id, State::revoked) && world_.wait_reply(kDana, "has ended"),
          "the request is revoked and dana is told");
    check(world_.assignments().empty(), "no assignment is left in AWS Identity Center");
  }

  void verify_audit() {
    show();
    auto store = open_store(store_url_);
    if (!check(store.has_value(), "the store opens")) return;
    // serve is idle now; a head that moves while reading would only mean a late write: read again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto before = (*store)->audit_head();
      auto events = all_audit_events(**store);
      auto head = (*store)->audit_head();
      if (!before || !events || !head) continue;
      if (before->seq != head->seq) continue;
      for (const auto& e : *events) fmt::print("          {}\n", describe(e));
      auto verified = audit::verify(*events, *head, keys_);
      fmt::print("\n$ jit audit verify --store {}   (with [audit] key_file {})\n", store_url_,
                 world_.audit_key_path());
      if (verified.ok)
        fmt::print("audit trail verified: {} events, head #{} {}; sealed by key {}\n", verified.checked,
                   verified.head.seq, verified.head.hash, keys_.current_id());
      else
        fmt::print("audit trail BROKEN at event {}: {}\n", verified.first_bad_seq, verified.problem);
      check(verified.ok && verified.unkeyed == 0,
            fmt::format("the audit trail verifies ({} events, every one sealed by the demo's key)", verified.checked));
      return;
    }
    check(false, "the audit trail can be read");
  }

  // `jit audit report` for the demo's window, as CSV here and as the HTML page in the demo's
  // directory; then the latest checkpoint serve logged, its signature and the trail against it.
  void report_and_checkpoint() {
    auto store = open_store(store_url_);
    if (!check(store.has_value(), "the store opens")) return;
    std::stringstream log, pem;
    log << std::ifstream(world_.log_path()).rdbuf();
    pem << std::ifstream(world_.checkpoint_key_path()).rdbuf();
    const auto found = audit::scan_checkpoints(log.str()).found;
    if (!check(!found.empty(), "serve logged signed checkpoints of the trail")) return;
    const auto latest = *std::ranges::max_element(found, {}, &audit::Checkpoint::seq);
    auto key = crypto::Ed25519PrivateKey::from_pem(pem.str());
    auto events = all_audit_events(**store);
    auto head = (*store)->audit_head();
    if (!check(key && events && head, "the checkpoint key and the trail can be read")) return;
    const auto problems = audit::check_anchors(*events, *head, {{latest.seq, latest.head, "the latest checkpoint"}});
    fmt::print("\n$ jit audit verify --store {} --checkpoints {} --public-key <(jit audit public-key --config {})\n"
               "{}\n", store_url_, world_.log_path(), world_.policy_path(), audit::to_line(latest));
    const bool held = audit::signature_valid(latest, key->public_key()) && problems.empty();
    check(held, fmt::format("the checkpoint of event {} is signed by serve's key and the trail holds it", latest.seq));

    const TimePoint now = std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
    const TimePoint since = std::chrono::time_point_cast<Seconds>(started_) - Seconds{1};
    auto report = audit_report::build(**store, keys_, {.since = since, .until = now + Seconds{1}}, now);
    if (!check(report.has_value(), "the report is built")) return;
    report->chain.checkpoint = {.checked = true, .ok = held, .seq = latest.seq,
                                .detail = held ? "the latest checkpoint in serve's log" : "FAILED"};
    const std::string html = std::filesystem::path(world_.log_path()).parent_path() / "report.html";
    std::ofstream(html) << audit_report::to_html(*report);
    fmt::print("\n$ jit audit report --since {} --until {} --format csv --checkpoints {} ...\n{}", format_time(since),
               format_time(now + Seconds{1}), world_.log_path(), audit_report::to_csv(*report));
    fmt::print("{}\n(the same as one printable page: {})\n", audit_report::summary_line(*report), html);
    const auto extended = std::ranges::count_if(report->rows, [](const auto& r) {
      return r.outcome == audit_report::Outcome::extended && !r.extended_by.empty();
    });
    check(report->rows.size() == 4 && report->chain.verified && extended == 1,
          fmt::format("the report has the four grants (one extended by the next), from a verified chain ({} rows)",
                      report->rows.size()));
    check(std::ranges::all_of(report->rows, [](const auto& r) { return r.permalink.starts_with("https://"); }),
          "each grant links to its request's Slack thread");
  }

  demo::DemoWorld& world_;
  const std::string store_url_;
  const SystemTime started_;
  const audit::Keyring keys_;
  const std::string step_up_browser_;
};

void print_how_to_play(demo::DemoWorld& w, const std::string& store_url) {
  const std::string s = w.slack().url() + "/_emulator", a = w.aws().url() + "/_emulator";
  fmt::print(R"(
Everything is still running. Play requester and approver yourself (Ctrl-C stops it all):
  Slack emulator  {slack}   people: U0DANA (dana), U0ALICE (alice, approver)
  AWS emulator    {aws}
  jit serve       pid {pid}, log {log}, ops http://127.0.0.1:{ops}/metrics
  policy          {policy}
  store           {store}

# dana asks for prod admin (the reply, with the request id, is in #general or her DM)
curl -s -XPOST {s}/slash -d '{{"user":"U0DANA","text":"request prod admin 30m look at the logs","channel":"C0GENERAL"}}'
curl -s "{s}/messages?channel=C0GENERAL"
# the request in prod's owner channel: note the "ts" of the message with the buttons
curl -s "{s}/messages?channel=C0PROD"
# alice approves it
curl -s -XPOST {s}/click -d '{{"user":"U0ALICE","channel":"C0PROD","ts":"PUT-TS-HERE","action_id":"jit_approve"}}'
# ... or denies it: action_id "jit_deny" opens a form for her reason; find its id, then submit it
curl -s "{s}/views?user=U0ALICE"
curl -s -XPOST {s}/submit -d '{{"user":"U0ALICE","view_id":"PUT-VIEW-ID-HERE","values":{{"reason":"not today"}}}}'
# what dana is told, and the grant in the emulated IAM Identity Center
curl -s "{s}/dm?user=U0DANA"
curl -s {a}/assignments
# dana opens her Home tab (her grants with Release and Request more time, her requests), reads what
# the service published, and asks for more time on a grant (alice approves it like any request)
curl -s -XPOST {s}/home_opened -d '{{"user":"U0DANA"}}'
curl -s "{s}/home?user=U0DANA"
curl -s -XPOST {s}/home_click -d '{{"user":"U0DANA","action_id":"jit_extend","value":"PUT-REQUEST-ID-HERE"}}'
# dana gives it back early
curl -s -XPOST {s}/slash -d '{{"user":"U0DANA","text":"release PUT-REQUEST-ID-HERE","channel":"C0GENERAL"}}'
# sandbox ops is of tier high: its grants arm a cut-off in the permission set's policy and a schedule
curl -s {a}/permission-sets && curl -s {a}/schedules
# dana signs in while she holds ops, and asks whether AWS allows her session now
curl -s -XPOST {a}/sessions -d '{{"principal":"{dana}","account":"{sandbox}","permission_set":"{ops_set}"}}'
curl -s {a}/sessions/PUT-SESSION-ID-HERE
# legacy is on the IAM-role path: request legacy admin as above (alice approves in C0LEGACY), then read
# the admin role's trust policy (a JitGrant statement per grant), its inline policy jit-access-cutoffs
# and the role sessions people opened, and ask whether AWS allows one of them at a given second
curl -s -XPOST {s}/slash -d '{{"user":"U0DANA","text":"request legacy admin 30m check the billing job","channel":"C0GENERAL"}}'
curl -s "{s}/messages?channel=C0LEGACY"
curl -s {a}/iam
curl -s "{a}/role-sessions/PUT-ASIA-KEY-HERE?at=PUT-TIME-HERE"   # a time like 2026-12-03T15:16:29Z
# the state and the audit trail
{jit} grants list --store {store} && {jit} audit verify --store {store} --config {policy}
)",
             fmt::arg("slack", w.slack().url()), fmt::arg("aws", w.aws().url()), fmt::arg("pid", w.serve_pid()),
             fmt::arg("log", w.log_path()), fmt::arg("ops", w.ops_port()), fmt::arg("policy", w.policy_path()),
             fmt::arg("store", store_url), fmt::arg("s", s), fmt::arg("a", a),
             fmt::arg("jit", std::filesystem::read_symlink("/proc/self/exe").string()),
             fmt::arg("dana", aws_id_of(kDana)), fmt::arg("sandbox", kSandboxAccountId),
             fmt::arg("ops_set", kOpsPermissionSet));
  std::fflush(stdout);
}

// Ctrl-C / SIGTERM, taken by one thread (SignalWaiter): during the story it ends the demo at once
// (serve and the emulators, each in its own process group, get SIGTERM from the kernel when the
// demo dies); afterwards it asks the demo to shut down. Construct before any other thread starts.
class StopSignals {
 public:
  explicit StopSignals(std::filesystem::path temporary) : temporary_(std::move(temporary)) {
    thread_ = std::thread([this] {
      const int signal = waiter_.wait();
      if (signal == SIGUSR1) return;  // the demo ended by itself
      std::lock_guard lock(mu_);
      if (!story_done_) {
        fmt::print(stderr, "\njit demo: interrupted\n");
        std::filesystem::remove_all(temporary_);
        std::_Exit(130);
      }
      stop_requested_ = true;
      cv_.notify_all();
    });
  }
  ~StopSignals() {
    pthread_kill(thread_.native_handle(), SIGUSR1);  // to that thread: no other may take it
    thread_.join();
  }
  void finish_story() {
    std::lock_guard lock(mu_);
    story_done_ = true;
  }
  void wait_for_stop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stop_requested_; });
  }

 private:
  const SignalWaiter waiter_{SIGINT, SIGTERM, SIGUSR1};
  const std::filesystem::path temporary_;  // removed when interrupted
  std::mutex mu_;
  std::condition_variable cv_;
  bool story_done_ = false, stop_requested_ = false;
  std::thread thread_;
};

}  // namespace

// The demo's audit key as JIT_AUDIT_KEY takes it ("id:secret"), in a file only its owner reads,
// beside a store the demo keeps (its directory, and the key file in it, are removed at the end).
bool keep_audit_key(const demo::DemoWorld& world, const std::string& path) {
  std::stringstream text;
  text << std::ifstream(world.audit_key_path()).rdbuf();
  std::string id, secret;
  if (!(text >> id >> secret)) return false;
  std::ofstream(path, std::ios::trunc) << id << ":" << secret << "\n";
  std::error_code ec;
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  return !ec;
}

int run_demo(const DemoOptions& options) {
  const SystemTime started = std::chrono::system_clock::now();
  const std::string& store_url = options.store_url;
  auto programs = find_emulators(options.emulators_dir);
  if (!programs) {
    fmt::print(stderr, "jit: demo: {}\n", programs.error().message);
    return kExitUsage;
  }
  if (!store_url.empty() && !store_url.starts_with("sqlite:")) {
    fmt::print(stderr, "jit: demo --store \"{}\": the demo runs on sqlite:PATH only\n", store_url);
    return kExitUsage;
  }
  const std::string kept = store_url.empty() ? "" : store_url.substr(7);
  if (!kept.empty() && std::filesystem::exists(kept)) {
    fmt::print(stderr, "jit: demo --store {}: the file exists; the demo starts from an empty store\n", store_url);
    return kExitUsage;
  }
  std::string step_up_browser;
  if (options.step_up) {
    auto found = find_step_up_browser();
    if (!found) {
      fmt::print(stderr, "jit: demo: {}\n", found.error().message);
      return kExitUsage;
    }
    step_up_browser = *found;
  }
  std::string dir = (std::filesystem::temp_directory_path() / "jit-demo-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    fmt::print(stderr, "jit: cannot make a temporary directory for the demo\n");
    return kExitFailure;
  }
  const std::string store = "sqlite:" + (kept.empty() ? dir + "/jit.db" : kept);

  StopSignals signals(dir);
  fmt::print("JIT Access demo: the real `jit serve` runs against a Slack emulator and an AWS (IAM Identity Center)\n"
             "emulator, all on 127.0.0.1: nothing leaves this machine. dana asks for access in Slack, alice decides,\n"
             "and the grant appears in AWS and goes away on time; for a role of tier high, AWS itself ends it at the\n"
             "second while jit serve is down; on the legacy account a grant is a window in an IAM role's trust policy,\n"
             "which AWS closes at the second. Seconds since the start on the left; times UTC.\n");
  auto world = demo::DemoWorld::start(*programs, dir, store, options.step_up);
  if (!world) {
    fmt::print(stderr, "jit: demo: {}\n", world.error().message);
    return kExitFailure;
  }
  fmt::print("Slack emulator {}, AWS emulator {}, jit serve (pid {}) connected over Socket Mode.\n",
             (*world)->slack().url(), (*world)->aws().url(), (*world)->serve_pid());

  const bool passed = Story(**world, store, started, step_up_browser).run();
  signals.finish_story();
  if (options.keep_running) {
    print_how_to_play(**world, store);
    signals.wait_for_stop();
    fmt::print("\nStopping jit serve and the emulators.\n");
  }
  const int serve_code = (*world)->stop();
  if (serve_code != 0) fmt::print("jit serve exited with code {}; its log: {}\n", serve_code, (*world)->log_path());
  const bool ok = passed && serve_code == 0;
  if (!ok) {
    fmt::print("The demo's files are kept in {} (serve.log and serve-2.log are jit serve's logs).\n", dir);
  } else {
    if (!kept.empty() && keep_audit_key(**world, kept + ".audit-key"))
      fmt::print("The demo's state is kept in {0}, its audit key in {0}.audit-key: try `JIT_AUDIT_KEY=$(cat "
                 "{0}.audit-key) jit audit verify --store sqlite:{0}` and `jit grants list --store sqlite:{0}`.\n",
                 kept);
    std::filesystem::remove_all(dir);
  }
  fmt::print("jit demo {} in {:.1f} s\n", ok ? "finished" : "FAILED",
             std::chrono::duration<double>(std::chrono::system_clock::now() - started).count());
  return ok ? kExitOk : kExitFailure;
}

}  // namespace jit::demo
