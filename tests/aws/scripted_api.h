// A fake AWS service for provider tests: answers from a script, in order, and checks every
// request against the service's official model; and the ids those tests share.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/json_api.h"
#include "support/aws_model_check.h"

namespace jit::testing {

using aws::AwsError;
using aws::AwsJsonApi;

// The ids the Identity Center tests share (AWS-shaped: they match the models' patterns).
namespace ids {
inline constexpr char kInstance[] = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
inline constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef";
inline constexpr char kStore[] = "d-1234567890";
inline constexpr char kAccount[] = "111122223333";
inline constexpr char kUser[] = "a1b2c3d4-1111-2222-3333-444455556666";
inline constexpr char kRequestId[] = "c2c3d4e5-0000-1111-2222-333344445555";
}  // namespace ids

// A fake AWS service answering from a script, in order; each request is checked against the
// service's model. With `repeat_last`, the last entry answers every further call.
class ScriptedApi final : public AwsJsonApi {
 public:
  explicit ScriptedApi(std::string_view service_dir) {
    auto model = load_aws_model(service_dir);
    if (!model) ADD_FAILURE() << model.error().message;
    else model_ = std::move(*model);
  }

  void then(std::string operation, nlohmann::json response) { script_.push_back({std::move(operation), std::move(response)}); }
  void then_error(std::string operation, AwsError error) {
    script_.push_back({std::move(operation), std::unexpected(std::move(error))});
  }
  void repeat_last() { repeat_last_ = true; }

  std::expected<nlohmann::json, AwsError> call(std::string_view operation, const nlohmann::json& input) override {
    std::lock_guard lock(mu_);
    calls_.emplace_back(std::string(operation), input);
    if (!model_.is_null())
      for (const auto& problem : check_request(model_, operation, input))
        ADD_FAILURE() << "request does not match the model: " << problem;
    if (script_.empty()) {
      ADD_FAILURE() << "unexpected call " << operation << " " << input.dump();
      return std::unexpected(AwsError{400, "UnexpectedCall", "not in the script"});
    }
    Entry entry = script_.front();
    if (!(repeat_last_ && script_.size() == 1)) script_.pop_front();
    EXPECT_EQ(operation, entry.operation) << "calls out of order; input " << input.dump();
    return entry.result;
  }

  std::vector<std::pair<std::string, nlohmann::json>> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::size_t left() const {
    std::lock_guard lock(mu_);
    return repeat_last_ && script_.size() == 1 ? 0 : script_.size();
  }

 private:
  struct Entry {
    std::string operation;
    std::expected<nlohmann::json, AwsError> result;
  };
  mutable std::mutex mu_;
  nlohmann::json model_;
  std::deque<Entry> script_;
  std::vector<std::pair<std::string, nlohmann::json>> calls_;
  bool repeat_last_ = false;
};

}  // namespace jit::testing
