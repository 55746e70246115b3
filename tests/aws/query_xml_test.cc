// The Query-protocol XML reader (aws/query_xml.h): paths, entities, errors, and what it refuses.
#include "aws/query_xml.h"

#include <gtest/gtest.h>

#include <string>

namespace jit::aws {
namespace {

constexpr const char* kRoles = R"(<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListRolesResult>
    <IsTruncated>false</IsTruncated>
    <Roles>
      <member><RoleName>jit-scheduler</RoleName><Arn>arn:aws:iam::111111111111:role/jit-scheduler</Arn></member>
      <member><RoleName>a&amp;b&lt;c</RoleName></member>
    </Roles>
  </ListRolesResult>
  <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>
</ListRolesResponse>)";

TEST(QueryXml, ReadsPathsUnderTheRootWithEntitiesDecoded) {
  auto xml = QueryXml::parse(kRoles);
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_EQ(xml->root_name(), "ListRolesResponse");
  EXPECT_EQ(xml->text("ListRolesResult/IsTruncated"), "false");
  EXPECT_EQ(xml->texts("ListRolesResult/Roles/member/RoleName"),
            (std::vector<std::string>{"jit-scheduler", "a&b<c"}));
  EXPECT_EQ(xml->text("ResponseMetadata/RequestId"), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
  EXPECT_EQ(xml->text("ListRolesResult/Roles/member/Missing"), std::nullopt);
  EXPECT_EQ(xml->text("RoleName"), std::nullopt) << "a path starts under the root, it is not a search";
}

// String search would have found these; a parser does not.
TEST(QueryXml, CommentsCdataAndLookalikeNamesAreNotElements) {
  auto xml = QueryXml::parse(
      "<R><!-- <Code>Forged</Code> --><CodeLonger>x</CodeLonger><Code><![CDATA[a<b]]></Code></R>");
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_EQ(xml->texts("Code"), (std::vector<std::string>{"a<b"}));
}

TEST(QueryXml, RefusesWhatIsNotXmlOrTooLarge) {
  for (const char* bad : {"", "busy", "<R><A></R>", "<R>&bogus;</R"}) {
    auto xml = QueryXml::parse(bad);
    ASSERT_FALSE(xml) << bad;
    EXPECT_EQ(xml.error().code, Errc::unavailable);
    EXPECT_NE(xml.error().message.find("not XML"), std::string::npos) << xml.error().message;
  }
  const std::string huge = "<R>" + std::string(kMaxQueryReplyBytes, 'x') + "</R>";
  auto xml = QueryXml::parse(huge);
  ASSERT_FALSE(xml);
  EXPECT_NE(xml.error().message.find("larger than"), std::string::npos) << xml.error().message;
}

// A document's own entities are never expanded (no "billion laughs").
TEST(QueryXml, DeclaredEntitiesAreNotExpanded) {
  auto xml = QueryXml::parse(
      "<!DOCTYPE R [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><R><V>&b;</V></R>");
  ASSERT_TRUE(xml) << xml.error().message;
  const std::string v = xml->text("V").value_or("");
  EXPECT_EQ(v.find("aaaaaaaaaa"), std::string::npos) << v;
}

TEST(QueryXml, ErrorResponseGivesCodeAndMessage) {
  const QueryError e = query_error_of(
      "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
      "<Code>AccessDenied</Code><Message>Not authorized &amp; that is that</Message></Error>"
      "<RequestId>r</RequestId></ErrorResponse>");
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.message, "Not authorized & that is that");
  EXPECT_TRUE(query_error_of("busy").code.empty());
  // moto's authorization errors nest the Error in Errors.
  const QueryError nested = query_error_of(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>"
      "<Message>The security token included in the request is invalid.</Message><Type>Sender</Type></Error></Errors>"
      "</ErrorResponse>");
  EXPECT_EQ(nested.code, "InvalidClientTokenId");
  EXPECT_EQ(nested.message, "The security token included in the request is invalid.");
  EXPECT_TRUE(query_error_of("<Other><Error><Code>X</Code></Error></Other>").code.empty());
}

}  // namespace
}  // namespace jit::aws
