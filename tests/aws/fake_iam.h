// A fake IAM (Query protocol) for IamRoleProvider's unit tests: roles with their trust policies,
// session durations and inline policies in memory, answered as IAM answers (XML, policy documents
// URL-encoded, NoSuchEntity, the trust policy quota), every request's parameters checked against
// the official IAM model. Switches make it fail a call, let another writer change a document
// right after ours, or serve stale reads after a write (IAM's eventual consistency).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "aws/cutoff_policy.h"
#include "aws/query_api.h"
#include "net/http.h"
#include "support/aws_model_check.h"

namespace jit::testing {

class FakeIam final : public aws::AwsQueryApi {
 public:
  // IAM's default quota on a trust policy (non-whitespace characters): UpdateAssumeRolePolicy
  // past it is LimitExceeded.
  static constexpr int kTrustLimit = 2048;

  FakeIam() {
    auto model = load_aws_model("iam/2010-05-08");
    if (!model) ADD_FAILURE() << model.error().message;
    else model_ = std::move(*model);
  }

  // Creates the role `name` (its ARN "arn:aws:iam::<account>:role/<name>").
  void add_role(const std::string& name, std::string trust_policy, int max_session_duration = 3600) {
    std::lock_guard lock(mu_);
    documents_["trust/" + name] = {std::move(trust_policy), {}, 0};
    durations_[name] = max_session_duration;
  }
  // The role's trust policy as stored now.
  std::string trust(const std::string& role) const {
    std::lock_guard lock(mu_);
    return documents_.at("trust/" + role).text;
  }
  // The role's inline policy `policy` as stored now; nullopt when there is none.
  std::optional<std::string> inline_policy(const std::string& role, const std::string& policy) const {
    std::lock_guard lock(mu_);
    auto it = documents_.find("inline/" + role + "/" + policy);
    if (it == documents_.end()) return std::nullopt;
    return it->second.text;
  }
  void set_inline_policy(const std::string& role, const std::string& policy, std::string text) {
    std::lock_guard lock(mu_);
    documents_["inline/" + role + "/" + policy] = {std::move(text), {}, 0};
  }

  // The next call of `action` answers `error` (each queued error once, in order).
  void fail_next(std::string action, aws::AwsError error) {
    std::lock_guard lock(mu_);
    failures_.push_back({std::move(action), std::move(error)});
  }
  // After each of the next `times` writes (UpdateAssumeRolePolicy, PutRolePolicy), `change` edits
  // the stored document: another writer's change landing right after ours.
  void after_write(int times, std::function<void(std::string& document)> change) {
    std::lock_guard lock(mu_);
    after_write_left_ = times;
    after_write_ = std::move(change);
  }
  // After every write, the next `reads` reads of that document return it as it was before.
  void stale_reads(int reads) {
    std::lock_guard lock(mu_);
    stale_reads_ = reads;
  }

  // Documents go back as they were written instead of URL-encoded (as moto does).
  void send_documents_as_written() {
    std::lock_guard lock(mu_);
    encode_ = false;
  }

  // How many calls of `action` were made.
  int count(std::string_view action) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::ranges::count_if(calls_, [&](const auto& c) { return c.first == action; }));
  }
  std::vector<std::string> actions() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& c : calls_) out.push_back(c.first);
    return out;
  }

  std::expected<aws::QueryXml, aws::AwsError> call(std::string_view action, const aws::QueryParams& params) override {
    std::lock_guard lock(mu_);
    calls_.emplace_back(std::string(action), params);
    if (!model_.is_null()) {
      const auto problems = check_query_request(model_, action, params);
      if (!problems.empty()) {
        ADD_FAILURE() << "request does not match the IAM model: " << fmt::format("{}", fmt::join(problems, "; "));
        return error(400, "ValidationError", fmt::format("{}", fmt::join(problems, "; ")));
      }
    }
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->first != action) continue;
      aws::AwsError e = std::move(it->second);
      failures_.erase(it);
      return std::unexpected(std::move(e));
    }
    std::map<std::string, std::string> p(params.begin(), params.end());
    const std::string role = p["RoleName"];
    if (!durations_.contains(role)) return error(404, "NoSuchEntity", fmt::format("The role with name {} cannot be found.", role));
    if (action == "GetRole") {
      const std::string trust = read("trust/" + role).value_or("");
      return reply("GetRole", fmt::format("<Role><Path>/</Path><RoleName>{0}</RoleName><RoleId>AROAEXAMPLE{1}</RoleId>"
                                          "<Arn>arn:aws:iam::111122223333:role/{0}</Arn>"
                                          "<CreateDate>2026-01-01T00:00:00Z</CreateDate>"
                                          "<AssumeRolePolicyDocument>{2}</AssumeRolePolicyDocument>"
                                          "<MaxSessionDuration>{3}</MaxSessionDuration></Role>",
                                          role, role.size(), encoded(trust), durations_[role]));
    }
    if (action == "UpdateAssumeRolePolicy") {
      if (auto bad = check_document(p["PolicyDocument"])) return *bad;
      if (aws::cutoff::policy_size(p["PolicyDocument"]) > kTrustLimit)
        return error(409, "LimitExceeded", fmt::format("Cannot exceed quota for ACLSizePerRole: {}", kTrustLimit));
      write("trust/" + role, p["PolicyDocument"]);
      return reply("UpdateAssumeRolePolicy", "");
    }
    const std::string key = "inline/" + role + "/" + p["PolicyName"];
    if (action == "GetRolePolicy") {
      auto text = read(key);
      if (!text)
        return error(404, "NoSuchEntity",
                     fmt::format("The role policy with name {} cannot be found.", p["PolicyName"]));
      return reply("GetRolePolicy", fmt::format("<RoleName>{}</RoleName><PolicyName>{}</PolicyName>"
                                                "<PolicyDocument>{}</PolicyDocument>",
                                                role, p["PolicyName"], encoded(*text)));
    }
    if (action == "PutRolePolicy") {
      if (auto bad = check_document(p["PolicyDocument"])) return *bad;
      write(key, p["PolicyDocument"]);
      return reply("PutRolePolicy", "");
    }
    if (action == "DeleteRolePolicy") {
      if (!documents_.contains(key))
        return error(404, "NoSuchEntity",
                     fmt::format("The role policy with name {} cannot be found.", p["PolicyName"]));
      documents_.erase(key);
      return reply("DeleteRolePolicy", "");
    }
    ADD_FAILURE() << "FakeIam does not play " << action;
    return error(400, "InvalidAction", std::string(action));
  }

 private:
  struct Document {
    std::string text;
    std::optional<std::string> before;  // what stale reads show
    int stale_left = 0;
  };

  static std::unexpected<aws::AwsError> error(int status, std::string code, std::string message) {
    return std::unexpected(aws::AwsError{status, std::move(code), std::move(message), nullptr, false});
  }
  static std::expected<aws::QueryXml, aws::AwsError> reply(std::string_view action, const std::string& result) {
    const std::string body = fmt::format(
        "<{0}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">{1}"
        "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>"
        "</{0}Response>",
        action, result.empty() ? "" : fmt::format("<{0}Result>{1}</{0}Result>", action, result));
    auto parsed = aws::QueryXml::parse(body);
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message;
      return error(500, "ServiceFailure", "fake reply");
    }
    return std::move(*parsed);
  }
  // IAM refuses a document that is not a JSON object.
  static std::optional<std::unexpected<aws::AwsError>> check_document(const std::string& text) {
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
      return error(400, "MalformedPolicyDocument", "Syntax errors in policy.");
    return std::nullopt;
  }
  // A document as the reply carries it (XML-escaped when sent as written).
  std::string encoded(const std::string& text) const {
    if (encode_) return net::percent_encode(text);
    std::string out;
    for (char c : text) {
      if (c == '&') out += "&amp;";
      else if (c == '<') out += "&lt;";
      else if (c == '>') out += "&gt;";
      else out += c;
    }
    return out;
  }
  std::optional<std::string> read(const std::string& key) {
    auto it = documents_.find(key);
    if (it == documents_.end()) return std::nullopt;
    if (it->second.stale_left > 0) {
      --it->second.stale_left;
      return it->second.before;
    }
    return it->second.text;
  }
  void write(const std::string& key, const std::string& text) {
    auto it = documents_.find(key);
    std::optional<std::string> before;
    if (it != documents_.end()) before = it->second.text;
    Document& d = documents_[key];
    d.text = text;
    d.before = before;
    d.stale_left = before ? stale_reads_ : 0;
    if (after_write_left_ > 0) {
      --after_write_left_;
      after_write_(d.text);
    }
  }

  mutable std::mutex mu_;
  nlohmann::json model_;
  std::map<std::string, Document> documents_;
  std::map<std::string, int> durations_;
  std::deque<std::pair<std::string, aws::AwsError>> failures_;
  std::function<void(std::string&)> after_write_;
  int after_write_left_ = 0;
  int stale_reads_ = 0;
  bool encode_ = true;
  std::vector<std::pair<std::string, aws::QueryParams>> calls_;
};

}  // namespace jit::testing
