// The item mapping of DynamoDbStore (store/dynamodb_items.h), without a server.
#include "store/dynamodb_items.h"
#include "fakes/requests.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "audit/chain.h"
#include "store/dynamodb_api.h"

namespace jit::dynamodb {
namespace {

using ::testing::HasSubstr;

const TimePoint kT0 = from_epoch(1'700'000'000);

// Every field set, at version 7 (tests/fakes/requests.h).
AccessRequest full_request() {
  AccessRequest r = testing::full_request("r-full");
  r.version = 7;
  return r;
}

// Every attribute value in `value` (recursively): DynamoDB rejects empty sets, and index key
// attributes may not be empty strings.
void expect_no_sets(const Json& value) {
  if (value.is_object()) {
    for (const char* set : {"SS", "NS", "BS"}) EXPECT_FALSE(value.contains(set)) << value.dump();
    for (const auto& [k, v] : value.items()) expect_no_sets(v);
  } else if (value.is_array()) {
    for (const auto& v : value) expect_no_sets(v);
  }
}

TEST(DynamoItems, RequestRoundTripsEveryField) {
  const AccessRequest r = full_request();
  const Json item = request_item(r);
  expect_no_sets(item);
  auto back = request_from_item(item);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, r);
  EXPECT_EQ(item["pk"]["S"], "REQ#r-full");
  EXPECT_EQ(item["sk"]["S"], "REQ");
  EXPECT_EQ(item["expires_at"]["N"], "1700003610");
  EXPECT_EQ(item["decisions"]["L"][1]["M"]["reason"]["S"], "not on call");
  EXPECT_FALSE(item.contains("ttl")) << "the request item is history: it never expires";
}

TEST(DynamoItems, ItemFromBeforeTheRequesterEmailWasKeptReadsAsNone) {
  Json item = request_item(full_request());
  EXPECT_EQ(item["requester_email"]["S"], "Dev.O'Neil@example.com");
  item.erase("requester_email");
  auto back = request_from_item(item);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->requester_email, "");
  EXPECT_EQ(back->principal, "idstore-user-1");
}

TEST(DynamoItems, BareRequestKeepsEmptyStringsAndOmitsEmptyOptionals) {
  AccessRequest bare;
  bare.id = "r-bare";
  const Json item = request_item(bare);
  expect_no_sets(item);
  EXPECT_EQ(item["requester"], Json({{"S", ""}}));
  EXPECT_EQ(item["decisions"], Json({{"L", Json::array()}}));
  for (const char* absent : {"granted_at", "expires_at", "ended_at", "lease_until"})
    EXPECT_FALSE(item.contains(absent)) << absent;
  // Index keys are never empty, even for an empty requester.
  for (const IndexSpec& index : kAllIndexes)
    for (auto name : {index.partition_key, index.sort_key})
      if (item.contains(name)) {
        EXPECT_FALSE(item[std::string(name)]["S"].get<std::string>().empty()) << name;
      }
  auto back = request_from_item(item);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, bare);
}

TEST(DynamoItems, IndexKeysFollowTheState) {
  for (State state : kAllStates) {
    AccessRequest r = full_request();
    r.state = state;
    const Json item = request_item(r);
    const std::string name(state_name(state));
    EXPECT_EQ(item.contains("expiry_pk"), holds_access(state)) << name;
    const bool aged = state == State::pending || state == State::approved || state == State::granting ||
                      state == State::revoking;
    EXPECT_EQ(item.contains("age_pk"), aged) << name;
    EXPECT_TRUE(item.contains("requester_pk") && item.contains("created_pk")) << name;
    if (holds_access(state)) {
      EXPECT_EQ(item["expiry_pk"]["S"], "EXPIRY#" + name);
      EXPECT_EQ(item["expiry_sk"]["S"], "00000000001700003610#r-full");
    }
    if (aged) {
      EXPECT_EQ(item["age_sk"]["S"], state == State::pending ? "00000000001700000000#r-full"
                                                              : "00000000001700000011#r-full");
    }
  }
}

TEST(DynamoItems, SortableTimesSortAsNumbers) {
  EXPECT_EQ(sortable(0), "00000000000000000000");
  EXPECT_EQ(sortable(-5), "00000000000000000000");
  EXPECT_EQ(sortable(1'700'000'000), "00000000001700000000");
  EXPECT_LT(sortable(99), sortable(100));
}

TEST(DynamoItems, OpenLockKeysDoNotCollide) {
  AccessRequest a, b;
  a.requester = "U1#x";
  a.account = "prod";
  b.requester = "U1";
  b.account = "x#prod";
  EXPECT_NE(open_lock_key(a), open_lock_key(b));
  EXPECT_EQ(open_lock_key(a)["pk"]["S"], "OPEN#U1%23x#prod#");
  EXPECT_EQ(open_lock_item(full_request())["request_id"]["S"], "r-full");
}

TEST(DynamoItems, NamedLockHoldsOwnerAndUntilAndLapsesFromTheTableADayLater) {
  const Json item = named_lock_item("lock#arn:aws:sso:::permissionSet/ssoins-1/ps-1", "host-1", kT0);
  EXPECT_EQ(item["pk"]["S"], "LOCK#lock#arn:aws:sso:::permissionSet/ssoins-1/ps-1");
  EXPECT_EQ(item["sk"]["S"], "LOCK");
  EXPECT_EQ(item["owner"]["S"], "host-1");
  EXPECT_EQ(item["until"]["N"], "1700000000");
  EXPECT_EQ(item["ttl"]["N"], "1700086400");
  EXPECT_EQ(named_lock_key("x"), key("LOCK#x", "LOCK"));
}

TEST(DynamoItems, AStepUpLinkRoundTripsAndLeavesTheTableADayAfterItExpires) {
  StepUpChallenge c{.id = "tok-1", .purpose = StepUpPurpose::enroll, .user_id = "U1", .request_id = "",
                    .action = "enroll", .nonce = "n", .created_at = kT0, .expires_at = kT0 + Seconds{300}};
  Json item = challenge_item(c);
  EXPECT_EQ(item["pk"]["S"], "STEPUP#tok-1");
  EXPECT_EQ(item["sk"]["S"], "STEPUP");
  EXPECT_EQ(item["purpose"]["S"], "enroll");
  EXPECT_EQ(item["ttl"]["N"], "1700086700");
  EXPECT_FALSE(item.contains("used_at"));  // absent until consumed: the condition tests that
  EXPECT_EQ(challenge_from_item(item).value(), c);
  c.used_at = kT0 + Seconds{10};
  EXPECT_EQ(challenge_from_item(challenge_item(c)).value(), c);
  item["purpose"] = string_value("other");
  EXPECT_EQ(challenge_from_item(item).error().code, Errc::internal);
}

TEST(DynamoItems, ACredentialLivesInItsUsersPartitionAndItsIdIsClaimedApart) {
  const WebAuthnCredential c{.credential_id = "cred-1", .user_id = "U1", .cose_alg = -8, .public_key = "pk",
                             .sign_count = 4'000'000'000u, .name = "key", .created_at = kT0};
  const Json item = credential_item(c, "t-1");
  EXPECT_EQ(item["pk"]["S"], "WEBAUTHN_USER#U1");
  EXPECT_EQ(item["sk"]["S"], "WEBAUTHN#cred-1");
  EXPECT_FALSE(item.contains("ttl"));
  EXPECT_EQ(credential_from_item(item).value(), c);
  EXPECT_EQ(item["claim"]["S"], "t-1");
  const Json claim = credential_claim_item(c, "t-1");
  EXPECT_EQ(claim, (Json{{"pk", {{"S", "WEBAUTHN#cred-1"}}},
                         {"sk", {{"S", "WEBAUTHN"}}},
                         {"user_id", {{"S", "U1"}}},
                         {"claim", {{"S", "t-1"}}}}));
  Json negative = item;
  negative["sign_count"] = number_value(-1);
  EXPECT_EQ(credential_from_item(negative).error().code, Errc::internal);
}

TEST(DynamoItems, LiveGrantCarriesTtlOfItsExpiry) {
  const Json item = live_grant_item(full_request());
  EXPECT_EQ(item["pk"]["S"], "GRANT#r-full");
  EXPECT_EQ(item["ttl"]["N"], "1700003610");
  EXPECT_EQ(item["state"]["S"], "active");
  AccessRequest no_expiry = full_request();
  no_expiry.expires_at.reset();
  EXPECT_FALSE(live_grant_item(no_expiry).contains("ttl"));
}

TEST(DynamoItems, AuditEventRoundTripsAndNeverExpires) {
  AuditEvent e{.at = kT0, .actor = "U1", .action = "submit", .request_id = "r-1", .from_state = "",
               .to_state = "pending", .detail = ""};
  audit::seal(e, {41, std::string(64, 'a')}, audit::Keyring::unkeyed());
  const Json item = audit_event_item(e);
  EXPECT_EQ(item["pk"]["S"], "AUDIT");
  EXPECT_EQ(item["sk"]["S"], "EVT#00000000000000000042");
  EXPECT_FALSE(item.contains("ttl"));
  auto back = audit_event_from_item(item);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, e);
}

TEST(DynamoItems, MissingHeadIsTheGenesis) {
  auto empty = audit_head_from_item(std::nullopt);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->seq, 0);
  EXPECT_EQ(empty->hash, audit::kGenesisHash);
  auto head = audit_head_from_item(audit_head_item({5, "abc"}));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 5);
  EXPECT_EQ(head->hash, "abc");
  EXPECT_FALSE(audit_head_item({5, "abc"}).contains("ttl"));
}

TEST(DynamoItems, ForeignItemsAreInternalErrorsNamingTheAttribute) {
  Json item = request_item(full_request());
  item.erase("role");
  auto missing = request_from_item(item);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::internal);
  EXPECT_THAT(missing.error().message, HasSubstr("role is missing"));
  EXPECT_THAT(missing.error().message, HasSubstr("REQ#r-full"));

  item = request_item(full_request());
  item["version"] = {{"S", "7"}};
  EXPECT_THAT(request_from_item(item).error().message, HasSubstr("version is not of type N"));
  item = request_item(full_request());
  item["version"] = {{"N", "7.5"}};
  EXPECT_THAT(request_from_item(item).error().message, HasSubstr("not an integer"));
  item = request_item(full_request());
  item["state"] = {{"S", "limbo"}};
  EXPECT_THAT(request_from_item(item).error().message, HasSubstr("unknown state \"limbo\""));
}

TEST(DynamoItems, CreateTableInputPassesItsOwnShapeCheck) {
  const Json input = create_table_input("jit", true);
  EXPECT_EQ(input["BillingMode"], "PAY_PER_REQUEST");
  EXPECT_EQ(input["SSESpecification"]["Enabled"], true);
  EXPECT_EQ(input["GlobalSecondaryIndexes"].size(), std::size(kAllIndexes));
  EXPECT_TRUE(check_table_shape(input, "jit"));

  Json without_index = input;
  without_index["GlobalSecondaryIndexes"].erase(1);
  auto checked = check_table_shape(without_index, "jit");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, Errc::invalid);
  EXPECT_THAT(checked.error().message, HasSubstr("age-index"));
}

// deploy/dynamodb-table.yaml writes down the table create_table makes: same key, same indexes,
// plus TTL on `ttl`, point-in-time recovery and server-side encryption.
TEST(DynamoItems, CloudFormationTemplateMatchesCreateTable) {
  const char* source = std::getenv("JIT_SOURCE_DIR");  // CTest sets it; the build's source otherwise
  std::ifstream in(std::string(source != nullptr ? source : JIT_DEFAULT_SOURCE_DIR) + "/deploy/dynamodb-table.yaml");
  ASSERT_TRUE(in) << "deploy/dynamodb-table.yaml is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string yaml = text.str();
  const Json input = create_table_input("jit", true);
  for (const Json& attribute : input["AttributeDefinitions"])
    EXPECT_THAT(yaml, HasSubstr(fmt::format("{{ AttributeName: {}, AttributeType: S }}",
                                            attribute["AttributeName"].get<std::string>())));
  for (const IndexSpec& index : kAllIndexes) {
    EXPECT_THAT(yaml, HasSubstr(fmt::format("IndexName: {}", index.name)));
    EXPECT_THAT(yaml, HasSubstr(fmt::format("{{ AttributeName: {}, KeyType: HASH }}", index.partition_key)));
    EXPECT_THAT(yaml, HasSubstr(fmt::format("{{ AttributeName: {}, KeyType: RANGE }}", index.sort_key)));
  }
  for (const char* setting : {"BillingMode: PAY_PER_REQUEST", "AttributeName: ttl", "PointInTimeRecoveryEnabled: true",
                              "SSEEnabled: true", "{ AttributeName: pk, KeyType: HASH }"})
    EXPECT_THAT(yaml, HasSubstr(setting));
}

}  // namespace
}  // namespace jit::dynamodb
