// Checking a trail against anchors kept outside the store: (seq, hash) pairs from signed
// checkpoints or typed in by an auditor. The chain proves each event follows the one before it;
// an anchor proves the trail is the one that existed when the anchor was taken.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/model.h"
#include "ports/store.h"

namespace jit::audit {

struct Anchor {
  std::int64_t seq = 0;
  std::string hash;
  std::string source;  // where it came from, to name it in a report (e.g. "--checkpoint 12:ab…")
};

// "SEQ:HASH" as given to `jit audit verify --checkpoint`. Errc::invalid naming the expected form.
Result<Anchor> parse_anchor(std::string_view text);

struct AnchorProblem {
  Anchor anchor;
  std::string problem;  // what the trail shows instead
};

// Every anchor the trail disagrees with: the trail (in seq order, as the store returns it) must
// hold event `seq` with hash `hash`, and the stored head must be at or after it. Catches events
// cut off the end (with the head moved back) and a trail rewritten with its hashes recomputed.
std::vector<AnchorProblem> check_anchors(const std::vector<AuditEvent>& events, const AuditHead& stored_head,
                                         const std::vector<Anchor>& anchors);

}  // namespace jit::audit
