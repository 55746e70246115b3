// A fake Query-protocol AWS (IAM, STS) for client tests: a loopback HttpServer answering XML from a
// script (one answer per request, the last repeating), recording each request, checking its SigV4
// signature with our signer and its form body against the official model of the service it is
// signed for.
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "fake_aws_server.h"
#include "support/aws_model_check.h"

namespace jit::aws::fake_aws {

// An ErrorResponse as IAM and STS write it.
inline std::string query_error_xml(std::string_view code, std::string_view message) {
  return fmt::format(
      "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{}</Code>"
      "<Message>{}</Message></Error><RequestId>4c8a0a8b-EXAMPLE</RequestId></ErrorResponse>",
      code, message);
}

class QueryServerTest : public ::testing::Test, protected SignedClientParts {
 protected:
  struct Answer {
    int status;
    std::string body;
  };
  struct Received {
    net::HttpRequest request;
    std::string service;              // from the credential scope
    std::string signature_problem;    // "" when it verifies with `signer_`
    std::vector<std::string> model_problems;
  };

  void SetUp() override {
    for (auto [dir, model] : {std::pair{"iam/2010-05-08", &iam_model_}, std::pair{"sts/2011-06-15", &sts_model_}}) {
      auto loaded = jit::testing::load_aws_model(dir);
      ASSERT_TRUE(loaded) << loaded.error().message;
      *model = std::move(*loaded);
    }
    auto server = net::HttpServer::start({}, [this](const net::HttpRequest& r) {
      std::lock_guard lock(mutex_);
      Received got{r, "", "", {}};
      const std::string authorization = header(r, "Authorization").value_or("");
      for (const char* service : {"iam", "sts"})
        if (contains(authorization, fmt::format("/{}/aws4_request", service))) got.service = service;
      const bool iam = got.service == "iam";
      const auto signer = signers_.contains(header(r, "X-Amz-Security-Token").value_or("")) ?
                              signers_.at(header(r, "X-Amz-Security-Token").value_or("")) : credentials_;
      got.signature_problem = verify_signature(r, signer, iam ? "us-east-1" : "eu-west-1", got.service);
      got.model_problems = jit::testing::check_query_form(iam ? iam_model_ : sts_model_, r.body);
      received_.push_back(std::move(got));
      const auto& a = answers_.at(std::min(received_.size(), answers_.size()) - 1);
      return net::HttpResponse{a.status, {{"Content-Type", "text/xml"}}, a.body};
    });
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }

  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

  // Credentials the server verifies a request with, by its session token (default: credentials_).
  void add_signer(const Credentials& credentials) { signers_[credentials.session_token] = credentials; }

  std::unique_ptr<net::HttpServer> server_;
  std::vector<Answer> answers_{{200, "<GetRoleResponse><GetRoleResult/></GetRoleResponse>"}};
  nlohmann::json iam_model_, sts_model_;
  std::mutex mutex_;
  std::map<std::string, Credentials> signers_;
  std::vector<Received> received_;
};

}  // namespace jit::aws::fake_aws
