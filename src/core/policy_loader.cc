// Reads and checks a policy in one pass over the parsed TOML tree: every table is read by a
// TableReader that knows its allowed keys, every problem is collected with its position, and the
// caller gets either a complete Policy or all the problems at once.
#include "core/policy_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>
#include <toml++/toml.h>

#include "core/duration.h"
#include "core/limits.h"
#include "core/step_up_origin.h"

namespace jit {

namespace {

// ---- Collecting problems ------------------------------------------------------------------------

struct Problem {
  toml::source_position at;
  std::string text;  // "<source>:<line>:<col>: <path> <value>: <what>"
};

class Problems {
 public:
  explicit Problems(std::string_view source) : source_(source) {}

  // `value` is the rendered offending value, or "" when there is none to show.
  void add(const toml::source_region& where, std::string_view path, std::string_view value, std::string_view what) {
    const auto at = where.begin.line == 0 ? toml::source_position{1, 1} : where.begin;
    list_.push_back({at, fmt::format("{}:{}:{}: {}{}{}: {}", source_, at.line, at.column, path,
                                     value.empty() ? "" : " ", value, what)});
  }

  bool empty() const { return list_.empty(); }

  // All problems in document order, one per line.
  std::string joined() {
    std::stable_sort(list_.begin(), list_.end(), [](const Problem& a, const Problem& b) {
      return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
    });
    std::string out;
    std::vector<std::string_view> said;  // a role that inherits an account's mistake repeats it
    for (const auto& p : list_) {
      if (std::find(said.begin(), said.end(), p.text) != said.end()) continue;
      said.push_back(p.text);
      out += (out.empty() ? "" : "\n") + p.text;
    }
    return out;
  }

 private:
  std::string source_;
  std::vector<Problem> list_;
};

// ---- Describing TOML values ---------------------------------------------------------------------

std::string_view type_phrase(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string quoted(std::string_view s) { return fmt::format("{:?}", s); }

// The value as it would appear in the file; "" for arrays and tables, which are too long to quote.
std::string render(const toml::node& node) {
  if (auto s = node.as_string()) return quoted(s->get());
  if (node.is_array() || node.is_table()) return "";
  std::ostringstream out;
  node.visit([&out](const auto& v) {
    if constexpr (toml::is_value<decltype(v)>) out << v;
  });
  return out.str();
}

// ---- What valid values look like ----------------------------------------------------------------

bool upper_alnum_after_prefix(std::string_view s, std::string_view prefixes) {
  if (s.size() < 2 || prefixes.find(s[0]) == std::string_view::npos) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}
bool is_user_id(std::string_view s) { return upper_alnum_after_prefix(s, "UW"); }
bool is_group_id(std::string_view s) { return upper_alnum_after_prefix(s, "S"); }
bool is_channel_id(std::string_view s) { return upper_alnum_after_prefix(s, "CG"); }

bool is_ascii_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_name_char(char c) { return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-'; }

// Account and role names: [A-Za-z0-9][A-Za-z0-9_.-]*, short enough to be a request-form choice.
bool is_name(std::string_view s) {
  return !s.empty() && s.size() <= limits::kMaxChoiceLength && is_ascii_alnum(s[0]) &&
         std::all_of(s.begin(), s.end(), is_name_char);
}

bool is_account_id(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr Tier kTiers[] = {Tier::standard, Tier::high, Tier::break_glass};
constexpr ReconcileMode kReconcileModes[] = {ReconcileMode::revoke, ReconcileMode::alert};

// The value of `values` whose name is `text`, if any.
template <class T, std::size_t N, class NameOf>
std::optional<T> named(const T (&values)[N], NameOf name_of, std::string_view text) {
  for (T v : values)
    if (name_of(v) == text) return v;
  return std::nullopt;
}
constexpr std::int64_t kMaxApprovals = 100;  // keeps the count an int; no real role needs more
constexpr std::string_view kPermissionSetPrefix = "arn:aws:sso:::permissionSet/";
constexpr std::string_view kIdHint = "expected a Slack user id (U… or W…) or user-group id (S…)";
constexpr std::string_view kChannelHint =
    "expected a Slack channel id like C0123ABCD (C or G, then uppercase letters and digits)";
constexpr std::string_view kNameHint =
    "expected at most 100 letters, digits, '_', '.' or '-', starting with a letter or digit";
static_assert(limits::kMaxChoiceLength == 100, "kNameHint states the limit");

// Scheduler's RoleArn rule: ^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+$ (the model's pattern).
bool is_iam_role_arn(std::string_view s) {
  static const Pattern rule = *Pattern::compile(R"(arn:aws(-[a-z]+)?:iam::\d{12}:role/[\w+=,.@/-]+)");
  return rule.full_match(s);
}

// The account of "arn:aws:iam::<12 digits>:<kind>/<path/><name>" (kind "role" or "user"), the name
// in IAM's characters ([\w+=,.@/-]) and not ending in "/"; nullopt when `arn` is not of that form.
// Only the "aws" partition: the service reaches IAM at its global endpoint. A role ARN of this
// form is one access_path_of takes for the IAM-role path.
std::optional<std::string_view> iam_arn_account(std::string_view arn, std::string_view kind) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  arn.remove_prefix(kPrefix.size());
  const std::string_view account = arn.substr(0, 12);
  if (!is_account_id(account)) return std::nullopt;
  arn.remove_prefix(account.size());
  const std::string head = fmt::format(":{}/", kind);
  if (!arn.starts_with(head) || arn.size() == head.size() || arn.back() == '/') return std::nullopt;
  const auto iam_char = [](char c) {
    return is_ascii_alnum(c) || std::string_view("_+=,.@/-").find(c) != std::string_view::npos;
  };
  if (!std::all_of(arn.begin() + head.size(), arn.end(), iam_char)) return std::nullopt;
  return account;
}

// AssumeRole's ExternalId characters ([\w+=,.@:/-]; \w is ASCII here).
bool is_external_id_char(char c) {
  return is_ascii_alnum(c) || std::string_view("_+=,.@:/-").find(c) != std::string_view::npos;
}
constexpr std::size_t kMinExternalId = 2, kMaxExternalId = 1224;

// Scheduler's ScheduleGroupName rule: ^[0-9a-zA-Z-_.]+$, 1 to 64 characters.
bool is_schedule_group(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), is_name_char);
}

// DynamoDB's own rule for table names.
bool is_dynamodb_table(std::string_view s) {
  return s.size() >= 3 && s.size() <= 255 && std::all_of(s.begin(), s.end(), is_name_char);
}

// ---- Reading one table --------------------------------------------------------------------------

// A string found in the document, with where it came from, for checks made after reading.
struct Located {
  std::string value;
  const toml::node* node = nullptr;
  std::string path;
};

// Reads the keys of one table. Keys outside `allowed` are reported when the reader is made; every
// typed read reports a wrong type or a missing required key and then yields nothing.
class TableReader {
 public:
  TableReader(Problems& problems, const toml::table& table, std::string path,
              std::initializer_list<std::string_view> allowed)
      : problems_(problems), table_(table), path_(std::move(path)) {
    for (auto&& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string list;
      for (auto k : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      problems_.add(key.source(), path_of(key.str()), "", "unknown key; allowed keys here: " + list);
    }
  }

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }

  // The node at `key`; null when absent (reported when `required`, at the table's position).
  const toml::node* find(std::string_view key, bool required, std::string_view missing_hint = {}) {
    if (const toml::node* n = table_.get(key)) return n;
    if (required)
      problems_.add(table_.source(), path_of(key), "",
                    missing_hint.empty() ? std::string("required key is missing") : std::string(missing_hint));
    return nullptr;
  }

  const toml::node* typed(std::string_view key, bool required, toml::node_type type, std::string_view expected,
                          std::string_view missing_hint = {}) {
    const toml::node* n = find(key, required, missing_hint);
    if (!n || n->type() == type) return n;
    wrong_type(*n, path_of(key), expected);
    return nullptr;
  }

  void wrong_type(const toml::node& n, std::string_view path, std::string_view expected) {
    problems_.add(n.source(), path, render(n), fmt::format("expected {}, not {}", expected, type_phrase(n.type())));
  }

  std::optional<Located> string(std::string_view key, bool required, std::string_view expected = "a string",
                                std::string_view missing_hint = {}) {
    const toml::node* n = typed(key, required, toml::node_type::string, expected, missing_hint);
    if (!n) return std::nullopt;
    return Located{n->as_string()->get(), n, path_of(key)};
  }

  // A string that must never be shown (a secret, or as good as one): a wrong type is reported
  // without the value.
  std::optional<Located> secret_string(std::string_view key, bool required, std::string_view missing_hint) {
    const toml::node* n = find(key, required, missing_hint);
    if (!n) return std::nullopt;
    if (auto v = n->as_string()) return Located{v->get(), n, path_of(key)};
    problems_.add(n->source(), path_of(key), "", fmt::format("expected a string, not {}", type_phrase(n->type())));
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required, const toml::node** node = nullptr) {
    const toml::node* n = typed(key, required, toml::node_type::integer, "an integer");
    if (node) *node = n;
    if (!n) return std::nullopt;
    return n->as_integer()->get();
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = typed(key, false, toml::node_type::boolean, "true or false");
    if (!n) return std::nullopt;
    return n->as_boolean()->get();
  }

  // A duration string; a bad one is reported with parse_duration's explanation.
  std::optional<Seconds> duration(std::string_view key, bool required) {
    auto s = string(key, required, "a string like \"90m\" or \"2h\"");
    if (!s) return std::nullopt;
    return parse_duration_at(*s);
  }

  std::optional<Seconds> parse_duration_at(const Located& s) {
    auto d = parse_duration(s.value);
    if (d) return *d;
    // parse_duration's message starts with the text it was given, quoted, except when it was empty.
    const std::string& message = d.error().message;
    const std::string prefix = fmt::format("\"{}\": ", s.value);
    const bool prefixed = message.starts_with(prefix);
    problems_.add(s.node->source(), s.path, quoted(s.value),
                  prefixed ? std::string_view(message).substr(prefix.size()) : std::string_view(message));
    return std::nullopt;
  }

  // An array of strings; entries of another type are reported and left out.
  std::optional<std::vector<Located>> strings(std::string_view key, bool required, const toml::node** node = nullptr) {
    const toml::node* n = typed(key, required, toml::node_type::array, "an array of strings");
    if (node) *node = n;
    if (!n) return std::nullopt;
    std::vector<Located> out;
    const auto& array = *n->as_array();
    for (size_t i = 0; i < array.size(); ++i) {
      const std::string path = fmt::format("{}[{}]", path_of(key), i);
      if (auto s = array[i].as_string())
        out.push_back({s->get(), &array[i], path});
      else
        wrong_type(array[i], path, "a string");
    }
    return out;
  }

  // A required, non-empty array of tables, written [[header]] (or key = [{...}, ...]), with the
  // path of each table.
  std::vector<std::pair<const toml::table*, std::string>> tables(std::string_view key, std::string_view header) {
    std::vector<std::pair<const toml::table*, std::string>> out;
    const std::string missing = fmt::format("at least one [[{}]] table is required", header);
    const toml::node* n = find(key, true, missing);
    if (!n) return out;
    const auto* array = n->as_array();
    if (!array) {
      wrong_type(*n, path_of(key), fmt::format("an array of tables, written [[{}]]", header));
      return out;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string path = fmt::format("{}[{}]", path_of(key), i);
      if (auto t = (*array)[i].as_table())
        out.emplace_back(t, path);
      else
        wrong_type((*array)[i], path, "a table");
    }
    if (array->empty()) problems_.add(n->source(), path_of(key), "", missing);
    return out;
  }

 private:
  Problems& problems_;
  const toml::table& table_;
  std::string path_;
};

// ---- The sections of the policy -----------------------------------------------------------------

// Slack user/group ids; "*" too when `star_allowed`.
void check_ids(Problems& problems, const std::vector<Located>& entries, bool star_allowed, std::string_view where) {
  for (const auto& e : entries) {
    if (e.value == "*") {
      if (!star_allowed)
        problems.add(e.node->source(), e.path, quoted(e.value),
                     fmt::format("\"*\" is only allowed in requesters; list the {} by user or group id", where));
    } else if (!is_user_id(e.value) && !is_group_id(e.value)) {
      problems.add(e.node->source(), e.path, quoted(e.value),
                   std::string(kIdHint) + (star_allowed ? ", or \"*\" for everyone" : ""));
    }
  }
}

std::vector<std::string> values_of(const std::vector<Located>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.value);
  return out;
}

// What a grant of the role gives, into role.permission_set_arn: the permission set's ARN in an
// Identity Center account, the elevated role's ARN (`role_arn`, in this account) in an iam-role
// account. The key of the other path is refused, naming the fix; when it is there, the missing
// key of this path is not reported as well.
void read_target(Problems& problems, TableReader& r, const toml::table& table, const AccountPolicy& account,
                 RolePolicy& role) {
  const bool iam = account.provider == AccessPath::iam_role;
  const std::string example_role = fmt::format("arn:aws:iam::{}:role/<name>", account.id);
  const std::string_view wrong_key = iam ? "permission_set_arn" : "role_arn";
  const toml::node* wrong = table.get(wrong_key);
  if (wrong)
    problems.add(wrong->source(), r.path_of(wrong_key), "",
                 iam ? fmt::format("the roles of an iam-role account are IAM roles, not permission sets: replace "
                                   "permission_set_arn with role_arn = \"{}\" (the elevated role)",
                                   example_role)
                     : std::string("only for roles of accounts with provider = \"iam-role\": name the permission "
                                   "set with permission_set_arn, or set provider = \"iam-role\" on the account "
                                   "(with external_id and base_principal_arn)"));
  if (iam) {
    const std::string missing = fmt::format(
        "required in an account with provider = \"iam-role\": the ARN of the elevated IAM role a grant lets the "
        "requester assume, like {}",
        example_role);
    if (auto arn = r.string("role_arn", !wrong, "a string", missing)) {
      role.permission_set_arn = arn->value;
      if (iam_arn_account(arn->value, "role") != std::optional<std::string_view>(account.id))
        problems.add(arn->node->source(), arn->path, quoted(arn->value),
                     fmt::format("expected the ARN of an IAM role in account {} (this account), like {}", account.id,
                                 example_role));
    }
    return;
  }
  if (auto arn = r.string("permission_set_arn", !wrong)) {
    role.permission_set_arn = arn->value;
    if (!arn->value.starts_with(kPermissionSetPrefix) || arn->value.size() == kPermissionSetPrefix.size())
      problems.add(arn->node->source(), arn->path, quoted(arn->value),
                   fmt::format("expected a permission set ARN like {}ssoins-…/ps-…", kPermissionSetPrefix));
  }
}

// session_cutoff and scheduled_revoke (issue 14). In Identity Center accounts both default to on
// where the tier says the access is risky. In iam-role accounts (issue 16) the cut-off is always
// on, since the deny is what ends sessions already assumed at expiry, and there is nothing to
// schedule: the trust condition closes the window itself.
void read_enforcement(Problems& problems, TableReader& r, const toml::table& table, AccessPath provider,
                      const AwsSettings& aws, RolePolicy& role) {
  const auto cutoff = r.boolean("session_cutoff");
  const auto scheduled = r.boolean("scheduled_revoke");
  if (provider == AccessPath::iam_role) {
    role.session_cutoff = true;
    role.scheduled_revoke = false;
    if (cutoff == false)
      problems.add(table.get("session_cutoff")->source(), r.path_of("session_cutoff"), "false",
                   "always on for roles of iam-role accounts: its deny is what ends sessions already assumed at "
                   "the grant's expiry (the trust policy's condition only stops new ones); remove "
                   "session_cutoff = false");
    if (scheduled == true)
      problems.add(table.get("scheduled_revoke")->source(), r.path_of("scheduled_revoke"), "true",
                   "not used by roles of iam-role accounts: the trust policy's condition ends the grant at its "
                   "expiry by itself; remove scheduled_revoke = true");
    return;
  }
  role.session_cutoff = role.scheduled_revoke = role.tier != Tier::standard;
  if (cutoff) role.session_cutoff = *cutoff;
  if (scheduled) role.scheduled_revoke = *scheduled;
  // Without [aws].instance_arn the service cannot touch AWS at all (only --dry-run runs), so a
  // schedule would never be made: no role needs the scheduler then.
  if (role.scheduled_revoke && aws.scheduler_role_arn.empty() && !aws.instance_arn.empty()) {
    const toml::node* flag = table.get("scheduled_revoke");
    problems.add(flag ? flag->source() : table.source(), r.path_of("scheduled_revoke"), "",
                 fmt::format("role {} has scheduled_revoke{} but [aws].scheduler_role_arn is not set: set "
                             "[aws].scheduler_role_arn to the IAM role EventBridge Scheduler assumes to delete "
                             "expired assignments, or set scheduled_revoke = false on the role",
                             quoted(role.name),
                             flag ? "" : fmt::format(" (the default for tier {})", tier_name(role.tier))));
  }
}

// `approvers` of an account (required) or of a role (optional: the account's apply without it):
// the entries, and how many distinct approvers they can supply when that is known (all user ids;
// a group may hold any number of people).
struct Approvers {
  std::vector<std::string> entries;
  std::optional<size_t> limit;
};
std::optional<Approvers> read_approvers(Problems& problems, TableReader& r, bool required) {
  const toml::node* node = nullptr;
  auto approvers = r.strings("approvers", required, &node);
  if (!approvers) return std::nullopt;
  check_ids(problems, *approvers, false, "approvers");
  if (node->as_array()->empty())
    problems.add(node->source(), r.path_of("approvers"), "",
                 required ? "list at least one approver (Slack user id U… or user-group id S…)"
                          : "list at least one approver (Slack user id U… or user-group id S…), or remove the "
                            "key for the account's approvers");
  Approvers out{values_of(*approvers), std::nullopt};
  const bool all_users = approvers->size() == node->as_array()->size() &&
                         std::all_of(approvers->begin(), approvers->end(),
                                     [](const Located& e) { return is_user_id(e.value); });
  if (all_users) {
    std::vector<std::string> distinct = out.entries;
    std::sort(distinct.begin(), distinct.end());
    out.limit = std::unique(distinct.begin(), distinct.end()) - distinct.begin();
  }
  return out;
}

// Issue 17: `auto_approve_if_on_call = "<PagerDuty schedule id>"`, read after the tier, the
// approvals and step_up. Allowed on standard and high roles (the person on call is who a high
// role's approvers would page anyway), never on break-glass ones, never with step_up (an on-call
// approval has no approver to step up) nor with auto_approve (one kind of automatic approval per
// role). approvals_required stays as written: it is what people need when the requester is not on
// call or PagerDuty does not answer.
void read_on_call(Problems& problems, TableReader& r, RolePolicy& role) {
  auto v = r.string("auto_approve_if_on_call", false, "a string: a PagerDuty schedule id such as \"P1ABCDE\"");
  if (!v) return;
  const auto refuse = [&](std::string why) {
    problems.add(v->node->source(), v->path, quoted(v->value), std::move(why));
  };
  if (!is_on_call_schedule_id(v->value))
    return refuse("expected a PagerDuty schedule id: 2 to 32 upper-case letters and digits, such as \"P1ABCDE\" "
                  "(the end of the schedule's URL in PagerDuty)");
  if (role.tier == Tier::break_glass)
    return refuse("on-call auto-approval is for tier = \"standard\" and \"high\" roles, and this one is "
                  "break-glass; remove auto_approve_if_on_call or change the tier");
  if (role.auto_approve)
    return refuse("the role is already auto-approved (auto_approve = true); remove one of the two");
  if (role.step_up)
    return refuse("an on-call approval has no approver to step up: remove step_up (set step_up = \"none\") or "
                  "auto_approve_if_on_call");
  role.on_call_schedule = v->value;
}

// ---- Nobody answers (issue 17) -------------------------------------------------------------------

// The escalation keys of one table (an account's or a role's), with the node each was read from.
struct EscalationKeys {
  EscalationPolicy values;
  const toml::node* remind_after = nullptr;
  const toml::node* escalate_after = nullptr;
  const toml::node* approvers = nullptr;
  const toml::node* channel = nullptr;
  std::string path;  // the table's path
};

// remind_after, escalate_after, escalation_approvers and escalation_channel of the table `r` reads.
// Each key is checked on its own here; check_escalation checks how they go together.
EscalationKeys read_escalation(Problems& problems, TableReader& r, const std::string& path) {
  EscalationKeys keys;
  keys.path = path;
  if (auto s = r.string("remind_after", false, "a string like \"30m\"")) {
    keys.remind_after = s->node;
    keys.values.remind_after = r.parse_duration_at(*s);
  }
  if (auto s = r.string("escalate_after", false, "a string like \"1h\"")) {
    keys.escalate_after = s->node;
    keys.values.escalate_after = r.parse_duration_at(*s);
  }
  const toml::node* node = nullptr;
  if (auto approvers = r.strings("escalation_approvers", false, &node)) {
    keys.approvers = node;
    check_ids(problems, *approvers, false, "escalation_approvers");
    keys.values.approvers = values_of(*approvers);
    if (node->as_array()->empty())
      problems.add(node->source(), r.path_of("escalation_approvers"), "",
                   "list at least one escalation approver (Slack user id U… or user-group id S…), or remove the "
                   "key");
  }
  if (auto channel = r.string("escalation_channel", false)) {
    keys.channel = channel->node;
    keys.values.channel = channel->value;
    if (!is_channel_id(channel->value))
      problems.add(channel->node->source(), channel->path, quoted(channel->value), kChannelHint);
  }
  return keys;
}

// Checks the escalation a role ends up with: its own keys (`role`) over its account's. Each problem
// is reported where the offending key was written (a problem of the account's keys that several
// roles inherit is said once: Problems::joined drops repeats).
void check_escalation(Problems& problems, const EscalationKeys& account, const EscalationKeys* role,
                      Seconds approval_window) {
  struct Key {
    const toml::node* node;
    std::string path;
  };
  const auto pick = [&](const toml::node* EscalationKeys::*member, std::string_view name) {
    if (role && role->*member) return Key{role->*member, fmt::format("{}.{}", role->path, name)};
    return Key{account.*member, fmt::format("{}.{}", account.path, name)};
  };
  const Key remind = pick(&EscalationKeys::remind_after, "remind_after");
  const Key escalate = pick(&EscalationKeys::escalate_after, "escalate_after");
  const Key approvers = pick(&EscalationKeys::approvers, "escalation_approvers");
  const Key channel = pick(&EscalationKeys::channel, "escalation_channel");
  const EscalationPolicy& own = role ? role->values : account.values;
  const auto remind_after = own.remind_after ? own.remind_after : account.values.remind_after;
  const auto escalate_after = own.escalate_after ? own.escalate_after : account.values.escalate_after;
  const std::string window = format_duration(approval_window);
  for (const auto& [key, after, name] : {std::tuple{remind, remind_after, "remind_after"},
                                         std::tuple{escalate, escalate_after, "escalate_after"}})
    if (after && *after >= approval_window)
      problems.add(key.node->source(), key.path, quoted(format_duration(*after)),
                   fmt::format("must be shorter than approval_window ({}), after which the request lapses: set {} "
                               "below {}, or lengthen approval_window",
                               window, name, window));
  if (remind_after && escalate_after && *escalate_after <= *remind_after)
    problems.add(escalate.node->source(), escalate.path, quoted(format_duration(*escalate_after)),
                 fmt::format("must be later than remind_after ({}): the reminder comes first, then the escalation; "
                             "lengthen escalate_after or shorten remind_after",
                             format_duration(*remind_after)));
  if (escalate.node && !approvers.node)
    problems.add(escalate.node->source(), escalate.path, "",
                 "escalate_after needs escalation_approvers: list who may decide once the request is escalated "
                 "(Slack user ids U… or user-group ids S…)");
  for (const Key& orphan : {approvers, channel})
    if (orphan.node && !escalate.node)
      problems.add(orphan.node->source(), orphan.path, "",
                   "is used only when the request is escalated: add escalate_after (e.g. \"1h\"), or remove it");
}

// `approver_limit`: how many distinct approvers the account can supply, when known (all user ids);
// a role's own `approvers` replace it.
// `account`: its provider and id, read already. Fields that fail a check are reported and left at
// their defaults.
// Long on purpose: one check per key of a role table, in the order the keys are documented in
// examples/jit.toml; splitting it would scatter that list.
// `escalation`: the role's own escalation keys (issue 17), for read_account to check with the account's.
RolePolicy read_role(Problems& problems, const toml::table& table, const std::string& path,
                     std::optional<size_t> approver_limit, const AccountPolicy& account, const AwsSettings& aws,
                     EscalationKeys& escalation) {
  TableReader r(problems, table, path,
                {"name", "permission_set_arn", "role_arn", "max_duration", "allowed_durations", "tier",
                 "approvals_required", "requesters", "ticket_required", "ticket_pattern", "reconcile",
                 "session_cutoff", "scheduled_revoke", "step_up", "approvers", "owner_channel", "auto_approve",
                 "auto_approve_if_on_call", "remind_after", "escalate_after", "escalation_approvers", "escalation_channel"});
  RolePolicy role;
  if (auto name = r.string("name", true)) {
    role.name = name->value;
    if (!is_name(role.name)) problems.add(name->node->source(), name->path, quoted(role.name), kNameHint);
  }
  read_target(problems, r, table, account, role);
  const auto max = r.duration("max_duration", true);
  if (max) role.max_duration = *max;
  if (auto allowed = r.strings("allowed_durations", false)) {
    for (const auto& entry : *allowed) {
      auto d = r.parse_duration_at(entry);
      if (!d) continue;
      if (max && *d > *max)
        problems.add(entry.node->source(), entry.path, quoted(entry.value),
                     fmt::format("longer than max_duration {}; raise max_duration or remove it",
                                 format_duration(*max)));
      role.allowed_durations.push_back(*d);
    }
  }
  if (auto tier = r.string("tier", false)) {
    if (auto known = named(kTiers, tier_name, tier->value))
      role.tier = *known;
    else
      problems.add(tier->node->source(), tier->path, quoted(tier->value),
                   "expected one of standard, high, break-glass");
  }
  // Issue 17: a role may name its own approvers and channel, replacing the account's.
  std::string_view whose = "account";
  if (auto own = read_approvers(problems, r, false)) {
    role.approvers = std::move(own->entries);
    approver_limit = own->limit;
    whose = "role";
  }
  if (auto channel = r.string("owner_channel", false)) {
    role.owner_channel = channel->value;
    if (!is_channel_id(role.owner_channel))
      problems.add(channel->node->source(), channel->path, quoted(channel->value), kChannelHint);
  }
  // Issue 17: auto-approval is never implicit: approvals_required = 0 needs auto_approve = true,
  // and auto_approve = true needs approvals_required = 0 written out and tier standard.
  const toml::node* auto_node = table.get("auto_approve");
  const std::optional<bool> auto_approve = r.boolean("auto_approve");
  const toml::node* approvals_node = nullptr;
  bool approvals_bad = false;
  if (auto n = r.integer("approvals_required", false, &approvals_node)) {
    const std::string path_of_n = r.path_of("approvals_required");
    approvals_bad = true;
    if (*n < 0 || *n > kMaxApprovals)
      problems.add(approvals_node->source(), path_of_n, std::to_string(*n),
                   fmt::format("expected a number from 1 to {} (0 only with auto_approve = true)", kMaxApprovals));
    else if (*n == 0 && auto_approve != true)
      problems.add(approvals_node->source(), path_of_n, "0",
                   "no approval at all is allowed only with auto_approve = true on a tier = \"standard\" role; "
                   "set auto_approve = true, or require at least 1 approval");
    else if (approver_limit && static_cast<std::uint64_t>(*n) > *approver_limit)
      problems.add(approvals_node->source(), path_of_n, std::to_string(*n),
                   fmt::format("the {} lists only {} approver(s), all user ids; lower it or add approvers", whose,
                               *approver_limit));
    else {
      role.approvals_required = static_cast<int>(*n);
      approvals_bad = false;
    }
  }
  if (auto_approve == true) {
    role.auto_approve = true;
    if (role.tier != Tier::standard)
      problems.add(auto_node->source(), r.path_of("auto_approve"), "true",
                   fmt::format("auto-approval is only for tier = \"standard\" roles, and this one is {}; remove "
                               "auto_approve or make the role standard",
                               tier_name(role.tier)));
    else if (!approvals_bad && (!approvals_node || role.approvals_required != 0))
      problems.add(auto_node->source(), r.path_of("auto_approve"), "true",
                   "auto_approve = true needs approvals_required = 0 written out on the role (so that nobody "
                   "reads it as needing an approval); add it, or remove auto_approve");
  }
  const toml::node* requesters_node = nullptr;
  if (auto requesters = r.strings("requesters", true, &requesters_node)) {
    check_ids(problems, *requesters, true, "requesters");
    if (requesters_node->as_array()->empty())
      problems.add(requesters_node->source(), r.path_of("requesters"), "",
                   "list at least one user id, group id or \"*\"");
    role.requesters = values_of(*requesters);
  }
  if (auto required = r.boolean("ticket_required")) role.ticket_required = *required;
  if (auto pattern = r.string("ticket_pattern", false); pattern && !pattern->value.empty()) {
    if (auto compiled = Pattern::compile(pattern->value)) {
      role.ticket_regex = std::move(*compiled);
      role.ticket_pattern = pattern->value;
    } else {
      problems.add(pattern->node->source(), pattern->path, quoted(pattern->value),
                   fmt::format("not a pattern RE2 accepts: {}", compiled.error().message));
    }
  }
  if (auto mode = r.string("reconcile", false)) {
    if (auto known = named(kReconcileModes, reconcile_mode_name, mode->value))
      role.reconcile = *known;
    else
      problems.add(mode->node->source(), mode->path, quoted(mode->value),
                   "expected \"revoke\" (remove assignments no grant explains) or \"alert\" (only report them)");
  }
  read_enforcement(problems, r, table, account.provider, aws, role);
  // Issue 15: approvers of a break-glass role confirm with a security key unless told otherwise.
  role.step_up = role.tier == Tier::break_glass;
  if (auto step_up = r.string("step_up", false)) {
    if (step_up->value == "webauthn" || step_up->value == "none")
      role.step_up = step_up->value == "webauthn";
    else
      problems.add(step_up->node->source(), step_up->path, quoted(step_up->value),
                   "expected \"webauthn\" (approvers confirm with a security key) or \"none\"");
  }
  if (role.auto_approve && role.step_up && auto_node)
    problems.add(auto_node->source(), r.path_of("auto_approve"), "true",
                 "an auto-approved role has no approver to step up: remove step_up or auto_approve");
  read_on_call(problems, r, role);
  escalation = read_escalation(problems, r, path);
  role.escalation = escalation.values;
  return role;
}

// Reports `value` when an earlier entry already used it; `seen` maps values to their first path.
void check_unique(Problems& problems, std::map<std::string, std::string>& seen, const toml::node* node,
                  const std::string& path, const std::string& value, std::string_view what) {
  if (value.empty() || !node) return;  // missing or mistyped: reported already
  if (auto [it, fresh] = seen.emplace(value, path); !fresh)
    problems.add(node->source(), path, quoted(value), fmt::format("duplicate {} (also {})", what, it->second));
}

constexpr std::string_view kIamRoleKeys[] = {"management_role_arn", "external_id", "base_principal_arn",
                                             "source_identity"};
constexpr AccessPath kAccessPaths[] = {AccessPath::identity_center, AccessPath::iam_role};
constexpr SourceIdentityForm kSourceIdentityForms[] = {SourceIdentityForm::email, SourceIdentityForm::email_local_part};

// `provider`: "identity-center" (the default) or "iam-role". When it is neither (reported), the
// account is read as the path its other keys suggest, so its roles draw no second round of errors.
AccessPath read_provider(Problems& problems, TableReader& r, const toml::table& table) {
  auto v = r.string("provider", false);
  if (!v) {
    if (!table.get("provider")) return AccessPath::identity_center;
  } else if (auto known = named(kAccessPaths, access_path_name, v->value)) {
    return *known;
  } else {
    problems.add(v->node->source(), v->path, quoted(v->value),
                 "expected \"identity-center\" (the default: grants are IAM Identity Center assignments) or "
                 "\"iam-role\" (grants are statements on IAM roles' trust policies)");
  }
  const bool iam_keys = std::any_of(std::begin(kIamRoleKeys), std::end(kIamRoleKeys),
                                    [&](std::string_view key) { return table.contains(key); });
  return iam_keys ? AccessPath::iam_role : AccessPath::identity_center;
}

// The keys of an iam-role account (issue 16); on an Identity Center account each is refused.
// external_id's value is never shown in a problem: it is as good as a secret.
void read_iam_role_access(Problems& problems, TableReader& r, const toml::table& table, AccountPolicy& account) {
  if (account.provider != AccessPath::iam_role) {
    for (std::string_view key : kIamRoleKeys)
      if (const toml::node* n = table.get(key))
        problems.add(n->source(), r.path_of(key), "",
                     fmt::format("only for accounts with provider = \"iam-role\": set provider = \"iam-role\" on "
                                 "this account, or remove {}",
                                 key));
    return;
  }
  IamRoleAccess& iam = account.iam_role;
  const std::string default_management = fmt::format("arn:aws:iam::{}:role/jit-access-management", account.id);
  iam.management_role_arn = default_management;
  if (auto v = r.string("management_role_arn", false)) {
    iam.management_role_arn = v->value;
    if (iam_arn_account(v->value, "role") != std::optional<std::string_view>(account.id))
      problems.add(v->node->source(), v->path, quoted(v->value),
                   fmt::format("expected the ARN of an IAM role in account {} (this account), like {}; or leave "
                               "management_role_arn out for that one",
                               account.id, default_management));
  }
  constexpr std::string_view kExternalIdForm = "2 to 1224 characters, each a letter, digit, '_' or one of +=,.@:/-";
  if (auto v = r.secret_string("external_id", true,
                               fmt::format("required for provider = \"iam-role\": the external id the management "
                                           "role's trust policy asks for ({})",
                                           kExternalIdForm))) {
    iam.external_id = v->value;
    const std::size_t n = v->value.size();
    if (n < kMinExternalId || n > kMaxExternalId)
      problems.add(v->node->source(), v->path, "",
                   fmt::format("is {} character{} long; expected {}", n, n == 1 ? "" : "s", kExternalIdForm));
    else if (!std::all_of(v->value.begin(), v->value.end(), is_external_id_char))
      problems.add(v->node->source(), v->path, "",
                   fmt::format("has a character outside letters, digits, '_' and +=,.@:/- (expected {})",
                               kExternalIdForm));
  }
  constexpr std::string_view kBaseHint =
      "the ARN of the IAM role or user requesters sign in as at their base level, whose sessions carry their "
      "e-mail address as source identity, like arn:aws:iam::123456789012:role/okta-engineer";
  if (auto v = r.string("base_principal_arn", true, "a string",
                        fmt::format("required for provider = \"iam-role\": {}", kBaseHint))) {
    iam.base_principal_arn = v->value;
    if (!iam_arn_account(v->value, "role") && !iam_arn_account(v->value, "user"))
      problems.add(v->node->source(), v->path, quoted(v->value), fmt::format("expected {}", kBaseHint));
  }
  if (auto v = r.string("source_identity", false)) {
    if (auto known = named(kSourceIdentityForms, source_identity_form_name, v->value))
      iam.source_identity = *known;
    else
      problems.add(v->node->source(), v->path, quoted(v->value),
                   "expected \"email\" (the default: base sessions carry the person's e-mail address as "
                   "aws:SourceIdentity) or \"email-local-part\" (they carry the part before the @)");
  }
}

// `approval_window`: policy's, which every escalation key must be shorter than.
AccountPolicy read_account(Problems& problems, const toml::table& table, const std::string& path,
                           const AwsSettings& aws, Seconds approval_window) {
  TableReader r(problems, table, path,
                {"name", "id", "provider", "management_role_arn", "external_id", "base_principal_arn",
                 "source_identity", "owner_channel", "approvers", "roles", "remind_after", "escalate_after",
                 "escalation_approvers", "escalation_channel"});
  AccountPolicy account;
  if (auto name = r.string("name", true)) {
    account.name = name->value;
    if (!is_name(account.name)) problems.add(name->node->source(), name->path, quoted(account.name), kNameHint);
  }
  if (auto id = r.string("id", true, "a string of 12 digits in quotes, like \"123456789012\"")) {
    account.id = id->value;
    if (!is_account_id(account.id))
      problems.add(id->node->source(), id->path, quoted(account.id),
                   "expected exactly 12 digits, like \"123456789012\"");
  }
  account.provider = read_provider(problems, r, table);
  read_iam_role_access(problems, r, table, account);
  if (auto channel = r.string("owner_channel", true)) {
    account.owner_channel = channel->value;
    if (!is_channel_id(account.owner_channel))
      problems.add(channel->node->source(), channel->path, quoted(channel->value), kChannelHint);
  }
  std::optional<size_t> approver_limit;
  if (auto approvers = read_approvers(problems, r, true)) {
    account.approvers = std::move(approvers->entries);
    approver_limit = approvers->limit;
  }
  const EscalationKeys escalation = read_escalation(problems, r, path);
  account.escalation = escalation.values;
  auto roles = r.tables("roles", "accounts.roles");
  std::map<std::string, std::string> role_names, targets;
  for (const auto& [role_table, role_path] : roles) {
    EscalationKeys own;
    account.roles.push_back(read_role(problems, *role_table, role_path, approver_limit, account, aws, own));
    // Each role's own combination (the account's keys are checked as each role inherits them:
    // an account may name escalation_approvers for roles that each set escalate_after).
    check_escalation(problems, escalation, &own, approval_window);
    check_unique(problems, role_names, role_table->get("name"), role_path + ".name", account.roles.back().name,
                 "role name in this account");
    // Identity Center has one assignment per user, account and permission set: two roles on one
    // permission set would share it, and revoking one grant would end the other's access. On the
    // IAM-role path a revoke removes every statement of ours for the person on the role: the same.
    if (account.provider == AccessPath::iam_role)
      check_unique(problems, targets, role_table->get("role_arn"), role_path + ".role_arn",
                   account.roles.back().permission_set_arn,
                   "IAM role in this account (two roles would share its trust statements, so ending one grant "
                   "would end the other: give each role its own IAM role)");
    else
      check_unique(problems, targets, role_table->get("permission_set_arn"), role_path + ".permission_set_arn",
                   account.roles.back().permission_set_arn,
                   "permission set in this account (two roles would share one AWS assignment, so ending one grant "
                   "would end the other: give each role its own permission set)");
  }
  return account;
}

void read_store(Problems& problems, const toml::table& table, StoreSettings& store) {
  TableReader r(problems, table, "store", {"url"});
  if (auto url = r.string("url", false)) {
    store.url = url->value;
    const std::string_view v = url->value;
    const bool sqlite = v.starts_with("sqlite:") && v.size() > 7;
    const bool dynamodb = v.starts_with("dynamodb:") && is_dynamodb_table(v.substr(9));
    if (!sqlite && !dynamodb)
      problems.add(url->node->source(), url->path, quoted(v),
                   "expected sqlite:<path> (e.g. sqlite:jit.db) or dynamodb:<table> (3-255 of A-Z a-z 0-9 _ . -)");
  }
}

// An integer setting from `lowest` to `highest`; out of range is a problem naming both.
void read_bounded(Problems& problems, TableReader& r, std::string_view key, std::int64_t lowest,
                  std::int64_t highest, int& out) {
  const toml::node* node = nullptr;
  auto n = r.integer(key, false, &node);
  if (!n) return;
  if (*n < lowest || *n > highest)
    problems.add(node->source(), r.path_of(key), std::to_string(*n),
                 fmt::format("expected a number from {} to {}", lowest, highest));
  else
    out = static_cast<int>(*n);
}

// A string setting that `valid` accepts; anything else is a problem saying `hint`.
void read_checked(Problems& problems, TableReader& r, std::string_view key, bool (*valid)(std::string_view),
                  std::string_view hint, std::string& out) {
  auto v = r.string(key, false);
  if (!v) return;
  if (valid(v->value))
    out = v->value;
  else
    problems.add(v->node->source(), v->path, quoted(v->value), hint);
}

void read_aws(Problems& problems, const toml::table& table, AwsSettings& aws) {
  TableReader r(problems, table, "aws",
                {"region", "instance_arn", "identity_store_id", "access_portal_url", "call_timeout", "revoke_rate",
                 "revoke_concurrency", "scheduler_role_arn", "scheduler_group", "cutoff_margin",
                 "trust_policy_size_limit"});
  read_bounded(problems, r, "revoke_rate", 1, 1000, aws.revoke_rate);
  read_bounded(problems, r, "trust_policy_size_limit", 1, 8192, aws.trust_policy_size_limit);
  read_bounded(problems, r, "revoke_concurrency", 1, 256, aws.revoke_concurrency);
  if (auto v = r.string("region", false)) aws.region = v->value;
  if (auto v = r.string("instance_arn", false)) aws.instance_arn = v->value;
  if (auto v = r.string("identity_store_id", false)) aws.identity_store_id = v->value;
  if (auto v = r.string("access_portal_url", false)) aws.access_portal_url = v->value;
  if (auto s = r.string("call_timeout", false, "a string like \"90s\" or \"2m\"")) {
    if (auto d = r.parse_duration_at(*s); d && (*d < kMinCallTimeout || *d > kMaxCallTimeout))
      problems.add(s->node->source(), s->path, quoted(s->value),
                   fmt::format("expected from {} to {}", format_duration(kMinCallTimeout),
                               format_duration(kMaxCallTimeout)));
    else if (d)
      aws.call_timeout = *d;
  }
  read_checked(problems, r, "scheduler_role_arn", is_iam_role_arn,
               "expected an IAM role ARN like arn:aws:iam::123456789012:role/jit-scheduler", aws.scheduler_role_arn);
  read_checked(problems, r, "scheduler_group", is_schedule_group,
               "expected 1 to 64 letters, digits, '-', '_' or '.' (an EventBridge Scheduler group name)",
               aws.scheduler_group);
  if (auto s = r.string("cutoff_margin", false, "a string like \"2m\" or \"0s\"")) {
    // parse_duration refuses zero, which is meaningful here: no margin.
    if (s->value == "0" || s->value == "0s" || s->value == "0m")
      aws.cutoff_margin = Seconds{0};
    else if (auto d = r.parse_duration_at(*s); d && *d > kMaxCutoffMargin)
      problems.add(s->node->source(), s->path, quoted(s->value),
                   fmt::format("expected from 0s to {}", format_duration(kMaxCutoffMargin)));
    else if (d)
      aws.cutoff_margin = *d;
  }
}

void read_slack(Problems& problems, const toml::table& table, SlackSettings& slack) {
  TableReader r(problems, table, "slack", {"user_rate", "user_burst", "queue_limit"});
  if (auto v = r.string("user_rate", false, "a string like \"10/min\"")) {
    if (auto rate = parse_rate(v->value)) slack.user_rate = *rate;
    else problems.add(v->node->source(), v->path, quoted(v->value),
                      "expected <count>/<unit> such as \"10/min\": a count from 1 to 1000000 per s, min or hour");
  }
  read_bounded(problems, r, "user_burst", 1, 1000, slack.user_burst);
  read_bounded(problems, r, "queue_limit", 1, 1'000'000, slack.queue_limit);
}

void read_audit(Problems& problems, const toml::table& table, AuditSettings& audit) {
  TableReader r(problems, table, "audit", {"key_file", "checkpoint_key_file", "checkpoint_interval"});
  if (auto v = r.string("key_file", false)) {
    if (v->value.empty())
      problems.add(v->node->source(), v->path, "\"\"",
                   "expected the path of a key file (lines `<key-id> <secret>`); leave key_file out for no key file");
    else
      audit.key_file = v->value;
  }
  if (auto v = r.string("checkpoint_key_file", false)) audit.checkpoint_key_file = v->value;
  if (auto s = r.string("checkpoint_interval", false, "a string like \"15m\"")) {
    if (auto d = r.parse_duration_at(*s); d && *d < Seconds{10})
      problems.add(s->node->source(), s->path, quoted(s->value), "expected 10s or more");
    else if (d)
      audit.checkpoint_interval = *d;
  }
}

// [step_up]: each key's form; whether the keys a step-up role needs are there is checked once the
// roles are read (check_step_up_needs).
void read_step_up(Problems& problems, const toml::table& table, StepUpSettings& step_up) {
  TableReader r(problems, table, "step_up",
                {"origin", "rp_id", "listen", "tls_certificate_file", "tls_key_file", "link_lifetime"});
  std::optional<HttpsOrigin> origin;
  if (auto v = r.string("origin", false)) {
    if (auto parsed = parse_https_origin(v->value)) {
      origin = *parsed;
      step_up.origin = v->value;
    } else {
      problems.add(v->node->source(), v->path, quoted(v->value), parsed.error().message);
    }
  }
  if (auto v = r.string("rp_id", false)) {
    auto fits = origin ? check_rp_id(v->value, origin->host) : Result<>{};
    if (fits)
      step_up.rp_id = v->value;
    else
      problems.add(v->node->source(), v->path, quoted(v->value),
                   fmt::format("{}; or leave rp_id out to use the host", fits.error().message));
  }
  if (origin && step_up.rp_id.empty()) step_up.rp_id = origin->host;
  if (auto v = r.string("listen", false)) {
    if (auto parsed = parse_listen_address(v->value))
      step_up.listen = v->value;
    else
      problems.add(v->node->source(), v->path, quoted(v->value), parsed.error().message);
  }
  for (auto [key, out] : {std::pair{"tls_certificate_file", &step_up.tls_certificate_file},
                          std::pair{"tls_key_file", &step_up.tls_key_file}}) {
    if (auto v = r.string(key, false)) {
      if (v->value.empty())
        problems.add(v->node->source(), v->path, "\"\"", "expected the path of a PEM file");
      else
        *out = v->value;
    }
  }
  if (auto s = r.string("link_lifetime", false, "a string like \"5m\"")) {
    if (auto d = r.parse_duration_at(*s); d && (*d < kMinStepUpLinkLifetime || *d > kMaxStepUpLinkLifetime))
      problems.add(s->node->source(), s->path, quoted(s->value),
                   fmt::format("expected from {} to {}", format_duration(kMinStepUpLinkLifetime),
                               format_duration(kMaxStepUpLinkLifetime)));
    else if (d)
      step_up.link_lifetime = *d;
  }
}

// [pagerduty] (issue 17): where on-call auto-approval asks. The token is never in this file's
// text: JIT_PAGERDUTY_TOKEN or token_file.
void read_pagerduty(Problems& problems, const toml::table& table, PagerDutySettings& pagerduty) {
  TableReader r(problems, table, "pagerduty", {"api_url", "token_file", "timeout"});
  if (auto v = r.string("api_url", false)) {
    const bool https = v->value.starts_with("https://") && v->value.size() > 8;
    const bool loopback = v->value.starts_with("http://127.0.0.1:") || v->value.starts_with("http://localhost:") ||
                          v->value.starts_with("http://[::1]:");
    if ((https || loopback) && v->value.size() <= 256 && v->value.find_first_of(" ?#\"\\") == std::string::npos)
      pagerduty.api_url = v->value;
    else
      problems.add(v->node->source(), v->path, quoted(v->value),
                   "expected an https URL such as \"https://api.pagerduty.com\" (plain http only to a loopback "
                   "address, for an emulator), no query");
  }
  if (auto v = r.string("token_file", false)) {
    if (v->value.empty())
      problems.add(v->node->source(), v->path, "\"\"",
                   "expected the path of a file holding the PagerDuty REST API token; leave token_file out to use "
                   "JIT_PAGERDUTY_TOKEN");
    else
      pagerduty.token_file = v->value;
  }
  if (auto s = r.string("timeout", false, "a string like \"5s\"")) {
    if (auto d = r.parse_duration_at(*s); d && (*d < Seconds{1} || *d > kMaxPagerDutyTimeout))
      problems.add(s->node->source(), s->path, quoted(s->value),
                   fmt::format("expected from 1s to {}", format_duration(kMaxPagerDutyTimeout)));
    else if (d)
      pagerduty.timeout = *d;
  }
}

// When a role has step_up, the page must be served: origin is required. Its TLS identity may come
// from the files or from the environment, which this pure loader cannot see: load_step_up_tls
// (app) requires one or the other when jit serve starts.
void check_step_up_needs(Problems& problems, const toml::table& root, const Config& config) {
  std::string first;
  for (const auto& account : config.policy.accounts)
    for (const auto& role : account.roles)
      if (role.step_up && first.empty()) first = fmt::format("{}/{}", account.name, role.name);
  if (first.empty()) return;
  const toml::node* table = root.get("step_up");
  const auto& where = table ? table->source() : root.source();
  const StepUpSettings& s = config.settings.step_up;
  const auto need = [&](std::string_view key, bool given, const toml::node* node, std::string_view example) {
    if (given || node) return;  // set, or set wrongly and reported already
    problems.add(where, fmt::format("step_up.{}", key), "",
                 fmt::format("required because role {} has step_up (approvals with a security key): set {} = {} "
                             "in [step_up], or set step_up = \"none\" on every role",
                             first, key, example));
  };
  const toml::table* t = table ? table->as_table() : nullptr;
  need("origin", !s.origin.empty(), t ? t->get("origin") : nullptr, "\"https://jit.internal.example\"");
}

void read_config(Problems& problems, const toml::table& root, Config& config) {
  Policy& policy = config.policy;
  Settings& settings = config.settings;
  TableReader r(problems, root, "",
                {"approval_window", "sweep_interval", "reconcile_interval", "expiry_warning", "reason_max_length", "admins",
                 "allow_guests", "ops_channel", "announce_queue", "store", "aws", "slack", "audit", "step_up",
                 "pagerduty", "accounts"});
  read_bounded(problems, r, "announce_queue", 1, 1'000'000, settings.announce_queue);
  if (auto d = r.duration("approval_window", false)) policy.approval_window = *d;
  if (auto d = r.duration("sweep_interval", false)) settings.sweep_interval = *d;
  if (auto d = r.duration("reconcile_interval", false)) settings.reconcile_interval = *d;
  if (auto d = r.duration("expiry_warning", false)) {
    if (*d > std::chrono::hours{24})
      problems.add(r.typed("expiry_warning", false, toml::node_type::string, "")->source(), "expiry_warning",
                   quoted(format_duration(*d)), "expected at most 1d: how long before a grant ends its requester is told");
    else
      settings.expiry_warning = *d;
  }
  const toml::node* length_node = nullptr;
  if (auto n = r.integer("reason_max_length", false, &length_node)) {
    if (*n < 1 || static_cast<std::uint64_t>(*n) > limits::kMaxReasonLength)
      problems.add(length_node->source(), "reason_max_length", std::to_string(*n),
                   fmt::format("expected a number from 1 to {} (the most Slack's request form takes): set "
                               "reason_max_length to {} or less",
                               limits::kMaxReasonLength, limits::kMaxReasonLength));
    else
      policy.reason_max_length = static_cast<std::size_t>(*n);
  }
  if (auto admins = r.strings("admins", false)) {
    check_ids(problems, *admins, false, "admins");
    policy.admins = values_of(*admins);
  }
  if (auto allow = r.boolean("allow_guests")) policy.allow_guests = *allow;
  if (auto channel = r.string("ops_channel", false)) {
    settings.ops_channel = channel->value;
    if (!is_channel_id(channel->value))
      problems.add(channel->node->source(), channel->path, quoted(channel->value), kChannelHint);
  }
  if (auto n = r.typed("store", false, toml::node_type::table, "a table, written [store]"))
    read_store(problems, *n->as_table(), settings.store);
  if (auto n = r.typed("aws", false, toml::node_type::table, "a table, written [aws]"))
    read_aws(problems, *n->as_table(), settings.aws);
  if (auto n = r.typed("slack", false, toml::node_type::table, "a table, written [slack]"))
    read_slack(problems, *n->as_table(), settings.slack);
  if (auto n = r.typed("audit", false, toml::node_type::table, "a table, written [audit]"))
    read_audit(problems, *n->as_table(), settings.audit);
  if (auto n = r.typed("step_up", false, toml::node_type::table, "a table, written [step_up]"))
    read_step_up(problems, *n->as_table(), settings.step_up);
  if (auto n = r.typed("pagerduty", false, toml::node_type::table, "a table, written [pagerduty]"))
    read_pagerduty(problems, *n->as_table(), settings.pagerduty);

  auto accounts = r.tables("accounts", "accounts");
  std::map<std::string, std::string> names, ids;
  for (const auto& [table, path] : accounts) {
    policy.accounts.push_back(read_account(problems, *table, path, settings.aws, policy.approval_window));
    const auto& account = policy.accounts.back();
    check_unique(problems, names, table->get("name"), path + ".name", account.name, "account name");
    check_unique(problems, ids, table->get("id"), path + ".id", account.id, "account id");
  }
  check_step_up_needs(problems, root, config);
}

}  // namespace

Result<Config> load_config(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return fail(Error::Invalid(fmt::format("{}:{}:{}: {}", source_name, e.source().begin.line,
                                           e.source().begin.column, e.description())));
  }
  Problems problems(source_name);
  Config config;
  read_config(problems, root, config);
  if (!problems.empty()) return fail(Error::Invalid(problems.joined()));
  return config;
}

}  // namespace jit
