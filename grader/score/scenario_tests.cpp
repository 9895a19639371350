#include "score/scenario_tests.h"

#include "util/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace kmgrade::score {

namespace {

using Kind = StepExpectation::Kind;

struct KindName
{
  Kind kind;
  const char* name;
};

// The key of each kind of expectation in a lab file.
constexpr KindName k_kinds[] = {
  {Kind::succeeds, "succeeds"},
  {Kind::fails, "fails"},
  {Kind::fails_with, "fails_with"},
  {Kind::not_fails_with, "not_fails_with"},
  {Kind::is_type, "type"},
  {Kind::contains, "contains"},
  {Kind::lacks, "lacks"},
  {Kind::newlines, "newlines"},
  {Kind::lines_with, "lines_with"},
  {Kind::first_line_contains, "first_line_contains"},
  {Kind::last_line_contains, "last_line_contains"},
  {Kind::lines, "lines"},
  {Kind::same_as_reference, "same_as_reference"},
  {Kind::format_as_reference, "format_as_reference"},
};

// Expectations about what a read gave, which only a read step can meet.
bool reads_data(Kind kind)
{
  return kind == Kind::contains || kind == Kind::lacks || kind == Kind::newlines || kind == Kind::lines_with ||
         kind == Kind::first_line_contains || kind == Kind::last_line_contains || kind == Kind::lines ||
         kind == Kind::format_as_reference;
}

StepExpectation parse_expectation(const nlohmann::json& j, const std::string& at)
{
  if (!j.is_object()) {
    throw Error(at + " must be an object such as {\"contains\": \"lorem\"} or {\"newlines\": 2}");
  }
  StepExpectation e;
  const KindName* found = nullptr;
  for (const auto& k : k_kinds) {
    if (j.contains(k.name)) {
      if (found) {
        throw Error(at + " holds both " + found->name + " and " + k.name + "; a test expects one thing");
      }
      found = &k;
    }
  }
  if (!found) {
    std::string names;
    for (const auto& k : k_kinds) {
      names += (names.empty() ? "" : ", ") + std::string(k.name);
    }
    throw Error(at + " must hold one of " + names);
  }
  e.kind = found->kind;
  for (const auto& [key, value] : j.items()) {
    if (key != found->name && !(key == "count" && e.kind == Kind::lines_with)) {
      throw Error(at + ": " + key + " is not a field of a " + found->name + " expectation");
    }
  }
  const auto& value = j.at(found->name);
  const std::string field = at + "." + found->name;
  switch (e.kind) {
    case Kind::succeeds:
    case Kind::fails:
    case Kind::format_as_reference:
      if (value != true) {
        throw Error(field + " must be true");
      }
      break;
    case Kind::fails_with:
    case Kind::not_fails_with:
      e.text = value.get<std::string>();
      if (e.text.size() < 2 || e.text[0] != 'E' ||
          e.text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
        throw Error(field + " must be an errno name such as EIO");
      }
      break;
    case Kind::is_type: {
      e.text = value.get<std::string>();
      static const std::vector<std::string> k_types = {"file", "dir", "link", "char", "block", "fifo", "socket"};
      if (std::find(k_types.begin(), k_types.end(), e.text) == k_types.end()) {
        throw Error(field + " must be one of file, dir, link, char, block, fifo, socket");
      }
      break;
    }
    case Kind::newlines:
      if (!value.is_number_unsigned()) {
        throw Error(field + " must be a number of newlines, 0 or more");
      }
      e.count = value.get<long long>();
      break;
    case Kind::lines_with:
      e.text = value.get<std::string>();
      if (!j.contains("count") || !j.at("count").is_number_unsigned()) {
        throw Error(at + ".count must be the number of lines that hold " + e.text);
      }
      e.count = j.at("count").get<long long>();
      break;
    case Kind::lines:
      e.lines = value.get<std::vector<std::string>>();
      break;
    case Kind::same_as_reference: {
      const auto mode = value.get<std::string>();
      bool known = false;
      for (auto m : {CompareMode::exact, CompareMode::lines, CompareMode::substring}) {
        if (mode == to_string(m)) {
          e.compare = m;
          known = true;
        }
      }
      if (!known) {
        throw Error(field + " must be exact, lines or substring");
      }
      break;
    }
    case Kind::contains:
    case Kind::lacks:
      // Several texts: each must be there (or none), as a test that greps for each in turn.
      if (value.is_array()) {
        e.lines = value.get<std::vector<std::string>>();
        if (e.lines.empty() || std::any_of(e.lines.begin(), e.lines.end(), [](const std::string& t) {
              return t.empty() || t.find('\n') != std::string::npos;
            })) {
          throw Error(field + " must be texts of one line, none empty");
        }
        break;
      }
      [[fallthrough]];
    default:
      e.text = value.get<std::string>();
      if (e.text.empty() || e.text.find('\n') != std::string::npos) {
        throw Error(field + " must be text of one line, not empty");
      }
  }
  return e;
}

// Whether a step of `kind` can meet `e`: what a read gave needs a read; a type needs a stat.
void check_fits(const StepExpectation& e, observe::StepKind kind, const std::string& at)
{
  if ((reads_data(e.kind) && kind != observe::StepKind::read) ||
      (e.kind == Kind::is_type && kind != observe::StepKind::stat)) {
    throw Error(at + " expects what a " + std::string(e.kind == Kind::is_type ? "stat" : "read") +
                " step gives, of a " + observe::to_string(kind) + " step");
  }
}

} // namespace

std::vector<ScenarioTest> parse_scenario_tests(const nlohmann::json& tests, const ModuleSpec& module, bool official,
                                               const std::string& where)
{
  if (!tests.is_array() || tests.empty()) {
    throw Error(where + ".tests must be a list of at least one test");
  }
  std::vector<ScenarioTest> out;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const auto& j = tests[i];
    const std::string at = where + ".tests[" + std::to_string(i) + "]";
    for (const auto& [key, value] : j.items()) {
      static const std::vector<std::string> k_fields = {
        "name", "printed_as", "points", "load", "step", "every_read_of", "expect", "official_expect", "official"};
      if (std::find(k_fields.begin(), k_fields.end(), key) == k_fields.end()) {
        throw Error(at + ": " + key + " is not a field of a test");
      }
    }
    ScenarioTest t;
    t.name = j.at("name").get<std::string>();
    if (t.name.empty()) {
      throw Error(at + ".name must not be empty");
    }
    t.printed_as = j.value("printed_as", std::string());
    t.points = j.at("points").get<double>();
    if (!(t.points >= 0)) {
      throw Error(at + ".points must be 0 or more");
    }
    t.expect = parse_expectation(j.at("expect"), at + ".expect");
    if (j.contains("official_expect")) {
      t.official_expect = parse_expectation(j.at("official_expect"), at + ".official_expect");
    }
    t.official = official && j.value("official", true);
    if (!official && (j.contains("official") || j.contains("official_expect") || j.contains("printed_as"))) {
      throw Error(at + ": official, official_expect and printed_as need the lab's \"official\" checker");
    }
    if (j.contains("every_read_of")) {
      if (j.contains("load") || j.contains("step")) {
        throw Error(at + " holds every_read_of and a load or step: a test reads one or the other");
      }
      t.every_read_of = j.at("every_read_of").get<std::string>();
      const bool any = std::any_of(module.loads.begin(), module.loads.end(), [&](const LoadSpec& l) {
        return std::any_of(l.steps.begin(), l.steps.end(), [&](const observe::UserStep& s) {
          return s.kind == observe::StepKind::read && s.path == t.every_read_of;
        });
      });
      if (!any) {
        throw Error(at + ".every_read_of: no load of modules." + module.id + " reads " + t.every_read_of);
      }
      for (const auto* e : {&t.expect, t.official_expect ? &*t.official_expect : nullptr}) {
        if (e) {
          check_fits(*e, observe::StepKind::read, at);
        }
      }
      out.push_back(std::move(t));
      continue;
    }
    t.load = j.at("load").get<std::string>();
    const auto* load = module.load(t.load);
    if (!load || load->steps.empty()) {
      throw Error(at + ".load: modules." + module.id + ".loads has no load named " + t.load + " with steps");
    }
    const auto& step = j.at("step");
    if (!step.is_number_unsigned() || step.get<std::size_t>() < 1 || step.get<std::size_t>() > load->steps.size()) {
      throw Error(
        fmt::format("{}.step must be a step of load {}: a number from 1 to {}", at, t.load, load->steps.size()));
    }
    t.step = step.get<std::size_t>();
    for (const auto* e : {&t.expect, t.official_expect ? &*t.official_expect : nullptr}) {
      if (e) {
        check_fits(*e, load->steps[t.step - 1].kind, at);
      }
    }
    out.push_back(std::move(t));
  }
  std::vector<std::string> names;
  for (const auto& t : out) {
    if (std::find(names.begin(), names.end(), t.name) != names.end()) {
      throw Error(where + ".tests: two tests are named " + t.name);
    }
    names.push_back(t.name);
  }
  double total = 0;
  for (const auto& t : out) {
    total += t.points;
  }
  if (total <= 0) {
    throw Error(where + ".tests: the tests' points add up to 0; the check's points are shared by them");
  }
  return out;
}

std::string describe(const StepExpectation& e)
{
  switch (e.kind) {
    case Kind::succeeds:
      return "succeeds";
    case Kind::fails:
      return "fails";
    case Kind::fails_with:
      return "fails with " + e.text;
    case Kind::not_fails_with:
      return "does not fail with " + e.text;
    case Kind::is_type:
      return "is a " + e.text;
    case Kind::contains:
    case Kind::lacks: {
      std::string texts;
      for (const auto& t : e.lines.empty() ? std::vector<std::string>{e.text} : e.lines) {
        texts += (texts.empty() ? "\"" : " and \"") + t + "\"";
      }
      return (e.kind == Kind::contains ? "holds " : "holds none of ") + texts;
    }
    case Kind::newlines:
      return fmt::format("has {} line(s)", e.count);
    case Kind::lines_with:
      return fmt::format("has {} line(s) holding \"{}\"", e.count, e.text);
    case Kind::first_line_contains:
      return "has \"" + e.text + "\" in its first line";
    case Kind::last_line_contains:
      return "has \"" + e.text + "\" in its last line";
    case Kind::lines: {
      std::string text;
      for (const auto& line : e.lines) {
        text += (text.empty() ? "" : ", ") + ("\"" + line + "\"");
      }
      return "is the lines " + (text.empty() ? std::string("(none)") : text);
    }
    case Kind::same_as_reference:
      return std::string("is what the reference's gave (compared ") + to_string(e.compare) + ")";
    case Kind::format_as_reference:
      return "is laid out byte for byte as the reference's, as it holds the same names";
  }
  return "";
}

} // namespace kmgrade::score
