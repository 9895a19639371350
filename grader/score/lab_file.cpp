#include "score/rubric.h"

#include "evaluate/common_checks.h"
#include "evaluate/transcript_check.h"
#include "labs/lab_checks.h"
#include "observe/numbers.h"
#include "score/lab_steps.h"
#include "score/scenario_tests.h"
#include "util/error.h"
#include "util/sha256.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

// Reading a lab file: every field, checked, with errors that name the file and the field.
namespace kmgrade::score {

namespace {

const std::set<std::string> k_param_types = {"uint", "int", "ulong", "long", "ushort", "short", "bool", "charp"};

// A parameter's value as insmod passes it, or an empty optional when `value` does not fit
// its type.
std::optional<std::string> param_value(const ParamSpec& spec, const nlohmann::json& value)
{
  const bool is_unsigned = spec.type == "uint" || spec.type == "ulong" || spec.type == "ushort";
  if (is_unsigned && value.is_number_unsigned()) {
    return std::to_string(value.get<unsigned long long>());
  }
  if (!is_unsigned && spec.type != "bool" && spec.type != "charp" && value.is_number_integer()) {
    return std::to_string(value.get<long long>());
  }
  if (spec.type == "bool" && value.is_boolean()) {
    return value.get<bool>() ? "1" : "0";
  }
  // insmod splits its arguments at spaces, and the plan keeps them as one line.
  if (spec.type == "charp" && value.is_string() && !value.get<std::string>().empty() &&
      value.get<std::string>().find_first_of(" \t\n\"") == std::string::npos) {
    return value.get<std::string>();
  }
  return std::nullopt;
}

std::string type_words(const std::string& type)
{
  if (type == "charp") {
    return "a string without spaces or quotes";
  }
  if (type == "bool") {
    return "true or false";
  }
  return (type[0] == 'u' ? "a non-negative whole number (" : "a whole number (") + type + ")";
}

// j's member `key`, or `absent` when it has none. A reference, not a copy, so that an error
// inside it names the member's whole path in the file.
const nlohmann::json& member_or(const nlohmann::json& j, const char* key, const nlohmann::json& absent)
{
  const auto it = j.find(key);
  return it == j.end() ? absent : *it;
}

const nlohmann::json k_no_array = nlohmann::json::array();
const nlohmann::json k_no_object = nlohmann::json::object();

// "[json.exception.type_error.302] (/exercises/0/checks/1/points) type must be number, but is
// string" in a lab writer's words: "exercises[0].checks[1].points: type must be number, but
// is string"; "key 'file' not found" at modules[0] is "modules[0].file is missing".
std::string json_problem(const nlohmann::json::exception& e)
{
  std::string text = e.what();
  if (text.rfind("[json.exception.", 0) == 0 && text.find("] ") != std::string::npos) {
    text.erase(0, text.find("] ") + 2);
  }
  std::string field;
  if (text.rfind("(/", 0) == 0 && text.find(") ") != std::string::npos) {
    std::istringstream pointer(text.substr(2, text.find(") ") - 2));
    text.erase(0, text.find(") ") + 2);
    for (std::string part; std::getline(pointer, part, '/');) {
      const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      field += index ? "[" + part + "]" : (field.empty() ? "" : ".") + part;
    }
  }
  const std::string key_prefix = "key '";
  const std::string key_suffix = "' not found";
  if (text.rfind(key_prefix, 0) == 0 && text.size() > key_prefix.size() + key_suffix.size() &&
      text.compare(text.size() - key_suffix.size(), key_suffix.size(), key_suffix) == 0) {
    const auto key = text.substr(key_prefix.size(), text.size() - key_prefix.size() - key_suffix.size());
    return (field.empty() ? "" : field + ".") + key + " is missing";
  }
  return field.empty() ? text : field + ": " + text;
}

// A check the lab names exists for its module, and the lab declares what it reads.
void validate_check(const Rubric& r, const std::string& id, const std::string& module, const std::string& check,
                    const std::string& origin)
{
  const std::string invalid = "invalid rubric " + origin + ": check " + id + " ";
  if (!r.check(id)->tests.empty()) {
    return;
  }
  if (!evaluate::find_check(labs::own_checks(r.lab_checks), module, check)) {
    throw Error(invalid + "is not a check kmgrade has for module " + module +
                " (README, \"Writing a lab\", lists the checks)");
  }
  const bool numeric = !r.params.empty() && observe::parse_number<unsigned long long>(r.params.front().default_value);
  if ((check == "param" && r.params.empty()) ||
      ((check == "default" || evaluate::parameter_check_value(check)) && !numeric)) {
    throw Error(invalid + "needs the lab's first parameter (params), with a numeric default");
  }
  if (const auto value = evaluate::parameter_check_value(check)) {
    const LoadParams want = {{r.params.front().name, std::to_string(*value)}};
    const auto& loads = r.module(module)->loads;
    if (std::none_of(loads.begin(), loads.end(), [&](const LoadSpec& l) { return l.params == want; })) {
      throw Error(invalid + "needs a load with " + params_text(want) + " alone in modules." + module + ".loads");
    }
  }
  if (const auto load = evaluate::transcript_check_load(check); load && !r.module(module)->load(*load)) {
    throw Error(invalid + "compares the steps of a load named " + *load + ", and modules." + module +
                ".loads has no load with that name and steps");
  }
  if (check == "timing" && r.timing.values.empty()) {
    throw Error(invalid + "needs timing.param and timing.values");
  }
  if (check == "no-leak" && r.allocations.empty()) {
    throw Error(invalid + "needs trace.allocations: the events that allocate and free");
  }
}

// "kmem:kmalloc", the form tracefs events are named in the lab file: its event's name, or
// an error naming `field`.
std::string event_name(const nlohmann::json& value, const std::string& field, const std::string& invalid)
{
  const auto event = value.get<std::string>();
  const auto colon = event.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == event.size()) {
    throw Error(invalid + field + ": \"" + event + "\" is not an event as subsystem:name (kmem:kmalloc)");
  }
  return event.substr(colon + 1);
}

// The trace section: what to trace, what the module allocates and frees, what shows it at
// work, and what the kernel does in its threads that is not its work.
void parse_trace(const nlohmann::json& trace, Rubric& r, const std::string& invalid)
{
  r.trace_events = trace.at("events").get<std::vector<std::string>>();
  r.trace_functions = trace.at("functions").get<std::vector<std::string>>();
  const auto& module_calls = member_or(trace, "module_calls", k_no_array);
  if (!module_calls.is_array()) {
    throw Error(invalid + "trace.module_calls must be a list of function names ([\"mutex_lock\"])");
  }
  for (std::size_t i = 0; i < module_calls.size(); ++i) {
    const auto name = module_calls[i].get<std::string>();
    const auto first = name.empty() ? '0' : name[0];
    if (!(std::isalpha(static_cast<unsigned char>(first)) || first == '_') ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") !=
          std::string::npos) {
      throw Error(invalid + "trace.module_calls[" + std::to_string(i) + "]: \"" + name +
                  "\" is not the name of a kernel function (letters, digits, _ and .)");
    }
    if (std::find(r.module_calls.begin(), r.module_calls.end(), name) != r.module_calls.end()) {
      throw Error(invalid + "trace.module_calls: " + name + " is named twice");
    }
    r.module_calls.push_back(name);
  }
  for (const auto& event : member_or(trace, "activity", k_no_array)) {
    event_name(event, "trace.activity", invalid);
    r.activity_events.push_back(event.get<std::string>());
  }
  const auto traced = [&](const nlohmann::json& event, const std::string& field) {
    const auto name = event_name(event, field, invalid);
    if (std::find(r.trace_events.begin(), r.trace_events.end(), event.get<std::string>()) == r.trace_events.end()) {
      throw Error(invalid + field + ": " + event.get<std::string>() + " is not in trace.events, so it is never seen");
    }
    return name;
  };
  for (const auto& a : member_or(trace, "allocations", k_no_array)) {
    const auto owner = a.at("owner").get<std::string>();
    if (owner != "call_site" && owner != "thread") {
      throw Error(invalid + "trace.allocations: owner is " + owner +
                  "; it must be call_site (the event names the module's code) or thread (made in the module's thread)");
    }
    r.allocations.push_back({traced(a.at("alloc"), "trace.allocations.alloc"),
                             traced(a.at("free"), "trace.allocations.free"), a.at("key").get<std::string>(),
                             owner == "thread"});
  }
  for (const auto& f : member_or(trace, "not_the_module", k_no_array)) {
    ForeignEvent foreign{traced(f.at("event"), "trace.not_the_module.event"), {}};
    for (const auto& [field, values] : f.at("fields").items()) {
      foreign.fields[field] = values.get<std::vector<std::string>>();
    }
    r.foreign_events.push_back(std::move(foreign));
  }
}

LoadParams parse_load_params(const Rubric& r, const nlohmann::json& load, const std::string& where)
{
  LoadParams params;
  for (const auto& p : r.params) {
    if (load.contains(p.name)) {
      const auto value = param_value(p, load.at(p.name));
      if (!value) {
        throw Error(where + ": " + p.name + " must be " + type_words(p.type));
      }
      params.emplace_back(p.name, *value);
    }
  }
  for (const auto& [name, value] : load.items()) {
    if (!r.param(name)) {
      throw Error(where + ": " + name + " is not a parameter the lab declares in params");
    }
  }
  return params;
}

// A load: an object of parameter values, or {"name": ..., "params": {...}, "steps": [...]}
// (an object that holds "steps"; a lab may therefore declare no parameter named steps).
LoadSpec parse_load(const Rubric& r, const ModuleSpec& m, const nlohmann::json& load, const std::string& invalid)
{
  const std::string where = invalid + "modules." + m.id + ".loads";
  if (!load.is_object()) {
    throw Error(
      where +
      ": each load is an object of parameter values ({} for none), or {\"name\": ..., \"params\": {...}, \"steps\": [...]}");
  }
  LoadSpec spec;
  if (!load.contains("steps")) {
    spec.params = parse_load_params(r, load, where);
    return spec;
  }
  for (const auto& [key, value] : load.items()) {
    if (key != "name" && key != "params" && key != "steps") {
      throw Error(where + ": " + key + " is not a field of a load with steps (name, params, steps)");
    }
  }
  const auto name = load.value("name", nlohmann::json());
  if (!name.is_string() || name.get<std::string>().empty() ||
      name.get<std::string>().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
    throw Error(
      where +
      ": a load with steps needs a name of lower-case letters, digits, _ and - (its check is <module>.transcript-<name>)");
  }
  spec.name = name.get<std::string>();
  if (m.load(spec.name)) {
    throw Error(where + ": two loads are named " + spec.name);
  }
  const auto params = load.value("params", nlohmann::json::object());
  if (!params.is_object()) {
    throw Error(where + "." + spec.name + ".params must be an object of parameter values");
  }
  spec.params = parse_load_params(r, params, where + "." + spec.name + ".params");
  spec.steps = parse_steps(load.at("steps"), where + "." + spec.name);
  return spec;
}

CompareMode parse_compare(const nlohmann::json& c, const std::string& id, const std::string& invalid)
{
  if (!c.contains("compare")) {
    return CompareMode::exact;
  }
  const auto check = id.substr(id.find('.') + 1);
  if (!evaluate::transcript_check_load(check)) {
    throw Error(invalid + "check " + id + ": compare is only for transcript checks");
  }
  for (auto mode : {CompareMode::exact, CompareMode::lines, CompareMode::substring}) {
    if (c.at("compare") == to_string(mode)) {
      return mode;
    }
  }
  throw Error(invalid + "check " + id + ": compare is " + c.at("compare").dump() +
              "; it must be exact, lines or substring");
}

} // namespace

Rubric parse_rubric(const std::string& text, const std::string& origin)
{
  Rubric r;
  try {
    auto j = nlohmann::json::parse(text);
    r.id = j.at("id").get<std::string>();
    r.title = j.at("title").get<std::string>();
    r.max_score = j.at("max_score").get<double>();
    const auto reference = j.at("reference").get<std::string>();
    if (reference.empty()) {
      throw Error("invalid rubric " + origin +
                  ": reference must name the folder of the reference solution, relative to the rubric");
    }
    r.reference_dir = (std::filesystem::path(origin).parent_path() / reference).lexically_normal();
    const std::string invalid = "invalid rubric " + origin + ": ";
    const auto& params = member_or(j, "params", k_no_array);
    for (const auto& p : params) {
      ParamSpec spec;
      spec.name = p.at("name").get<std::string>();
      spec.type = p.at("type").get<std::string>();
      if (spec.name.empty() ||
          spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        throw Error(invalid + "params: \"" + spec.name +
                    "\" is not a module parameter name (lower-case letters, digits and _)");
      }
      if (!k_param_types.count(spec.type)) {
        throw Error(invalid + "params." + spec.name + ".type is " + spec.type +
                    "; it must be one of uint, int, ulong, long, ushort, short, bool, charp");
      }
      if (r.param(spec.name)) {
        throw Error(invalid + "params: " + spec.name + " is declared twice");
      }
      if (spec.name == "steps") {
        throw Error(invalid +
                    "params: steps cannot be a parameter's name: a load that holds steps is a load with steps");
      }
      const auto value = param_value(spec, p.at("default"));
      if (!value) {
        throw Error(invalid + "params." + spec.name + ".default must be " + type_words(spec.type));
      }
      spec.default_value = *value;
      r.params.push_back(std::move(spec));
    }
    const auto& facts = member_or(j, "facts", k_no_object);
    for (const auto& [name, value] : facts.items()) {
      if (!value.is_number_integer()) {
        throw Error(invalid + "facts." + name + " must be a whole number");
      }
      r.facts[name] = value.get<long long>();
    }
    const auto& printed = member_or(j, "printed", k_no_array);
    for (const auto& p : printed) {
      const auto what = p.at("what").get<std::string>();
      if (p.contains("param")) {
        const ParamSpec* param = r.param(p.at("param").get<std::string>());
        const auto value = param ? observe::parse_number<unsigned long long>(param->default_value) : std::nullopt;
        if (!value) {
          throw Error(invalid + "printed: \"" + what + "\" names param " + p.at("param").dump() +
                      ", which is not a numeric parameter the lab declares in params");
        }
        r.printed.emplace_back(what, *value);
      } else {
        const auto fact = r.facts.find(p.at("fact").get<std::string>());
        if (fact == r.facts.end() || fact->second < 0) {
          throw Error(invalid + "printed: \"" + what + "\" names fact " + p.at("fact").dump() +
                      ", which is not a non-negative number in facts");
        }
        r.printed.emplace_back(what, static_cast<unsigned long long>(fact->second));
      }
    }
    const auto& sandbox = member_or(j, "sandbox", k_no_object);
    r.compat_header = sandbox.value("compat_header", false);
    r.slub_debug = sandbox.value("slub_debug", false);
    r.threadless_settle_ms = sandbox.value("threadless_settle_ms", r.threadless_settle_ms);
    if (r.threadless_settle_ms < 0 || r.threadless_settle_ms > 5000) {
      throw Error(invalid + "sandbox.threadless_settle_ms must be a number of milliseconds from 0 to 5000");
    }
    r.lab_checks = j.value("lab_checks", "");
    if (!r.lab_checks.empty() && !labs::lab_checks(r.lab_checks)) {
      std::string known;
      for (const auto& name : labs::lab_check_names()) {
        known += (known.empty() ? "" : ", ") + name;
      }
      throw Error(invalid + "lab_checks is " + r.lab_checks +
                  ", and kmgrade has checks of their own for these labs only: " + known);
    }
    r.points_on_shimmed_build = j.value("points_on_shimmed_build", r.points_on_shimmed_build);
    const auto& t = member_or(j, "timing", k_no_object);
    r.timing.param = t.value("param", "");
    r.timing.values = t.value("values", std::vector<unsigned>{});
    r.timing.report_values = t.value("report_values", r.timing.values);
    r.timing.chart_title = t.value("chart_title", "Time against " + r.timing.param);
    r.timing.chart_x_axis = t.value("chart_x_axis", r.timing.param);
    const ParamSpec* timed = r.param(r.timing.param);
    if (!r.timing.values.empty() && (!timed || (timed->type != "uint" && timed->type != "ulong"))) {
      throw Error(
        invalid +
        "timing.param must name a parameter of type uint or ulong the lab declares in params, to be given the values in timing.values");
    }
    r.timing.max_ratio = t.value("max_ratio", r.timing.max_ratio);
    r.timing.slack_ns = t.value("slack_ns", r.timing.slack_ns);
    r.timing.resolution_ns = t.value("resolution_ns", r.timing.resolution_ns);
    r.timing.tick_ns = t.value("tick_ns", r.timing.tick_ns);
    if (j.contains("similarity")) {
      const auto& s = j.at("similarity");
      r.similarity_threshold = s.at("threshold").get<int>();
      if (r.similarity_threshold < 1 || r.similarity_threshold > 100) {
        throw Error("invalid rubric " + origin + ": similarity.threshold must be a percent from 1 to 100");
      }
      r.similarity_min_run = s.value("min_run", r.similarity_min_run);
      if (r.similarity_min_run < k_min_run_least || r.similarity_min_run > k_min_run_most) {
        throw Error(fmt::format("invalid rubric {}: similarity.min_run must be a number of tokens from {} to {}",
                                origin, k_min_run_least, k_min_run_most));
      }
    }
    for (const auto& m : j.at("modules")) {
      ModuleSpec spec;
      spec.id = m.at("id").get<std::string>();
      spec.file = m.at("file").get<std::string>();
      spec.module_name = m.at("module_name").get<std::string>();
      for (const auto& load : m.at("loads")) {
        spec.loads.push_back(parse_load(r, spec, load, invalid));
      }
      spec.work_events = m.at("work_events").get<std::vector<std::string>>();
      spec.identify_by = m.value("identify_by", std::vector<std::string>{});
      spec.removes = parse_removes(member_or(m, "removes", k_no_array), spec.id, invalid);
      r.modules.push_back(std::move(spec));
    }
    r.identify_order = j.value("identify_order", std::vector<std::string>{});
    parse_trace(j.at("trace"), r, invalid);
    if (j.contains("official")) {
      const auto& o = j.at("official");
      r.official = OfficialChecker{o.at("name").get<std::string>(), o.at("max_score").get<double>()};
    }
    for (const auto& e : j.at("exercises")) {
      Exercise ex;
      ex.id = e.at("id").get<std::string>();
      ex.title = e.at("title").get<std::string>();
      for (const auto& c : e.at("checks")) {
        const auto id = c.at("id").get<std::string>();
        RubricCheck check{id,
                          c.at("points").get<double>(),
                          c.value("manual", false),
                          c.value("message", ""),
                          parse_compare(c, id, invalid),
                          {}};
        if (c.contains("tests")) {
          const auto* m = r.module(id.substr(0, id.find('.')));
          if (!m || check.manual) {
            throw Error(invalid + "check " + id + " has tests, and names no module of the rubric");
          }
          check.tests = parse_scenario_tests(c.at("tests"), *m, r.official.has_value(), invalid + "check " + id);
        }
        ex.checks.push_back(std::move(check));
      }
      r.exercises.push_back(std::move(ex));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("invalid rubric " + origin + ": " + json_problem(e));
  }

  for (unsigned value : r.timing.report_values) {
    if (std::find(r.timing.values.begin(), r.timing.values.end(), value) == r.timing.values.end()) {
      throw Error("invalid rubric " + origin + ": timing.report_values holds " + std::to_string(value) +
                  ", which is not in timing.values (only those are timed)");
    }
  }
  for (const auto& id : r.identify_order) {
    if (!r.module(id)) {
      throw Error("invalid rubric " + origin + ": identify_order names " + id + ", which is not a module");
    }
  }
  std::set<std::string> seen;
  double total = 0;
  for (const auto& e : r.exercises) {
    for (const auto& c : e.checks) {
      if (!seen.insert(c.id).second) {
        throw Error("invalid rubric " + origin + ": check " + c.id + " appears twice");
      }
      auto dot = c.id.find('.');
      std::string owner = c.id.substr(0, dot);
      if (dot == std::string::npos || (owner != "manual" && !r.module(owner))) {
        throw Error("invalid rubric " + origin + ": check " + c.id + " names no module of the rubric");
      }
      if ((owner == "manual") != c.manual) {
        throw Error("invalid rubric " + origin + ": check " + c.id +
                    " must be marked manual exactly when its id starts with 'manual.'");
      }
      // Found now, not after the sandbox ran for every student of a class.
      if (!c.manual) {
        validate_check(r, c.id, owner, c.id.substr(dot + 1), origin);
      }
      total += c.points;
    }
  }
  if (r.official) {
    double official = 0;
    for (const auto& e : r.exercises) {
      for (const auto& c : e.checks) {
        for (const auto& t : c.tests) {
          official += t.official ? t.points : 0;
        }
      }
    }
    if (std::fabs(official - r.official->max_score) > 1e-9) {
      throw Error(fmt::format("invalid rubric {}: the official tests' points add up to {}, official.max_score is {}",
                              origin, official, r.official->max_score));
    }
  }
  if (std::fabs(total - r.max_score) > 1e-9) {
    throw Error("invalid rubric " + origin + ": points add up to " + std::to_string(total) + ", max_score is " +
                std::to_string(r.max_score));
  }
  r.sha256 = util::sha256_hex(text);
  return r;
}

Rubric load_rubric(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read the rubric " + path.string() + ": no such file, or not readable");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_rubric(ss.str(), path.string());
}

} // namespace kmgrade::score
