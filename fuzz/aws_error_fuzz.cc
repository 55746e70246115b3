// parse_error_response (the body of every failed AWS call): any body and status give an AwsError
// whose body is JSON (an empty object when the body is not JSON; callers check is_object), never
// an exception.
#include "aws/json_client.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  if (size < 1) return 0;
  net::HttpResponse response;
  response.status = 400 + data[0] % 200;  // 4xx and 5xx
  response.body = std::string(fuzz::as_text(data + 1, size - 1));
  const auto error = aws::parse_error_response(response);
  fuzz::check(!error.body.is_discarded(), "the error body is JSON");
  fuzz::check(error.code.find('#') == std::string::npos, "the code has no namespace prefix");
  return 0;
}
