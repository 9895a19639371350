#include "pipeline/load_requests.h"

namespace kmgrade::pipeline {

std::string timing_params(const score::Rubric& rubric, unsigned value)
{
  const auto* timed = rubric.param(rubric.timing.param);
  return timed && timed->default_value == std::to_string(value)
           ? ""
           : score::params_text({{rubric.timing.param, std::to_string(value)}});
}

bool timing_load(const score::Rubric& rubric, const score::LoadParams& load)
{
  const auto& values = rubric.timing.values;
  for (unsigned value : values) {
    if (score::params_text(load) == timing_params(rubric, value)) {
      return true;
    }
  }
  return false;
}

std::string load_id(const std::string& side, const std::string& module_id, const std::string& params, unsigned round)
{
  const std::string id = side + "/" + module_id + "/" + params;
  return round > 1 ? id + "#" + std::to_string(round) : id;
}

observe::LoadRequest module_load(const score::Rubric& rubric, const score::ModuleSpec& module, std::string id,
                                 std::string guest_path, std::string module_name, std::string params)
{
  observe::LoadRequest r;
  r.id = std::move(id);
  r.module_path = std::move(guest_path);
  r.module_name = std::move(module_name);
  r.params = std::move(params);
  r.threadless_settle_ms = rubric.threadless_settle_ms;
  r.removes = module.removes;
  return r;
}

observe::LoadRequest load_request(const score::Rubric& rubric, const std::string& side, const score::ModuleSpec& module,
                                  const std::string& guest_path, const std::string& module_name,
                                  const score::LoadSpec& load, unsigned round)
{
  const std::string params = score::params_text(load.params);
  const std::string id = load_id(side, module.id, params, round) + (load.name.empty() ? "" : "@" + load.name);
  auto r = module_load(rubric, module, id, guest_path, module_name, params);
  r.name = load.name;
  r.steps = load.steps;
  return r;
}

LoadId parse_load_id(const std::string& id)
{
  const auto slash = id.find('/');
  const auto second = id.find('/', slash + 1);
  const auto hash = id.find('#', second);
  return {id.substr(0, slash) == "reference", id.substr(slash + 1, second - slash - 1),
          id.substr(second + 1, hash == std::string::npos ? std::string::npos : hash - second - 1),
          hash != std::string::npos};
}

} // namespace kmgrade::pipeline
