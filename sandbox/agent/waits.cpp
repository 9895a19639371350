#include "waits.h"

#include "kernel_threads.h"
#include "procfs.h"
#include "slab.h"
#include "watchdog.h"

#include <pthread.h>
#include <sched.h>

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

// The CPU time the recorded threads have had, together.
std::uint64_t threads_cpu_ns(const KernelPaths& paths, const std::map<int, observe::TaskInfo>& threads)
{
  std::uint64_t sum = 0;
  for (const auto& entry : threads) {
    sum += cpu_time_ns(paths, entry.first).value_or(0);
  }
  return sum;
}

// Where the module's runnable threads last ran, each given to a task of the agent's own.
bool cpus_given(const KernelPaths& paths, const std::set<int>& running, const RunnableProbes& probes)
{
  return std::all_of(running.begin(), running.end(), [&](int pid) {
    const auto cpu = last_cpu(paths, pid);
    return !cpu || probes.cpu_given(*cpu);
  });
}

} // namespace

bool CpuGivenProbe::operator()(int cpu)
{
  auto& ran = m_ran[cpu];
  if (!ran) {
    ran = std::make_shared<std::atomic<bool>>(false);
    std::thread([ran, cpu] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      // Returns once the thread runs on `cpu`.
      if (::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0) {
        ran->store(true);
      }
    }).detach();
  }
  return ran->load();
}

Settling settle_threads(const KernelPaths& paths, const std::set<int>& pids_before,
                        std::map<int, observe::TaskInfo>& threads, const ThreadEvents& thread_events,
                        const RunnableProbes& probes, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds threadless, const std::function<bool()>& give_up,
                        const WaitClock& clock)
{
  // Often enough that a thread's short runs between sleeps are seen.
  constexpr std::chrono::milliseconds period{5};
  const std::uint64_t start = clock.now();
  std::uint64_t last_activity = start;
  // Since the module last did something observable while a thread stayed runnable: what
  // `probes.activity` counted then, and the threads' CPU time then.
  struct BusyStretch
  {
    bool on = false;
    std::uint64_t activity = 0;
    std::uint64_t cpu_ns = 0;
  } busy;
  Settling result;
  while (nanoseconds(clock.now() - start) < timeout && !give_up()) {
    const auto look = watch_kernel_threads(paths, pids_before, threads);
    const std::uint64_t now = clock.now();
    if (look.running() || look.started) {
      last_activity = now;
    }
    bool busy_but_done = false;
    // Only a thread that gives its CPU is asked about: counting the module's calls waits
    // for an RCU grace period, which a CPU that is never given holds up.
    if (look.running() && nanoseconds(now - start) >= k_busy_least && cpus_given(paths, look.running_pids, probes)) {
      const std::uint64_t activity = probes.activity();
      const std::uint64_t cpu_ns = threads_cpu_ns(paths, threads);
      // A thread that exited takes its CPU time out of the sum: the stretch starts again.
      if (!busy.on || busy.activity != activity || look.started || cpu_ns < busy.cpu_ns) {
        busy = BusyStretch{true, activity, cpu_ns};
      } else {
        busy_but_done = nanoseconds(cpu_ns - busy.cpu_ns) >= k_busy_quiet;
      }
    } else {
      busy.on = false;
    }
    const bool threadless_done = threads.empty() && !look.started && nanoseconds(now - start) >= threadless;
    if (every_thread_exited(look, threads, thread_events()) || busy_but_done || threadless_done ||
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
