#include "aws/query_xml.h"

#include <fmt/format.h>
#include <pugixml.hpp>

namespace jit::aws {

struct QueryXml::Impl {
  pugi::xml_document doc;
};

namespace {

// The element names of `path`, split at '/'.
std::vector<std::string_view> steps_of(std::string_view path) {
  std::vector<std::string_view> steps;
  while (!path.empty()) {
    const auto slash = path.find('/');
    steps.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return steps;
}

// Every element reached from `from` through `steps` (each step: all children of that name).
void collect(pugi::xml_node from, const std::vector<std::string_view>& steps, std::size_t i,
             std::vector<pugi::xml_node>& out) {
  if (i == steps.size()) {
    out.push_back(from);
    return;
  }
  for (pugi::xml_node child = from.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && std::string_view(child.name()) == steps[i])
      collect(child, steps, i + 1, out);
  }
}

std::vector<pugi::xml_node> find_all(const pugi::xml_document& doc, std::string_view path) {
  std::vector<pugi::xml_node> found;
  collect(doc.document_element(), steps_of(path), 0, found);
  return found;
}

}  // namespace

QueryXml::QueryXml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueryXml::QueryXml(QueryXml&&) noexcept = default;
QueryXml& QueryXml::operator=(QueryXml&&) noexcept = default;
QueryXml::~QueryXml() = default;

Result<QueryXml> QueryXml::parse(std::string_view body) {
  if (body.size() > kMaxQueryReplyBytes)
    return fail(Error::Unavailable(
        fmt::format("reply of {} bytes is larger than the {} bytes a Query reply may be", body.size(), kMaxQueryReplyBytes)));
  auto impl = std::make_unique<Impl>();
  // parse_default without DOCTYPE handling: no entity of the document's own is ever expanded.
  const pugi::xml_parse_result parsed = impl->doc.load_buffer(body.data(), body.size(), pugi::parse_default);
  if (!parsed) return fail(Error::Unavailable(fmt::format("reply is not XML: {} at byte {}", parsed.description(), parsed.offset)));
  if (!impl->doc.document_element()) return fail(Error::Unavailable("reply is not XML: no root element"));
  return QueryXml(std::move(impl));
}

std::string QueryXml::root_name() const { return impl_->doc.document_element().name(); }

std::optional<std::string> QueryXml::text(std::string_view path) const {
  auto found = find_all(impl_->doc, path);
  if (found.empty()) return std::nullopt;
  return std::string(found.front().text().get());
}

std::vector<std::string> QueryXml::texts(std::string_view path) const {
  std::vector<std::string> out;
  for (const auto& node : find_all(impl_->doc, path)) out.emplace_back(node.text().get());
  return out;
}

QueryError query_error_of(std::string_view body) {
  auto xml = QueryXml::parse(body);
  if (!xml || xml->root_name() != "ErrorResponse") return {};
  // IAM and STS write <ErrorResponse><Error>; some implementations (moto's authorization errors)
  // <ErrorResponse><Errors><Error>.
  for (const std::string_view error : {"Error/", "Errors/Error/"}) {
    if (auto code = xml->text(std::string(error) + "Code"))
      return {std::move(*code), xml->text(std::string(error) + "Message").value_or("")};
  }
  return {};
}

}  // namespace jit::aws
