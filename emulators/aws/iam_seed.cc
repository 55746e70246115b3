// The IAM-role path's seed and control side: principals and roles from the options or a seed JSON
// (--iam-seed FILE, POST /_emulator/iam), the snapshot GET /_emulator/iam shows, and the
// role-session evaluator's endpoint /_emulator/role-sessions/<access key id>[?at=].
#include <fmt/format.h>

#include <regex>

#include "core/time.h"
#include "iam_service.h"
#include "temporary_credentials.h"

namespace jit::emulators {

using json = nlohmann::json;
using std::chrono::system_clock;

namespace {

const std::regex kPrincipalArn(
    "arn:aws:(iam::[0-9]{12}:(user|role)(/[\\x21-\\x7E]+)?/[\\w+=,.@-]+|sts::[0-9]{12}:assumed-role/[\\w+=,.@-]+/[\\w+=,.@-]+)");
const std::regex kRoleArn("arn:aws:iam::[0-9]{12}:role(/[\\x21-\\x7E]+)?/[\\w+=,.@-]{1,64}");

// A document given as text (kept byte for byte) or as a JSON value (written compact).
std::expected<std::string, std::string> document_of(const json& value, std::string_view what) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) return value.dump();
  return std::unexpected(fmt::format("{} must be a JSON policy (a string or an object)", what));
}

}  // namespace

std::expected<IamSeed, std::string> parse_iam_seed(const json& seed) {
  if (!seed.is_object()) return std::unexpected(std::string("the IAM seed must be a JSON object {\"principals\":[…],\"roles\":[…]}"));
  IamSeed out;
  for (const auto& [key, value] : seed.items())
    if (key != "principals" && key != "roles")
      return std::unexpected(fmt::format("unknown IAM seed member '{}'; known: principals, roles", key));
  for (const auto& p : seed.value("principals", json::array())) {
    if (!p.is_object() || !p.value("access_key_id", json()).is_string() || !p.value("secret_access_key", json()).is_string() ||
        !p.value("principal_arn", json()).is_string())
      return std::unexpected(std::string(
          "each principal needs access_key_id, secret_access_key and principal_arn (strings); source_identity and "
          "session_token are optional"));
    out.principals.push_back({p["access_key_id"], p["secret_access_key"], p["principal_arn"], p.value("source_identity", ""),
                              p.value("session_token", "")});
  }
  for (const auto& r : seed.value("roles", json::array())) {
    if (!r.is_object() || !r.value("arn", json()).is_string() || !r.contains("trust_policy"))
      return std::unexpected(std::string("each role needs arn and trust_policy; max_session_duration and inline_policies are optional"));
    auto trust = document_of(r["trust_policy"], "trust_policy");
    if (!trust) return std::unexpected(trust.error());
    EmulatedRole role{r["arn"], *trust};
    const json duration = r.value("max_session_duration", json(3600));
    if (!duration.is_number_integer()) return std::unexpected(std::string("max_session_duration must be an integer (seconds)"));
    role.max_session_duration = duration.get<int>();
    const json policies = r.value("inline_policies", json::object());
    if (!policies.is_object()) return std::unexpected(std::string("inline_policies must be an object {name: policy}"));
    for (const auto& [name, text] : policies.items()) {
      auto document = document_of(text, "inline policy " + name);
      if (!document) return std::unexpected(document.error());
      role.inline_policies.emplace_back(name, *document);
    }
    out.roles.push_back(std::move(role));
  }
  if (auto problem = IamService::check_seed(out)) return std::unexpected(*problem);
  return out;
}

std::optional<std::string> IamService::check_seed(const IamSeed& seed) {
  for (const auto& p : seed.principals) {
    if (p.access_key_id.empty() || p.secret_access_key.empty())
      return fmt::format("principal {}: access key id and secret access key must not be empty", p.principal_arn);
    if (!std::regex_match(p.principal_arn, kPrincipalArn))
      return fmt::format("principal ARN '{}' must be arn:aws:iam::<account>:user/<name>, …:role/<name> or "
                         "arn:aws:sts::<account>:assumed-role/<role>/<session>", p.principal_arn);
  }
  for (const auto& r : seed.roles) {
    if (!std::regex_match(r.arn, kRoleArn)) return fmt::format("role ARN '{}' must be arn:aws:iam::<account>:role[/path/]<name>", r.arn);
    const json trust = json::parse(r.trust_policy, nullptr, false);
    if (trust.is_discarded() || !trust.is_object()) return fmt::format("role {}: the trust policy is not a JSON object", r.arn);
    if (r.max_session_duration < 3600 || r.max_session_duration > 43200)
      return fmt::format("role {}: max_session_duration must be within 3600..43200 seconds", r.arn);
  }
  return std::nullopt;
}

IamService::IamService(const AwsEmulatorOptions& options, EmulatorClock clock)
    : options_(options), clock_(std::move(clock)), random_(options.seed ? options.seed + 1 : std::random_device{}()) {
  reset();
}

void IamService::add_role(const EmulatedRole& seeded) {
  Role role;
  role.arn = seeded.arn;
  role.account = seeded.arn.substr(13, 12);
  const auto role_at = seeded.arn.find(":role/") + 5;  // the path starts at its '/'
  const auto last = seeded.arn.rfind('/');
  role.path = seeded.arn.substr(role_at, last - role_at + 1);
  role.name = seeded.arn.substr(last + 1);
  role.role_id = emulators::role_id(random_);
  role.trust_policy = seeded.trust_policy;
  role.max_session_duration = seeded.max_session_duration;
  role.created = std::chrono::floor<std::chrono::seconds>(clock_());
  for (const auto& [name, document] : seeded.inline_policies) role.inline_policies[name] = document;
  roles_[{role.account, role.name}] = std::move(role);
}

std::expected<void, std::string> IamService::seed(const IamSeed& seed) {
  if (auto problem = check_seed(seed)) return std::unexpected(*problem);
  std::lock_guard lock(mutex_);
  for (const auto& p : seed.principals) principals_[p.access_key_id] = p;
  for (const auto& r : seed.roles) add_role(r);
  return {};
}

void IamService::reset() {
  std::lock_guard lock(mutex_);
  principals_.clear();
  roles_.clear();
  role_sessions_.clear();
  for (const auto& p : options_.principals) principals_[p.access_key_id] = p;
  for (const auto& r : options_.roles) add_role(r);
}

json IamService::snapshot() {
  std::lock_guard lock(mutex_);
  json out = {{"roles", json::array()}, {"principals", json::array()}, {"role_sessions", json::array()},
              {"trust_policy_size_limit", options_.trust_policy_size_limit}};
  for (const auto& [key, r] : roles_) {
    json item = {{"arn", r.arn}, {"role_id", r.role_id}, {"trust_policy", r.trust_policy},
                 {"max_session_duration", r.max_session_duration}, {"inline_policies", json::object()}};
    for (const auto& [name, document] : r.inline_policies) item["inline_policies"][name] = document;
    out["roles"].push_back(std::move(item));
  }
  for (const auto& [key, p] : principals_)
    out["principals"].push_back({{"access_key_id", key}, {"principal_arn", p.principal_arn}, {"source_identity", p.source_identity}});
  for (const auto& [key, s] : role_sessions_)
    out["role_sessions"].push_back({{"access_key_id", key}, {"role_arn", s.role_arn}, {"session_name", s.session_name},
                                    {"source_identity", s.source_identity}, {"issued_at", iso8601(s.issued)},
                                    {"expires_at", iso8601(s.expires)}});
  return out;
}

std::optional<std::pair<int, json>> IamService::control(std::string_view method, std::string_view path,
                                                        std::string_view query, std::string_view body) {
  if (path == "iam" && method == "GET") return std::make_pair(200, snapshot());
  if (path == "iam" && method == "POST") {
    auto parsed = parse_iam_seed(json::parse(body, nullptr, false));
    if (!parsed) return std::make_pair(400, json{{"error", parsed.error()}});
    if (auto ok = seed(*parsed); !ok) return std::make_pair(400, json{{"error", ok.error()}});
    return std::make_pair(200, snapshot());
  }
  constexpr std::string_view kSessions = "role-sessions/";
  if (path.starts_with(kSessions) && method == "GET") {
    auto at = at_parameter(query);
    if (!at) return std::make_pair(400, json{{"error", at.error()}});
    return verdict_answer(role_session_allowed(std::string(path.substr(kSessions.size())), *at));
  }
  return std::nullopt;
}

}  // namespace jit::emulators
