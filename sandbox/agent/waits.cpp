#include "waits.h"

#include "kernel_threads.h"
#include "procfs.h"
#include "slab.h"
#include "watchdog.h"

#include <algorithm>
#include <thread>

namespace kmgrade::agent {

using std::chrono::nanoseconds;

WaitClock real_clock()
{
  return {now_ns, [](std::chrono::microseconds pause) { std::this_thread::sleep_for(pause); }};
}

namespace {

// Whether every kernel thread the module started has exited, and it started one. A thread
// has exited when the trace saw its exit or /proc shows it as a zombie; one missing from a
// look at /proc without either is waited for, as a look can miss a live thread. The trace
// also sees threads that came and went between two looks, and one that started after the last.
bool every_thread_exited(const ThreadsLook& look, const std::map<int, observe::TaskInfo>& threads,
                         const std::vector<observe::TraceEvent>& events)
{
  std::set<int> exited = look.zombies;
  for (const auto& ev : events) {
    if (ev.name == "sched_process_exit") {
      exited.insert(ev.pid);
    }
  }
  std::map<int, observe::TaskInfo> traced;
  add_threads_from_trace(events, traced);
  for (const auto& entry : threads) {
    traced.insert(entry);
  }
  for (const auto& entry : traced) {
    if (!exited.count(entry.first)) {
      return false;
    }
  }
  return !traced.empty();
}

} // namespace

Settling settle_threads(const KernelPaths& paths, const std::set<int>& pids_before,
                        std::map<int, observe::TaskInfo>& threads, const ThreadEvents& thread_events,
                        std::chrono::milliseconds timeout, const std::function<bool()>& give_up,
                        const WaitClock& clock)
{
  // Often enough that a thread's short runs between sleeps are seen.
  constexpr std::chrono::milliseconds period{5};
  const std::uint64_t start = clock.now();
  std::uint64_t last_activity = start;
  Settling result;
  while (nanoseconds(clock.now() - start) < timeout && !give_up()) {
    const auto look = watch_kernel_threads(paths, pids_before, threads);
    const std::uint64_t now = clock.now();
    if (look.running || look.started) {
      last_activity = now;
    }
    if (every_thread_exited(look, threads, thread_events()) ||
        (nanoseconds(now - last_activity) >= k_settle_quiet && nanoseconds(now - start) >= k_settle_least)) {
      result.settled = true;
      break;
    }
    clock.pause(period);
  }
  result.ns = clock.now() - start;
  return result;
}

bool await_exit_path(const KernelPaths& paths, const std::map<int, observe::TaskInfo>& threads,
                     const std::vector<observe::SlabCache>& created, const WaitClock& clock)
{
  constexpr std::chrono::milliseconds period{2};
  const auto all_gone = [&] {
    return std::none_of(threads.begin(), threads.end(),
                        [&](const auto& thread) { return proc_status(paths, thread.first).has_value(); }) &&
           std::none_of(created.begin(), created.end(),
                        [&](const observe::SlabCache& cache) { return slab_cache_listed(paths, cache.name); });
  };
  const std::uint64_t start = clock.now();
  for (;;) {
    if (all_gone()) {
      return true;
    }
    if (nanoseconds(clock.now() - start) >= k_exit_path_limit) {
      return false;
    }
    clock.pause(period);
  }
}

} // namespace kmgrade::agent
