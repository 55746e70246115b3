// How much CPU one AWS call costs us before the network: serialising a DynamoDB PutItem and
// signing it with SigV4 (AwsJsonClient::build_request). Prints calls per second.
//   build/default/bench/aws_call_bench [--calls N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "aws/json_client.h"
#include "net/https_client.h"

int main(int argc, char** argv) {
  using namespace jit;
  int calls = 10000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--calls") == 0) calls = std::atoi(argv[i + 1]);

  aws::StaticCredentialsProvider credentials{{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                              "session-token-EXAMPLE-0123456789"}};
  SystemClock clock;
  auto http = net::make_http_client();  // never used: build_request does not send
  auto endpoint = *net::Endpoint::parse("https://dynamodb.us-east-1.amazonaws.com");
  aws::AwsJsonClient client(aws::AwsJsonClientConfig::for_service(aws::AwsService::dynamodb, endpoint, "us-east-1"),
                            credentials, *http, clock);
  const auto creds = *credentials.get();

  std::size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) {
    const nlohmann::json input = {
        {"TableName", "jit_grants"},
        {"Item",
         {{"pk", {{"S", "grant#" + std::to_string(i)}}},
          {"status", {{"S", "active"}}},
          {"requester", {{"S", "U024BE7LH"}}},
          {"account", {{"S", "123456789012"}}},
          {"permission_set", {{"S", "arn:aws:sso:::permissionSet/ssoins-1234/ps-abcdef"}}},
          {"expires_at", {{"N", "1795000000"}}},
          {"version", {{"N", "3"}}}}},
        {"ConditionExpression", "#v = :expected"},
        {"ExpressionAttributeNames", {{"#v", "version"}}},
        {"ExpressionAttributeValues", {{":expected", {{"N", "2"}}}}}};
    auto request = client.build_request("PutItem", input.dump(), creds);
    if (!request) {
      std::fprintf(stderr, "signing failed: %s\n", request.error().message.c_str());
      return 1;
    }
    bytes += request->body.size();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("aws_call_bench: %d PutItem serialise+sign in %.3f s: %.0f calls/s, %.1f us/call (%zu body bytes)\n",
              calls, seconds, calls / seconds, seconds * 1e6 / calls, bytes / static_cast<std::size_t>(calls));
  return 0;
}
