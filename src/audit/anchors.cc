#include "audit/anchors.h"

#include <fmt/format.h>

#include <charconv>
#include <unordered_map>

#include "audit/checkpoint.h"

namespace jit::audit {

Result<Anchor> parse_anchor(std::string_view text) {
  const auto colon = text.find(':');
  Anchor a{.source = "--checkpoint " + std::string(text.substr(0, 300))};
  const std::string_view seq = text.substr(0, colon);
  if (colon == std::string_view::npos || seq.empty() ||
      std::from_chars(seq.data(), seq.data() + seq.size(), a.seq).ec != std::errc() ||
      a.seq < 1 || !is_head_text(text.substr(colon + 1)))
    return fail(Error::Invalid(fmt::format("--checkpoint \"{}\": expected SEQ:HASH, e.g. 123:9f86d08…, the seq and "
                                           "head of a checkpoint",
                                           text.substr(0, 300))));
  a.hash = std::string(text.substr(colon + 1));
  return a;
}

std::vector<AnchorProblem> check_anchors(const std::vector<AuditEvent>& events, const AuditHead& stored_head,
                                         const std::vector<Anchor>& anchors) {
  std::vector<AnchorProblem> problems;
  const std::int64_t last = events.empty() ? 0 : events.back().seq;
  std::unordered_map<std::int64_t, const AuditEvent*> by_seq;  // a broken trail may be out of order
  by_seq.reserve(events.size());
  for (const auto& e : events) by_seq.emplace(e.seq, &e);
  for (const auto& a : anchors) {
    auto problem = [&](std::string text) { problems.push_back({a, std::move(text)}); };
    auto it = by_seq.find(a.seq);
    if (it == by_seq.end()) {
      problem(a.seq > last ? fmt::format("event {} is not in the trail, which ends at event {}: events were removed "
                                         "from its end",
                                         a.seq, last)
                           : fmt::format("event {} is not in the trail", a.seq));
      continue;
    }
    if (it->second->hash != a.hash) {
      problem(fmt::format("event {} has hash {}, not {}: the trail was rewritten at or before event {}", a.seq,
                          it->second->hash, a.hash, a.seq));
      continue;
    }
    if (stored_head.seq < a.seq)
      problem(fmt::format("the recorded head is event {}, before this checkpoint: the head was moved back",
                          stored_head.seq));
  }
  return problems;
}

}  // namespace jit::audit
