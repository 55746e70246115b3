#include "demo/step_up_scene.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "app/migrate.h"
#include "demo/emulator_process.h"
#include "platform/child_process.h"
#include "slack/ids.h"

namespace jit::demo {

namespace {

using nlohmann::json;

constexpr char kTicket[] = "INC-4313";

// The step-up URL in a Slack link "<https://localhost:P/s/TOKEN|label>" (nullopt: none).
std::optional<std::string> link_in(const std::string& text, const std::string& origin) {
  const auto at = text.find("<" + origin + "/s/");
  if (at == std::string::npos) return std::nullopt;
  const auto end = text.find_first_of("|>", at);
  if (end == std::string::npos) return std::nullopt;
  return text.substr(at + 1, end - at - 1);
}

class StepUpScene {
 public:
  StepUpScene(Timeline& timeline, DemoWorld& world) : t_(timeline), world_(world) {}

  void play(const std::string& script) {
    if (!start_browser(script) || !enroll("alice", kAlice) || !enroll("bob", kBob) || !request()) return;
    if (!approve("alice", kAlice, false) || !approve("bob", kBob, true)) return;
    granted();
  }

 private:
  bool start_browser(const std::string& script) {
    t_.act("everyone", "opens a browser: headless Chromium, a profile and a virtual authenticator (their security "
                       "key) each, trusting the page's certificate by its key's pin " + world_.step_up_pin());
    auto browser = EmulatorProcess::start(script, {"--spki", world_.step_up_pin(), "--screenshots", world_.dir()},
                                          world_.dir() + "/browser.log");
    if (!t_.check(browser.has_value(), browser ? "Chromium is driven by " + script : browser.error().message))
      return false;
    browser_ = std::move(*browser);
    return true;
  }

  // What the browser did on the page: {state, status, title, summary, screenshot}.
  std::optional<json> on_page(const std::string& command, json body) {
    auto outcome = browser_->post(command, body);
    if (!outcome) {
      t_.check(false, "the browser: " + outcome.error().message);
      return std::nullopt;
    }
    if (const std::string shot = outcome->value("screenshot", ""); !shot.empty())
      t_.note(std::chrono::system_clock::now(), "screenshot of the page: " + shot);
    return *outcome;
  }

  bool enroll(const std::string& name, const char* user) {
    t_.act(name, "types /jit enroll");
    world_.slash(user, "enroll");
    auto dm = world_.wait_reply(user, "/s/");
    auto url = dm ? link_in(*dm, world_.step_up_origin()) : std::nullopt;
    if (!t_.check(url.has_value(), fmt::format("a single-use enrolment link arrives in {}'s DM", name))) return false;
    t_.act(name, "opens it in the browser and registers a security key (the authenticator verifies the person: UV)");
    auto page = on_page("enroll", {{"person", name}, {"url", *url}, {"name", name + "'s laptop"}});
    return page && t_.check(page->value("state", "") == "done",
                            fmt::format("the page says: {}", page->value("status", "")));
  }

  bool request() {
    t_.act("dana", fmt::format("types /jit request prod break-glass 30m database failover --ticket {}   "
                               "(break-glass: two approvals, each with a security key)", kTicket));
    world_.slash(kDana, fmt::format("request prod break-glass 30m database failover --ticket {}", kTicket));
    auto id = world_.wait_request_id(kDana, kProd);
    if (!t_.check(id.has_value(), "the request waits for approval in #prod")) return false;
    id_ = *id;
    return true;
  }

  bool approve(const std::string& name, const char* user, bool last) {
    t_.act(name, "clicks Approve in #prod");
    const bool clicked = world_.click(user, kProd, id_, slack::kApproveAction);
    auto reply = clicked ? world_.wait_reply(user, "/s/") : std::nullopt;
    auto url = reply ? link_in(*reply, world_.step_up_origin()) : std::nullopt;
    auto before = world_.store().get_request(id_);
    const std::size_t decided = before ? before->decisions.size() : 99;
    if (!t_.check(url && before && before->state == State::pending,
                  fmt::format("the click alone approves nothing ({} approval(s) so far): a single-use link, shown only "
                              "to {}",
                              decided, name)))
      return false;
    t_.act(name, "opens it, reads the request on the page and confirms with the security key");
    auto page = on_page("approve", {{"person", name}, {"url", *url}});
    if (!page) return false;
    const json summary = page->value("summary", json::object());
    const std::string shown = fmt::format("{}, {}, {}, {}, \"{}\", {}", summary.value("Requester", "?"),
                                          summary.value("Account", "?"), summary.value("Role", "?"),
                                          summary.value("Duration", "?"), summary.value("Reason", "?"),
                                          summary.value("Ticket", "?"));
    t_.check(summary.value("Role", "") == "break-glass" && summary.value("Ticket", "") == kTicket,
             fmt::format("the page shows {} what the approval is for: {}", name, shown));
    if (!t_.check(page->value("state", "") == "done", fmt::format("the page says: {}", page->value("status", ""))))
      return false;
    if (last) return true;
    auto after = world_.store().get_request(id_);
    return t_.check(after && after->state == State::pending && after->decisions.size() == decided + 1,
                    "one approval of two: the request still waits");
  }

  void granted() {
    auto active = world_.wait_state(id_, State::active);
    if (!t_.check(active.has_value(), "the grant is active")) return;
    t_.check(world_.assignments().contains("dana's break-glass on prod"),
             "AWS Identity Center holds the assignment: dana's break-glass on prod");
    t_.check(world_.wait_reply(kDana, "Your access is active").has_value(), "dana's DM says it is active");
    auto events = all_audit_events(world_.store(), {.request_id = id_});
    int proven = 0;
    for (const auto& e : events ? *events : std::vector<AuditEvent>{})
      if (e.action.starts_with("approve") && e.facts.find("\"step_up_credential\"") != std::string::npos) ++proven;
    t_.check(proven == 2, fmt::format("the audit trail: {} approval event(s) of {} carry the security key's proof "
                                      "(step_up_credential, step_up_assertion)",
                                      proven, id_));
  }

  Timeline& t_;
  DemoWorld& world_;
  std::unique_ptr<EmulatorProcess> browser_;
  std::string id_;
};

}  // namespace

Result<std::string> find_step_up_browser() {
  std::vector<std::string> candidates;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back((self.parent_path() / "step_up_browser.mjs").string());
  if (const char* named = std::getenv("JIT_DEMO_BROWSER")) candidates.emplace_back(named);
  for (const auto& c : candidates)
    if (auto found = find_executable(c)) return *found;
  return fail(Error::NotFound(fmt::format(
      "--step-up needs src/demo/step_up_browser.mjs, which the build copies beside jit, and is not at {}: build "
      "jit from a checkout, or name the script with JIT_DEMO_BROWSER. It runs with node, playwright-core (`npm ci`) "
      "and Debian's chromium: scripts/setup installs them",
      fmt::join(candidates, " or "))));
}

void play_step_up(Timeline& timeline, DemoWorld& world, const std::string& browser) {
  StepUpScene(timeline, world).play(browser);
}

}  // namespace jit::demo
