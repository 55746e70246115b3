// The XML replies of AWS's Query-protocol services (STS, IAM) as the emulator writes them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "emulator_state.h"

namespace jit::emulators {

inline constexpr std::string_view kStsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
inline constexpr std::string_view kIamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/";

// `s` with & < > " ' escaped for XML text.
std::string xml_escape(std::string_view s);

// <{action}Response xmlns="{ns}"><{action}Result>{result}</{action}Result><ResponseMetadata>...;
// no Result element when `result` is empty (IAM's Update/Put/Delete replies). `result` is XML.
std::string query_response_xml(std::string_view ns, std::string_view action, std::string_view result,
                               std::string_view request_id);

// The <AssumedRoleUser> and <Credentials> elements of STS's AssumeRole* results (indented for
// their place inside <…Result>).
std::string assumed_role_xml(std::string_view assumed_role_arn, std::string_view assumed_role_id,
                             const aws::Credentials& credentials, std::chrono::system_clock::time_point expires);

// <ErrorResponse xmlns="{ns}"><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/>.
std::string query_error_xml(std::string_view ns, const ApiError& error, std::string_view request_id);

}  // namespace jit::emulators
