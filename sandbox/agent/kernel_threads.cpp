#include "kernel_threads.h"

#include "procfs.h"

#include "observe/numbers.h"

namespace kmgrade::agent {

using observe::parse_number;
using observe::TaskInfo;
using observe::TraceEvent;

bool is_worker_name(const std::string& comm)
{
  return comm.rfind("kworker/", 0) == 0 || comm.rfind("ksoftirqd/", 0) == 0;
}

ThreadsLook watch_kernel_threads(const KernelPaths& paths, const std::set<int>& pids_before,
                                 std::map<int, TaskInfo>& threads)
{
  ThreadsLook look;
  for (int pid : list_pids(paths)) {
    if (pids_before.count(pid)) {
      continue;
    }
    auto st = proc_status(paths, pid);
    if (!st || st->ppid != 2) {
      continue;
    }
    // A thread still named "kthreadd" is not named yet: kthread_create names a module's
    // thread before it returns, and a kworker is renamed a moment later.
    if (is_worker_name(st->name) || st->name == "kthreadd") {
      threads.erase(pid);
      continue;
    }
    auto [it, added] = threads.try_emplace(pid);
    auto& info = it->second;
    info.pid = pid;
    info.comm = st->name;
    info.cpus_allowed = st->cpus_allowed;
    look.started = look.started || added;
    if (st->state == 'R') {
      look.running_pids.insert(pid);
    }
    // A zombie, or a dead task not yet reaped: it has passed sched_process_exit.
    if (st->state == 'Z' || st->state == 'X') {
      look.zombies.insert(pid);
    }
  }
  return look;
}

void add_threads_from_trace(const std::vector<TraceEvent>& events, std::map<int, TaskInfo>& threads)
{
  std::map<int, std::string> renamed;
  for (const auto& ev : events) {
    // A thread's name is the module's choice and may read like more fields ("x pid=1e99"):
    // a pid that is not a plain int is not a pid.
    auto pid = parse_number<int>(ev.field("pid"));
    if (ev.name == "task_rename" && pid) {
      renamed[*pid] = ev.field("newcomm");
    }
  }
  for (const auto& ev : events) {
    // "comm=kthreadd pid=2 child_comm=kthreadd child_pid=N": kthreadd forks every kernel thread.
    if (ev.name != "sched_process_fork" || ev.field("pid") != "2") {
      continue;
    }
    auto parsed = parse_number<int>(ev.field("child_pid"));
    if (!parsed) {
      continue;
    }
    const int child = *parsed;
    std::string comm = renamed.count(child) ? renamed[child] : ev.field("child_comm");
    if (is_worker_name(comm) || comm == "kthreadd" || threads.count(child)) {
      continue;
    }
    threads[child] = TaskInfo{child, comm, "", false};
  }
}

} // namespace kmgrade::agent
