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
void check_shape(const json& model, const std::string& shape_name, const json& value, const std::string& path,
                 std::vector<std::string>& problems) {
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
      check_shape(model, shape["members"][name]["shape"], member, path + "." + name, problems);
    }
    for (const auto& required : shape.value("required", json::array()))
      if (!value.contains(required.get<std::string>())) wrong(fmt::format("missing {}", required.get<std::string>()));
  } else if (type == "list") {
    if (!value.is_array()) return wrong("not an array");
    bounded(static_cast<long long>(value.size()), "size");
    for (std::size_t i = 0; i < value.size(); ++i)
      check_shape(model, shape["member"]["shape"], value[i], fmt::format("{}[{}]", path, i), problems);
  } else if (type == "map") {
    if (!value.is_object()) return wrong("not an object");
    for (const auto& [key, entry] : value.items())
      check_shape(model, shape["value"]["shape"], entry, path + "." + key, problems);
  } else if (type == "string") {
    if (!value.is_string()) return wrong("not a string");
    const std::string text = value.get<std::string>();
    if (shape.contains("enum") && std::find(shape["enum"].begin(), shape["enum"].end(), value) == shape["enum"].end())
      wrong(fmt::format("{} is not one of the enum's values", value.dump()));
    bounded(static_cast<long long>(text.size()), "length");
    if (shape.contains("pattern")) {
      const std::string pattern = shape["pattern"].get<std::string>();
      if (const std::regex* re = compiled_pattern(pattern); re != nullptr && !std::regex_search(text, *re))
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

ModelCheckedApi::ModelCheckedApi(aws::AwsJsonApi& api, json model, std::string service)
    : api_(api), model_(std::move(model)), service_(std::move(service)) {}

std::expected<json, aws::AwsError> ModelCheckedApi::call(std::string_view operation, const json& input) {
  const auto problems = check_request(model_, operation, input);
  if (!problems.empty()) {
    const std::string message = fmt::format("{}", fmt::join(problems, "; "));
    ADD_FAILURE() << "request does not match the " << service_ << " model: " << message;
    return std::unexpected(aws::AwsError{.http_status = 400, .code = "ValidationException", .message = message});
  }
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
