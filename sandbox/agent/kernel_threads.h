#pragma once

#include "kernel_paths.h"

#include "observe/observation.h"
#include "observe/trace_line.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace kmgrade::agent {

// A kernel's own worker thread (kworker, ksoftirqd): never the module's.
bool is_worker_name(const std::string& comm);

// What one look at /proc showed of the kernel threads recorded so far.
struct ThreadsLook
{
  bool running() const { return !running_pids.empty(); }

  std::set<int> running_pids; // those in state R
  bool started = false;       // one was recorded by this look
  std::set<int> zombies;      // recorded threads this look showed as exited but not yet reaped
};

// Records in `threads` the kernel threads (children of kthreadd) started since
// `pids_before`, with their name and allowed CPUs as /proc shows them now.
ThreadsLook watch_kernel_threads(const KernelPaths& paths, const std::set<int>& pids_before,
                                 std::map<int, observe::TaskInfo>& threads);

// Adds to `threads` the kernel threads that kthreadd forked in `events` (under the name
// task_rename gave them): those that started and exited between two looks at /proc.
void add_threads_from_trace(const std::vector<observe::TraceEvent>& events, std::map<int, observe::TaskInfo>& threads);

} // namespace kmgrade::agent
