#pragma once

#include "kernel_paths.h"

#include "observe/observation.h"
#include "observe/trace_line.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace kmgrade::agent {

// How a wait reads the time and lets it pass: the monotonic clock and a sleep in the agent;
// a test's own clock, whose pause changes the fake kernel root as the kernel would, so a
// test of a 100 ms wait takes no 100 ms.
struct WaitClock
{
  std::function<std::uint64_t()> now;
  std::function<void(std::chrono::microseconds)> pause;
};

WaitClock real_clock();

// Settling waits for the work of a thread that sleeps a moment before it or within it: its
// threads must show nothing for k_settle_quiet, and not before k_settle_least after insmod.
inline constexpr std::chrono::milliseconds k_settle_quiet{75};
inline constexpr std::chrono::milliseconds k_settle_least{150};

// Settling a thread that never sleeps (`while (!kthread_should_stop()) schedule();`): its
// work is done once the module's threads have had k_busy_quiet of CPU time in which the
// module did nothing the checks observe. Counted in the threads' own CPU time, so a guest
// starved by a busy host is not taken for a quiet one.
inline constexpr std::chrono::milliseconds k_busy_quiet{100};
// A thread still runnable this long after insmod is watched for that quiet time: most loops
// of a correct module are over by then, and watching costs a grace period.
inline constexpr std::chrono::milliseconds k_busy_least{50};

// What settling asks of the module while one of its threads stays runnable.
struct RunnableProbes
{
  // A count that grows with everything the module does that the checks observe: the lines
  // the kernel logs, the allocations and frees its code makes.
  std::function<std::uint64_t()> activity;
  // Whether a task of the agent's own, started on the first ask for `cpu`, has run there:
  // a thread that calls schedule() gives its CPU to others, one that spins without (a
  // lockup, which the kernel reports) never does.
  std::function<bool(int cpu)> cpu_given;
};

struct Settling
{
  bool settled = false; // false when the timeout or `give_up` ended the wait
  std::uint64_t ns = 0;
};

// Where settling learns of threads that started and exited between two looks at /proc: the
// events of kernel threads' starts, names and exits since the load began.
using ThreadEvents = std::function<std::vector<observe::TraceEvent>()>;

// Watches the kernel threads started since `pids_before`, recording them in `threads`, until
// they settle: at once when every one of them has exited (an exited thread does no more
// work); once none has run or started for the quiet time; or once those that stay runnable
// have had k_busy_quiet of CPU time without the module doing anything `probes` see, and
// every CPU they run on is given to others. Stops early when `give_up` says so, and after
// `timeout`. A module that started no thread has settled after `threadless`: its init's own
// work is over when insmod returns, bar what it left to a timer or a work queue.
Settling settle_threads(const KernelPaths& paths, const std::set<int>& pids_before,
                        std::map<int, observe::TaskInfo>& threads, const ThreadEvents& thread_events,
                        const RunnableProbes& probes, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds threadless, const std::function<bool()>& give_up,
                        const WaitClock& clock);

// RunnableProbes::cpu_given on the machine itself: a thread of the agent's pinned to the CPU.
// One that never gets there is left behind, as a CPU that is never given back is a lockup.
class CpuGivenProbe
{
public:
  bool operator()(int cpu);

private:
  std::map<int, std::shared_ptr<std::atomic<bool>>> m_ran;
};

inline constexpr std::chrono::milliseconds k_exit_path_limit{100};

// Waits for the exit path's deferred work (thread exit, RCU-freed slabs) to show: until every
// thread of `threads` is gone from /proc and every cache of `created` from /sys/kernel/slab,
// at most k_exit_path_limit. Both only ever go away, so once they are gone /proc and the slab
// caches show what they would at the limit; a cache the module never destroyed or a thread
// it never stopped holds the wait to the limit, as it should. True when everything went.
bool await_exit_path(const KernelPaths& paths, const std::map<int, observe::TaskInfo>& threads,
                     const std::vector<observe::SlabCache>& created, const WaitClock& clock);

} // namespace kmgrade::agent
