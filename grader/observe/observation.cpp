#include "observe/observation.h"

namespace kmgrade::observe {

// The wire format between agent and grader: field names are the members' names.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadRequest, id, module_path, module_name, params, settle_timeout_ms,
                                                call_timeout_ms, threadless_settle_ms, name, steps, removes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AllocationEvents, alloc, free, key, by_thread)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Plan, secret, events, functions, module_calls, activity_events,
                                                allocations, loads, max_segments, max_log_lines, trace_buffer_kb,
                                                hung_task_timeout_s, stop_when_dirty)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StepResult, attempted, ok, error_code, error, duration_ns, hung)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TaskInfo, pid, comm, cpus_allowed, exited)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SlabCache, name, object_size, objects)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LogRecord, level, seq, ts_us, text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UntraceableFunction, function, why)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadTiming, prepare_ns, steps_ns, snapshot_ns, trace_read_ns,
                                                after_rmmod_ns, reduce_ns)

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
                                                slab_created, slab_left, steps, left_behind, untraceable, timing)

std::string dirty_reason(const ModuleRun& run)
{
  if (run.insmod.hung) {
    return "insmod never returned";
  }
  if (run.rmmod.hung) {
    return "rmmod never returned";
  }
  for (const auto& step : run.steps) {
    if (step.timed_out) {
      return std::string("the ") + to_string(step.kind) + " of " + step.path + " never returned";
    }
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
  if (!run.left_behind.empty()) {
    // A stale /proc entry of an unloaded module makes its next insmod fail, and opening it
    // runs code that is gone.
    return run.left_behind.front() + " was still there after rmmod";
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

std::vector<TroubleReport> trouble_reports(const ModuleRun& run)
{
  // A report runs from its first line to the next report: the task ("PID: 99", "Comm:
  // hello", "[hello:99]") and the call trace ("fn+0x1/0x2 [kmlab_hello]") are in it.
  // The agent's threads that ran insmod and rmmod count too: a hang or lockup in init or
  // exit names them.
  std::vector<std::string> marks = {"[" + run.request.module_name + "]"};
  for (const auto& task : load_tasks(run)) {
    marks.push_back("PID: " + std::to_string(task.pid) + " ");
    if (task.module_thread) {
      marks.push_back("Comm: " + task.comm);
    }
    for (auto& mark : task_marks(task)) {
      marks.push_back(std::move(mark));
    }
  }
  std::vector<TroubleReport> out;
  for (const auto& rec : run.log) {
    auto kind = classify_log_line(rec.text);
    // "BUG: ...", "#PF: ...", "Oops: ..." open one report: a trouble line right at the start
    // of an open report continues it.
    const bool continues = !out.empty() && out.back().lines.size() < 5 && !out.back().ended;
    if (rec.text.find("---[ end trace") != std::string::npos && !out.empty()) {
      out.back().ended = true;
    }
    if (kind != KernelTrouble::none && !continues) {
      // A slab cache with objects left is reported by name: always the module's own cache.
      out.push_back({kind, {rec.text}, kind == KernelTrouble::slab_leak});
    } else if (out.empty()) {
      continue;
    } else {
      out.back().lines.push_back(rec.text);
      out.back().from_module = out.back().from_module || kind == KernelTrouble::slab_leak;
    }
    for (const auto& mark : marks) {
      if (rec.text.find(mark) != std::string::npos) {
        out.back().from_module = true;
      }
    }
  }
  return out;
}

std::string module_stall(const ModuleRun& run)
{
  for (const auto& t : trouble_reports(run)) {
    if (t.from_module && is_stall(t.kind)) {
      return t.lines.front();
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
  auto run = j.get<ModuleRun>();
  if (run.steps.size() > k_max_steps || run.request.steps.size() > k_max_steps) {
    throw nlohmann::json::other_error::create(501, "a load with more than " + std::to_string(k_max_steps) + " steps",
                                              static_cast<const nlohmann::json*>(nullptr));
  }
  return run;
}

} // namespace kmgrade::observe
