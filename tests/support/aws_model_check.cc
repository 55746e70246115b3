#include "support/aws_model_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>

namespace jit::testing {
namespace {

using json = nlohmann::json;

// Compiled patterns, shared by every check; nullopt for a pattern std::regex cannot read. Java
// constructs that ECMAScript would silently read as something else (\p{L} as "p{L}") are not
// compiled at all.
const std::regex* compiled_pattern(const std::string& pattern) {
  static constexpr std::string_view kJavaOnly[] = {"\\p{", "\\P{", "\\A", "\\Z", "\\z", "\\h", "\\G", "(?<"};
  for (std::string_view construct : kJavaOnly)
    if (pattern.find(construct) != std::string::npos) return nullptr;
  static std::mutex mu;
  static std::map<std::string, std::optional<std::regex>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    std::optional<std::regex> re;
    try {
      re.emplace(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
    }
    it = cache.emplace(pattern, std::move(re)).first;
  }
  return it->second ? &*it->second : nullptr;
}

// Problems of `value` as an instance of `shape_name` in `model`, each naming its path.
// `whole_match`: a pattern must match the whole string (the Query services' validation) rather
// than be found in it (Smithy's reading, which the JSON services' anchored patterns make the same).
void check_shape(const json& model, const std::string& shape_name, const json& value, const std::string& path,
                 std::vector<std::string>& problems, bool whole_match = false) {
  const json& shape = model["shapes"][shape_name];
  const std::string type = shape.value("type", "");
  const auto wrong = [&](std::string_view what) {
    problems.push_back(fmt::format("{}: {} ({})", path, what, shape_name));
  };
  // min/max: a string's length, a list's size or an integer's value.
  const auto bounded = [&](long long n, std::string_view what) {
    if (shape.contains("min") && n < shape["min"].get<long long>())
      wrong(fmt::format("{} {} is below the minimum {}", what, n, shape["min"].dump()));
    if (shape.contains("max") && n > shape["max"].get<long long>())
      wrong(fmt::format("{} {} is above the maximum {}", what, n, shape["max"].dump()));
  };
  if (shape.value("document", false)) return;  // any JSON value
  if (type == "structure") {
    if (!value.is_object()) return wrong("not an object");
    for (const auto& [name, member] : value.items()) {
      if (!shape["members"].contains(name)) {
        wrong(fmt::format("unknown member {}", name));
        continue;
      }
      check_shape(model, shape["members"][name]["shape"], member, path + "." + name, problems, whole_match);
    }
    for (const auto& required : shape.value("required", json::array()))
      if (!value.contains(required.get<std::string>())) wrong(fmt::format("missing {}", required.get<std::string>()));
  } else if (type == "list") {
    if (!value.is_array()) return wrong("not an array");
    bounded(static_cast<long long>(value.size()), "size");
    for (std::size_t i = 0; i < value.size(); ++i)
      check_shape(model, shape["member"]["shape"], value[i], fmt::format("{}[{}]", path, i), problems, whole_match);
  } else if (type == "map") {
    if (!value.is_object()) return wrong("not an object");
    for (const auto& [key, entry] : value.items())
      check_shape(model, shape["value"]["shape"], entry, path + "." + key, problems, whole_match);
  } else if (type == "string") {
    if (!value.is_string()) return wrong("not a string");
    const std::string text = value.get<std::string>();
    if (shape.contains("enum") && std::find(shape["enum"].begin(), shape["enum"].end(), value) == shape["enum"].end())
      wrong(fmt::format("{} is not one of the enum's values", value.dump()));
    bounded(static_cast<long long>(text.size()), "length");
    if (shape.contains("pattern")) {
      const std::string pattern = shape["pattern"].get<std::string>();
      const std::regex* re = compiled_pattern(pattern);
      if (re != nullptr && !(whole_match ? std::regex_match(text, *re) : std::regex_search(text, *re)))
        wrong(fmt::format("{} does not match the pattern {}", value.dump(), pattern));
    }
  } else if (type == "blob") {
    if (!value.is_string()) wrong("not a string");
  } else if (type == "boolean") {
    if (!value.is_boolean()) wrong("not a boolean");
  } else if (type == "integer" || type == "long") {
    if (!value.is_number_integer()) return wrong("not an integer");
    bounded(value.get<long long>(), "value");
  }
}

// Whether `text` is a decimal integer (optionally negative) that fits in a long long.
std::optional<long long> integer_of(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  const std::size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size() || !std::all_of(text.begin() + start, text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(text);
}

// Places the Query parameter `value`, whose name's remaining dotted steps are steps[i..], into
// `target`, an instance of `shape_name` (as the Query protocol serialises: structure members by
// name, list elements as member.N from 1; no maps or flattened lists in IAM and STS inputs).
void place_query_value(const json& model, const std::string& shape_name, const std::vector<std::string>& steps,
                       std::size_t i, const std::string& value, json& target, const std::string& path,
                       std::vector<std::string>& problems) {
  const json& shape = model["shapes"][shape_name];
  const std::string type = shape.value("type", "");
  if (type == "structure") {
    if (i == steps.size()) return problems.push_back(fmt::format("{}: a structure sent as a value", path));
    const std::string& member = steps[i];
    if (!shape["members"].contains(member))
      return problems.push_back(fmt::format("{}: unknown member {} ({})", path, member, shape_name));
    if (!target.is_object()) target = json::object();
    return place_query_value(model, shape["members"][member]["shape"], steps, i + 1, value, target[member],
                             path + "." + member, problems);
  }
  if (type == "list") {
    if (!target.is_array()) target = json::array();
    if (i == steps.size()) {
      if (!value.empty()) problems.push_back(fmt::format("{}: a list sent as the value {}", path, json(value).dump()));
      return;  // "Name=" is the empty list
    }
    const long long index = i + 1 < steps.size() ? integer_of(steps[i + 1]).value_or(0) : 0;
    if (steps[i] != "member" || index < 1 || index > 1000)
      return problems.push_back(fmt::format("{}: list elements are named member.N, not {}", path, steps[i]));
    if (target.size() < static_cast<std::size_t>(index)) target.get_ref<json::array_t&>().resize(index);
    return place_query_value(model, shape["member"]["shape"], steps, i + 2, value, target[index - 1],
                             fmt::format("{}.member.{}", path, index), problems);
  }
  if (i != steps.size()) return problems.push_back(fmt::format("{}: {} is a {}, not a structure", path, shape_name, type));
  if (type == "integer" || type == "long") {
    if (auto n = integer_of(value)) target = *n;
    else problems.push_back(fmt::format("{}: {} is not an integer", path, json(value).dump()));
  } else if (type == "boolean") {
    if (value == "true" || value == "false") target = value == "true";
    else problems.push_back(fmt::format("{}: {} is not true or false", path, json(value).dump()));
  } else if (type == "map") {
    problems.push_back(fmt::format("{}: maps are not read here", path));
  } else {
    target = value;  // string, blob, timestamp
  }
}

// When there are `problems`: fails the current test naming them and `service`, and returns the
// error AWS would (`code`: "ValidationException" for JSON services, "ValidationError" for Query).
std::optional<aws::AwsError> refusal(const std::vector<std::string>& problems, const std::string& service,
                                     std::string code) {
  if (problems.empty()) return std::nullopt;
  const std::string message = fmt::format("{}", fmt::join(problems, "; "));
  ADD_FAILURE() << "request does not match the " << service << " model: " << message;
  return aws::AwsError{.http_status = 400, .code = std::move(code), .message = message};
}

class OwningModelCheckedApi final : public ModelCheckedApi {
 public:
  OwningModelCheckedApi(std::unique_ptr<aws::AwsJsonApi> api, json model, std::string service)
      : ModelCheckedApi(*api, std::move(model), std::move(service)), owned_(std::move(api)) {}

 private:
  std::unique_ptr<aws::AwsJsonApi> owned_;
};

}  // namespace

Result<json> load_aws_model(std::string_view service_dir) {
  const std::filesystem::path path = std::filesystem::path(JIT_AWS_MODELS_DIR) / service_dir / "service-2.json";
  std::ifstream in(path);
  auto model = json::parse(in, nullptr, false);
  if (!in || model.is_discarded() || !model.contains("shapes") || !model.contains("operations"))
    return fail(Error::NotFound(fmt::format("cannot read the AWS model at {} (tests/data/aws-models)",
                                            path.string())));
  return model;
}

std::vector<std::string> check_request(const json& model, std::string_view operation, const json& input) {
  std::vector<std::string> problems;
  const std::string op(operation);
  if (!model["operations"].contains(op)) problems.push_back(fmt::format("no operation {} in the model", op));
  else check_shape(model, model["operations"][op]["input"]["shape"], input, op, problems);
  return problems;
}

std::vector<std::string> check_query_request(const json& model, std::string_view operation,
                                             const aws::QueryParams& params) {
  const std::string op(operation);
  if (!model["operations"].contains(op)) return {fmt::format("no operation {} in the model", op)};
  const std::string input_shape = model["operations"][op]["input"]["shape"];
  std::vector<std::string> problems;
  json input = json::object();
  for (const auto& [name, value] : params) {
    std::vector<std::string> steps;
    for (std::string_view rest = name;;) {
      const auto dot = rest.find('.');
      steps.emplace_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    place_query_value(model, input_shape, steps, 0, value, input, op, problems);
  }
  if (!problems.empty()) return problems;
  check_shape(model, input_shape, input, op, problems, /*whole_match=*/true);
  return problems;
}

std::vector<std::string> check_query_form(const json& model, std::string_view body) {
  auto form = net::parse_form(body);
  std::vector<std::string> problems;
  const auto action = form.find("Action");
  const auto version = form.find("Version");
  if (action == form.end()) problems.push_back("no Action in the form body");
  if (version == form.end() || version->second != model["metadata"]["apiVersion"].get<std::string>())
    problems.push_back(fmt::format("Version is not the model's {}", model["metadata"]["apiVersion"].dump()));
  if (action == form.end()) return problems;
  const std::string operation = action->second;
  aws::QueryParams params;
  for (const auto& [name, value] : form)
    if (name != "Action" && name != "Version") params.emplace_back(name, value);
  auto more = check_query_request(model, operation, params);
  problems.insert(problems.end(), more.begin(), more.end());
  return problems;
}

ModelCheckedQueryApi::ModelCheckedQueryApi(aws::AwsQueryApi& api, json model, std::string service)
    : api_(api), model_(std::move(model)), service_(std::move(service)) {}

std::expected<aws::QueryXml, aws::AwsError> ModelCheckedQueryApi::call(std::string_view operation,
                                                                       const aws::QueryParams& params) {
  if (auto refused = refusal(check_query_request(model_, operation, params), service_, "ValidationError"))
    return std::unexpected(std::move(*refused));
  return api_.call(operation, params);
}

QueryModelCheckedHttp::QueryModelCheckedHttp(net::HttpClient& http) : http_(http) {
  for (auto [dir, model] : {std::pair{"iam/2010-05-08", &iam_}, std::pair{"sts/2011-06-15", &sts_}}) {
    auto loaded = load_aws_model(dir);
    if (loaded) *model = std::move(*loaded);
    else ADD_FAILURE() << loaded.error().message;
  }
}

Result<net::HttpResponse> QueryModelCheckedHttp::send(const net::Endpoint& endpoint, const net::HttpRequest& request) {
  // "Credential=AKID/20261124/us-east-1/iam/aws4_request": the fourth field is the service.
  std::string service;
  const auto authorization = net::HttpResponse{0, request.headers, ""}.header("Authorization");
  if (authorization) {
    const auto start = authorization->find("Credential=");
    const auto end = authorization->find_first_of(", ", start);
    std::vector<std::string> fields;
    if (start != std::string::npos) {
      std::string_view scope = std::string_view(*authorization).substr(start, end - start);
      for (auto slash = scope.find('/'); slash != std::string_view::npos; slash = scope.find('/')) {
        fields.emplace_back(scope.substr(0, slash));
        scope.remove_prefix(slash + 1);
      }
    }
    if (fields.size() >= 4) service = fields[3];
  }
  const json* model = service == "iam" ? &iam_ : service == "sts" ? &sts_ : nullptr;
  if (model == nullptr || model->is_null()) {
    ADD_FAILURE() << "a request signed for '" << service << "', which has no Query model here: " << request.target;
  } else {
    const auto problems = check_query_form(*model, request.body);
    if (!problems.empty())
      ADD_FAILURE() << "request does not match the " << service << " model: " << fmt::format("{}", fmt::join(problems, "; "));
    std::lock_guard lock(mutex_);
    ++checked_[service];
  }
  return http_.send(endpoint, request);
}

int QueryModelCheckedHttp::checked(std::string_view service) const {
  std::lock_guard lock(mutex_);
  auto it = checked_.find(service);
  return it == checked_.end() ? 0 : it->second;
}

ModelCheckedApi::ModelCheckedApi(aws::AwsJsonApi& api, json model, std::string service)
    : api_(api), model_(std::move(model)), service_(std::move(service)) {}

std::expected<json, aws::AwsError> ModelCheckedApi::call(std::string_view operation, const json& input) {
  if (auto refused = refusal(check_request(model_, operation, input), service_, "ValidationException"))
    return std::unexpected(std::move(*refused));
  return api_.call(operation, input);
}

std::unique_ptr<aws::AwsJsonApi> checked_against_model(std::unique_ptr<aws::AwsJsonApi> api,
                                                       std::string_view service_dir) {
  auto model = load_aws_model(service_dir);
  if (!model) {
    ADD_FAILURE() << model.error().message;
    return api;
  }
  const std::string service(service_dir.substr(0, service_dir.find('/')));
  return std::make_unique<OwningModelCheckedApi>(std::move(api), std::move(*model), service);
}

}  // namespace jit::testing
