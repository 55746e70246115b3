#include "store/dynamodb_peers.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "aws/credentials.h"
#include "aws/json_client.h"
#include "net/http.h"
#include "net/https_client.h"
#include "ports/clock.h"

namespace jit::testing {

namespace {

// AwsJsonClient with what it refers to (credentials, HTTP client, clock) kept alive beside it.
class EmulatorDynamoDbClient final : public aws::AwsJsonApi {
 public:
  explicit EmulatorDynamoDbClient(net::Endpoint endpoint)
      : credentials_(aws::Credentials{"AKIDTEST", "test-secret", ""}),
        http_(net::make_http_client()),
        client_(config(std::move(endpoint)), credentials_, *http_, clock_) {}

  std::expected<nlohmann::json, aws::AwsError> call(std::string_view operation,
                                                    const nlohmann::json& input) override {
    return client_.call(operation, input);
  }

 private:
  static aws::AwsJsonClientConfig config(net::Endpoint endpoint) {
    auto config = aws::AwsJsonClientConfig::for_service(aws::AwsService::dynamodb, std::move(endpoint), "us-east-1");
    // Few, short retries: a test that hits throttling or a transport error should fail fast.
    config.retry = {.max_attempts = 2, .base_delay = std::chrono::milliseconds{10},
                    .max_delay = std::chrono::milliseconds{50}};
    return config;
  }

  aws::StaticCredentialsProvider credentials_;
  std::unique_ptr<net::HttpClient> http_;
  SystemClock clock_;
  aws::AwsJsonClient client_;
};

class SerializedApi final : public aws::AwsJsonApi {
 public:
  explicit SerializedApi(std::unique_ptr<aws::AwsJsonApi> api) : api_(std::move(api)) {}
  std::expected<nlohmann::json, aws::AwsError> call(std::string_view operation,
                                                    const nlohmann::json& input) override {
    std::lock_guard lock(mu_);
    return api_->call(operation, input);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<aws::AwsJsonApi> api_;
};

// Problems of `value` as an instance of `shape_name` in `model`, each naming its path.
void check_shape(const nlohmann::json& model, const std::string& shape_name, const nlohmann::json& value,
                 const std::string& path, std::vector<std::string>& problems) {
  const nlohmann::json& shape = model["shapes"][shape_name];
  const std::string type = shape.value("type", "");
  const auto wrong = [&](std::string_view what) { problems.push_back(fmt::format("{}: {} ({})", path, what, shape_name)); };
  if (type == "structure") {
    if (!value.is_object()) return wrong("not an object");
    for (const auto& [name, member] : value.items()) {
      if (!shape["members"].contains(name)) {
        wrong(fmt::format("unknown member {}", name));
        continue;
      }
      check_shape(model, shape["members"][name]["shape"], member, path + "." + name, problems);
    }
    for (const auto& required : shape.value("required", nlohmann::json::array()))
      if (!value.contains(required.get<std::string>())) wrong(fmt::format("missing {}", required.get<std::string>()));
  } else if (type == "list") {
    if (!value.is_array()) return wrong("not an array");
    for (std::size_t i = 0; i < value.size(); ++i)
      check_shape(model, shape["member"]["shape"], value[i], fmt::format("{}[{}]", path, i), problems);
  } else if (type == "map") {
    if (!value.is_object()) return wrong("not an object");
    for (const auto& [key, entry] : value.items()) check_shape(model, shape["value"]["shape"], entry, path + "." + key, problems);
  } else if (type == "string" || type == "blob") {
    if (!value.is_string()) return wrong("not a string");
    if (shape.contains("enum") && std::find(shape["enum"].begin(), shape["enum"].end(), value) == shape["enum"].end())
      wrong(fmt::format("{} is not one of the enum's values", value.dump()));
  } else if (type == "boolean") {
    if (!value.is_boolean()) wrong("not a boolean");
  } else if (type == "integer" || type == "long") {
    if (!value.is_number_integer()) wrong("not an integer");
  }
}

class ModelCheckedApi final : public aws::AwsJsonApi {
 public:
  ModelCheckedApi(std::unique_ptr<aws::AwsJsonApi> api, nlohmann::json model)
      : api_(std::move(api)), model_(std::move(model)) {}

  std::expected<nlohmann::json, aws::AwsError> call(std::string_view operation,
                                                    const nlohmann::json& input) override {
    std::vector<std::string> problems;
    const std::string op(operation);
    if (!model_["operations"].contains(op)) problems.push_back(fmt::format("no operation {} in the model", op));
    else check_shape(model_, model_["operations"][op]["input"]["shape"], input, op, problems);
    if (!problems.empty()) {
      const std::string message = fmt::format("{}", fmt::join(problems, "; "));
      ADD_FAILURE() << "request does not match the DynamoDB model: " << message;
      return std::unexpected(aws::AwsError{.http_status = 400, .code = "ValidationException", .message = message});
    }
    return api_->call(operation, input);
  }

 private:
  std::unique_ptr<aws::AwsJsonApi> api_;
  nlohmann::json model_;
};

}  // namespace

std::unique_ptr<aws::AwsJsonApi> checked_against_model(std::unique_ptr<aws::AwsJsonApi> api) {
  const std::filesystem::path path = std::filesystem::path(JIT_AWS_MODELS_DIR) / "dynamodb/2012-08-10/service-2.json";
  std::ifstream in(path);
  auto model = nlohmann::json::parse(in, nullptr, false);
  if (!in || model.is_discarded() || !model.contains("shapes")) {
    ADD_FAILURE() << "cannot read the DynamoDB model at " << path << " (shared/aws-models beside the repository)";
    return api;
  }
  return std::make_unique<ModelCheckedApi>(std::move(api), std::move(model));
}

std::unique_ptr<aws::AwsJsonApi> one_call_at_a_time(std::unique_ptr<aws::AwsJsonApi> api) {
  return std::make_unique<SerializedApi>(std::move(api));
}

std::unique_ptr<aws::AwsJsonApi> dynamodb_client(const std::string& endpoint_url) {
  auto endpoint = net::Endpoint::parse(endpoint_url);
  if (!endpoint) return nullptr;
  return std::make_unique<EmulatorDynamoDbClient>(std::move(*endpoint));
}

std::string fresh_table_name() {
  static std::atomic<int> counter = 0;
  return fmt::format("jit-test-{}-{}", ::getpid(), counter++);
}

std::string DynaliteServer::url() const { return fmt::format("http://127.0.0.1:{}", port); }

Result<DynaliteServer> DynaliteServer::start() {
  const char* source = std::getenv("JIT_SOURCE_DIR");
  const std::filesystem::path bin =
      std::filesystem::path(source != nullptr ? source : JIT_DEFAULT_SOURCE_DIR) / "node_modules/.bin/dynalite";
  if (!std::filesystem::exists(bin))
    return fail(Error::NotFound(fmt::format("dynalite is not installed at {}: run scripts/setup (npm ci installs it "
                                            "from package.json)",
                                            bin.string())));
  DynaliteServer server;
  server.port = free_port();
  auto process = Process::spawn({bin.string(), "--port", std::to_string(server.port), "--createTableMs", "0",
                                 "--deleteTableMs", "0", "--updateTableMs", "0"},
                                {.output_file = fmt::format("/tmp/dynalite.{}.log", server.port)});
  if (!process) return fail(process.error());
  server.process = std::move(*process);
  if (auto ready = server.process->wait_for_http(server.port); !ready)
    return fail(Error::Unavailable(fmt::format("{} (see /tmp/dynalite.{}.log)", ready.error().message, server.port)));
  return server;
}

}  // namespace jit::testing
