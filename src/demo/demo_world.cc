#include "demo/demo_world.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <csignal>
#include <functional>
#include <re2/re2.h>
#include <sstream>
#include <thread>

#include "app/store_url.h"
#include "crypto/digest.h"
#include "crypto/ed25519.h"
#include "demo/self_signed_certificate.h"
#include "platform/free_port.h"

namespace jit::demo {

namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kWait{10000};  // the longest any single step of the story may take

using Groups = std::vector<re2::StringPiece>;  // whole match first; an absent group has data() == nullptr

std::string str(const re2::StringPiece& s) { return std::string(s.data(), s.size()); }

// `text` with every match of `pattern` replaced by what `with` makes of it (RE2: linear time).
std::string replace_each(const std::string& text, const RE2& pattern, const std::function<std::string(const Groups&)>& with) {
  Groups groups(pattern.NumberOfCapturingGroups() + 1);
  std::string out;
  std::size_t from = 0;
  while (from < text.size() &&
         pattern.Match(text, from, text.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
    const auto start = static_cast<std::size_t>(groups[0].data() - text.data());
    out.append(text, from, start - from);
    out += with(groups);
    from = start + std::max<std::size_t>(groups[0].size(), 1);  // none of the patterns matches empty text
  }
  if (from < text.size()) out.append(text, from);
  return out;
}

// A Slack ts ("1732500000.000100", microseconds since the epoch) as a time point.
std::chrono::system_clock::time_point time_of(const std::string& ts) {
  const auto dot = ts.find('.');
  const long long seconds = std::atoll(ts.substr(0, dot).c_str());
  const long long micros = dot == std::string::npos ? 0 : std::atoll(ts.substr(dot + 1).c_str());
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds) + std::chrono::microseconds(micros));
}

bool has_buttons(const json& message) { return message.dump().find("\"jit_approve\"") != std::string::npos; }

// The text of the last section block of a message, and its reason section.
std::string section_text(const json& message, bool reason) {
  std::string found;
  for (const auto& b : message.value("blocks", json::array())) {
    const std::string text = b.value(json::json_pointer("/text/text"), std::string());
    if (b.value("type", "") != "section" || text.empty()) continue;
    if (reason == text.starts_with("*Reason*\n")) found = reason ? text.substr(9) : text;
  }
  return found;
}

}  // namespace

Result<std::unique_ptr<DemoWorld>> DemoWorld::start(const EmulatorPrograms& programs, const std::string& dir,
                                                    const std::string& store_url, bool step_up) {
  std::unique_ptr<DemoWorld> w(new DemoWorld());
  w->dir_ = dir;
  // --threads 4: a long poll on /_emulator/wait holds a request thread while serve calls the Web API.
  std::vector<std::string> slack_flags = slack_emulator_flags();
  slack_flags.insert(slack_flags.end(), {"--threads", "4"});
  auto slack = EmulatorProcess::start(programs.slack, slack_flags, dir + "/slack-emulator.log");
  if (!slack) return fail(Error::Unavailable("the Slack emulator did not start: " + slack.error().message));
  w->slack_ = std::move(*slack);
  std::vector<std::string> aws_flags = aws_emulator_flags();
  // Provisioning as slow as the emulator's default (AWS: seconds, unmeasured); schedules fire at
  // their second (AWS: within the minute); ops's sessions last an hour (the recommended setting).
  aws_flags.insert(aws_flags.end(),
                   {"--delay-ms", "50", "--provision-delay-ms", std::to_string(kProvisionDelay.count()),
                    "--schedule-fire-delay-ms", "0", "--permission-set", std::string(kOpsPermissionSet) + ",PT1H"});
  // The legacy account's IAM (issue 16): base-role sessions, the management role, the admin role.
  const std::string iam_seed = dir + "/iam-seed.json";
  std::ofstream(iam_seed) << legacy_iam_seed();
  if (!std::filesystem::exists(iam_seed)) return fail(Error::Unavailable("could not write the IAM seed " + iam_seed));
  aws_flags.insert(aws_flags.end(), {"--iam-seed", iam_seed});
  auto aws = EmulatorProcess::start(programs.aws, aws_flags, dir + "/aws-emulator.log");
  if (!aws) return fail(Error::Unavailable("the AWS emulator did not start: " + aws.error().message));
  w->aws_ = std::move(*aws);

  w->policy_path_ = dir + "/jit.toml";
  if (auto keys = w->write_keys(); !keys) return fail(keys.error());
  PolicyOptions policy{.store_url = store_url,
                       .audit_key_file = w->audit_key_path_,
                       .checkpoint_key_file = w->checkpoint_key_path_,
                       .high_role = true,
                       .iam_role = true};
  if (step_up) {
    auto certificate = make_self_signed_certificate(dir);
    if (!certificate) return fail(certificate.error());
    const std::uint16_t port = free_loopback_port();
    if (port == 0) return fail(Error::Unavailable("no free port on 127.0.0.1 for the step-up page"));
    w->step_up_origin_ = fmt::format("https://localhost:{}", port);  // as policy_text writes it
    w->step_up_pin_ = certificate->spki_sha256;
    policy.prod_approvers = {kAlice, kBob};
    policy.break_glass = true;
    policy.step_up = PolicyOptions::StepUpPage{.port = port,
                                               .tls_certificate_file = certificate->certificate_file,
                                               .tls_key_file = certificate->key_file};
  }
  std::ofstream(w->policy_path_) << policy_text(policy);
  w->store_url_ = store_url;
  if (auto up = w->start_serve(); !up) return fail(up.error());
  auto store = open_store(store_url);
  if (!store) return fail(store.error());
  w->store_ = std::move(*store);
  return w;
}

Result<> DemoWorld::write_keys() {
  namespace fs = std::filesystem;
  audit_key_path_ = dir_ + "/audit-keys";
  checkpoint_key_path_ = dir_ + "/checkpoint.pem";
  auto pem = crypto::Ed25519PrivateKey::generate_pem();
  if (!pem) return fail(pem.error());
  const std::pair<const std::string*, std::string> files[] = {
      {&audit_key_path_, "demo " + crypto::hex(crypto::random_bytes(32)) + "\n"}, {&checkpoint_key_path_, *pem}};
  for (const auto& [path, text] : files) {
    std::ofstream(*path, std::ios::trunc) << text;
    std::error_code ec;
    fs::permissions(*path, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (ec || !fs::exists(*path)) return fail(Error::Unavailable("could not write the demo's key file " + *path));
  }
  return {};
}

int DemoWorld::connections_opened() const {
  int opened = 0;
  for (const auto& c : slack_->list("connections")) opened += c.value("hello_sent", false) ? 1 : 0;
  return opened;
}

Result<> DemoWorld::start_serve() {
  if (serve_ && serve_->running()) return fail(Error::Conflict("jit serve is already running"));
  const int opened_before = connections_opened();
  ++serve_runs_;
  log_path_ = serve_runs_ == 1 ? dir_ + "/serve.log" : fmt::format("{}/serve-{}.log", dir_, serve_runs_);
  ops_port_ = 0;
  if (auto spawned = spawn_serve(store_url_); !spawned) return fail(spawned.error());

  // Up once it has opened a Socket Mode connection of its own; the log names the ops port it bound.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (!slack_->wait_for([&] { return connections_opened() > opened_before; }, milliseconds(200))) {
    if (auto status = serve_->wait_exit(milliseconds(0)))
      return fail(Error::Unavailable(fmt::format("jit serve exited (code {}) before it connected to Slack; its log: {}",
                                                 ChildProcess::exit_code(*status), log_path_)));
    if (SteadyClock::now() > deadline)
      return fail(Error::Unavailable("jit serve did not connect to the Slack emulator within 20 s; its log: " +
                                     log_path_));
  }
  static const RE2 ops(R"re("ops":"http://127\.0\.0\.1:([0-9]+))re");
  while (ops_port_ == 0 && SteadyClock::now() < deadline) {
    std::stringstream log;
    log << std::ifstream(log_path_).rdbuf();
    const std::string text = log.str();
    if (int port = 0; RE2::PartialMatch(text, ops, &port)) ops_port_ = static_cast<std::uint16_t>(port);
    else std::this_thread::sleep_for(milliseconds(20));  // the line follows the connection within moments
  }
  return {};
}

void DemoWorld::stop_serve() {
  if (!serve_) return;
  serve_->signal(SIGKILL);
  serve_->stop();  // reaps it
}

bool DemoWorld::serve_running() { return serve_ && serve_->running(); }

Result<> DemoWorld::spawn_serve(const std::string& store_url) {
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return fail(Error::Unavailable("cannot find this program's path (/proc/self/exe): " + ec.message()));
  // This environment, without anything that could point serve elsewhere (a profile, a real
  // token, a real endpoint), plus the emulators. Its own process group: a Ctrl-C reaches the demo,
  // which stops it in order; SIGTERM should the demo die without doing so.
  auto serve = ChildProcess::spawn({self, "serve", "--config", policy_path_, "--store", store_url, "--ops-address",
                                    "127.0.0.1:0", "--instance-id", "demo", "--log-format", "json"},
                                   {.env = serve_environment(slack_->url() + "/api/", aws_->url()),
                                    .unset_env_prefixes = kServeEnvironmentPrefixes,
                                    .output_file = log_path_,
                                    .stop_with_parent = true});
  if (!serve) return fail(Error::Unavailable("cannot start jit serve: " + serve.error().message));
  serve_ = std::move(*serve);
  return {};
}

int DemoWorld::stop() {
  int code = -1;
  if (serve_) code = ChildProcess::exit_code(serve_->stop(std::chrono::seconds(10)));
  store_.reset();
  if (slack_) slack_->stop();
  if (aws_) aws_->stop();
  return code;
}

DemoWorld::~DemoWorld() { stop(); }

void DemoWorld::slash(const std::string& user, const std::string& text) {
  turn_ = std::chrono::system_clock::now();
  slack_->post("slash", {{"user", user}, {"text", text}, {"channel", kGeneral}});
}

Result<nlohmann::json> DemoWorld::submit(const std::string& user, const std::string& view_id,
                                         const std::map<std::string, std::string>& values) {
  turn_ = std::chrono::system_clock::now();
  return slack_->post("submit", {{"user", user}, {"view_id", view_id}, {"values", values}});
}

std::optional<std::string> DemoWorld::wait_view(const std::string& user) {
  std::optional<std::string> id;
  slack_->wait_for(
      [&] {
        const json views = slack_->list("views?user=" + user);
        if (!views.empty()) id = views.back().value("id", "");
        return !views.empty();
      },
      kWait);
  return id;
}

bool DemoWorld::choose(const std::string& user, const std::string& view_id, const std::string& field,
                       const std::string& value) {
  auto hash = [&] {
    for (const auto& v : slack_->list("views?user=" + user))
      if (v.value("id", "") == view_id) return v.value("hash", "");
    return std::string();
  };
  const std::string before = hash();
  if (!slack_->post("select", {{"user", user}, {"view_id", view_id}, {"block_id", field}, {"action_id", field},
                               {"value", value}}))
    return false;
  return slack_->wait_for([&] { return hash() != before; }, kWait);
}

std::optional<std::string> DemoWorld::message_ts(const std::string& channel, const std::string& request_id) {
  std::string ts;
  slack_->wait_for(
      [&] {
        for (const auto& m : slack_->list("messages?channel=" + channel))
          if (!m.contains("thread_ts") && !m.contains("ephemeral_to") &&
              m.value("blocks", json::array()).dump().find(request_id) != std::string::npos)
            ts = m.value("ts", "");
        return !ts.empty();
      },
      kWait);
  if (ts.empty()) return std::nullopt;
  return ts;
}

bool DemoWorld::click(const std::string& user, const std::string& channel, const std::string& request_id,
                      const std::string& action_id) {
  auto ts = message_ts(channel, request_id);
  turn_ = std::chrono::system_clock::now();
  return ts && slack_->post("click", {{"user", user}, {"channel", channel}, {"ts", *ts}, {"action_id", action_id}});
}

std::optional<json> DemoWorld::open_home(const std::string& user, const std::function<bool(const json&)>& shows) {
  turn_ = std::chrono::system_clock::now();
  if (!slack_->post("home_opened", {{"user", user}})) return std::nullopt;
  std::optional<json> found;
  slack_->wait_for(
      [&] {
        auto home = slack_->get("home?user=" + user);
        if (home && home->is_object() && home->contains("view") && shows((*home)["view"])) found = (*home)["view"];
        return found.has_value();
      },
      kWait);
  return found;
}

bool DemoWorld::click_home(const std::string& user, const std::string& action_id, const std::string& value) {
  turn_ = std::chrono::system_clock::now();
  return slack_->post("home_click", {{"user", user}, {"action_id", action_id}, {"value", value}}).has_value();
}

int DemoWorld::aws_calls(const std::string& operation) const {
  auto calls = aws_->get("calls");
  if (!calls || !calls->contains("operations") || !(*calls)["operations"].contains(operation)) return 0;
  return (*calls)["operations"][operation].value("ok", 0);
}

std::optional<std::string> DemoWorld::wait_reply(const std::string& user, const std::string& text) {
  std::optional<std::string> found;
  slack_->wait_for(
      [&] {
        auto scan = [&](const json& messages, bool dm) {
          for (const auto& m : messages)
            if ((dm || m.value("ephemeral_to", "") == user) && time_of(m.value("ts", "")) >= turn_ &&
                m.value("text", "").find(text) != std::string::npos)
              found = m.value("text", "");
        };
        for (const char* channel : {kGeneral, kProd, kSandbox})
          scan(slack_->list(std::string("messages?channel=") + channel), false);
        scan(slack_->list("dm?user=" + user), true);
        return found.has_value();
      },
      kWait);
  return found;
}

std::optional<std::string> DemoWorld::wait_request_id(const std::string& user, const std::string& channel) {
  auto reply = wait_reply(user, "is waiting for approval in <#" + channel);
  return reply ? request_id_in(*reply) : std::nullopt;
}

std::optional<AccessRequest> DemoWorld::wait_state(const std::string& request_id, State state) {
  const auto deadline = SteadyClock::now() + kWait;
  while (SteadyClock::now() < deadline) {
    if (auto r = store_->get_request(request_id); r && r->state == state) return *r;
    std::this_thread::sleep_for(milliseconds(20));  // the store is another process's: poll it
  }
  return std::nullopt;
}

std::set<std::string> DemoWorld::assignments() const {
  std::set<std::string> out;
  auto answer = aws_->get("assignments");
  for (const auto& a : answer ? answer->value("assignments", json::array()) : json::array()) {
    const std::string ps = a.value("PermissionSetArn", "");
    out.insert(fmt::format("{}'s {} on {}", name_of(a.value("PrincipalId", "")),
                           name_of(ps.substr(ps.find("/ps-") + 4)), name_of(a.value("AccountId", ""))));
  }
  return out;
}

// Slack markup as a person reads it: mentions and channels by name, dates as their UTC time,
// links by their label, no emoji codes or bold marks, one line.
std::string DemoWorld::readable(std::string text) const {
  // A date followed by its own label in parentheses reads as the label once.
  static const RE2 date(R"(<!date\^\d+\^[^|>]*\|([^>]*)>( \(([^)]*)\))?)");
  static const RE2 reference(R"(<[@#]([UWC][A-Z0-9]+)(\|[^>]*)?>)");
  static const RE2 link(R"(<([^|>]+)\|([^>]+)>)");
  static const RE2 iso_time(R"(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)Z)");
  static const RE2 emoji(R"((^|\s):[a-z_]+: ?)");  // not the ":aws:" of an ARN
  static const RE2 bold(R"(\*([^*\n]+)\*)");
  static const RE2 raw_id(R"(\bU0[A-Z]+\b)");
  text = replace_each(text, date, [](const Groups& m) {
    return str(m[1]) + (m[3].data() != nullptr && str(m[3]) == str(m[1]) ? "" : str(m[2]));
  });
  text = replace_each(text, reference, [&](const Groups& m) {
    return (str(m[1]).starts_with("C") ? "#" : "@") + name_of(str(m[1]));
  });
  RE2::GlobalReplace(&text, link, "\\2");
  RE2::GlobalReplace(&text, iso_time, "\\1");
  while (RE2::GlobalReplace(&text, emoji, "\\1") > 0) {}  // again for one right after another
  RE2::GlobalReplace(&text, bold, "\\1");
  text = replace_each(text, raw_id, [&](const Groups& m) { return name_of(str(m[0])); });
  for (auto [from, to] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"\n", " "}})
    for (std::size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, std::string_view(from).size(), to);
  return text;
}

std::vector<Happening> DemoWorld::take_new() {
  std::vector<Happening> out;
  const auto now = std::chrono::system_clock::now();
  auto take = [&](const std::string& key, const json& messages, const std::string& dm_with) {
    for (const auto& m : messages) {
      const std::string ts = m.value("ts", ""), dump = m.dump();
      const auto seen = seen_messages_.find(key + "/" + ts);
      if (seen != seen_messages_.end() && seen->second == dump) continue;
      const bool edited = seen != seen_messages_.end();
      seen_messages_[key + "/" + ts] = dump;
      const std::string where = "#" + name_of(key);
      std::string line;
      if (!dm_with.empty()) line = "Slack DM to " + name_of(dm_with) + ": " + readable(m.value("text", ""));
      else if (m.contains("ephemeral_to"))
        line = fmt::format("Slack, only {} sees it in {}: {}", name_of(m.value("ephemeral_to", "")), where,
                           readable(m.value("text", "")));
      else if (m.contains("thread_ts")) line = fmt::format("Slack {} thread: {}", where, readable(m.value("text", "")));
      else if (!m.contains("blocks")) line = fmt::format("Slack {}: {}", where, readable(m.value("text", "")));
      else
        line = fmt::format("Slack {}{}: {} \"{}\"{}", where, edited ? " message updated" : "",
                           readable(m.value("text", "")), readable(section_text(m, true)),
                           has_buttons(m) ? " [Approve] [Deny]" : " -> " + readable(section_text(m, false)));
      out.push_back({edited ? now : time_of(ts), line});
    }
  };
  for (const char* channel : {kGeneral, kProd, kSandbox, kOps, kLegacy})
    take(channel, slack_->list(std::string("messages?channel=") + channel), "");
  for (const auto& p : kPeople) {
    take(std::string("DM ") + p.slack_id, slack_->list(std::string("dm?user=") + p.slack_id), p.slack_id);
    for (const auto& v : slack_->list(std::string("views?user=") + p.slack_id))
      if (seen_views_.insert(v.value("id", "")).second)
        out.push_back({now, fmt::format("Slack opens the form \"{}\" for {}",
                                        v.value(json::json_pointer("/view/title/text"), std::string()), p.name)});
  }
  take_aws(now, out);
  std::stable_sort(out.begin(), out.end(), [](const Happening& a, const Happening& b) { return a.at < b.at; });
  return out;
}

void DemoWorld::take_aws(std::chrono::system_clock::time_point now, std::vector<Happening>& out) {
  const std::set<std::string> now_assigned = assignments();
  for (const auto& a : now_assigned)
    if (!seen_assignments_.contains(a)) out.push_back({now, "AWS Identity Center: assignment created: " + a});
  for (const auto& a : seen_assignments_)
    if (!now_assigned.contains(a)) out.push_back({now, "AWS Identity Center: assignment deleted: " + a});
  seen_assignments_ = now_assigned;

  auto permission_sets = aws_->get("permission-sets");
  for (const auto& p : permission_sets ? permission_sets->value("provisioning", json::array()) : json::array()) {
    const std::string status = p.value("Status", ""), arn = p.value("PermissionSetArn", "");
    if (status == "IN_PROGRESS" || !seen_provisionings_.insert(p.value("RequestId", "")).second) continue;
    out.push_back({now, fmt::format("AWS Identity Center: permission set {} provisioned to account {}: {}{}",
                                    name_of(arn.substr(arn.find("/ps-") + 4)), name_of(p.value("AccountId", "")),
                                    status, p.contains("FailureReason") ? " " + p.value("FailureReason", "") : "")});
  }

  take_iam(now, out);
  auto scheduler = aws_->get("schedules");
  if (!scheduler) return;
  std::set<std::string> now_scheduled;
  for (const auto& s : scheduler->value("schedules", json::array())) {
    const std::string name = s.value("group", "") + "/" + s.value("name", "");
    now_scheduled.insert(name);
    if (!seen_schedules_.contains(name))
      out.push_back({now, fmt::format("AWS EventBridge Scheduler: schedule created: {} {} UTC -> {}", name,
                                      s.value("expression", ""), s.value("target", ""))});
  }
  const json firings = scheduler->value("firings", json::array());
  for (std::size_t i = seen_firings_; i < firings.size(); ++i)
    out.push_back({now, fmt::format("AWS EventBridge Scheduler: {}/{} fired (attempt {}): {}, {}",
                                    firings[i].value("group", ""), firings[i].value("name", ""),
                                    firings[i].value("attempt", 0), firings[i].value("outcome", ""),
                                    firings[i].value("detail", ""))});
  seen_firings_ = firings.size();
  for (const auto& name : seen_schedules_)
    if (!now_scheduled.contains(name)) out.push_back({now, "AWS EventBridge Scheduler: schedule deleted: " + name});
  seen_schedules_ = now_scheduled;
}

void DemoWorld::take_iam(std::chrono::system_clock::time_point now, std::vector<Happening>& out) {
  auto iam = aws_->get("iam");
  if (!iam) return;
  // "<role>'s trust policy: JitGrant..." for each statement, "<role>'s inline policy P: Sid" likewise.
  auto sids = [](const json& document) {
    const json policy = document.is_string() ? json::parse(document.get<std::string>(), nullptr, false) : document;
    const json statements = policy.is_object() ? policy.value("Statement", json::array()) : json::array();
    std::vector<std::string> out;
    for (const auto& s : statements.is_array() ? statements : json::array({statements}))
      if (s.is_object()) out.push_back(s.value("Sid", "(no Sid)"));
    return out;
  };
  std::set<std::string> now_held;
  for (const auto& role : iam->value("roles", json::array())) {
    const std::string arn = role.value("arn", ""), name = arn.substr(arn.rfind('/') + 1);
    for (const auto& sid : sids(role.value("trust_policy", json())))
      now_held.insert(fmt::format("{}'s trust policy: {}", name, sid));
    const json inline_policies = role.value("inline_policies", json::object());
    for (const auto& [policy, document] : inline_policies.items())
      for (const auto& sid : sids(document)) now_held.insert(fmt::format("{}'s inline policy {}: {}", name, policy, sid));
  }
  if (seen_iam_read_) {
    for (const auto& s : now_held)
      if (!seen_statements_.contains(s)) out.push_back({now, "AWS IAM: statement added to " + s});
    for (const auto& s : seen_statements_)
      if (!now_held.contains(s)) out.push_back({now, "AWS IAM: statement removed from " + s});
  }
  seen_statements_ = std::move(now_held);
  for (const auto& session : iam->value("role_sessions", json::array())) {
    const std::string key = session.value("access_key_id", ""), role = session.value("role_arn", "");
    if (!seen_role_sessions_.insert(key).second || !seen_iam_read_) continue;
    out.push_back({now, fmt::format("AWS STS: {} assumed {} (source identity {}), a session until {}",
                                    session.value("session_name", ""), role.substr(role.rfind('/') + 1),
                                    session.value("source_identity", ""), readable(session.value("expires_at", "")))});
  }
  seen_iam_read_ = true;  // the seed itself is not news
}

}  // namespace jit::demo
