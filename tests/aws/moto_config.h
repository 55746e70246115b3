// The client configuration of tests that talk to moto_server (support/moto_suite.h).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "aws/json_client.h"

namespace jit::aws {

// `service` at moto_server's `url`, region us-east-1, two attempts per call. Fails the current
// test when `url` does not parse.
inline AwsJsonClientConfig moto_config(const std::string& url, AwsService service) {
  auto endpoint = net::Endpoint::parse(url);
  EXPECT_TRUE(endpoint) << endpoint.error().message;
  auto config = AwsJsonClientConfig::for_service(service, endpoint.value_or(net::Endpoint{}), "us-east-1");
  config.retry.max_attempts = 2;
  return config;
}

}  // namespace jit::aws
