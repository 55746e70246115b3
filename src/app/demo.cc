// `jit demo`: the whole lifecycle, scripted, on a real SQLite store with the in-memory provider
// and chat and a clock that jumps instead of waiting. Exits 0 only if every step behaved.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string_view>

#include "app/cli.h"
#include "app/engine.h"
#include "app/memory_chat.h"
#include "app/memory_provider.h"
#include "app/render.h"
#include "app/store_url.h"
#include "audit/chain.h"
#include "core/duration.h"
#include "core/policy_loader.h"

namespace jit {

namespace {

constexpr std::string_view kDemoPolicy = R"toml(
approval_window = "1h"
admins = ["U0ADMIN"]
ops_channel = "C0OPS"

[[accounts]]
name = "prod"
id = "111111111111"
owner_channel = "C0PRODOWN"
approvers = ["U0ALICE", "U0BOB"]

  [[accounts.roles]]
  name = "admin"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-0000000000000001"
  max_duration = "2h"
  tier = "high"
  requesters = ["*"]
  ticket_required = true
  ticket_pattern = "^OPS-[0-9]+$"

[[accounts]]
name = "sandbox"
id = "222222222222"
owner_channel = "C0SANDBOX"
approvers = ["U0ALICE"]

  [[accounts.roles]]
  name = "poweruser"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-0000000000000002"
  max_duration = "4h"
  requesters = ["*"]
)toml";

class Demo {
 public:
  Demo(std::shared_ptr<Policy> policy, Store& store)
      : store_(store),
        clock_(SystemClock().now()),
        engine_(std::move(policy), store, provider_, chat_, directory_, clock_, demo_options()) {}

  int run() {
    fmt::print("JIT Access demo: the whole lifecycle with an in-memory AWS and Slack and a fast clock.\n\n");

    step("dana types: /jit request prod admin 30m deploy hotfix for INC-4312 (ticket OPS-4312)");
    auto first = engine_.submit({"U0DANA", "prod", "admin", "30m", "deploy hotfix for INC-4312", "OPS-4312"});
    check(first && first->state == State::pending, "the request is pending", first);
    if (!first) return finish();

    step("dana clicks Approve on her own request");
    auto self = engine_.approve(first->id, "U0DANA");
    check(!self && self.error().code == Errc::denied, "self-approval is refused", self);
    if (!self) fmt::print("    refused: {}\n", self.error().message);

    step("alice clicks Approve");
    auto active = engine_.approve(first->id, "U0ALICE");
    check(active && active->state == State::active, "the grant is active", active);
    if (!active) return finish();
    const Assignment assignment{active->principal, active->account_id, active->permission_set_arn};
    check(provider_.has(assignment), "the assignment exists in (in-memory) IAM Identity Center");
    fmt::print("    AWS: {} holds {} on {} until {}\n", assignment.principal, active->role, active->account_id,
               format_time(*active->expires_at));

    step(fmt::format("the clock jumps to one second before expiry ({})", format_time(*active->expires_at - Seconds{1})));
    clock_.set(*active->expires_at - Seconds{1});
    engine_.fire_due_timers();
    check(state_of(first->id) == State::active && provider_.has(assignment), "still active one second before expiry");

    step(fmt::format("the clock reaches the expiry second ({})", format_time(*active->expires_at)));
    clock_.set(*active->expires_at);
    engine_.fire_due_timers();
    auto ended = store_.get_request(first->id);
    check(ended && ended->state == State::revoked && ended->ended_at == active->expires_at,
          "revoked at the expiry second", ended);
    check(!provider_.has(assignment), "the assignment is gone from IAM Identity Center");

    step("dana asks for prod admin again: /jit request prod admin 2h rerun migration (ticket OPS-4313)");
    auto second = engine_.submit({"U0DANA", "prod", "admin", "2h", "rerun migration", "OPS-4313"});
    check(second && second->state == State::pending, "the request is pending", second);
    if (second) {
      step("bob clicks Deny: \"use the migration runbook instead\"");
      auto denied = engine_.deny(second->id, "U0BOB", "use the migration runbook instead");
      check(denied && denied->state == State::denied, "the request is denied", denied);
      step("alice clicks the stale Approve button on the denied request");
      auto stale = engine_.approve(second->id, "U0ALICE");
      check(!stale && stale.error().code == Errc::conflict, "the stale button changes nothing", stale);
      if (!stale) fmt::print("    refused: {}\n", stale.error().message);
    }

    step("dana: /jit request sandbox poweruser 1h try the new VPC layout; alice approves");
    auto third = engine_.submit({"U0DANA", "sandbox", "poweruser", "1h", "try the new VPC layout", ""});
    check(third.has_value(), "the sandbox request is recorded", third);
    if (third) {
      auto on = engine_.approve(third->id, "U0ALICE");
      check(on && on->state == State::active, "the sandbox grant is active", on);
      clock_.advance(std::chrono::minutes{10});
      step("ten minutes later dana is done: /jit release " + third->id);
      auto off = engine_.release(third->id, "U0DANA");
      check(off && off->state == State::revoked, "released early and revoked", off);
      check(provider_.assignments().empty(), "no assignment is left in IAM Identity Center");
    }

    step("someone adds standing access by hand in AWS; the reconciler runs");
    provider_.add_out_of_band({"p-mallory", "111111111111",
                               "arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-0000000000000001"});
    auto reconciled = engine_.reconcile();
    check(reconciled.stray_revoked == 1 && provider_.assignments().empty(), "the standing access is removed");

    step("the sweeper runs: nothing is left to do");
    auto swept = engine_.sweep();
    check(swept.errors == 0 && swept.revoked == 0, "the sweeper finds nothing missed");

    fmt::print("\nAudit trail:\n");
    auto events = store_.audit_events({});
    if (events)
      for (const auto& e : *events) fmt::print("  {}\n", describe(e));
    auto head = store_.audit_head();
    if (events && head) {
      auto verified = audit::verify(*events, *head);
      fmt::print("\n$ jit audit verify\n");
      if (verified.ok)
        fmt::print("audit trail verified: {} events, head #{} {}\n", verified.checked, verified.head.seq,
                   verified.head.hash);
      else
        fmt::print("audit trail BROKEN at event {}: {}\n", verified.first_bad_seq, verified.problem);
      check(verified.ok, "the audit trail verifies");
    } else {
      check(false, "the audit trail can be read");
    }
    return finish();
  }

 private:
  static EngineOptions demo_options() {
    EngineOptions o;
    o.instance_id = "demo";
    return o;
  }

  State state_of(const std::string& id) {
    auto r = store_.get_request(id);
    return r ? r->state : State::failed;
  }

  void step(const std::string& what) {
    flush_chat();
    fmt::print("[{}] {}\n", format_time(clock_.now()).substr(11, 8), what);
  }

  void flush_chat() {
    for (const auto& line : chat_.take_new()) {
      std::string where;
      switch (line.kind) {
        case ChatLine::Kind::post: where = "#" + line.channel; break;
        case ChatLine::Kind::update:
        case ChatLine::Kind::thread: where = "#" + line.channel + " thread"; break;
        case ChatLine::Kind::dm: where = "DM " + line.channel; break;
        case ChatLine::Kind::alert: where = "#ops alert"; break;
      }
      fmt::print("    slack {}: {}\n", where, line.text);
    }
  }

  template <class T>
  void check(bool ok, const std::string& what, const Result<T>& result) {
    check(ok, result || ok ? what : what + " (" + result.error().message + ")");
  }

  void check(bool ok, const std::string& what) {
    flush_chat();
    ++checks_;
    if (!ok) failures_.push_back(what);
    fmt::print("    {} {}\n", ok ? "ok:" : "FAILED:", what);
  }

  int finish() {
    flush_chat();
    if (failures_.empty()) {
      fmt::print("\ndemo: all {} checks behaved as expected\n", checks_);
      return kExitOk;
    }
    fmt::print("\ndemo: {} of {} checks FAILED:\n", failures_.size(), checks_);
    for (const auto& f : failures_) fmt::print("  - {}\n", f);
    return kExitFailure;
  }

  Store& store_;
  ManualClock clock_;
  MemoryAccessProvider provider_;
  MemoryChat chat_;
  MemoryDirectory directory_;
  Engine engine_;
  int checks_ = 0;
  std::vector<std::string> failures_;
};

}  // namespace

int run_demo(const std::string& store_url) {
  std::string url = store_url;
  std::filesystem::path temporary;
  if (url.empty()) {
    temporary = std::filesystem::temp_directory_path() / fmt::format("jit-demo-{}.db", getpid());
    url = "sqlite:" + temporary.string();
  } else if (!url.starts_with("sqlite:")) {
    fmt::print(stderr, "jit: demo --store \"{}\": the demo runs on sqlite:PATH only\n", url);
    return kExitUsage;
  }
  auto policy = load_policy(kDemoPolicy, "demo-policy.toml");
  if (!policy) {
    fmt::print(stderr, "jit: the built-in demo policy is invalid: {}\n", policy.error().message);
    return kExitFailure;
  }
  int code;
  {
    auto store = open_store(url);
    if (!store) {
      fmt::print(stderr, "jit: {}\n", store.error().message);
      return kExitFailure;
    }
    Demo demo(std::make_shared<Policy>(std::move(*policy)), **store);
    code = demo.run();
  }
  if (!temporary.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(temporary.string() + suffix);
  } else {
    fmt::print("\nThe demo's state is kept in {}: try `jit audit verify --store {}` and `jit grants list --store {}`.\n",
               url, url, url);
  }
  return code;
}

}  // namespace jit
