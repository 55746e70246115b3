// What the DynamoDB store tests share: the real AWS JSON client pointed at a local emulator
// (moto_server or dynalite), fresh table names, and dynalite itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "aws/json_api.h"
#include "core/error.h"
#include "platform/child_process.h"
#include "support/free_port.h"

namespace jit::testing {

// The project's AwsJsonClient for DynamoDB at `endpoint_url` ("http://127.0.0.1:PORT"), with fake
// static credentials (StaticCredentialsProvider) and region us-east-1 (the emulators accept any
// signature). nullptr when the URL is not understood.
std::unique_ptr<aws::AwsJsonApi> dynamodb_client(const std::string& endpoint_url);

// `api` with one call at a time. moto_server runs requests on parallel threads without a lock,
// and its TransactWriteItems checks conditions and then writes (and undoes a cancelled
// transaction by restoring a snapshot of the whole table), so concurrent transactions are not
// atomic there and may even erase each other. DynamoDB itself is atomic per request; serializing
// the calls gives moto that property while the store's own read-then-conditional-write races stay
// as they are.
std::unique_ptr<aws::AwsJsonApi> one_call_at_a_time(std::unique_ptr<aws::AwsJsonApi> api);

// `api` checking every request against DynamoDB's official model (tests/data/aws-models/dynamodb,
// botocore's service-2.json; the checks are support/aws_model_check.h's): unknown or missing
// members, wrong JSON types, values outside an enum, lengths and patterns fail the current test
// and come back as a ValidationException without being sent, so requests that a lenient emulator
// would take but DynamoDB would reject are caught here.
std::unique_ptr<aws::AwsJsonApi> checked_against_model(std::unique_ptr<aws::AwsJsonApi> api);

// "jit-test-<pid>-<n>": a table name no other test of this run uses.
std::string fresh_table_name();

// dynalite (npm, installed by scripts/setup from package.json) on a free loopback port, tables
// created at once (--createTableMs 0). Errc::not_found naming the fix when it is not installed.
struct DynaliteServer {
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;

  std::string url() const;
  static Result<DynaliteServer> start();
};

}  // namespace jit::testing
