#include "demo/demo_world.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "app/store_url.h"

extern char** environ;

namespace jit::demo {

namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kWait{10000};  // the longest any single step of the story may take

struct Person {
  const char* slack_id;
  const char* name;
  const char* aws_id;  // the identity-store user id (AWS's "<10 hex>-<uuid>" form)
};
constexpr Person kPeople[] = {
    {kDana, "dana", "1111111111-0000da7a-0000-4000-8000-000000000001"},
    {kAlice, "alice", "1111111111-0000a11c-0000-4000-8000-000000000002"},
    {"U0ADMIN", "admin", "1111111111-0000ad31-0000-4000-8000-000000000003"},
};

constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-";
const std::map<std::string, std::string> kNames = {
    {"123456789012", "prod"}, {"111111111111", "sandbox"}, {"0000000000000001", "admin"},
    {"0000000000000003", "developer"}, {kProd, "prod"}, {kSandbox, "sandbox"}, {kGeneral, "general"},
    {"C0OPS", "jit-ops"}};

std::string policy_text(const std::string& store_url) {
  return fmt::format(R"toml(# The policy of `jit demo`: two accounts, alice approves; prod admin may be held for 8 seconds.
approval_window = "1h"
sweep_interval = "1s"
reconcile_interval = "1h"
admins = ["U0ADMIN"]
ops_channel = "C0OPS"

[store]
url = "{store}"

[aws]
region = "us-east-1"
instance_arn = "arn:aws:sso:::instance/ssoins-1111111111111111"
identity_store_id = "d-1111111111"
access_portal_url = "https://d-1111111111.awsapps.com/start"

[[accounts]]
name = "prod"
id = "123456789012"
owner_channel = "{prod}"
approvers = ["{alice}"]

  [[accounts.roles]]
  name = "admin"
  permission_set_arn = "{ps}0000000000000001"
  max_duration = "1h"
  allowed_durations = ["{short}", "30m", "1h"]
  requesters = ["*"]

[[accounts]]
name = "sandbox"
id = "111111111111"
owner_channel = "{sandbox}"
approvers = ["{alice}", "{dana}"]

  [[accounts.roles]]
  name = "developer"
  permission_set_arn = "{ps}0000000000000003"
  max_duration = "8h"
  requesters = ["*"]
)toml",
                     fmt::arg("store", store_url), fmt::arg("prod", kProd), fmt::arg("sandbox", kSandbox),
                     fmt::arg("alice", kAlice), fmt::arg("dana", kDana), fmt::arg("ps", kPermissionSet),
                     fmt::arg("short", kGrantSeconds));
}

// `text` with every match of `pattern` replaced by what `with` makes of it.
std::string replace_each(const std::string& text, const std::regex& pattern,
                         const std::function<std::string(const std::smatch&)>& with) {
  std::string out;
  auto from = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) {
    out.append(from, (*it)[0].first);
    out += with(*it);
    from = (*it)[0].second;
  }
  out.append(from, text.cend());
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

std::optional<std::string> request_id_in(const std::string& reply) {
  // "Request `r1a2b3` is waiting…" (the reply to /jit request) or "… (`r1a2b3`) is waiting…" (the DM).
  static const std::regex id(R"(`([a-z0-9]+)`\)? is waiting)");
  std::smatch m;
  if (!std::regex_search(reply, m, id)) return std::nullopt;
  return m[1].str();
}

Result<std::unique_ptr<DemoWorld>> DemoWorld::start(const std::string& dir, const std::string& store_url) {
  std::unique_ptr<DemoWorld> w(new DemoWorld());
  w->dir_ = dir;
  emulators::SlackEmulatorOptions slack_options;
  emulators::AwsEmulatorOptions aws_options;
  for (const auto& p : kPeople) {
    const std::string email = fmt::format("{}@example.com", p.name);
    slack_options.users.push_back({p.slack_id, p.name, email});
    aws_options.users.push_back({p.name, email, p.aws_id});
  }
  aws_options.assignment_delay = milliseconds(50);
  auto slack = emulators::SlackEmulator::start(slack_options);
  if (!slack) return fail(Error::Unavailable("the Slack emulator did not start: " + slack.error().message));
  w->slack_ = std::move(*slack);
  auto aws = emulators::AwsEmulator::start(aws_options);
  if (!aws) return fail(Error::Unavailable("the AWS emulator did not start: " + aws.error().message));
  w->aws_ = std::move(*aws);

  w->policy_path_ = dir + "/jit.toml";
  w->log_path_ = dir + "/serve.log";
  std::ofstream(w->policy_path_) << policy_text(store_url);
  if (auto spawned = w->spawn_serve(store_url); !spawned) return fail(spawned.error());

  // Up once its Socket Mode connection is open; the log names the ops port it bound.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (!w->slack_->wait_for([](const emulators::SlackEmulator& s) { return s.connections_opened() > 0; },
                              milliseconds(100))) {
    if (!w->serve_alive())
      return fail(Error::Unavailable(fmt::format("jit serve exited (code {}) before it connected to Slack; its log: {}",
                                                 w->exit_code_, w->log_path_)));
    if (SteadyClock::now() > deadline)
      return fail(Error::Unavailable("jit serve did not connect to the Slack emulator within 20 s; its log: " +
                                     w->log_path_));
  }
  static const std::regex ops(R"re("ops":"http://127\.0\.0\.1:([0-9]+))re");
  while (w->ops_port_ == 0 && SteadyClock::now() < deadline) {
    std::stringstream log;
    log << std::ifstream(w->log_path_).rdbuf();
    const std::string text = log.str();
    if (std::smatch m; std::regex_search(text, m, ops)) w->ops_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    else std::this_thread::sleep_for(milliseconds(20));  // the line follows the connection within moments
  }
  auto store = open_store(store_url);
  if (!store) return fail(store.error());
  w->store_ = std::move(*store);
  return w;
}

Result<> DemoWorld::spawn_serve(const std::string& store_url) {
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return fail(Error::Unavailable("cannot find this program's path (/proc/self/exe): " + ec.message()));
  std::vector<std::string> args = {self, "serve", "--config", policy_path_, "--store", store_url,
                                   "--ops-address", "127.0.0.1:0", "--instance-id", "demo", "--log-format", "json"};
  // This environment, without anything that could point serve elsewhere (a profile, a real
  // token, a real endpoint), plus the emulators.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (!entry.starts_with("AWS_") && !entry.starts_with("SLACK_") && !entry.starts_with("JIT_")) env.emplace_back(entry);
  }
  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"SLACK_API_URL", slack_->api_url()},
        {"SLACK_BOT_TOKEN", slack_->options().bot_token}, {"SLACK_APP_TOKEN", slack_->options().app_token},
        {"AWS_ENDPOINT_URL_SSO_ADMIN", aws_->url()}, {"AWS_ENDPOINT_URL_IDENTITYSTORE", aws_->url()},
        {"AWS_ACCESS_KEY_ID", emulators::kEmulatorAccessKeyId},
        {"AWS_SECRET_ACCESS_KEY", emulators::kEmulatorSecretAccessKey}, {"AWS_REGION", "us-east-1"},
        {"AWS_CONFIG_FILE", "/dev/null"}, {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
        {"AWS_EC2_METADATA_DISABLED", "true"}})
    env.push_back(name + "=" + value);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return fail(Error::Unavailable("cannot write " + log_path_));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec. Its own process group (a Ctrl-C reaches the demo,
    // which stops it in order), and SIGTERM should the demo die without doing so.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // not the emulators' sockets
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log);
  if (pid < 0) return fail(Error::Unavailable("cannot start jit serve (fork failed)"));
  pid_ = pid;
  return {};
}

bool DemoWorld::serve_alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = 0;
  return false;
}

int DemoWorld::stop() {
  if (serve_alive()) {
    ::kill(-pid_, SIGTERM);
    const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
    while (serve_alive()) {
      if (SteadyClock::now() > deadline) ::kill(-pid_, SIGKILL);
      std::this_thread::sleep_for(milliseconds(20));  // serve stops within moments of SIGTERM
    }
  }
  store_.reset();
  if (slack_) slack_->stop();
  if (aws_) aws_->stop();
  return exit_code_;
}

DemoWorld::~DemoWorld() { stop(); }

void DemoWorld::slash(const std::string& user, const std::string& text) {
  turn_ = std::chrono::system_clock::now();
  slack_->slash_command(user, text, kGeneral);
}

Result<nlohmann::json> DemoWorld::submit(const std::string& user, const std::string& view_id,
                                         const std::map<std::string, std::string>& values) {
  turn_ = std::chrono::system_clock::now();
  return slack_->submit_view(user, view_id, values);
}

std::optional<std::string> DemoWorld::wait_view(const std::string& user) {
  std::optional<std::string> id;
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        const json views = s.views(user);
        if (!views.empty()) id = views.back().value("id", "");
        return !views.empty();
      },
      kWait);
  return id;
}

bool DemoWorld::choose(const std::string& user, const std::string& view_id, const std::string& field,
                       const std::string& value) {
  auto hash = [&](const emulators::SlackEmulator& s) {
    for (const auto& v : s.views(user))
      if (v.value("id", "") == view_id) return v.value("hash", "");
    return std::string();
  };
  const std::string before = hash(*slack_);
  if (!slack_->select_in_view(user, view_id, field, field, value)) return false;
  return slack_->wait_for([&](const emulators::SlackEmulator& s) { return hash(s) != before; }, kWait);
}

std::optional<std::string> DemoWorld::message_ts(const std::string& channel, const std::string& request_id) {
  std::string ts;
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.messages(channel))
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
  return ts && slack_->click(user, channel, *ts, action_id).has_value();
}

std::optional<std::string> DemoWorld::wait_reply(const std::string& user, const std::string& text) {
  std::optional<std::string> found;
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        auto scan = [&](const json& messages, bool dm) {
          for (const auto& m : messages)
            if ((dm || m.value("ephemeral_to", "") == user) && time_of(m.value("ts", "")) >= turn_ &&
                m.value("text", "").find(text) != std::string::npos)
              found = m.value("text", "");
        };
        for (const char* channel : {kGeneral, kProd, kSandbox}) scan(s.messages(channel), false);
        scan(s.dm(user), true);
        return found.has_value();
      },
      kWait);
  return found;
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
  for (const auto& a : aws_->assignments().value("assignments", json::array())) {
    const std::string ps = a.value("PermissionSetArn", "");
    out.insert(fmt::format("{}'s {} on {}", name_of(a.value("PrincipalId", "")),
                           name_of(ps.substr(ps.find("/ps-") + 4)), name_of(a.value("AccountId", ""))));
  }
  return out;
}

std::string DemoWorld::name_of(const std::string& id) const {
  for (const auto& p : kPeople)
    if (id == p.slack_id || id == p.aws_id) return p.name;
  const auto it = kNames.find(id);
  return it == kNames.end() ? id : it->second;
}

// Slack markup as a person reads it: mentions and channels by name, dates as their UTC time,
// links by their label, no emoji codes or bold marks, one line.
std::string DemoWorld::readable(std::string text) const {
  static const std::regex date_twice(R"(<!date\^\d+\^[^|>]*\|([^>]*)> \(\1\))");
  static const std::regex date(R"(<!date\^\d+\^[^|>]*\|([^>]*)>)");
  static const std::regex reference(R"(<[@#]([UWC][A-Z0-9]+)(\|[^>]*)?>)");
  static const std::regex link(R"(<([^|>]+)\|([^>]+)>)");
  static const std::regex iso_time(R"(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)Z)");
  static const std::regex emoji(R"(:[a-z_]+: ?)");
  static const std::regex bold(R"(\*([^*\n]+)\*)");
  static const std::regex raw_id(R"(\bU0[A-Z]+\b)");
  text = std::regex_replace(text, date_twice, "$1");
  text = std::regex_replace(text, date, "$1");
  text = replace_each(text, reference, [&](const std::smatch& m) {
    return (m[1].str().starts_with("C") ? "#" : "@") + name_of(m[1]);
  });
  text = std::regex_replace(text, link, "$2");
  text = std::regex_replace(text, iso_time, "$1");
  text = std::regex_replace(text, emoji, "");
  text = std::regex_replace(text, bold, "$1");
  text = replace_each(text, raw_id, [&](const std::smatch& m) { return name_of(m[0]); });
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
  for (const char* channel : {kGeneral, kProd, kSandbox, "C0OPS"}) take(channel, slack_->messages(channel), "");
  for (const auto& p : kPeople) {
    take(std::string("DM ") + p.slack_id, slack_->dm(p.slack_id), p.slack_id);
    for (const auto& v : slack_->views(p.slack_id))
      if (seen_views_.insert(v.value("id", "")).second)
        out.push_back({now, fmt::format("Slack opens the form \"{}\" for {}",
                                        v.value(json::json_pointer("/view/title/text"), std::string()), p.name)});
  }
  const std::set<std::string> now_assigned = assignments();
  for (const auto& a : now_assigned)
    if (!seen_assignments_.contains(a)) out.push_back({now, "AWS Identity Center: assignment created: " + a});
  for (const auto& a : seen_assignments_)
    if (!now_assigned.contains(a)) out.push_back({now, "AWS Identity Center: assignment deleted: " + a});
  seen_assignments_ = now_assigned;
  std::stable_sort(out.begin(), out.end(), [](const Happening& a, const Happening& b) { return a.at < b.at; });
  return out;
}

}  // namespace jit::demo
