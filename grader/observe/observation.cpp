#include "observe/observation.h"

namespace kmgrade::observe {

// The wire format between agent and grader: field names are the members' names.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadRequest, id, module_path, module_name, params, settle_timeout_ms,
                                                call_timeout_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Plan, secret, events, functions, loads, max_segments, max_log_lines,
                                                trace_buffer_kb, hung_task_timeout_s, stop_when_dirty)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StepResult, attempted, ok, error_code, error, duration_ns, hung)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TaskInfo, pid, comm, cpus_allowed, exited)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SlabCache, name, object_size, objects)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LogRecord, level, seq, ts_us, text)

void to_json(nlohmann::json& j, const EventStream& stream)
{
  j = to_json(stream);
}

void from_json(const nlohmann::json& j, EventStream& stream)
{
  stream = event_stream_from_json(j);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ModuleRun, request, insmod, rmmod, loader_pid, unloader_pid, settled,
                                                settle_ns, core_base, core_size, threads, log, log_dropped, events,
                                                slab_created, slab_left)

std::string dirty_reason(const ModuleRun& run)
{
  if (run.insmod.hung) {
    return "insmod never returned";
  }
  if (run.rmmod.hung) {
    return "rmmod never returned";
  }
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

std::vector<LoadTask> load_tasks(const ModuleRun& run)
{
  std::vector<LoadTask> tasks;
  for (const auto& t : run.threads) {
    tasks.push_back({t.comm, t.pid, true});
  }
  if (run.loader_pid) {
    tasks.push_back({k_insmod_thread, run.loader_pid, false});
  }
  if (run.unloader_pid) {
    tasks.push_back({k_rmmod_thread, run.unloader_pid, false});
  }
  return tasks;
}

std::vector<std::string> task_marks(const LoadTask& task)
{
  const std::string name = task.comm + ":" + std::to_string(task.pid);
  return {"[" + name + "]", "task " + name + " "};
}

std::string channel_prefix(const std::string& secret)
{
  return "KMG " + secret + " ";
}

std::string module_stall(const ModuleRun& run)
{
  std::vector<std::string> marks;
  for (const auto& task : load_tasks(run)) {
    for (auto& mark : task_marks(task)) {
      marks.push_back(std::move(mark));
    }
  }
  for (const auto& rec : run.log) {
    const auto kind = classify_log_line(rec.text);
    if (kind != KernelTrouble::soft_lockup && kind != KernelTrouble::hung_task) {
      continue;
    }
    for (const auto& mark : marks) {
      if (rec.text.find(mark) != std::string::npos) {
        return rec.text;
      }
    }
  }
  return "";
}

nlohmann::json to_json(const Plan& plan)
{
  nlohmann::json j;
  to_json(j, plan);
  return j;
}

Plan plan_from_json(const nlohmann::json& j)
{
  return j.get<Plan>();
}

nlohmann::json to_json(const ModuleRun& run)
{
  nlohmann::json j;
  to_json(j, run);
  return j;
}

ModuleRun module_run_from_json(const nlohmann::json& j)
{
  return j.get<ModuleRun>();
}

} // namespace kmgrade::observe
