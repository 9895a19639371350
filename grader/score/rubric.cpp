#include "score/rubric.h"

#include <algorithm>

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

const RubricCheck* Rubric::check(const std::string& check_id) const
{
  for (const auto& ex : exercises) {
    for (const auto& c : ex.checks) {
      if (c.id == check_id) {
        return &c;
      }
    }
  }
  return nullptr;
}

const LoadSpec* ModuleSpec::load(const std::string& load_name) const
{
  for (const auto& l : loads) {
    if (!l.name.empty() && l.name == load_name) {
      return &l;
    }
  }
  return nullptr;
}

const char* to_string(CompareMode mode)
{
  switch (mode) {
    case CompareMode::exact:
      return "exact";
    case CompareMode::lines:
      return "lines";
    case CompareMode::substring:
      return "substring";
  }
  return "?";
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

unsigned Rubric::cpus_needed() const
{
  for (const auto& e : exercises) {
    for (const auto& c : e.checks) {
      if (c.id.size() > 7 && c.id.compare(c.id.size() - 7, 7, ".pinned") == 0) {
        return 2;
      }
    }
  }
  return 1;
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

const ParamSpec* Rubric::param(const std::string& name) const
{
  for (const auto& p : params) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

std::string params_text(const LoadParams& params)
{
  std::string out;
  for (const auto& [name, value] : params) {
    out += (out.empty() ? "" : " ") + name + "=" + value;
  }
  return out;
}

} // namespace kmgrade::score
