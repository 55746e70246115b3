#include "query_replies.h"

#include <fmt/format.h>

namespace jit::emulators {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string query_response_xml(std::string_view ns, std::string_view action, std::string_view result,
                               std::string_view request_id) {
  const std::string body = result.empty() ? "" : fmt::format("  <{0}Result>\n{1}  </{0}Result>\n", action, result);
  return fmt::format(
      "<{0}Response xmlns=\"{1}\">\n{2}"
      "  <ResponseMetadata>\n"
      "    <RequestId>{3}</RequestId>\n"
      "  </ResponseMetadata>\n"
      "</{0}Response>\n",
      action, ns, body, request_id);
}

std::string assumed_role_xml(std::string_view assumed_role_arn, std::string_view assumed_role_id,
                             const aws::Credentials& credentials, std::chrono::system_clock::time_point expires) {
  return fmt::format(
      "    <AssumedRoleUser>\n"
      "      <Arn>{}</Arn>\n"
      "      <AssumedRoleId>{}</AssumedRoleId>\n"
      "    </AssumedRoleUser>\n"
      "    <Credentials>\n"
      "      <AccessKeyId>{}</AccessKeyId>\n"
      "      <SecretAccessKey>{}</SecretAccessKey>\n"
      "      <SessionToken>{}</SessionToken>\n"
      "      <Expiration>{}</Expiration>\n"
      "    </Credentials>\n",
      xml_escape(assumed_role_arn), xml_escape(assumed_role_id), xml_escape(credentials.access_key_id),
      xml_escape(credentials.secret_access_key), xml_escape(credentials.session_token), iso8601(expires));
}

std::string query_error_xml(std::string_view ns, const ApiError& error, std::string_view request_id) {
  return fmt::format(
      "<ErrorResponse xmlns=\"{}\">\n"
      "  <Error>\n"
      "    <Type>{}</Type>\n"
      "    <Code>{}</Code>\n"
      "    <Message>{}</Message>\n"
      "  </Error>\n"
      "  <RequestId>{}</RequestId>\n"
      "</ErrorResponse>\n",
      ns, error.status >= 500 ? "Receiver" : "Sender", xml_escape(error.code), xml_escape(error.message), request_id);
}

}  // namespace jit::emulators
