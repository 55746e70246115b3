// The whole lifecycle on real AWS protocols: the engine with the IAM Identity Center provider
// talking to the project's AWS emulator (a third of its calls throttled), and the DynamoDB store on
// moto_server. The grant is checked from outside with Debian's awscli v2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "fakes/manual_clock.h"
#include "engine/engine.h"
#include "fakes/memory_chat.h"
#include "audit/chain.h"
#include "aws/identity_center.h"
#include "aws/json_client.h"
#include "emulators/aws/aws_emulator.h"
#include "net/https_client.h"
#include "store/dynamodb_store.h"
#include "support/moto.h"

namespace jit {
namespace {

const std::string kAwsCli = "/usr/bin/aws";
const std::string kPs = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-1111111111111111";

std::unique_ptr<aws::AwsJsonClient> client(aws::AwsService service, const net::Endpoint& endpoint,
                                           aws::CredentialsProvider& credentials, net::HttpClient& http,
                                           const Clock& clock) {
  auto config = aws::AwsJsonClientConfig::for_service(service, endpoint, "us-east-1");
  return std::make_unique<aws::AwsJsonClient>(config, credentials, http, clock);
}

// `aws sso-admin list-account-assignments` against the emulator: the principal ids listed.
std::vector<std::string> listed_by_awscli(const emulators::AwsEmulator& emulator, const std::string& account) {
  const auto& key = emulator.credentials().at(0);
  const std::string command = fmt::format(
      "env AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
      "AWS_EC2_METADATA_DISABLED=true AWS_PAGER= {} sso-admin list-account-assignments --region us-east-1 "
      "--endpoint-url {} --instance-arn {} --account-id {} --permission-set-arn {} --output json 2>&1",
      key.access_key_id, key.secret_access_key, kAwsCli, emulator.url(), emulator.options().instance_arn, account, kPs);
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  EXPECT_EQ(pclose(pipe), 0) << out;
  std::vector<std::string> principals;
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object()) {
    ADD_FAILURE() << "awscli printed: " << out;
    return principals;
  }
  for (const auto& a : j["AccountAssignments"]) principals.push_back(a["PrincipalId"]);
  return principals;
}

TEST(AwsLifecycle, GrantAndRevokeThroughIdentityCenterWithTheStoreOnDynamoDb) {
  spdlog::set_level(spdlog::level::off);
  ASSERT_TRUE(std::filesystem::exists(kAwsCli)) << kAwsCli << " is missing: run scripts/setup (Debian's awscli v2)";
  auto moto = testing::MotoServer::start();
  ASSERT_TRUE(moto) << moto.error().message;

  emulators::AwsEmulatorOptions options;
  options.users = {{"dana", "dana@example.com", "9067cafe11-0d1a0000-0000-4000-8000-000000000001"}};
  options.assignment_delay = std::chrono::milliseconds(0);
  auto emulator = emulators::AwsEmulator::start(options);
  ASSERT_TRUE(emulator) << emulator.error().message;
  (*emulator)->set_faults({.throttle_every = 3});

  ManualClock clock(SystemClock().now());
  auto http = net::make_http_client();
  aws::StaticCredentialsProvider emulator_keys((*emulator)->credentials().at(0));
  aws::StaticCredentialsProvider moto_keys({"AKIDMOTO", "moto-secret", ""});
  auto sso = client(aws::AwsService::sso_admin, (*emulator)->endpoint(), emulator_keys, *http, clock);
  auto ids = client(aws::AwsService::identitystore, (*emulator)->endpoint(), emulator_keys, *http, clock);
  auto ddb = client(aws::AwsService::dynamodb, *net::Endpoint::parse(moto->url()), moto_keys, *http, clock);

  ASSERT_TRUE(DynamoDbStore::create_table("jit-lifecycle", *ddb, clock,
                                          {.max_polls = 50, .poll_interval = std::chrono::milliseconds(100)}));
  auto store = DynamoDbStore::open("jit-lifecycle", *ddb);
  ASSERT_TRUE(store) << store.error().message;

  aws::IdentityCenterProvider provider(
      {.instance_arn = options.instance_arn, .identity_store_id = options.identity_store_id}, *sso, *ids, clock);
  auto config = std::make_shared<Config>();
  Policy* policy = &config->policy;
  AccountPolicy prod{.name = "prod", .id = "123456789012", .owner_channel = "C0PROD", .approvers = {"U0ALICE"}};
  prod.roles.push_back({.name = "admin", .permission_set_arn = kPs, .max_duration = std::chrono::hours{1},
                        .requesters = {"*"}});
  policy->accounts.push_back(prod);
  MemoryChat chat;
  MemoryDirectory directory;
  directory.set_email("U0DANA", "dana@example.com");
  Engine engine(config, **store, provider, chat, directory, clock, {.instance_id = "it-1"});

  auto submitted = engine.submit({"U0DANA", "prod", "admin", "15m", "integration test", ""});
  ASSERT_TRUE(submitted) << submitted.error().message;
  auto active = engine.approve(submitted->id, "U0ALICE");
  ASSERT_TRUE(active) << active.error().message;
  ASSERT_EQ(active->state, State::active) << active->end_reason;
  EXPECT_EQ(active->principal, "9067cafe11-0d1a0000-0000-4000-8000-000000000001");
  EXPECT_THAT(listed_by_awscli(**emulator, "123456789012"), ::testing::ElementsAre("9067cafe11-0d1a0000-0000-4000-8000-000000000001"));
  auto listed = provider.list("123456789012", kPs);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_EQ(engine.reconcile().stray_revoked, 0) << "the active grant accounts for the assignment";

  clock.set(*active->expires_at - Seconds{1});
  EXPECT_EQ(engine.fire_due_timers(), 0);
  EXPECT_THAT(listed_by_awscli(**emulator, "123456789012"), ::testing::SizeIs(1));
  clock.set(*active->expires_at);
  EXPECT_EQ(engine.fire_due_timers(), 1);
  auto revoked = (*store)->get_request(submitted->id);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->state, State::revoked);
  EXPECT_EQ(revoked->ended_at, active->expires_at);
  EXPECT_THAT(listed_by_awscli(**emulator, "123456789012"), ::testing::IsEmpty());

  // Throttling really happened, and every throttled call was retried to success.
  const auto calls = (*emulator)->calls();
  int throttled = 0;
  for (const auto& [operation, outcomes] : calls["operations"].items())
    throttled += outcomes.value("ThrottlingException", 0);
  EXPECT_GE(throttled, 2) << calls.dump();

  auto events = (*store)->audit_events({});
  ASSERT_TRUE(events);
  EXPECT_TRUE(audit::verify(*events, (*store)->audit_head().value(), audit::Keyring::unkeyed()).ok);
}

}  // namespace
}  // namespace jit
