#include "load_runner.h"

#include "event_filter.h"
#include "kernel_threads.h"
#include "procfs.h"
#include "slab.h"
#include "step_runner.h"
#include "waits.h"
#include "watchdog.h"

#include <libkmod.h>

#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace kmgrade::agent {

using observe::LoadRequest;
using observe::ModuleRun;
using observe::TaskInfo;
using observe::TraceEvent;

LoadRunner::LoadRunner(kmod_ctx* ctx, const observe::Plan& plan, KmsgFollower& kmsg, KernelPaths paths)
    : m_ctx(ctx), m_plan(plan), m_paths(paths), m_tracer(plan, paths), m_thread_life(paths),
      m_activity(plan.activity_events, paths), m_kmsg(kmsg)
{}

ModuleRun LoadRunner::run(const LoadRequest& req)
{
  ModuleRun run;
  run.request = req;
  run.untraceable = m_tracer.untraceable();
  std::uint64_t mark = now_ns();
  // The time since the last mark, which moves on.
  const auto lap = [&mark] {
    const std::uint64_t now = now_ns();
    return now - std::exchange(mark, now);
  };
  const auto slab_before = slab_cache_names(m_paths);
  std::set<int> pids_before;
  for (int pid : list_pids(m_paths)) {
    pids_before.insert(pid);
  }
  m_kmsg.begin_load(m_plan.max_log_lines);

  kmod_module* mod = nullptr;
  int err = kmod_module_new_from_path(m_ctx, req.module_path.c_str(), &mod);
  if (err < 0) {
    run.insmod.attempted = true;
    run.insmod.error_code = -err;
    run.insmod.error = std::strerror(-err);
    run.log = m_kmsg.end_load(run.log_dropped);
    return run;
  }

  run.timing.prepare_ns = lap();
  const std::chrono::milliseconds call_limit(req.call_timeout_ms);
  m_tracer.start();
  m_thread_life.restart();
  auto insmod = call_with_watchdog(
    observe::k_insmod_thread,
    [mod, params = req.params] { return kmod_module_insert_module(mod, 0, params.empty() ? nullptr : params.c_str()); },
    call_limit);
  record_call(run.insmod, insmod);
  run.loader_pid = insmod.tid;

  std::map<int, TaskInfo> threads;
  ModuleRange range;
  std::vector<TraceEvent> events;
  if (run.insmod.hung) {
    m_wedged = true;
    watch_kernel_threads(m_paths, pids_before, threads);
  } else if (run.insmod.ok) {
    range = module_range(m_paths, req.module_name);
    run.core_base = range.base;
    run.core_size = range.size;
    CpuGivenProbe cpu_given;
    const RunnableProbes probes{[this, &range] { return m_kmsg.records_seen() + m_activity.count(range); },
                                std::ref(cpu_given)};
    // Trouble ends the wait at once: a thread that spins for ever would use up the timeout.
    const auto settling = settle_threads(
      m_paths, pids_before, threads, [this] { return m_thread_life.events(); }, probes,
      std::chrono::milliseconds(req.settle_timeout_ms), std::chrono::milliseconds(req.threadless_settle_ms),
      [this] { return m_kmsg.trouble_seen(); }, real_clock());
    m_activity.disarm();
    run.settled = settling.settled;
    run.settle_ns = settling.ns;
    lap();
    // User space's steps, once the module is quiet. A step killed at its time limit is
    // recorded and the load goes on; one that cannot be killed holds the module's file open
    // in the kernel, so rmmod would wait for ever: the load ends there, as after a hung insmod.
    for (const auto& step : req.steps) {
      run.steps.push_back(run_step(step));
      if (run.steps.back().stuck) {
        m_wedged = true;
        run.rmmod.error = std::string("not attempted: the ") + observe::to_string(step.kind) + " of " + step.path +
                          " never returned, and still holds the module";
        break;
      }
    }
    if (!m_wedged && !req.steps.empty()) {
      m_kmsg.catch_up();
    }
    if (!m_wedged && !req.steps.empty() && m_kmsg.oops_seen()) {
      // The handler that oopsed never left the module's file: rmmod's proc_remove() would wait
      // for it for ever. The kernel is dirty anyway, and the next load runs in a fresh VM.
      m_wedged = true;
      run.rmmod.error = "not attempted: the kernel oopsed during the steps, and rmmod would wait for ever for the "
                        "handler that died";
    }
    run.timing.steps_ns = lap();
    run.slab_created = caches_created(m_paths, slab_before);
    run.timing.snapshot_ns = lap();
    // Read what happened so far while the module is loaded, so call sites print as symbols;
    // after a stall, only once rmmod has stopped what stalls.
    if (!m_kmsg.stall_seen()) {
      m_tracer.stop();
      events = m_tracer.read_events();
      m_tracer.start();
    }
    run.timing.trace_read_ns = lap();
  }
  if (run.insmod.ok && !m_wedged) {
    auto rmmod = call_with_watchdog(
      observe::k_rmmod_thread, [mod] { return kmod_module_remove_module(mod, 0); }, call_limit);
    record_call(run.rmmod, rmmod);
    run.unloader_pid = rmmod.tid;
    lap();
    if (run.rmmod.hung) {
      m_wedged = true;
    } else {
      await_exit_path(m_paths, threads, run.slab_created, real_clock());
      run.slab_left = caches_left(m_paths, run.slab_created);
      if (run.rmmod.ok) {
        run.left_behind = paths_still_listed(m_paths, req.removes);
      }
    }
    run.timing.after_rmmod_ns = lap();
  }
  m_tracer.stop();
  if (!m_wedged) {
    auto after = m_tracer.read_events();
    events.insert(events.end(), std::make_move_iterator(after.begin()), std::make_move_iterator(after.end()));
    kmod_module_unref(mod);
  }
  run.timing.trace_read_ns += lap();

  add_threads_from_trace(events, threads);
  for (auto& [pid, info] : threads) {
    if (!proc_status(m_paths, pid)) {
      info.exited = true;
    }
    run.threads.push_back(info);
  }
  keep_calls_from_module(events, req.module_name, range, run.loader_pid);
  auto kept = module_events(std::move(events), threads, req.module_name, range, m_plan.allocations);
  cap_console_events(kept, m_plan.max_log_lines);
  run.events = reduce_events(kept, m_plan.max_segments);
  run.log = m_kmsg.end_load(run.log_dropped);
  run.timing.reduce_ns = lap();
  return run;
}

} // namespace kmgrade::agent
