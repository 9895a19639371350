#include "observe/observation.h"

namespace kmgrade::observe {

namespace {

nlohmann::json to_json(const LoadRequest& r)
{
  return {{"id", r.id},
          {"module_path", r.module_path},
          {"module_name", r.module_name},
          {"params", r.params},
          {"settle_timeout_ms", r.settle_timeout_ms}};
}

LoadRequest load_request_from_json(const nlohmann::json& j)
{
  LoadRequest r;
  r.id = j.at("id").get<std::string>();
  r.module_path = j.at("module_path").get<std::string>();
  r.module_name = j.at("module_name").get<std::string>();
  r.params = j.at("params").get<std::string>();
  r.settle_timeout_ms = j.at("settle_timeout_ms").get<int>();
  return r;
}

nlohmann::json to_json(const StepResult& s)
{
  return {{"attempted", s.attempted},
          {"ok", s.ok},
          {"error_code", s.error_code},
          {"error", s.error},
          {"duration_ns", s.duration_ns}};
}

StepResult step_from_json(const nlohmann::json& j)
{
  StepResult s;
  s.attempted = j.at("attempted").get<bool>();
  s.ok = j.at("ok").get<bool>();
  s.error_code = j.at("error_code").get<int>();
  s.error = j.at("error").get<std::string>();
  s.duration_ns = j.at("duration_ns").get<std::uint64_t>();
  return s;
}

nlohmann::json to_json(const std::vector<SlabCache>& caches)
{
  auto out = nlohmann::json::array();
  for (const auto& c : caches) {
    out.push_back({{"name", c.name}, {"object_size", c.object_size}, {"objects", c.objects}});
  }
  return out;
}

std::vector<SlabCache> slabs_from_json(const nlohmann::json& j)
{
  std::vector<SlabCache> out;
  for (const auto& c : j) {
    out.push_back({c.at("name").get<std::string>(), c.at("object_size").get<long>(), c.at("objects").get<long>()});
  }
  return out;
}

} // namespace

std::string dirty_reason(const ModuleRun& run)
{
  for (const auto& rec : run.log) {
    if (classify_log_line(rec.text) != KernelTrouble::none) {
      return "the kernel reported: " + rec.text;
    }
  }
  if (run.insmod.ok && !run.rmmod.ok) {
    return "the module could not be unloaded: " + run.rmmod.error;
  }
  if (!run.slab_left.empty()) {
    return "slab cache " + run.slab_left.front().name + " was left behind";
  }
  return "";
}

nlohmann::json to_json(const Plan& plan)
{
  auto loads = nlohmann::json::array();
  for (const auto& l : plan.loads) {
    loads.push_back(to_json(l));
  }
  return {{"secret", plan.secret},
          {"events", plan.events},
          {"functions", plan.functions},
          {"loads", std::move(loads)},
          {"max_segments", plan.max_segments},
          {"max_log_lines", plan.max_log_lines},
          {"trace_buffer_kb", plan.trace_buffer_kb},
          {"stop_when_dirty", plan.stop_when_dirty}};
}

Plan plan_from_json(const nlohmann::json& j)
{
  Plan plan;
  plan.secret = j.at("secret").get<std::string>();
  plan.events = j.at("events").get<std::vector<std::string>>();
  plan.functions = j.at("functions").get<std::vector<std::string>>();
  for (const auto& l : j.at("loads")) {
    plan.loads.push_back(load_request_from_json(l));
  }
  plan.max_segments = j.at("max_segments").get<std::size_t>();
  plan.max_log_lines = j.at("max_log_lines").get<std::size_t>();
  plan.trace_buffer_kb = j.at("trace_buffer_kb").get<int>();
  plan.stop_when_dirty = j.at("stop_when_dirty").get<bool>();
  return plan;
}

nlohmann::json to_json(const ModuleRun& run)
{
  auto threads = nlohmann::json::array();
  for (const auto& t : run.threads) {
    threads.push_back({{"pid", t.pid}, {"comm", t.comm}, {"cpus_allowed", t.cpus_allowed}, {"exited", t.exited}});
  }
  auto log = nlohmann::json::array();
  for (const auto& r : run.log) {
    log.push_back({{"level", r.level}, {"seq", r.seq}, {"ts_us", r.ts_us}, {"text", r.text}});
  }
  return {{"request", to_json(run.request)},
          {"insmod", to_json(run.insmod)},
          {"rmmod", to_json(run.rmmod)},
          {"loader_pid", run.loader_pid},
          {"settled", run.settled},
          {"settle_ns", run.settle_ns},
          {"core_base", run.core_base},
          {"core_size", run.core_size},
          {"threads", std::move(threads)},
          {"log", std::move(log)},
          {"log_dropped", run.log_dropped},
          {"events", to_json(run.events)},
          {"slab_created", to_json(run.slab_created)},
          {"slab_left", to_json(run.slab_left)}};
}

ModuleRun module_run_from_json(const nlohmann::json& j)
{
  ModuleRun run;
  run.request = load_request_from_json(j.at("request"));
  run.insmod = step_from_json(j.at("insmod"));
  run.rmmod = step_from_json(j.at("rmmod"));
  run.loader_pid = j.at("loader_pid").get<int>();
  run.settled = j.at("settled").get<bool>();
  run.settle_ns = j.at("settle_ns").get<std::uint64_t>();
  run.core_base = j.at("core_base").get<std::uint64_t>();
  run.core_size = j.at("core_size").get<std::uint64_t>();
  for (const auto& t : j.at("threads")) {
    run.threads.push_back({t.at("pid").get<int>(), t.at("comm").get<std::string>(),
                           t.at("cpus_allowed").get<std::string>(), t.at("exited").get<bool>()});
  }
  for (const auto& r : j.at("log")) {
    run.log.push_back({r.at("level").get<int>(), r.at("seq").get<std::uint64_t>(),
                       r.at("ts_us").get<std::uint64_t>(), r.at("text").get<std::string>()});
  }
  run.log_dropped = j.at("log_dropped").get<std::size_t>();
  run.events = event_stream_from_json(j.at("events"));
  run.slab_created = slabs_from_json(j.at("slab_created"));
  run.slab_left = slabs_from_json(j.at("slab_left"));
  return run;
}

} // namespace kmgrade::observe
