#include "e2e/world.h"
#include "net/test_certs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "app/aws_services.h"
#include "app/store_url.h"
#include "emulators/slack/block_kit.h"
#include "net/https_client.h"
#include "slack/ids.h"

namespace jit::testing {

namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// How many times `event` appears in the JSON log `text`.
std::size_t count_events(const std::string& text, const std::string& event) {
  const std::string needle = "\"event\":\"" + event + "\"";
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The step-up page's TLS files and port: a CA made for this World (its certificate written to
// `ca_file`) and a certificate for localhost and 127.0.0.1 signed by it.
demo::PolicyOptions::StepUpPage write_step_up_files(const std::string& dir, const std::string& link_lifetime,
                                                    std::string& ca_file) {
  const TestCa ca;
  const TestCertificate page = ca.issue({"DNS:localhost", "IP:127.0.0.1"});
  demo::PolicyOptions::StepUpPage out{.port = free_port(), .tls_certificate_file = dir + "/step-up.crt",
                                      .tls_key_file = dir + "/step-up.key", .link_lifetime = link_lifetime};
  ca_file = dir + "/step-up-ca.crt";
  std::ofstream(ca_file) << ca.certificate_pem();
  std::ofstream(out.tls_certificate_file) << page.certificate_pem;
  std::ofstream(out.tls_key_file) << page.private_key_pem;
  return out;
}

}  // namespace

std::string role_toml(const std::string& name, const std::vector<std::string>& requesters, const std::string& extra) {
  std::string lines;
  for (std::size_t at = 0; at < extra.size();) {
    const std::size_t end = std::min(extra.find('\n', at), extra.size());
    lines += "  " + extra.substr(at, end - at) + "\n";
    at = end + 1;
  }
  return fmt::format(R"toml(
  [[accounts.roles]]
  name = "{}"
  permission_set_arn = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-0000000000000004"
  max_duration = "1h"
  requesters = {}
{})toml",
                     name, demo::toml_list(requesters), lines);
}

std::string account_toml(const std::string& name, const std::string& id, const std::string& owner_channel,
                         const std::vector<std::string>& approvers) {
  return fmt::format("\n[[accounts]]\nname = \"{}\"\nid = \"{}\"\nowner_channel = \"{}\"\napprovers = {}\n", name, id,
                     owner_channel, demo::toml_list(approvers));
}

std::string extra_person(int k) { return fmt::format("U0P{:03}", k); }

std::string pagerduty_user_id(const std::string& slack_user_id) { return "PD" + slack_user_id; }

World::World(WorldOptions options) : options_(std::move(options)) {
  // Named after the test, or the suite for a World shared by a suite (SetUpTestSuite).
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
  const std::string name = test ? test->name() : suite ? suite->name() : "world";
  dir_ = (std::filesystem::path(::testing::TempDir()) / fmt::format("jit-e2e-{}-{}", name, getpid())).string();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);

  emulators::SlackEmulatorOptions slack_options;
  emulators::AwsEmulatorOptions aws_options;
  for (const auto& p : demo::kPeople) {
    slack_options.users.push_back({p.slack_id, p.name, p.email()});
    aws_options.users.push_back({p.name, p.email(), p.aws_id});
  }
  std::vector<std::string> leads = {kBob};
  for (int k = 0; k < options_.extra_people; ++k) {
    const std::string name = fmt::format("p{:03}", k), email = name + "@example.com";
    slack_options.users.push_back({extra_person(k), name, email});
    aws_options.users.push_back({name, email, fmt::format("2222222222-0000{:04x}-0000-4000-8000-000000000000", k)});
    leads.push_back(extra_person(k));
  }
  if (options_.pagerduty) {
    emulators::PagerDutyEmulatorOptions pd_options;
    for (const auto& u : slack_options.users) pd_options.users.push_back({pagerduty_user_id(u.id), u.name, u.email});
    auto pagerduty = emulators::PagerDutyEmulator::start(pd_options);
    if (!pagerduty) throw std::runtime_error("PagerDuty emulator: " + pagerduty.error().message);
    pagerduty_ = std::move(*pagerduty);
    options_.env.emplace_back("JIT_PAGERDUTY_TOKEN", emulators::kPagerDutyEmulatorToken);
  }
  slack_options.usergroups = {{demo::kLeads, leads}};
  slack_options.bot_token = demo::kSlackBotToken;
  slack_options.app_token = demo::kSlackAppToken;
  slack_options.disconnect_grace = std::chrono::milliseconds(3000);
  auto slack = emulators::SlackEmulator::start(slack_options);
  if (!slack) throw std::runtime_error("Slack emulator: " + slack.error().message);
  slack_ = std::move(*slack);

  aws_options.credentials = {{demo::kAwsAccessKeyId, demo::kAwsSecretAccessKey, ""}};
  aws_options.region = demo::kAwsRegion;
  aws_options.instance_arn = demo::kInstanceArn;
  aws_options.identity_store_id = demo::kIdentityStoreId;
  aws_options.assignment_delay = options_.assignment_delay;
  aws_options.provision_delay = options_.assignment_delay;  // a permission set's provisioning, as quick
  aws_options.schedule_groups = {demo::kScheduleGroup};
  aws_options.schedule_fire_delay = options_.schedule_fire_delay;
  auto aws = emulators::AwsEmulator::start(aws_options);
  if (!aws) throw std::runtime_error("AWS emulator: " + aws.error().message);
  aws_ = std::move(*aws);
  if (options_.iam_role)
    if (auto seeded = aws_->seed_iam(nlohmann::json::parse(demo::legacy_iam_seed())); !seeded)
      throw std::runtime_error("AWS emulator IAM seed: " + seeded.error().message);

  // This process reads the store with the same environment the instances get.
  for (const auto& [name, value] : demo::serve_environment(slack_->api_url(), aws_->url()))
    setenv(name.c_str(), value.c_str(), 1);
  unsetenv("AWS_ENDPOINT_URL");

  if (options_.dynamodb) {
    auto moto = MotoServer::start();
    if (!moto) throw std::runtime_error(moto.error().message);
    moto_ = std::move(*moto);
    moto_client_ = net::make_http_client();
    const net::Endpoint moto_endpoint = *net::Endpoint::parse(moto_->url());
    auto proxy = net::HttpServer::start({.threads = 1}, [this, moto_endpoint](const net::HttpRequest& request) {
      net::HttpRequest forwarded = request;
      std::erase_if(forwarded.headers, [](const auto& h) {
        std::string name = h.first;
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return name == "content-length" || name == "connection" || name == "transfer-encoding" || name == "keep-alive";
      });
      auto answer = moto_client_->send(moto_endpoint, forwarded);
      if (!answer) return net::HttpResponse{502, {}, answer.error().message};
      return *answer;
    });
    if (!proxy) throw std::runtime_error("moto proxy: " + proxy.error().message);
    moto_proxy_ = std::move(*proxy);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_proxy_->url().c_str(), 1);
    store_url_ = "dynamodb:jit-e2e";
    auto aws = AwsServices::create({.region = "us-east-1"}, clock_);
    if (!aws) throw std::runtime_error("AWS clients: " + aws.error().message);
    aws_clients_ = *aws;
    if (auto made = init_store(store_url_, aws_clients_); !made)
      throw std::runtime_error("store init: " + made.error().message);
  } else {
    store_url_ = "sqlite:" + dir_ + "/jit.db";
  }
  policy_path_ = dir_ + "/jit.toml";
  std::optional<demo::PolicyOptions::StepUpPage> step_up;
  if (options_.step_up) step_up = write_step_up_files(dir_, options_.link_lifetime, step_up_ca_file_);
  if (step_up) step_up_port_ = step_up->port;
  // The demo's policy, widened: bob's group approves prod too, prod has a break-glass role, and
  // tests pick any duration up to 2h.
  std::ofstream(policy_path_) << demo::policy_text({.store_url = store_url_,
                                                    .sweep_interval = options_.sweep_interval,
                                                    .prod_admin_max = "2h",
                                                    .prod_admin_durations = {},
                                                    .prod_approvers = {kAlice, demo::kLeads},
                                                    .sandbox_approvers = {kAlice},
                                                    .break_glass = true,
                                                    .identity_center = !options_.dry_run,
                                                    .step_up = step_up,
                                                    .iam_role = options_.iam_role,
                                                    .trust_policy_size_limit = options_.trust_policy_size_limit})
                           << options_.policy_tail
                           << (pagerduty_ ? fmt::format("\n[pagerduty]\napi_url = \"{}\"\ntimeout = \"{}\"\n",
                                                        pagerduty_->url(), options_.pagerduty_timeout)
                                          : std::string());
  auto store = open_store(store_url_, aws_clients_);
  if (!store) throw std::runtime_error("store: " + store.error().message);
  store_ = std::move(*store);

  instances_.resize(options_.instances);
  for (int i = 0; i < options_.instances; ++i) {
    std::string why;
    if (!start_instance(i, {}, &why)) throw std::runtime_error(fmt::format("instance {} did not start: {}", i, why));
  }
}

World::~World() {
  for (auto& instance : instances_)
    if (instance.process) instance.process->stop(std::chrono::seconds(10));
  store_.reset();
  if (moto_proxy_) moto_proxy_->stop();
  slack_->stop();
  aws_->stop();
  if (pagerduty_) pagerduty_->stop();
  // Kept when a test failed, or when JIT_E2E_KEEP is set, for the instances' logs.
  if (!::testing::Test::HasFailure() && !std::getenv("JIT_E2E_KEEP")) std::filesystem::remove_all(dir_);
}

std::string World::step_up_origin() const {
  return step_up_port_ == 0 ? std::string() : fmt::format("https://localhost:{}", step_up_port_);
}

bool World::start_instance(int i, std::vector<std::pair<std::string, std::string>> env, std::string* why) {
  if (static_cast<std::size_t>(i) >= instances_.size()) instances_.resize(i + 1);
  Instance& instance = instances_[i];
  if (instance.process) instance.process->stop();
  const int connected_before = slack_->connections_opened();
  instance.ops_port = free_port();
  instance.log_file = fmt::format("{}/serve-{}.{}.log", dir_, i, std::chrono::steady_clock::now().time_since_epoch().count());
  ChildOptions process_options;
  process_options.output_file = instance.log_file;
  process_options.env = options_.env;
  process_options.env.insert(process_options.env.end(), env.begin(), env.end());
  for (auto& variable : demo::serve_environment(slack_->api_url(), aws_->url()))
    process_options.env.push_back(std::move(variable));
  std::vector<std::string> args = {JIT_BINARY, "serve", "--config", policy_path_, "--store", store_url_,
                                   "--instance-id", fmt::format("i-{}", i), "--lease", options_.lease,
                                   "--ops-address", fmt::format("127.0.0.1:{}", instance.ops_port),
                                   "--log-format", "json", "--log-level", "info"};
  if (options_.dry_run) args.push_back("--dry-run");
  // A test that dies (an abort, a crash) takes its instances with it: no `jit serve` outlives it.
  process_options.stop_with_parent = true;
  auto process = ChildProcess::spawn(args, process_options);
  if (!process) {
    if (why) *why = process.error().message;
    return false;
  }
  instance.process = std::move(*process);
  const bool up = slack_->wait_for([&](const emulators::SlackEmulator& s) { return s.connections_opened() > connected_before; },
                                   std::chrono::seconds(20));
  if (!up && why) *why = log(i);
  return up;
}

void World::kill_instance(int i) {
  Instance& instance = instances_.at(i);
  if (!instance.process) return;
  ::kill(instance.process->pid(), SIGKILL);
  instance.process->stop();
}

int World::stop_instance(int i) {
  Instance& instance = instances_.at(i);
  if (!instance.process) return -1;
  return instance.process->stop(std::chrono::seconds(15));
}

bool World::running(int i) { return instances_.at(i).process && instances_.at(i).process->running(); }

std::string World::log(int i) const { return read_file(instances_.at(i).log_file); }

std::uint16_t World::ops_port(int i) const { return instances_.at(i).ops_port; }

std::string World::policy_text() const { return read_file(policy_path_); }

bool World::rewrite_policy(const std::string& text, int i) {
  const std::string before = log(i);
  const std::size_t reloaded = count_events(before, "config_reloaded"),
                    rejected = count_events(before, "config_reload_rejected");
  std::ofstream(policy_path_, std::ios::trunc) << text;
  ::kill(instances_.at(i).process->pid(), SIGHUP);
  bool ok = false;
  poll(
      [&] {
        const std::string now = log(i);
        ok = count_events(now, "config_reloaded") > reloaded;
        return ok || count_events(now, "config_reload_rejected") > rejected;
      },
      std::chrono::seconds(10));
  return ok;
}

std::pair<int, std::string> World::audit_verify() { return jit_on_store({"audit", "verify"}); }

std::pair<int, std::string> World::jit_on_store(const std::vector<std::string>& args) {
  const std::string out = fmt::format("{}/jit-cli.{}.log", dir_, std::chrono::steady_clock::now().time_since_epoch().count());
  ChildOptions child;
  child.output_file = out;
  for (auto& variable : demo::serve_environment(slack_->api_url(), aws_->url())) child.env.push_back(std::move(variable));
  if (const char* dynamodb = std::getenv("AWS_ENDPOINT_URL_DYNAMODB")) child.env.emplace_back("AWS_ENDPOINT_URL_DYNAMODB", dynamodb);
  std::vector<std::string> argv{JIT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--store", store_url_});
  auto process = ChildProcess::spawn(argv, child);
  if (!process) return {-1, process.error().message};
  const auto status = (*process)->wait_exit(std::chrono::seconds(30));
  if (!status) return {-1, fmt::format("jit {} did not finish within 30 s", fmt::join(args, " "))};
  return {ChildProcess::exit_code(*status), read_file(out)};
}

std::optional<std::string> World::request(const std::string& user, const std::string& text, std::string* reply) {
  const std::size_t before = slack_->messages(demo::kGeneral).size();
  slack_->slash_command(user, "request " + text);
  std::optional<std::string> answer;
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        const json messages = s.messages(demo::kGeneral);
        for (std::size_t k = before; k < messages.size(); ++k)
          if (messages[k].value("ephemeral_to", "") == user) {
            answer = messages[k].value("text", "");
            return true;
          }
        return false;
      },
      std::chrono::seconds(10));
  if (reply) *reply = answer.value_or("(no reply)");
  if (!answer) return std::nullopt;
  return demo::request_id_in(*answer);
}

std::string World::grant(const std::string& user, const std::string& text) {
  std::string reply;
  auto id = request(user, text, &reply);
  EXPECT_TRUE(id) << reply;
  if (!id) return "";
  EXPECT_TRUE(click(kAlice, *id, slack::kApproveAction));
  EXPECT_TRUE(wait_state(*id, State::active)) << log(0);
  return *id;
}

std::optional<std::string> World::message_ts(const std::string& channel, const std::string& request_id) {
  std::optional<std::string> ts;
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.messages(channel))
          if (!m.contains("thread_ts") && !m.contains("ephemeral_to") &&
              m.value("blocks", json::array()).dump().find(request_id) != std::string::npos) {
            ts = m.value("ts", "");
            return true;
          }
        return false;
      },
      std::chrono::seconds(10));
  return ts;
}

bool World::click(const std::string& user, const std::string& request_id, const std::string& action_id,
                  const std::string& channel) {
  auto ts = message_ts(channel, request_id);
  if (!ts) return false;
  return slack_->click(user, channel, *ts, action_id).has_value();
}

bool World::wait_ephemeral_in(const std::string& channel, const std::string& user, const std::string& text,
                              std::chrono::milliseconds timeout) {
  return slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.messages(channel))
          if (m.value("ephemeral_to", "") == user && m.value("text", "").find(text) != std::string::npos) return true;
        return false;
      },
      timeout);
}

std::optional<std::string> World::wait_ephemeral(const std::string& user, const std::string& containing,
                                                 std::chrono::milliseconds timeout) {
  std::optional<std::string> found;
  auto scan = [&](const json& messages) {
    for (const auto& m : messages)
      if (m.value("ephemeral_to", "") == user && m.value("text", "").find(containing) != std::string::npos) {
        found = m.value("text", "");
        return true;
      }
    return false;
  };
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const char* channel : {demo::kGeneral, kProdChannel, demo::kSandbox})
          if (scan(s.messages(channel))) return true;
        // A reply that could not be ephemeral arrives as a DM.
        for (const auto& m : s.dm(user))
          if (m.value("text", "").find(containing) != std::string::npos) {
            found = m.value("text", "");
            return true;
          }
        return false;
      },
      timeout);
  return found;
}

bool World::wait_dm(const std::string& user, const std::string& containing, std::chrono::milliseconds timeout) {
  return slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        for (const auto& m : s.dm(user))
          if (m.dump().find(containing) != std::string::npos) return true;
        return false;
      },
      timeout);
}

std::optional<json> World::wait_home(const std::string& user, const std::function<bool(const json&)>& done, bool open,
                                     json* last, std::chrono::milliseconds timeout) {
  if (open) slack_->open_home(user);
  std::optional<json> found;
  slack_->wait_for(
      [&](const emulators::SlackEmulator& s) {
        const json home = s.home(user);
        if (last) *last = home;
        if (home.is_null() || !done(home["view"])) return false;
        found = home["view"];
        return true;
      },
      timeout);
  return found;
}

bool World::has_button(const json& view, const std::string& action_id, const std::string& value) {
  if (!view.is_object() || !view.contains("blocks")) return false;
  for (const auto& [block, element] : emulators::block_kit::message_elements(view["blocks"]))
    if (element->value("action_id", "") == action_id && element->value("value", "") == value) return true;
  return false;
}

bool World::poll(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::optional<AccessRequest> World::read(const std::string& request_id) {
  auto r = store_->get_request(request_id);
  if (!r) return std::nullopt;
  return *r;
}

bool World::wait_state(const std::string& request_id, State state, std::chrono::milliseconds timeout) {
  return poll(
      [&] {
        auto r = read(request_id);
        return r && r->state == state;
      },
      timeout);
}

std::size_t World::assignment_count() { return aws_->assignments().value("assignments", json::array()).size(); }

std::string World::check_acks(std::chrono::milliseconds limit) const {
  // An ack may still be on its way while the reply it preceded has already arrived (the emulator
  // reads the WebSocket and serves the Web API on different threads).
  slack_->wait_for(
      [](const emulators::SlackEmulator& s) {
        for (const auto& e : s.envelopes())
          if (!e["connection"].is_null() && !e.value("acked", false)) return false;
        return true;
      },
      std::chrono::seconds(2));
  for (const auto& e : slack_->envelopes()) {
    if (e["connection"].is_null()) continue;  // never delivered (nobody connected): nothing to ack
    if (!e.value("acked", false)) return "envelope " + e.dump() + " was never acked";
    if (e.value("ack_latency_ms", 0.0) > static_cast<double>(limit.count()))
      return fmt::format("envelope {} was acked after {} ms", e.value("envelope_id", ""), e.value("ack_latency_ms", 0.0));
  }
  return "";
}

std::string World::metrics(int i) {
  auto http = net::make_http_client();
  auto endpoint = net::Endpoint::parse(fmt::format("http://127.0.0.1:{}", ops_port(i)));
  auto response = http->send(*endpoint, {.method = "GET", .target = "/metrics"});
  return response ? response->body : "";
}

std::string sandbox_ops_role() {
  return fmt::format(R"toml(

  [[accounts.roles]]
  name = "ops"
  permission_set_arn = "{}"
  max_duration = "1h"
  tier = "high"
  approvals_required = 1
  requesters = ["*"]
)toml", demo::kOpsPermissionSet);
}

bool dana_holds_sandbox_ops(World& world) {
  const json all = world.aws().assignments();  // held: a temporary's member dies before the loop body
  for (const auto& a : all["assignments"])
    if (a.value("PrincipalId", "") == demo::person_of(kDana).aws_id &&
        a.value("PermissionSetArn", "") == demo::kOpsPermissionSet)
      return true;
  return false;
}

std::string wait_posted_extension(World& world, const std::string& grant_id) {
  std::string extension;
  World::poll(
      [&] {
        const auto all = world.store().list_requests({});
        for (const auto& r : all.value_or(std::vector<AccessRequest>{}))
          if (r.extends == grant_id && !r.chat_ts.empty()) extension = r.id;
        return !extension.empty();
      },
      std::chrono::seconds(10));
  return extension;
}

int ok_calls(World& world, const std::string& operation) {
  const nlohmann::json calls = world.aws().calls();
  const auto ops = calls.find("operations");
  if (ops == calls.end() || !ops->contains(operation)) return 0;
  return (*ops)[operation].value("ok", 0);
}

}  // namespace jit::testing
