#include "aws/rest_json_client.h"

#include <algorithm>

#include <fmt/format.h>


namespace jit::aws {
namespace {

using json = nlohmann::json;

// A member's value as it goes into a path or query: strings as they are, numbers and booleans as JSON.
std::string uri_value(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

AwsError request_error(std::string code, std::string message) {
  return AwsError{0, std::move(code), std::move(message), json::object(), false};
}

}  // namespace

const std::vector<RestBinding>& scheduler_bindings() {
  static const std::vector<RestBinding> kBindings = {
      {"CreateSchedule", "POST", "/schedules/{Name}", {}},
      {"GetSchedule", "GET", "/schedules/{Name}", {{"GroupName", "groupName"}}},
      {"DeleteSchedule", "DELETE", "/schedules/{Name}", {{"GroupName", "groupName"}, {"ClientToken", "clientToken"}}},
  };
  return kBindings;
}

AwsRestJsonClient::AwsRestJsonClient(AwsJsonClientConfig config, std::vector<RestBinding> bindings,
                                     CredentialsProvider& credentials, net::HttpClient& http, const Clock& clock)
    : config_(std::move(config)), bindings_(std::move(bindings)), credentials_(credentials), http_(http), clock_(clock) {}

std::expected<net::HttpRequest, AwsError> AwsRestJsonClient::unsigned_request(std::string_view operation,
                                                                              const json& input) const {
  const auto binding = std::find_if(bindings_.begin(), bindings_.end(),
                                    [&](const RestBinding& b) { return b.operation == operation; });
  if (binding == bindings_.end())
    return std::unexpected(request_error("UnknownOperation", fmt::format("no rest-json binding for {}", operation)));
  json body = input.is_object() ? input : json::object();
  // The path: each "{Member}" replaced by the member's value, percent-encoded.
  std::string path;
  for (std::string_view rest = binding->path; !rest.empty();) {
    const auto open = rest.find('{');
    path += rest.substr(0, open);
    if (open == std::string_view::npos) break;
    const auto close = rest.find('}', open);
    const std::string member(rest.substr(open + 1, close - open - 1));
    auto it = body.find(member);
    if (it == body.end() || uri_value(*it).empty())
      return std::unexpected(request_error("Validation", fmt::format("{}: the path member {} is missing", operation, member)));
    path += net::percent_encode(uri_value(*it));
    body.erase(member);
    rest.remove_prefix(close + 1);
  }
  std::string query;
  for (const auto& [member, parameter] : binding->query) {
    auto it = body.find(std::string(member));
    if (it == body.end()) continue;
    query += fmt::format("{}{}={}", query.empty() ? "?" : "&", parameter, net::percent_encode(uri_value(*it)));
    body.erase(std::string(member));
  }
  net::HttpRequest request;
  request.method = std::string(binding->method);
  request.target = config_.endpoint.base_path + path + query;
  request.headers = {{"Host", config_.endpoint.host_header()}};
  if (binding->method == "POST" || binding->method == "PUT") {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  return request;
}

std::expected<json, AwsError> AwsRestJsonClient::call(std::string_view operation, const json& input) {
  auto request = unsigned_request(operation, input);
  if (!request) return std::unexpected(request.error());
  return send_signed(config_, credentials_, http_, clock_, operation,
                     [&](const Credentials& credentials) -> Result<net::HttpRequest> {
                       net::HttpRequest signed_request = *request;
                       if (auto s = sign_request(config_, signed_request, credentials, clock_.now()); !s)
                         return fail(s.error());
                       return signed_request;
                     });
}

}  // namespace jit::aws
