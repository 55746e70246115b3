#include "store/dynamodb_peers.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "aws/credentials.h"
#include "aws/json_client.h"
#include "net/http.h"
#include "net/https_client.h"
#include "ports/clock.h"
#include "support/aws_model_check.h"

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

}  // namespace

std::unique_ptr<aws::AwsJsonApi> checked_against_model(std::unique_ptr<aws::AwsJsonApi> api) {
  return checked_against_model(std::move(api), "dynamodb/2012-08-10");
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
  auto process = ChildProcess::spawn({bin.string(), "--port", std::to_string(server.port), "--createTableMs", "0",
                                      "--deleteTableMs", "0", "--updateTableMs", "0"},
                                     {.output_file = fmt::format("/tmp/dynalite.{}.log", server.port),
                                      .stop_with_parent = true});  // never outlives a test that died
  if (!process) return fail(process.error());
  server.process = std::move(*process);
  if (auto ready = server.process->wait_for_http(server.port); !ready)
    return fail(Error::Unavailable(fmt::format("{} (see /tmp/dynalite.{}.log)", ready.error().message, server.port)));
  return server;
}

}  // namespace jit::testing
