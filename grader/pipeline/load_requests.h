#pragma once

#include "observe/observation.h"
#include "score/rubric.h"

#include <string>

// The loads of a grade's plan, and their ids: what a load is called, and what its id says.
namespace kmgrade::pipeline {

// The parameters of a timing load at `value`: none at the timed parameter's default, so the
// reference's loads are the student's.
std::string timing_params(const score::Rubric& rubric, unsigned value);

// Whether a load is one the timing table reads: one of the timing values of the timed
// parameter, and nothing else given.
bool timing_load(const score::Rubric& rubric, const score::LoadParams& load);

// A load's id: "<side>/<module>/<params>", and "<side>/<module>/<params>#<n>" for the n-th
// load of a timing repeat (n from 2), which only the timing table reads.
std::string load_id(const std::string& side, const std::string& module_id, const std::string& params, unsigned round);

// A load of a module with `params` and no steps, as the lab says every load of it runs.
observe::LoadRequest module_load(const score::Rubric& rubric, const score::ModuleSpec& module, std::string id,
                                 std::string guest_path, std::string module_name, std::string params);

// The plan's load of `load` of a module; a named load's id ends in "@<name>".
observe::LoadRequest load_request(const score::Rubric& rubric, const std::string& side, const score::ModuleSpec& module,
                                  const std::string& guest_path, const std::string& module_name,
                                  const score::LoadSpec& load, unsigned round);

// What a load id says: whose load, of which module, with which parameters, and whether it is
// a timing repeat.
struct LoadId
{
  bool reference = false;
  std::string module_id;
  std::string params;
  bool timing_repeat = false;
};

LoadId parse_load_id(const std::string& id);

} // namespace kmgrade::pipeline
