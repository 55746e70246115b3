#include "demo/emulator_process.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <tuple>

namespace jit::demo {

namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStartTimeout{10000};

// The first of `candidates` that is an executable file.
std::optional<std::string> first_executable(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates)
    if (auto found = find_executable(c)) return found;
  return std::nullopt;
}

}  // namespace

Result<EmulatorPrograms> find_emulators(const std::string& dir) {
  const char* from_env = std::getenv("JIT_EMULATORS_DIR");
  const std::string named = !dir.empty() ? dir : from_env != nullptr ? from_env : "";
  std::string base = named;
  if (named.empty()) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return fail(Error::Unavailable("cannot find this program's path (/proc/self/exe): " + ec.message()));
    base = self.parent_path().string();
  }
  EmulatorPrograms programs;
  for (auto [name, subdirectory, into] :
       {std::tuple{"jit-slack-emulator", "emulators/slack", &programs.slack},
        std::tuple{"jit-aws-emulator", "emulators/aws", &programs.aws}}) {
    std::vector<std::string> candidates = {base + "/" + name};
    if (named.empty()) candidates.push_back(base + "/" + subdirectory + "/" + name);  // a build tree
    auto found = first_executable(candidates);
    if (!found)
      return fail(Error::NotFound(fmt::format(
          "the emulator executable {0} is not at {1}. Build it with `cmake --build "
          "--preset default --target {0}` (building `jit` builds it too), or name the directory that holds "
          "both emulators with --emulators-dir DIR or JIT_EMULATORS_DIR",
          name, fmt::join(candidates, " or "))));
    *into = *found;
  }
  return programs;
}

Result<std::unique_ptr<EmulatorProcess>> EmulatorProcess::start(const std::string& program,
                                                                std::vector<std::string> flags,
                                                                const std::string& log_path) {
  std::unique_ptr<EmulatorProcess> e(new EmulatorProcess());
  e->log_path_ = log_path;
  std::vector<std::string> argv = {program, "--port", "0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto process = ChildProcess::spawn(argv, {.output_file = log_path, .pipe_stdout = true, .stop_with_parent = true});
  if (!process) return fail(process.error());
  e->process_ = std::move(*process);
  const std::string name = std::filesystem::path(program).filename().string();
  auto url = e->process_->read_line(kStartTimeout);
  if (!url) return fail(Error::Unavailable(fmt::format("{}: {}; its log: {}", name, url.error().message, log_path)));
  auto endpoint = net::Endpoint::parse(*url);
  if (!endpoint)
    return fail(Error::Unavailable(fmt::format("{} printed \"{}\", not its URL; its log: {}", name, *url, log_path)));
  e->url_ = *url;
  e->endpoint_ = *endpoint;
  e->http_ = net::make_http_client({.proxy = net::ProxySettings{}});  // loopback only: never a proxy
  return e;
}

EmulatorProcess::~EmulatorProcess() { stop(); }

void EmulatorProcess::stop() {
  if (process_) process_->stop(std::chrono::seconds(5));
}

Result<json> EmulatorProcess::send(net::HttpRequest request) const {
  request.target = "/_emulator/" + request.target;
  request.headers.emplace_back("Content-Type", "application/json");
  auto response = http_->send(endpoint_, request);
  if (!response) return fail(response.error());
  json body = json::parse(response->body, nullptr, false);
  if (response->status == 200 && !body.is_discarded()) return body;
  const std::string message = fmt::format("{} {}: HTTP {} {}", request.method, request.target, response->status,
                                          body.is_object() ? body.value("error", "") : response->body);
  if (response->status == 404) return fail(Error::NotFound(message));
  if (response->status == 400) return fail(Error::Invalid(message));
  return fail(Error::Unavailable(message));
}

Result<json> EmulatorProcess::get(const std::string& path) const { return send({"GET", path, {}, ""}); }

Result<json> EmulatorProcess::post(const std::string& path, const json& body) const {
  return send({"POST", path, {}, body.dump()});
}

json EmulatorProcess::list(const std::string& path) const {
  auto answer = get(path);
  return answer && answer->is_array() ? *answer : json::array();
}

bool EmulatorProcess::wait_for(const std::function<bool()>& done, milliseconds timeout) const {
  const auto deadline = SteadyClock::now() + timeout;
  auto version = get("wait");  // read before looking: a change after the look ends the next wait
  while (true) {
    if (done()) return true;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0 || !version) return false;
    version = get(fmt::format("wait?version={}&timeout_ms={}", version->value("version", 0ULL), left));
  }
}

}  // namespace jit::demo
