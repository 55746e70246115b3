// DynamoDbStore as the StepUpStore: the STEPUP#, WEBAUTHN# and WEBAUTHN_USER# items of
// dynamodb_items.h, each change one conditional single-item write, a failed condition explained by
// a strongly consistent read.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "crypto/digest.h"
#include "store/dynamodb_api.h"
#include "store/dynamodb_items.h"
#include "store/dynamodb_store.h"

namespace jit {

using dynamodb::Json;
using dynamodb::number_value;
using dynamodb::string_value;

namespace {

bool condition_failed(const aws::AwsError& e) {
  return dynamodb::error_code(e) == "ConditionalCheckFailedException";
}

Error no_challenge(const std::string& id) { return Error::NotFound(fmt::format("step-up link {} does not exist", id)); }
Error no_credential(const std::string& id) {
  return Error::NotFound(fmt::format("credential {} is not enrolled", id));
}

}  // namespace

Result<> DynamoDbStore::put_challenge(const StepUpChallenge& challenge) {
  auto put = api_.call("PutItem", {{"TableName", table_},
                                   {"Item", dynamodb::challenge_item(challenge)},
                                   {"ConditionExpression", "attribute_not_exists(pk)"}});
  if (put) return {};
  if (condition_failed(put.error()))
    return fail(Error::Conflict(fmt::format("step-up link {} already exists", challenge.id)));
  return fail(dynamodb::to_error(put.error(), table_, "PutItem"));
}

Result<StepUpChallenge> DynamoDbStore::get_challenge(const std::string& id) {
  auto item = dynamodb::get_item(api_, table_, dynamodb::challenge_key(id));
  if (!item) return fail(item.error());
  if (!*item) return fail(no_challenge(id));
  return dynamodb::challenge_from_item(**item);
}

Result<StepUpChallenge> DynamoDbStore::consume_challenge(const std::string& id, TimePoint now) {
  auto updated = api_.call(
      "UpdateItem",
      {{"TableName", table_},
       {"Key", dynamodb::challenge_key(id)},
       {"UpdateExpression", "SET #used_at = :now"},
       {"ConditionExpression", "attribute_exists(pk) AND attribute_not_exists(#used_at) AND #expires_at > :now"},
       {"ExpressionAttributeNames", {{"#used_at", "used_at"}, {"#expires_at", "expires_at"}}},
       {"ExpressionAttributeValues", {{":now", number_value(epoch_seconds(now))}}},
       {"ReturnValues", "ALL_NEW"}});
  if (updated) return dynamodb::challenge_from_item(updated->value("Attributes", Json::object()));
  if (!condition_failed(updated.error())) return fail(dynamodb::to_error(updated.error(), table_, "UpdateItem"));
  // Nothing changed: say why. A link is never unmarked, so a used one reads as used.
  auto stored = get_challenge(id);
  if (!stored) return fail(stored.error());
  if (stored->used_at) return fail(Error::Conflict(fmt::format("step-up link {} was used already", id)));
  return fail(Error::Denied(fmt::format("step-up link {} expired: ask for a new one", id)));
}

Result<> DynamoDbStore::add_credential(const WebAuthnCredential& credential) {
  const std::string token = crypto::hex(crypto::random_bytes(8));
  auto claimed = api_.call("PutItem", {{"TableName", table_},
                                       {"Item", dynamodb::credential_claim_item(credential, token)},
                                       {"ConditionExpression", "attribute_not_exists(pk) OR #user_id = :user"},
                                       {"ExpressionAttributeNames", {{"#user_id", "user_id"}}},
                                       {"ExpressionAttributeValues", {{":user", string_value(credential.user_id)}}}});
  if (!claimed) {
    if (condition_failed(claimed.error()))
      return fail(Error::Conflict(
          fmt::format("credential {} is enrolled already, by another user", credential.credential_id)));
    return fail(dynamodb::to_error(claimed.error(), table_, "PutItem"));
  }
  auto put = api_.call("PutItem", {{"TableName", table_},
                                   {"Item", dynamodb::credential_item(credential, token)},
                                   {"ConditionExpression", "attribute_not_exists(pk)"}});
  if (put) return {};
  if (condition_failed(put.error()))
    return fail(Error::Conflict(fmt::format("credential {} is enrolled already", credential.credential_id)));
  return fail(dynamodb::to_error(put.error(), table_, "PutItem"));
}

Result<std::vector<WebAuthnCredential>> DynamoDbStore::credentials_of(const std::string& user_id) {
  auto items = dynamodb::query(api_, table_,
                               {.key_condition = "#pk = :pk AND begins_with(#sk, :prefix)",
                                .names = {{"#pk", "pk"}, {"#sk", "sk"}},
                                .values = {{":pk", string_value(dynamodb::user_credentials_partition(user_id))},
                                           {":prefix", string_value("WEBAUTHN#")}},
                                .consistent = true,
                                .limit = std::numeric_limits<std::size_t>::max()});
  if (!items) return fail(items.error());
  std::vector<WebAuthnCredential> out;
  out.reserve(items->size());
  for (const Json& item : *items) {
    auto credential = dynamodb::credential_from_item(item);
    if (!credential) return fail(credential.error());
    out.push_back(std::move(*credential));
  }
  // The partition is in credential id order; the port promises oldest first.
  std::ranges::sort(out, [](const WebAuthnCredential& a, const WebAuthnCredential& b) {
    return std::tie(a.created_at, a.credential_id) < std::tie(b.created_at, b.credential_id);
  });
  return out;
}

Result<WebAuthnCredential> DynamoDbStore::find_credential(const std::string& credential_id) {
  auto claim = dynamodb::get_item(api_, table_, dynamodb::credential_claim_key(credential_id));
  if (!claim) return fail(claim.error());
  if (!*claim) return fail(no_credential(credential_id));
  const std::string user = (**claim).value("user_id", Json::object()).value("S", "");
  auto item = dynamodb::get_item(api_, table_, dynamodb::credential_key(user, credential_id));
  if (!item) return fail(item.error());
  if (!*item) return fail(no_credential(credential_id));  // claimed, not (or no longer) written
  return dynamodb::credential_from_item(**item);
}

Result<> DynamoDbStore::remove_credential(const std::string& user_id, const std::string& credential_id) {
  const Json key = dynamodb::credential_key(user_id, credential_id);
  // A lost condition means the credential was removed and enrolled again meanwhile: read it again.
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto item = dynamodb::get_item(api_, table_, key);
    if (!item) return fail(item.error());
    if (!*item) return fail(Error::NotFound(fmt::format("{} has no credential {}", user_id, credential_id)));
    const Json token = (**item).value("claim", Json::object());
    auto deleted = api_.call("DeleteItem", {{"TableName", table_},
                                            {"Key", key},
                                            {"ConditionExpression", "#claim = :token"},
                                            {"ExpressionAttributeNames", {{"#claim", "claim"}}},
                                            {"ExpressionAttributeValues", {{":token", token}}}});
    if (!deleted) {
      if (condition_failed(deleted.error())) continue;
      return fail(dynamodb::to_error(deleted.error(), table_, "DeleteItem"));
    }
    // The claim goes only if it is still this enrolment's (a new one keeps its own).
    auto released = api_.call("DeleteItem",
                              {{"TableName", table_},
                               {"Key", dynamodb::credential_claim_key(credential_id)},
                               {"ConditionExpression", "#user_id = :user AND #claim = :token"},
                               {"ExpressionAttributeNames", {{"#user_id", "user_id"}, {"#claim", "claim"}}},
                               {"ExpressionAttributeValues", {{":user", string_value(user_id)}, {":token", token}}}});
    if (released || condition_failed(released.error())) return {};
    return fail(dynamodb::to_error(released.error(), table_, "DeleteItem"));
  }
  return fail(Error::Unavailable(fmt::format("dynamodb table {}: credential {} kept changing under {} attempts to "
                                             "remove it: try again",
                                             table_, credential_id, kMaxAttempts)));
}

Result<> DynamoDbStore::advance_sign_count(const std::string& credential_id, std::uint32_t expected,
                                           std::uint32_t count, TimePoint used_at) {
  auto current = find_credential(credential_id);
  if (!current) return fail(current.error());
  const auto moved = [&](std::uint32_t now_stored) {
    return Error::Conflict(fmt::format("credential {}: its sign count moved to {} (expected {}): another assertion "
                                       "was used",
                                       credential_id, now_stored, expected));
  };
  if (current->sign_count != expected) return fail(moved(current->sign_count));
  auto updated = api_.call(
      "UpdateItem",
      {{"TableName", table_},
       {"Key", dynamodb::credential_key(current->user_id, credential_id)},
       {"UpdateExpression", "SET #sign_count = :count, #last_used_at = :used_at"},
       {"ConditionExpression", "attribute_exists(pk) AND #sign_count = :expected"},
       {"ExpressionAttributeNames", {{"#sign_count", "sign_count"}, {"#last_used_at", "last_used_at"}}},
       {"ExpressionAttributeValues",
        {{":count", number_value(count)},
         {":expected", number_value(expected)},
         {":used_at", number_value(epoch_seconds(used_at))}}}});
  if (updated) return {};
  if (!condition_failed(updated.error())) return fail(dynamodb::to_error(updated.error(), table_, "UpdateItem"));
  auto now_stored = find_credential(credential_id);
  if (!now_stored) return fail(now_stored.error());
  return fail(moved(now_stored->sign_count));
}

}  // namespace jit
