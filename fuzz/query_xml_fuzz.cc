// QueryXml (aws/query_xml.h: the XML replies of STS and IAM): any body parses or is refused with
// Errc::unavailable, paths on what parsed answer, and query_error_of never throws.
#include "aws/query_xml.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const std::string_view body = fuzz::as_text(data, size);
  auto xml = aws::QueryXml::parse(body);
  if (xml) {
    fuzz::check(!xml->root_name().empty(), "a parsed reply has a named root");
    (void)xml->text("Error/Code");
    (void)xml->texts("ListRolesResult/Roles/member/RoleName");
  } else {
    fuzz::check(xml.error().code == Errc::unavailable, "a refused reply is unavailable");
  }
  (void)aws::query_error_of(body);
  return 0;
}
