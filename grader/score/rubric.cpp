#include "score/rubric.h"

#include "evaluate/checks.h"
#include "util/error.h"
#include "util/sha256.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace kmgrade::score {

const ModuleSpec* Rubric::module(const std::string& module_id) const
{
  for (const auto& m : modules) {
    if (m.id == module_id) {
      return &m;
    }
  }
  return nullptr;
}

std::vector<const ModuleSpec*> Rubric::modules_by_identify_order() const
{
  std::vector<const ModuleSpec*> out;
  for (const auto& id : identify_order) {
    out.push_back(module(id));
  }
  for (const auto& m : modules) {
    if (std::find(out.begin(), out.end(), &m) == out.end()) {
      out.push_back(&m);
    }
  }
  return out;
}

double Rubric::auto_max() const
{
  double sum = 0;
  for (const auto& e : exercises) {
    for (const auto& c : e.checks) {
      sum += c.manual ? 0 : c.points;
    }
  }
  return sum;
}

double Rubric::manual_max() const
{
  double sum = 0;
  for (const auto& e : exercises) {
    for (const auto& c : e.checks) {
      sum += c.manual ? c.points : 0;
    }
  }
  return sum;
}

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
      throw Error("invalid rubric " + origin + ": reference must name the folder of the reference solution, relative to the rubric");
    }
    r.reference_dir = (std::filesystem::path(origin).parent_path() / reference).lexically_normal();
    r.default_objnum = j.at("default_objnum").get<unsigned>();
    r.struct_size = j.at("struct_size").get<unsigned>();
    r.points_on_shimmed_build = j.at("points_on_shimmed_build").get<double>();
    const auto& t = j.at("timing");
    r.timing.objnums = t.at("objnums").get<std::vector<unsigned>>();
    r.timing.report_objnums = t.value("report_objnums", r.timing.objnums);
    r.timing.max_ratio = t.at("max_ratio").get<double>();
    r.timing.slack_ns = t.at("slack_ns").get<std::uint64_t>();
    r.timing.resolution_ns = t.at("resolution_ns").get<std::uint64_t>();
    r.timing.tick_ns = t.at("tick_ns").get<std::uint64_t>();
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
      for (const auto& o : m.at("objnums")) {
        spec.objnums.push_back(o.is_null() ? std::nullopt : std::optional<unsigned>(o.get<unsigned>()));
      }
      spec.work_events = m.at("work_events").get<std::vector<std::string>>();
      spec.identify_by = m.value("identify_by", std::vector<std::string>{});
      r.modules.push_back(std::move(spec));
    }
    r.identify_order = j.value("identify_order", std::vector<std::string>{});
    r.trace_events = j.at("trace").at("events").get<std::vector<std::string>>();
    r.trace_functions = j.at("trace").at("functions").get<std::vector<std::string>>();
    for (const auto& e : j.at("exercises")) {
      Exercise ex;
      ex.id = e.at("id").get<std::string>();
      ex.title = e.at("title").get<std::string>();
      for (const auto& c : e.at("checks")) {
        ex.checks.push_back({c.at("id").get<std::string>(), c.at("points").get<double>(), c.value("manual", false),
                             c.value("message", "")});
      }
      r.exercises.push_back(std::move(ex));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("invalid rubric " + origin + ": " + e.what());
  }

  for (unsigned objnum : r.timing.report_objnums) {
    if (std::find(r.timing.objnums.begin(), r.timing.objnums.end(), objnum) == r.timing.objnums.end()) {
      throw Error("invalid rubric " + origin + ": timing.report_objnums holds " + std::to_string(objnum) +
                  ", which is not in timing.objnums (only those are timed)");
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
      if (!c.manual && !evaluate::find_check(owner, c.id.substr(dot + 1))) {
        throw Error("invalid rubric " + origin + ": check " + c.id + " is not a check kmgrade has for module " +
                    owner + " (see lab5-checks.md for the check ids)");
      }
      total += c.points;
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
