#include "demo/iam_role_scene.h"

#include <fmt/format.h>

#include <optional>

#include "aws/assume_role_credentials.h"
#include "aws/endpoints.h"
#include "aws/query_client.h"
#include "core/time.h"
#include "demo/session_watch.h"
#include "net/https_client.h"
#include "ports/clock.h"
#include "slack/ids.h"

namespace jit::demo {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kReason[] = "check the billing job";

SystemTime now() { return std::chrono::system_clock::now(); }

// The legacy admin role as the emulated IAM stores it now ({} when it cannot be read).
json admin_role(const DemoWorld& world) {
  auto iam = world.aws().get("iam");
  for (const auto& role : iam ? iam->value("roles", json::array()) : json::array())
    if (role.value("arn", "") == kLegacyAdminRole) return role;
  return json::object();
}

std::string trust_policy(const DemoWorld& world) { return admin_role(world).value("trust_policy", ""); }

std::string string_at(const std::optional<json>& statement, const char* pointer) {
  return statement ? statement->value(json::json_pointer(pointer), std::string()) : std::string();
}

// "15:16:29" of "2026-12-03T15:16:29Z" ("?" when it is not such a time).
std::string clock_of(const std::string& iso) { return iso.size() >= 19 ? iso.substr(11, 8) : "?"; }

// `who` assumes the legacy admin role from their base-role session, with their e-mail as session
// name and source identity (the command of the active DM), through the product's own STS client
// signed with their base keys, against the AWS emulator.
Result<aws::TimedCredentials> assume_admin(const DemoWorld& world, const Person& who) {
  auto endpoint = net::Endpoint::parse(world.aws().url());
  if (!endpoint) return fail(endpoint.error());
  static const SystemClock clock;
  const auto http = net::make_http_client({.proxy = net::ProxySettings{}});  // loopback only: never a proxy
  aws::StaticCredentialsProvider keys({who.base_access_key_id(), who.base_secret_access_key(), ""});
  aws::AwsQueryClient sts(aws::AwsQueryClientConfig::for_service(aws::AwsService::sts, *endpoint, kAwsRegion), keys,
                          *http, clock);
  return aws::assume_role(sts, {.role_arn = kLegacyAdminRole,
                                .session_name = who.email(),
                                .duration = seconds(900),
                                .source_identity = who.email()});
}

class IamRoleScene {
 public:
  IamRoleScene(Timeline& timeline, DemoWorld& world) : t_(timeline), world_(world) {}

  void play() {
    if (!request() || !approve() || !statements() || !assume()) return;
    watch_expiry();
  }

 private:
  bool request() {
    before_ = trust_policy(world_);
    t_.check(before_.find(kLegacyForeignStatement) != std::string::npos && before_.find("JitGrant") == std::string::npos,
             "IAM: jit-legacy-admin's trust policy holds only the admin's statement CiDeploy (ci-deployer may assume it)");
    t_.act("dana", fmt::format("types /jit request legacy admin {} {}   (legacy has no Identity Center: its admin is "
                               "an IAM role)",
                               kGrantSeconds, kReason));
    world_.slash(kDana, fmt::format("request legacy admin {} {}", kGrantSeconds, kReason));
    auto id = world_.wait_request_id(kDana, kLegacy);
    if (!t_.check(id.has_value(), "the request waits for approval in #legacy")) return false;
    id_ = *id;
    return true;
  }

  bool approve() {
    t_.act("alice", "clicks Approve in #legacy");
    const SystemTime clicked = now();
    auto active = world_.click(kAlice, kLegacy, id_, slack::kApproveAction) ? world_.wait_state(id_, State::active)
                                                                              : std::nullopt;
    if (!t_.check(active.has_value(), fmt::format("the grant is active, {} ms after the click (serve writes the "
                                                  "cut-off, then the trust statement, through the management role, "
                                                  "and reads each back until IAM shows it twice, 1 s apart)",
                                                  ms_between(clicked, now()))))
      return false;
    expiry_ = *active->expires_at;
    const std::string command = fmt::format("aws sts assume-role --role-arn {} --role-session-name {} --source-identity {}",
                                            kLegacyAdminRole, dana().email(), dana().email());
    t_.check(world_.wait_reply(kDana, command).has_value(),
             fmt::format("dana's DM says how to use it until {}: {}", clock_time(expiry_), command));
    return true;
  }

  // dana's window in the trust policy beside the admin's statement, and the cut-off deny.
  bool statements() {
    const std::string trust = trust_policy(world_);
    const auto grant = statement_of(trust, "JitGrant" + id_);
    const std::string identity = string_at(grant, "/Condition/StringEquals/sts:SourceIdentity");
    const std::string until = string_at(grant, "/Condition/DateLessThan/aws:CurrentTime");
    const bool written = grant && grant->value("Effect", "") == "Allow" && identity == dana().email() &&
                         until == format_time(expiry_);
    t_.check(written, fmt::format("IAM: the trust policy holds JitGrant{} (Allow okta-engineer sessions of {}, "
                                  "sts:AssumeRole until {})",
                                  id_, identity.empty() ? "?" : identity, clock_of(until)));
    t_.check(trust.find(kLegacyForeignStatement) != std::string::npos,
             "beside it, the admin's statement CiDeploy is unchanged, byte for byte");
    const json cutoffs = admin_role(world_).value(json::json_pointer("/inline_policies/jit-access-cutoffs"), json());
    const auto cutoff = statement_of(cutoffs, "JitCutoff" + id_);
    const std::string cut_at = string_at(cutoff, "/Condition/DateGreaterThan/aws:CurrentTime");
    t_.check(cutoff && cutoff->value("Effect", "") == "Deny" && cut_at == format_time(expiry_),
             fmt::format("its inline policy jit-access-cutoffs denies: JitCutoff{} (Deny *, dana's sessions issued "
                         "before {}, from {})",
                         id_, clock_of(string_at(cutoff, "/Condition/DateLessThan/aws:TokenIssueTime")),
                         clock_of(cut_at)));
    return written;
  }

  bool assume() {
    t_.act("dana", "runs that command from her base-role session (okta-engineer, source identity dana@example.com)");
    auto assumed = assume_admin(world_, dana());
    key_ = assumed ? assumed->credentials.access_key_id : "";
    if (!t_.check(key_.starts_with("ASIA"),
                  assumed ? fmt::format("STS: dana holds a session of jit-legacy-admin ({}…), good until {}",
                                        key_.substr(0, 8),
                                        assumed->expiration ? clock_time(*assumed->expiration) : std::string("?"))
                          : "STS: dana assumes the role: " + assumed.error().message))
      return false;
    t_.act("eve", "runs the same from her base-role session (no grant)");
    auto eve = assume_admin(world_, person_of(kEve));
    t_.check(!eve && eve.error().code == Errc::denied && eve.error().message.find("AccessDenied") != std::string::npos,
             eve ? std::string("STS refuses eve: she got a session") : "STS refuses eve: AccessDenied");
    return true;
  }

  // The session judged ahead of time, AssumeRole past the expiry (IAM's clock moved), then the
  // live session watched until AWS denies it, and the trust policy until serve's revoke tidies it.
  void watch_expiry() {
    const SystemTime expiry(expiry_);
    const std::string path = "role-sessions/" + key_;
    check_judged_ahead(t_, world_, path, expiry, "JitCutoff" + id_, "dana's role session");

    const auto offset = std::chrono::duration_cast<milliseconds>(expiry + seconds(1) - now());
    auto moved = world_.aws().post("clock", {{"offset_ms", offset.count()}});
    Result<aws::TimedCredentials> late = fail(Error::Unavailable("IAM's clock did not move"));
    if (moved) late = assume_admin(world_, dana());
    auto back = world_.aws().post("clock", {{"offset_ms", 0}});
    t_.check(moved && back && !late && late.error().code == Errc::denied,
             fmt::format("with IAM's clock at {}, AssumeRole is refused to dana: {}", clock_time(expiry + seconds(1)),
                         late ? "she got a session" : late.error().code == Errc::denied ? "AccessDenied, her window "
                                                                                           "has closed"
                                                                                         : late.error().message));

    std::string trust;
    const auto seen = watch_session_at_expiry(
        t_, world_, path, expiry,
        [&] {
          trust = trust_policy(world_);
          return !trust.empty() && trust.find("JitGrant" + id_) == std::string::npos;
        },
        expiry + seconds(15), "dana's role session", "AWS ends dana's live session at the expiry second by itself");
    const auto& tidied = seen.ended;
    if (tidied)
      t_.note(*tidied, fmt::format("IAM: JitGrant{} is gone from the trust policy at {}", id_, clock_time(*tidied, true)));
    t_.check(tidied.has_value(),
             tidied ? fmt::format("jit serve's revoke removed dana's statement {} ms after the expiry (a tidy-up: "
                                  "her window had closed at the expiry second)",
                                  ms_between(expiry, *tidied))
                    : "jit serve's revoke removes dana's statement");
    t_.check(tidied && trust.find(kLegacyForeignStatement) != std::string::npos,
             trust == before_ ? "the admin's statement is still byte-identical: the trust policy is the one the admin "
                                "wrote"
                              : "the admin's statement is still byte-identical");
    t_.check(world_.wait_state(id_, State::revoked) && world_.wait_reply(kDana, "has ended"),
             "the request is revoked and dana is told");
  }

  static const Person& dana() { return person_of(kDana); }

  Timeline& t_;
  DemoWorld& world_;
  std::string id_;      // the request
  std::string before_;  // the trust policy before the request
  TimePoint expiry_{};
  std::string key_;  // dana's role session's access key id
};

}  // namespace

void play_iam_role_path(Timeline& timeline, DemoWorld& world) { IamRoleScene(timeline, world).play(); }

}  // namespace jit::demo
