// The SigV4 suite's request.txt parser (tests/support/sigv4_request.h): every form the suite's
// files use, so any case of the official suite can be dropped into tests/data/sigv4.
#include <gtest/gtest.h>

#include "support/sigv4_request.h"

namespace jit::sigv4_suite {
namespace {

using Headers = net::Headers;

TEST(Sigv4SuiteRequest, RequestLineHeadersAndBody) {
  auto r = parse_suite_request("POST /a b?x=1 HTTP/1.1\r\nHost:example.amazonaws.com\r\nX:  a  b \r\n\r\nbody\nmore");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/a b?x=1");  // spaces inside the target kept
  EXPECT_EQ(r->headers, (Headers{{"Host", "example.amazonaws.com"}, {"X", "  a  b "}}));
  EXPECT_EQ(r->body, "body\nmore");
}

// get-header-value-multiline: the folded lines continue one value (they were read as three values
// of My-Header1 before, which canonicalises as "value1,value2,value3" instead of the suite's
// "value1 value2 value3").
TEST(Sigv4SuiteRequest, FoldedHeaderIsOneValue) {
  auto r = parse_suite_request(
      "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n\t   value3\nX-Amz-Date:20150830T123600Z\n");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->headers, (Headers{{"Host", "example.amazonaws.com"},
                                 {"My-Header1", "value1 value2 value3"},
                                 {"X-Amz-Date", "20150830T123600Z"}}));
}

TEST(Sigv4SuiteRequest, SaysWhatIsWrong) {
  EXPECT_EQ(parse_suite_request("").error(), "empty request");
  EXPECT_EQ(parse_suite_request("GET\n").error(), "request line is not 'METHOD target VERSION'");
  EXPECT_EQ(parse_suite_request("GET / HTTP/1.1\n value\n").error(), "folded line before any header");
  EXPECT_EQ(parse_suite_request("GET / HTTP/1.1\nno colon\n").error(), "header line without ':': no colon");
}

}  // namespace
}  // namespace jit::sigv4_suite
